package main

import (
	"strings"
	"testing"
)

// hazards from-alert on a NO_CERTIFICATE alert creates one major hazard of clause 3-2 on the
// platform mock — once, even when run twice; another rule is refused with a Chinese reason.
func TestHazardsFromAlert(t *testing.T) {
	e := prepared(t, 20, "")
	var res checkResult
	e.jsonCLI(t, exitOK, &res, "alerts", "check")
	var noCert, other string
	for _, a := range res.Firing {
		switch {
		case a.Rule == "NO_CERTIFICATE" && noCert == "":
			noCert = a.Key
		case (a.Rule == "REVIEW_OVERDUE" || a.Rule == "EXPIRING_SOON" || a.Rule == "ALARM_UNHANDLED") && other == "":
			other = a.Key
		}
	}
	if noCert == "" || other == "" {
		t.Fatalf("the generated street has no NO_CERTIFICATE (%q) or no other alert (%q)", noCert, other)
	}

	var first, second hazardOutcomeJSON
	e.jsonCLI(t, exitOK, &first, "hazards", "from-alert", noCert, "--note", "现场核实该人员正在从事电工作业", "--handler", "林芳")
	e.jsonCLI(t, exitOK, &second, "hazards", "from-alert", noCert, "--note", "再次核实", "--handler", "陈志强", "--deadline", "2099-01-01")
	h := first.Hazard
	if !first.Created || !first.Pushed || h.ID != "YJ-"+noCert || h.Level != "重大" || h.Clause != "3-2" || h.Source != "街道检查" ||
		h.Status != "待整改" {
		t.Fatalf("first from-alert: %+v", first)
	}
	if second.Created || second.Hazard.ID != h.ID || second.Hazard.Yhid != h.Yhid || second.Hazard.Deadline != h.Deadline {
		t.Errorf("second from-alert: got %+v, want the same hazard unchanged", second)
	}
	if n := e.mocks.Quanzhou.HazardCreates(h.ID); n != 1 {
		t.Errorf("the platform created the hazard %d times, want once", n)
	}
	p, ok := e.mocks.Quanzhou.HazardByLybh(h.ID)
	if !ok || p.Yhdj != "2" || p.Pdbz != "3-2" || p.Yhly != "JDJC" || p.Fxr != "林芳" || !strings.Contains(p.Yhms, "无证上岗") ||
		!strings.Contains(p.Yhms, "********") || !strings.Contains(p.Yhms, "现场核实") {
		t.Errorf("on the platform: %+v", p)
	}
	for _, op := range e.mocks.Dataset.Roster {
		if strings.Contains(p.Yhms, op.IDNumber) {
			t.Errorf("the description carries %s's whole ID number: %s", op.Name, p.Yhms)
		}
	}

	for _, tc := range []struct {
		name, want string
		args       []string
	}{
		{"another rule", "不能判定为重大事故隐患", []string{other, "--note", "x", "--handler", "y"}},
		{"unknown alert", "没有预警", []string{"0000000000000000", "--note", "x", "--handler", "y"}},
		{"no note", "--note", []string{noCert, "--handler", "y"}},
		{"bad deadline", "--deadline", []string{noCert, "--note", "x", "--handler", "y", "--deadline", "明天"}},
	} {
		if code, _, errOut := e.cli(t, append([]string{"hazards", "from-alert"}, tc.args...)...); code != exitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("%s: exit %d, want 2 saying %q; stderr: %s", tc.name, code, tc.want, tail(errOut, 400))
		}
	}
}
