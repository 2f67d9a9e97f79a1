package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"streetsync/internal/alerts"
)

// prepared is an env whose ledger holds the generated workbook and one sync of every job.
func prepared(t *testing.T, size int, extra string) *env {
	t.Helper()
	e := newEnv(t, size, extra)
	if code, _, errOut := e.cli(t, "import", workbookOf(t, e)); code != exitOK {
		t.Fatalf("import: exit %d: %s", code, errOut)
	}
	if code, _, errOut := e.cli(t, "sync", "all"); code != exitOK {
		t.Fatalf("sync all: exit %d: %s", code, errOut)
	}
	return e
}

// checkResult is the contract's `alerts check --format json`, decoded strictly.
type checkResult struct {
	Evaluated int            `json:"evaluated"`
	Unknown   int            `json:"unknown"`
	Firing    []alerts.Alert `json:"firing"`
	Delivered struct {
		Firing   int `json:"firing"`
		Resolved int `json:"resolved"`
	} `json:"delivered"`
	Skipped []alerts.Skip `json:"skipped"`
}

func TestAlertsCheckListAckSilence(t *testing.T) {
	hook, delivered := webhookReceiver(t)
	e := prepared(t, 20, "alerts: {channels: [{type: webhook, name: 社区机器人, url: \""+hook+"\"}]}\noperator: {name: 值班员}\n")

	var dry checkResult
	out := e.jsonCLI(t, exitOK, &dry, "alerts", "check", "--dry-run")
	if dry.Evaluated == 0 || len(dry.Firing) == 0 || dry.Delivered.Firing != 0 || dry.Delivered.Resolved != 0 {
		t.Fatalf("alerts check --dry-run: got evaluated %d, %d firing, delivered %+v; want some firing, nothing delivered",
			dry.Evaluated, len(dry.Firing), dry.Delivered)
	}
	if delivered.Load() != 0 {
		t.Fatalf("the dry run delivered %d messages", delivered.Load())
	}
	for _, op := range e.mocks.Dataset.Roster {
		if strings.Contains(out, op.IDNumber) {
			t.Fatalf("alerts check shows the whole ID number of %s", op.Name)
		}
	}

	var res checkResult
	e.jsonCLI(t, exitOK, &res, "alerts", "check")
	if res.Delivered.Firing != len(res.Firing) || delivered.Load() == 0 {
		t.Fatalf("alerts check: delivered %+v of %d firing, webhook got %d messages", res.Delivered, len(res.Firing), delivered.Load())
	}
	e.jsonCLI(t, exitOK, &res, "alerts", "check")
	if res.Delivered.Firing != 0 {
		t.Errorf("second check re-delivered %d alerts before the repeat interval", res.Delivered.Firing)
	}
	e.jsonCLI(t, exitFound, nil, "alerts", "check", "--exit-code")
	if code, text, _ := e.cli(t, "alerts", "check", "--dry-run"); code != exitOK || !strings.Contains(text, "正在预警") {
		t.Errorf("text check: exit %d, %q", code, text)
	}

	first := res.Firing[0]
	var page alerts.Page
	e.jsonCLI(t, exitOK, &page, "alerts", "list", "--rule", first.Rule)
	recs := page.Alerts
	if len(recs) == 0 || page.Total != len(recs) {
		t.Fatalf("alerts list --rule %s: none", first.Rule)
	}
	for _, r := range recs {
		if r.Rule != first.Rule {
			t.Errorf("alerts list --rule %s listed a %s alert", first.Rule, r.Rule)
		}
	}
	e.jsonCLI(t, exitOK, &page, "alerts", "list", "--community", first.Community)
	for _, r := range page.Alerts {
		if r.Community != first.Community {
			t.Errorf("alerts list --community %s listed one of %s", first.Community, r.Community)
		}
	}

	var ack map[string]any
	e.jsonCLI(t, exitOK, &ack, "alerts", "ack", first.Key, "--note", "已电话督促企业停岗", "--by", "王网格员")
	e.jsonCLI(t, exitOK, &page, "alerts", "list", "--status", "acknowledged")
	if recs = page.Alerts; len(recs) != 1 || recs[0].Key != first.Key || recs[0].Acknowledged == nil || recs[0].Acknowledged.By != "王网格员" {
		t.Errorf("after ack: got %+v, want the one acknowledged alert", recs)
	}

	var sl alerts.SilenceCover
	e.jsonCLI(t, exitOK, &sl, "alerts", "silence", "--id", first.Key, "--until", "7d", "--reason", "企业停产检修", "--by", "安办",
		"--include-critical", "--yes")
	if sl.ID == "" || sl.Matcher.Key != first.Key || sl.Until.Before(time.Now().Add(6*24*time.Hour)) || sl.Covers != 1 {
		t.Errorf("silence: got %+v", sl)
	}

	for _, tc := range []struct {
		rule string
		args []string
		want string // in the one Chinese line on stderr
	}{
		{"unknown rule", []string{"alerts", "list", "--rule", "NO_SUCH_RULE"}, "没有预警规则"},
		{"ack needs a note", []string{"alerts", "ack", first.Key}, "请用 --note"},
		{"ack of an unknown key", []string{"alerts", "ack", "0000000000000000", "--note", "x"}, "没有这个预警"},
		{"silence needs a reason", []string{"alerts", "silence", "--id", first.Key, "--until", "1h"}, "请用 --reason"},
		{"silence needs a target", []string{"alerts", "silence", "--until", "1h", "--reason", "x"}, "请说明静默哪些预警"},
		{"silence until garbage", []string{"alerts", "silence", "--id", first.Key, "--until", "soon", "--reason", "x"}, "不是时间、日期或时长"},
		{"silence until the past", []string{"alerts", "silence", "--id", first.Key, "--until", "2001-01-01", "--reason", "x",
			"--include-critical", "--yes"}, "已过"},
		{"silence of a bad target", []string{"alerts", "silence", "--id", "not-a-key", "--until", "1h", "--reason", "x"}, "既不是预警 KEY"},
	} {
		if code, _, errOut := e.cli(t, tc.args...); code != exitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("%s: exit %d, stderr %q; want 2 and %q", tc.rule, code, tail(errOut, 300), tc.want)
		}
	}
}

