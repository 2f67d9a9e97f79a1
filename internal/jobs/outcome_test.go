package jobs_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"streetsync/internal/jobs"
	"streetsync/internal/testutil"
	"streetsync/mapping"
	"streetsync/mocks/fault"
	"streetsync/scheduler/retry"
)

// Issue 14: every run ends as success, partial, platform_unavailable or failed, with a Chinese
// reason that says what happened and what to do (empty on success).
func TestEveryRunEndsWithAnHonestOutcome(t *testing.T) {
	w := newWorld(t, worldOptions{enterprises: 20})
	r := w.runner()
	ctx := context.Background()
	check := func(rule string, s jobs.Summary, outcome string, reason ...string) {
		t.Helper()
		if s.Outcome != outcome {
			t.Errorf("%s: outcome %q (%+v), want %q", rule, s.Outcome, s, outcome)
		}
		if (outcome == jobs.OutcomeSuccess) != (s.Reason == "") {
			t.Errorf("%s: reason %q, want one exactly when the run was not a success", rule, s.Reason)
		}
		for _, want := range reason {
			if !strings.Contains(s.Reason, want) {
				t.Errorf("%s: reason %q does not say %q", rule, s.Reason, want)
			}
		}
	}
	for job, s := range w.sync(r, jobs.All, false) {
		check("a clean first run of "+job, s, jobs.OutcomeSuccess)
	}

	// The Quanzhou platform in a maintenance window: no call is answered.
	w.srv.Quanzhou.SetFaults(fault.Faults{Maintenance: true, MaintenanceRetryAfter: 1})
	s := w.sync(r, jobs.Enterprises, false)[jobs.Enterprises]
	check("enterprises while the platform is down", s, jobs.OutcomePlatformUnavailable, "泉州平台不可用", "重试队列")
	s = w.sync(r, jobs.Alarms, false)[jobs.Alarms]
	check("alarms while the platform is down", s, jobs.OutcomePlatformUnavailable, "泉州平台不可用")
	w.srv.Quanzhou.SetFaults(fault.Faults{})

	// The special-operations system failing every request.
	w.srv.SpecialOps.SetFaults(fault.Faults{InternalError: 1})
	s = w.sync(r, jobs.Certificates, false)[jobs.Certificates]
	check("certificates while the system fails every call", s, jobs.OutcomePlatformUnavailable, "特种作业系统不可用")
	w.srv.SpecialOps.SetFaults(fault.Faults{})

	// Three ledger changes, each refused for now by the platform's store (per-item 50001): the
	// platform answered the call, the records wait in the queue.
	recs := enterpriseRecords(t, w.store)
	for _, u := range []string{w.ds.Ledger[1].USCC, w.ds.Ledger[2].USCC, w.ds.Ledger[3].USCC} {
		editLedger(t, w.store, recs[u], func(e *mapping.Enterprise) { e.Employees++ })
	}
	w.srv.Quanzhou.SetFaults(fault.Faults{ItemStoreFailure: 1})
	s = w.sync(r, jobs.Enterprises, false)[jobs.Enterprises]
	check("enterprises with records queued", s, jobs.OutcomePartial, "3 条暂时未成功", "重试队列")
	w.srv.Quanzhou.SetFaults(fault.Faults{})

	// Refused credentials: no retry fixes that.
	ep := w.ep
	ep.AppSecret = "wrong-secret-value"
	qz, _ := newClients(t, ep, w.clk, w.log, worldOptions{})
	bad, err := jobs.New(jobs.Deps{Store: w.store, Quanzhou: qz, SpecialOps: w.tz, Queue: w.queue, Cursors: w.cursors,
		Region: w.ep.Region, Clock: w.clk})
	if err != nil {
		t.Fatal(err)
	}
	sums, err := bad.Run(ctx, jobs.Enterprises, false)
	if err == nil || len(sums) != 1 {
		t.Fatalf("a run with refused credentials = %+v, %v; want an error and its summary", sums, err)
	}
	check("enterprises with refused credentials", sums[0], jobs.OutcomeFailed, "泉州平台拒绝了本系统的凭据", "streetsync sync enterprises")

	// Everything back: the queue drains and the next run has nothing left to report.
	w.drain(r, 30*time.Second)
	check("enterprises once the platform is back", w.sync(r, jobs.Enterprises, false)[jobs.Enterprises], jobs.OutcomeSuccess)
}

