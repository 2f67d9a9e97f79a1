package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"streetsync/internal/alerts/rules"
	"streetsync/internal/config"
	"streetsync/internal/ledger"
	"streetsync/mocks/fault"
)

// deliveries records what a webhook channel receives: each alert's key and status, and when.
type deliveries struct {
	mu   sync.Mutex
	got  []delivery
	urlS string
}

type delivery struct {
	at          time.Time
	key, status string
	rule        string
}

func recordDeliveries(t *testing.T) *deliveries {
	t.Helper()
	d := &deliveries{}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		at := time.Now()
		var msg struct {
			Alerts []struct {
				Key    string `json:"key"`
				Rule   string `json:"rule"`
				Status string `json:"status"`
			} `json:"alerts"`
		}
		if err := json.Unmarshal(body, &msg); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		d.mu.Lock()
		for _, a := range msg.Alerts {
			d.got = append(d.got, delivery{at: at, key: a.Key, status: a.Status, rule: a.Rule})
		}
		d.mu.Unlock()
	}))
	t.Cleanup(ts.Close)
	d.urlS = ts.URL + "/hook"
	return d
}

func (d *deliveries) all() []delivery {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.got)
}

// keys lists the deliveries as key/status, sorted.
func keys(ds []delivery) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.key + "/" + d.status
	}
	sort.Strings(out)
	return out
}

func (e *env) runs(t *testing.T) []ledger.JobRun {
	t.Helper()
	st, err := ledger.Open(context.Background(), config.Ledger{Driver: "sqlite", DSN: config.Secret(filepath.Join(e.dir, "ledger.db"))})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	runs, _, err := st.JobRuns(context.Background(), ledger.JobRunFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return runs
}

// The acceptance test of issue 14's first start: a freshly imported ledger, every job's slot
// just passed, the platforms answering slowly, and `streetsync run`. The missed jobs run one
// after another in dependency order, so no certificate alert is delivered before the certificate
// run has finished, and the deliveries are those of `sync all` followed by `alerts check`.
func TestTheFirstStartAlertsOnlyFromPulledCertificates(t *testing.T) {
	shanghai := config.Default().Schedule.Location()
	slot := time.Now().In(shanghai).Add(-3 * time.Second)
	spec := fmt.Sprintf("%d %d %d * * *", slot.Second(), slot.Minute(), slot.Hour())
	schedule := "schedule: {timezone: Asia/Shanghai"
	for _, job := range []string{"alerts", "employments", "inspections", "hazards", "alarms", "certificates", "enterprises"} {
		schedule += fmt.Sprintf(", %s: %q", job, spec)
	}
	schedule += "}\n"
	channel := func(url string) string {
		return "alerts: {channels: [{type: webhook, name: 安办, url: \"" + url + "\"}]}\n"
	}

	daemonHook := recordDeliveries(t)
	d := newEnv(t, 30, schedule+channel(daemonHook.urlS))
	if code, _, errOut := d.cli(t, "import", workbookOf(t, d)); code != exitOK {
		t.Fatalf("import: exit %d: %s", code, errOut)
	}
	d.mocks.SetFaults(fault.Faults{Latency: 15 * time.Millisecond})
	daemon := startCLI(t, "--config", d.config, "run", "--stop-grace", "10s")
	var runs []ledger.JobRun
	waitFor(t, 3*time.Minute, "the catch-up of all seven jobs", func() bool {
		runs = d.runs(t)
		return len(runs) >= 7 && slices.ContainsFunc(runs, func(r ledger.JobRun) bool { return r.Job == "alerts" })
	})
	if code := daemon.stop(t, 30*time.Second); code != exitOK {
		t.Fatalf("daemon: exit %d\n%s", code, tail(daemon.err.String(), 3000))
	}

	// One after another, in dependency order, each a catch-up of the slot just passed.
	slices.Reverse(runs) // oldest first
	var order []string
	for i, r := range runs {
		order = append(order, r.Job)
		if r.Trigger != "catchup" || !r.Slot.Equal(slot.Truncate(time.Second)) {
			t.Errorf("run %+v, want a catch-up of %s", r, slot.Truncate(time.Second))
		}
		if r.Outcome != "success" && r.Outcome != "partial" {
			t.Errorf("run %s: %s (%s)", r.Job, r.Outcome, r.Reason)
		}
		if i > 0 && r.Start.Before(runs[i-1].End) {
			t.Errorf("%s started at %s, before %s ended at %s", r.Job, r.Start, runs[i-1].Job, runs[i-1].End)
		}
	}
	if want := "enterprises certificates alarms hazards inspections employments alerts"; strings.Join(order, " ") != want {
		t.Fatalf("runs in order %v, want %s", order, want)
	}
	certsDone := runs[1].End
	got := daemonHook.all()
	certRules := map[string]bool{}
	for _, r := range rules.All() {
		if r.Family == rules.Certificate {
			certRules[r.Code] = true
		}
	}
	certAlerts := 0
	for _, x := range got {
		if !certRules[x.rule] {
			continue
		}
		certAlerts++
		if x.at.Before(certsDone) {
			t.Errorf("certificate alert %s (%s) delivered at %s, before the certificate run finished at %s", x.key, x.rule, x.at, certsDone)
		}
	}
	if certAlerts == 0 {
		t.Fatal("the first start delivered no certificate alert: nothing was tested")
	}

	// The same street, the way an operator would: sync all, then alerts check.
	manualHook := recordDeliveries(t)
	m := newEnv(t, 30, channel(manualHook.urlS))
	if code, _, errOut := m.cli(t, "import", workbookOf(t, m)); code != exitOK {
		t.Fatalf("import: exit %d: %s", code, errOut)
	}
	m.jsonCLI(t, exitOK, nil, "sync", "all")
	m.jsonCLI(t, exitOK, nil, "alerts", "check")
	if a, b := keys(got), keys(manualHook.all()); !slices.Equal(a, b) {
		t.Errorf("the first start delivered %d alerts, sync all + alerts check %d; they differ:\n first start %v\n manual      %v",
			len(a), len(b), a, b)
	}
	t.Logf("first start: %d deliveries (%d certificate alerts), runs %v", len(got), certAlerts, order)
}