func TestParseUntil(t *testing.T) {
	loc := time.FixedZone("CST", 8*3600)
	now := time.Date(2026, 11, 28, 10, 0, 0, 0, loc)
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		{"2026-12-01T18:00:00+08:00", time.Date(2026, 12, 1, 18, 0, 0, 0, loc)},
		{"2026-12-01 18:00", time.Date(2026, 12, 1, 18, 0, 0, 0, loc)},
		{"2026-12-01", time.Date(2026, 12, 2, 0, 0, 0, 0, loc)}, // through the whole day
		{"72h", now.Add(72 * time.Hour)},
		{"7d", now.AddDate(0, 0, 7)},
	} {
		got, err := parseUntil(tc.in, now, loc)
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("parseUntil(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "soon", "-1h", "0d", "7 d", "2026-13-01"} {
		if _, err := parseUntil(bad, now, loc); err == nil {
			t.Errorf("parseUntil(%q) accepted", bad)
		}
	}
}

func TestAlarmsFeedback(t *testing.T) {
	e := newEnv(t, 10, "")
	if code, _, errOut := e.cli(t, "sync", "alarms"); code != exitOK {
		t.Fatalf("sync alarms: exit %d: %s", code, errOut)
	}
	if len(e.mocks.Dataset.Alarms) == 0 {
		t.Fatal("the dataset has no alarms")
	}
	bjid := e.mocks.Dataset.Alarms[0].ID
	var res feedbackResult
	e.jsonCLI(t, exitOK, &res, "alarms", "feedback", bjid, "--status", "2", "--note", "已更换滤芯，压差恢复正常", "--handler", "陈安全")
	if res.AlarmID != bjid || res.Status != "2" || res.State != "accepted" || !res.Created || res.Queued {
		t.Fatalf("feedback: got %+v, want accepted by the platform", res)
	}
	e.jsonCLI(t, exitOK, &res, "alarms", "feedback", bjid, "--status", "2", "--note", "已更换滤芯，压差恢复正常", "--handler", "陈安全",
		"--at", res.HandledAt.Format(time.RFC3339))
	if res.Created {
		t.Errorf("the same feedback again made a new record: %+v", res)
	}
	for _, tc := range []struct {
		rule string
		args []string
	}{
		{"status 1 or 2", []string{"alarms", "feedback", bjid, "--status", "3", "--note", "x", "--handler", "y"}},
		{"note required", []string{"alarms", "feedback", bjid, "--status", "1", "--handler", "y"}},
		{"unknown alarm", []string{"alarms", "feedback", "NO-SUCH-ALARM", "--status", "1", "--note", "x", "--handler", "y"}},
		{"handled in the future", []string{"alarms", "feedback", bjid, "--status", "1", "--note", "x", "--handler", "y", "--at", "2h"}},
	} {
		if code, _, errOut := e.cli(t, tc.args...); code != exitUsage {
			t.Errorf("%s: exit %d, want 2; stderr: %s", tc.rule, code, tail(errOut, 300))
		}
	}
}

