package main

import (
	"strings"
	"testing"

	"streetsync/internal/alerts/notify"
	"streetsync/internal/jobs"
	"streetsync/mocks/fault"
)

// Issue 14's acceptance: the special-operations system down when the street syncs — no
// certificate reached the ledger — and the alert check delivers no certificate alert (no
// NO_CERTIFICATE for the whole roster), one DATA_STALE for the certificates, and exits 3; the
// families whose data did arrive are judged as usual.
func TestSpecialOpsDownPausesTheCertificateAlerts(t *testing.T) {
	hook, received := newAlertHook(t)
	e := newEnv(t, 20, "alerts: {channels: [{type: webhook, name: 安办, url: \""+hook+"\", escalations: true}]}\n")
	if code, _, errOut := e.cli(t, "import", workbookOf(t, e)); code != exitOK {
		t.Fatalf("import: exit %d: %s", code, errOut)
	}
	e.ep.SpecialOpsBaseURL = deadURL(t)
	e.writeConfig(t, "alerts: {channels: [{type: webhook, name: 安办, url: \""+hook+"\", escalations: true}]}\n")
	var all []jobs.Summary
	code, out, errOut := e.cli(t, "--format", "json", "sync", "all")
	if code != exitRuntime {
		t.Fatalf("sync all with the special-operations system down: exit %d, want 3; stderr %s", code, errOut)
	}
	decodeJSON(t, out, &all)
	for _, s := range all {
		if s.Job == "certificates" && s.Outcome != jobs.OutcomePlatformUnavailable {
			t.Errorf("certificates: %+v, want platform_unavailable", s)
		}
	}

	var res checkResult
	e.jsonCLI(t, exitRuntime, &res, "alerts", "check")
	var skipped []string
	for _, s := range res.Skipped {
		skipped = append(skipped, s.Rules)
	}
	if strings.Join(skipped, ",") != "certificate" || !strings.Contains(res.Skipped[0].Reason, "从未同步") {
		t.Errorf("skipped %+v, want the certificate rules only, never synced", res.Skipped)
	}
	stale, others := 0, 0
	for _, a := range alertsOf(received.take()) {
		switch {
		case a.Rule == "DATA_STALE":
			stale++
			if a.System == nil || a.System.Subject != "certificate" || a.Status != notify.StatusFiring {
				t.Errorf("DATA_STALE %+v, want the certificates' firing", a)
			}
		case a.Rule == "NO_CERTIFICATE" || a.Rule == "CERT_EXPIRED" || a.Rule == "CERT_INVALID" ||
			a.Rule == "ITEM_MISMATCH" || a.Rule == "EXPIRING_SOON" || a.Rule == "REVIEW_OVERDUE":
			t.Errorf("a certificate alert was delivered from certificates never fetched: %s %s", a.Rule, a.Message)
		default:
			others++
		}
	}
	if stale != 1 {
		t.Errorf("%d DATA_STALE delivered, want one", stale)
	}
	if others == 0 {
		t.Errorf("the families whose data arrived (alarms, hazards) delivered nothing")
	}
}

// A run that pushed nothing because the platform refused every record it was sent (each
// batchSave item 50001) queued them: 部分完成, exit 0, outcome partial with a Chinese reason, and
// the run history says the same.
func TestSyncThatQueuedRecordsIsPartial(t *testing.T) {
	e := newEnv(t, 20, "")
	if code, _, errOut := e.cli(t, "import", workbookOf(t, e)); code != exitOK {
		t.Fatalf("import: exit %d: %s", code, errOut)
	}
	e.mocks.Quanzhou.SetFaults(fault.Faults{ItemStoreFailure: 1})
	var s jobs.Summary
	e.jsonCLI(t, exitOK, &s, "sync", "enterprises")
	if s.Outcome != jobs.OutcomePartial || s.Queued == 0 || !hasHan(s.Reason) {
		t.Errorf("summary %+v, want partial with records queued and a Chinese reason", s)
	}
	if r := e.lastRun(t, "enterprises"); r.Outcome != "partial" || r.Reason != s.Reason {
		t.Errorf("run history: %+v, want the partial run with its reason", r)
	}
	code, out, _ := e.cli(t, "sync", "enterprises")
	if code != exitOK || !strings.Contains(out, "部分完成") {
		t.Errorf("text: exit %d, stdout %q; want 0 saying 部分完成", code, out)
	}
}

// A run that cannot work at all (the platform refuses the credentials: no retry fixes that) is
// 失败: exit 3, outcome failed with a Chinese reason, in the run history too.
func TestSyncWithRefusedCredentialsFails(t *testing.T) {
	e := newEnv(t, 5, "")
	e.ep.AppSecret = "wrong-secret-value"
	e.writeConfig(t, "")
	code, out, errOut := e.cli(t, "--format", "json", "sync", "enterprises")
	if code != exitRuntime {
		t.Fatalf("refused credentials: exit %d, want 3; stderr: %s", code, errOut)
	}
	var s jobs.Summary
	decodeJSON(t, out, &s)
	if s.Outcome != jobs.OutcomeFailed || !hasHan(s.Reason) {
		t.Errorf("summary %+v, want failed with a Chinese reason", s)
	}
	if strings.Contains(out+errOut, "wrong-secret-value") {
		t.Errorf("the secret shows in the output")
	}
	if r := e.lastRun(t, "enterprises"); r.Outcome != "failed" || r.Reason != s.Reason {
		t.Errorf("run history: %+v, want the failed run with its reason", r)
	}
}
