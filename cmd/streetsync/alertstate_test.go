package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"streetsync/internal/alerts"
	"streetsync/internal/alerts/notify"
	"streetsync/internal/reconcile"
	"streetsync/internal/testutil"
	"streetsync/mocks/fault"
	"streetsync/scheduler/retry"
)

// alertHook is an HTTP receiver of the generic webhook that records every alert it is sent.
type alertHook struct {
	mu       sync.Mutex
	messages []notify.Message
}

func newAlertHook(t *testing.T) (string, *alertHook) {
	t.Helper()
	h := &alertHook{}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m notify.Message
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		h.mu.Lock()
		h.messages = append(h.messages, m)
		h.mu.Unlock()
	}))
	t.Cleanup(ts.Close)
	return ts.URL + "/hook", h
}

// take returns the messages received since the last call.
func (h *alertHook) take() []notify.Message {
	h.mu.Lock()
	defer h.mu.Unlock()
	m := h.messages
	h.messages = nil
	return m
}

func alertsOf(msgs []notify.Message) []notify.Alert {
	var out []notify.Alert
	for _, m := range msgs {
		out = append(out, m.Alerts...)
	}
	return out
}

// useLedger points the env's config at another ledger.
func (e *env) useLedger(t *testing.T, driver, dsn string) {
	t.Helper()
	cfg := readFile(t, e.config)
	old := `ledger: {driver: sqlite, dsn: "` + filepath.Join(e.dir, "ledger.db") + `"}`
	if !strings.Contains(cfg, old) {
		t.Fatalf("the env's config has no %s", old)
	}
	writeFile(t, e.config, strings.Replace(cfg, old, `ledger: {driver: `+driver+`, dsn: "`+dsn+`"}`, 1))
}

// loseRedis deletes every key under the env's prefix — what a failover with asynchronous
// replication, a restart without AOF or an operator's FLUSHDB does. The run history the alert
// check dates its data by is the ledger's, and survives.
func loseRedis(t *testing.T, e *env) {
	t.Helper()
	ctx := context.Background()
	keys, err := testutil.Keys(ctx, e.redis, e.redis.Prefix+"*")
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) == 0 {
		t.Fatal("nothing to lose: no keys under the prefix")
	}
	for _, k := range keys { // one by one: on a cluster the keys live in several slots
		if err := testutil.RedisClient(t, e.redis).Del(ctx, k).Err(); err != nil {
			t.Fatal(err)
		}
	}
}

// Issue 15's acceptance: the alert state is the ledger's. Check (deliveries recorded by an HTTP
// receiver), acknowledge one alert, silence another, delete every Redis key, check again: nothing
// is delivered again, and `alerts list` still shows the acknowledgement and the silence. Both
// ledger drivers.
func TestAlertStateSurvivesLosingRedis(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			hook, received := newAlertHook(t)
			e := newEnv(t, 20, "alerts: {channels: [{type: webhook, name: 安办, url: \""+hook+"\", escalations: true}]}\n")
			if driver == "postgres" {
				e.useLedger(t, "postgres", testutil.Postgres(t))
			}
			if code, _, errOut := e.cli(t, "import", workbookOf(t, e)); code != exitOK {
				t.Fatalf("import: exit %d: %s", code, errOut)
			}
			// The platform refuses every enterprise it is sent (50001 per batchSave item): the
			// pushes wait in the retry queue when Redis goes.
			e.mocks.Quanzhou.SetFaults(fault.Faults{ItemStoreFailure: 1})
			if code, _, errOut := e.cli(t, "sync", "all"); code != exitOK {
				t.Fatalf("sync all: exit %d: %s", code, errOut)
			}
			var queued retry.Stats
			e.jsonCLI(t, exitOK, &queued, "queue", "stats")
			if queued.Pending+queued.Scheduled == 0 {
				t.Fatalf("queue after a sync whose pushes all failed: %+v, want items waiting", queued)
			}
			var res checkResult
			e.jsonCLI(t, exitOK, &res, "alerts", "check")
			first := alertsOf(received.take())
			if len(first) == 0 || res.Delivered.Firing != len(res.Firing) || len(res.Firing) < 2 || res.Unknown != 0 {
				t.Fatalf("first check: %d firing, delivered %+v, unknown %d; the receiver got %d alerts",
					len(res.Firing), res.Delivered, res.Unknown, len(first))
			}
			acked, silenced := res.Firing[0], res.Firing[1]
			e.jsonCLI(t, exitOK, nil, "alerts", "ack", acked.Key, "--note", "已电话督促企业停岗", "--by", "王网格员")
			e.jsonCLI(t, exitOK, nil, "alerts", "silence", "--id", silenced.Key, "--until", "7d", "--reason", "企业停产检修", "--by", "安办",
				"--include-critical", "--yes")

			loseRedis(t, e)
			var again checkResult
			e.jsonCLI(t, exitOK, &again, "alerts", "check")
			if got := alertsOf(received.take()); len(got) != 0 || again.Delivered.Firing != 0 || again.Delivered.Resolved != 0 {
				t.Errorf("after losing Redis the check delivered %d alerts again (%+v)", len(got), again.Delivered)
			}
			if len(again.Firing) != len(res.Firing) || len(again.Skipped) != 0 {
				t.Errorf("after losing Redis: %d firing (was %d), skipped %+v", len(again.Firing), len(res.Firing), again.Skipped)
			}

			var page alerts.Page
			e.jsonCLI(t, exitOK, &page, "alerts", "list", "--status", "acknowledged")
			if len(page.Alerts) != 1 || page.Alerts[0].Key != acked.Key || page.Alerts[0].Acknowledged == nil ||
				page.Alerts[0].Acknowledged.By != "王网格员" || page.Alerts[0].Acknowledged.Note != "已电话督促企业停岗" {
				t.Errorf("acknowledged after losing Redis: %+v", page.Alerts)
			}
			e.jsonCLI(t, exitOK, &page, "alerts", "list", "--status", "silenced")
			if len(page.Alerts) != 1 || page.Alerts[0].Key != silenced.Key || page.Alerts[0].Silenced == nil ||
				page.Alerts[0].Silenced.Reason != "企业停产检修" {
				t.Errorf("silenced after losing Redis: %+v", page.Alerts)
			}

			// What the queue held is found again: with the platform back, a sync and a drain
			// leave the ledger and the platform as a run that lost nothing leaves them.
			e.mocks.Quanzhou.SetFaults(fault.Faults{})
			if code, _, errOut := e.cli(t, "sync", "all"); code != exitOK {
				t.Fatalf("sync all after the loss: exit %d: %s", code, errOut)
			}
			var drained retry.Stats
			e.jsonCLI(t, exitOK, &drained, "queue", "drain", "--timeout", "60s")
			if drained.Pending+drained.Scheduled+drained.Dead != 0 {
				t.Errorf("queue after the drain: %+v, want it empty", drained)
			}
			assertLedgerAgreesWithPlatform(t, e)
		})
	}
}