func TestReconcileReportsAppliesAndWritesFiles(t *testing.T) {
	e := prepared(t, 20, "")
	var raw map[string]json.RawMessage
	out := e.jsonCLI(t, exitOK, &raw, "reconcile")
	for _, op := range e.mocks.Dataset.Roster {
		if strings.Contains(out, op.IDNumber) {
			t.Fatalf("reconcile shows the whole ID number of %s", op.Name)
		}
	}
	var ents struct {
		OnlyInLedger   []map[string]any `json:"onlyInLedger"`
		OnlyOnPlatform []map[string]any `json:"onlyOnPlatform"`
		Different      []map[string]any `json:"different"`
	}
	var ops struct {
		Unregistered []map[string]any `json:"unregistered"`
		Uncertified  *int             `json:"uncertified"`
		UnknownItems []map[string]any `json:"unknownItems"`
	}
	if err := json.Unmarshal(raw["enterprises"], &ents); err != nil || ents.OnlyInLedger == nil || ents.OnlyOnPlatform == nil || ents.Different == nil {
		t.Fatalf("reconcile: enterprises section %s (%v)", raw["enterprises"], err)
	}
	if err := json.Unmarshal(raw["operators"], &ops); err != nil || ops.Unregistered == nil || ops.Uncertified == nil || ops.UnknownItems == nil {
		t.Fatalf("reconcile: operators section %s (%v)", raw["operators"], err)
	}
	if *ops.Uncertified == 0 {
		t.Errorf("the generated roster has uncertified operators; reconcile counts none")
	}
	e.jsonCLI(t, exitFound, nil, "reconcile", "--exit-code")

	var only map[string]json.RawMessage
	e.jsonCLI(t, exitOK, &only, "reconcile", "enterprises")
	if _, has := only["operators"]; has {
		t.Errorf("reconcile enterprises reports operators too")
	}

	var applied struct {
		Applied *struct {
			Pushed, Pulled, Registered int
		} `json:"applied"`
	}
	out = e.jsonCLI(t, exitOK, nil, "reconcile", "enterprises", "--apply")
	if err := json.Unmarshal([]byte(out), &applied); err != nil || applied.Applied == nil {
		t.Fatalf("reconcile --apply: no applied section: %v\n%s", err, out)
	}

	xlsx := e.dir + "/对账.xlsx"
	if code, _, errOut := e.cli(t, "reconcile", "-o", xlsx); code != exitOK {
		t.Fatalf("reconcile -o: exit %d: %s", code, errOut)
	}
	if readFile(t, xlsx)[:2] != "PK" {
		t.Errorf("%s is not an xlsx file", xlsx)
	}
	for _, tc := range []struct {
		rule string
		args []string
	}{
		{"unknown scope", []string{"reconcile", "everything"}},
		{"report is .xlsx or .csv", []string{"reconcile", "-o", e.dir + "/r.pdf"}},
		{"one scope", []string{"reconcile", "enterprises", "operators"}},
	} {
		if code, _, errOut := e.cli(t, tc.args...); code != exitUsage {
			t.Errorf("%s: exit %d, want 2; stderr: %s", tc.rule, code, tail(errOut, 300))
		}
	}
}