// Issue 15: whatever was queued and lost with Redis is found again by the next run of its job:
// the ledger knows what the platforms have not accepted yet, and a lost watermark, feed position
// or employment mark makes the next run a full pass, never a skipped one.
func TestWhatWasQueuedAndLostWithRedisIsFoundAgainByTheNextRun(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			w := newWorld(t, worldOptions{driver: driver, enterprises: 40})
			r := w.runner()
			ctx := context.Background()
			// A run under faults leaves pushes, registrations and job parts in the queue, and
			// feedback recorded while the platform is down waits there too.
			w.srv.SetFaults(fault.Faults{ItemStoreFailure: 0.3, ItemConflict: 0.2, InternalError: 0.1, GatewayError: 0.1})
			if _, err := r.Run(ctx, jobs.All, false); err != nil {
				t.Fatalf("a run under transient faults must queue, not fail: %v", err)
			}
			w.srv.Quanzhou.UpdateFaults(func(f *fault.Faults) { f.Maintenance, f.MaintenanceRetryAfter = true, 1 })
			alarm := activeAlarm(t, w)
			out, err := r.RecordFeedback(ctx, mapping.AlarmFeedback{AlarmID: alarm, Status: "1", Note: "已安排人员现场核查",
				Handler: "王五", HandledAt: w.clk.Now()})
			if err != nil || !out.Queued {
				t.Fatalf("feedback while the platform is down: %+v, %v; want it queued", out, err)
			}
			items, err := w.queue.List(ctx, retry.ListOptions{})
			if err != nil {
				t.Fatal(err)
			}
			kinds := map[string]int{}
			for _, it := range items {
				kinds[it.Kind]++
			}
			if kinds[jobs.KindEnterprisePush] == 0 || kinds[jobs.KindFeedbackPush] == 0 {
				t.Fatalf("queue after the fault run: %v; want pushes and the feedback waiting", kinds)
			}
			t.Logf("queued before the loss: %v", kinds)

			// Redis loses everything: queue, watermarks, the feed position, the employment mark.
			deleteKeys(t, w)
			w.srv.SetFaults(fault.Faults{})

			r = w.runner()
			for job, s := range w.sync(r, jobs.All, false) {
				if s.Outcome != jobs.OutcomeSuccess && s.Outcome != jobs.OutcomePartial {
					t.Errorf("%s after the loss: %+v", job, s)
				}
			}
			if st := w.drain(r, 60*time.Second); st.Pending != 0 || st.Scheduled != 0 || st.Dead != 0 {
				t.Fatalf("after drain: %+v, want an empty queue", st)
			}
			w.assertAgreement(t, nil, false)
			if got := w.srv.Quanzhou.Feedback(alarm); len(got) != 1 {
				t.Errorf("the feedback queued before the loss reached the platform %d times, want once", len(got))
			}
		})
	}
}

// deleteKeys deletes every key under the world's prefix, as a Redis restart without persistence
// or an operator's FLUSHDB would.
func deleteKeys(t *testing.T, w *world) {
	t.Helper()
	if testutil.DeleteKeys(t, w.conn) == 0 {
		t.Fatal("no key to lose")
	}
}

// failFirstRead answers the first call reading each single enterprise with 503s — every attempt
// the client makes within that call — as a platform busy for a moment would.
type failFirstRead struct {
	rt   http.RoundTripper
	mu   sync.Mutex
	seen map[string]int // attempts per path
}

func (f *failFirstRead) RoundTrip(req *http.Request) (*http.Response, error) {
	p := req.URL.Path
	if i := strings.LastIndex(p, "/enterprises/"); req.Method == http.MethodGet && i >= 0 && !strings.HasSuffix(p, "/batchSave") {
		f.mu.Lock()
		f.seen[p]++
		first := f.seen[p] <= fastRetry.Attempts
		f.mu.Unlock()
		if first {
			return &http.Response{StatusCode: http.StatusServiceUnavailable, Status: "503 Service Unavailable",
				Header: http.Header{"Content-Type": {"text/html"}}, Body: io.NopCloser(strings.NewReader("<html>busy</html>")),
				Request: req}, nil
		}
	}
	return f.rt.RoundTrip(req)
}

// Issue 15: a record the retry queue creates is complete at once — when the read-back after the
// create fails, the queue reads it back, so its platform-owned fields (qyid, grade, 标准化有效期)
// are in the ledger when the drain ends, not after the next pull.
func TestARecordTheRetryQueueCreatesIsReadBackWhole(t *testing.T) {
	var reads *failFirstRead
	w := newWorld(t, worldOptions{enterprises: 30, wrap: func(rt http.RoundTripper) http.RoundTripper {
		reads = &failFirstRead{rt: rt, seen: map[string]int{}}
		return reads
	}})
	r := w.runner()
	// Every push is refused for now by the platform's store: the creates go to the queue.
	w.srv.Quanzhou.SetFaults(fault.Faults{ItemStoreFailure: 1})
	s := w.sync(r, jobs.Enterprises, false)[jobs.Enterprises]
	if s.Queued == 0 || s.Outcome != jobs.OutcomePartial {
		t.Fatalf("enterprises with every item refused for now: %+v, want records queued", s)
	}
	w.srv.Quanzhou.SetFaults(fault.Faults{})
	if st := w.drain(r, 60*time.Second); st.Pending != 0 || st.Scheduled != 0 || st.Dead != 0 {
		t.Fatalf("after drain: %+v", st)
	}
	reads.mu.Lock()
	n := len(reads.seen)
	reads.mu.Unlock()
	if n == 0 {
		t.Fatal("no record was read back: the test tested nothing")
	}
	// Right after the drain, no sync in between: every record whole.
	w.assertEnterprises(t, nil, false)
}