// assertLedgerAgreesWithPlatform checks, through `reconcile`, that every enterprise of the ledger
// is on the platform mock with the ledger's street-owned fields, and every on-duty registration
// the roster needs is there: what the generated street holds apart on purpose (enterprises only
// the platform knows, platform-owned drift, uncertified people) is not the sync's to settle.
func assertLedgerAgreesWithPlatform(t *testing.T, e *env) {
	t.Helper()
	var rep reconcile.Report
	e.jsonCLI(t, exitOK, &rep, "reconcile")
	if rep.Enterprises == nil || rep.Operators == nil {
		t.Fatalf("reconcile: %+v", rep)
	}
	if n := len(rep.Enterprises.OnlyInLedger); n != 0 {
		t.Errorf("%d enterprises of the ledger are not on the platform: %+v", n, rep.Enterprises.OnlyInLedger)
	}
	for _, d := range rep.Enterprises.Different {
		for _, f := range d.Fields {
			if f.Owner == "street" {
				t.Errorf("%s: the street's %s differs on the platform: %+v", d.USCC, f.Field, f)
			}
		}
	}
	if n := len(rep.Operators.Unregistered); n != 0 {
		t.Errorf("%d roster entries are not registered on the special-operations system: %+v", n, rep.Operators.Unregistered)
	}
}

// Issue 14's acceptance: with no certificate data yet (its job never ran) the check judges no
// certificate rule — no NO_CERTIFICATE goes out — raises DATA_STALE to the escalation channel,
// says so in "skipped" and exits 3; once the data is synced, DATA_STALE resolves and the rules
// judge.
func TestAlertsCheckSkipsStaleDataAndExits3(t *testing.T) {
	hook, received := newAlertHook(t)
	e := newEnv(t, 20, "alerts: {channels: [{type: webhook, name: 安办, url: \""+hook+"\", escalations: true}]}\n")
	if code, _, errOut := e.cli(t, "import", workbookOf(t, e)); code != exitOK {
		t.Fatalf("import: exit %d: %s", code, errOut)
	}
	if code, _, errOut := e.cli(t, "sync", "enterprises"); code != exitOK {
		t.Fatalf("sync enterprises: exit %d: %s", code, errOut)
	}
	var res checkResult
	e.jsonCLI(t, exitRuntime, &res, "alerts", "check")
	skipped := map[string]string{}
	for _, s := range res.Skipped {
		skipped[s.Rules] = s.Reason
	}
	if !strings.Contains(skipped["certificate"], "从未同步") || !strings.Contains(skipped["alarm"], "从未同步") ||
		!strings.Contains(skipped["hazard"], "sync hazards") || !strings.Contains(skipped["inspection"], "sync inspections") || res.Evaluated != 0 {
		t.Fatalf("skipped %+v, evaluated %d", res.Skipped, res.Evaluated)
	}
	for _, a := range res.Firing {
		if a.Rule != "DATA_STALE" || a.System == nil {
			t.Errorf("a %s alert fired from data never synced", a.Rule)
		}
	}
	msgs := received.take()
	// One DATA_STALE per family of synced data: certificates, alarms, hazards, inspections.
	if len(msgs) != 1 || len(msgs[0].Alerts) != 4 || msgs[0].Alerts[0].Rule != "DATA_STALE" {
		t.Fatalf("the receiver got %d messages: %+v", len(msgs), msgs)
	}
	if code, text, _ := e.cli(t, "alerts", "check"); code != exitRuntime || !strings.Contains(text, "未判断") {
		t.Errorf("text check: exit %d, %q", code, text)
	}
	received.take()

	for _, job := range []string{"certificates", "alarms", "hazards", "inspections"} {
		if code, _, errOut := e.cli(t, "sync", job); code != exitOK {
			t.Fatalf("sync %s: exit %d: %s", job, code, errOut)
		}
	}
	var fresh checkResult
	e.jsonCLI(t, exitOK, &fresh, "alerts", "check")
	if len(fresh.Skipped) != 0 || fresh.Delivered.Resolved != 4 || fresh.Delivered.Firing == 0 {
		t.Errorf("fresh data: skipped %+v, delivered %+v", fresh.Skipped, fresh.Delivered)
	}
	resolved := 0
	for _, a := range alertsOf(received.take()) {
		if a.Rule == "DATA_STALE" && a.Status == notify.StatusResolved {
			resolved++
		}
	}
	if resolved != 4 {
		t.Errorf("%d DATA_STALE resolutions delivered, want 4", resolved)
	}
}
