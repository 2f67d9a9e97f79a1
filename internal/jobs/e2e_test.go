package jobs_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"streetsync/internal/jobs"
	"streetsync/internal/ledger"
	"streetsync/mapping"
	"streetsync/mocks/dataset"
	"streetsync/mocks/fault"
	mockqz "streetsync/mocks/quanzhou"
)

// The acceptance tests of issue 8, end to end: real ledger (SQLite and PostgreSQL), real Redis,
// both mock platforms over loopback.

// TestCleanRunAgreesAndSecondRunSendsNoWrites: sync all from a ledger loaded with the street's
// data; the platforms then hold the ledger's street-owned fields, platform-only enterprises are
// in the ledger flagged 待核实, registrations and certificates are complete. Then portal edits
// are drift — counted, untouched on both sides — and a second run sends no write at all.
func TestCleanRunAgreesAndSecondRunSendsNoWrites(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			w := newWorld(t, worldOptions{driver: driver, enterprises: 40})
			r := w.runner()
			ctx := context.Background()

			sums := w.sync(r, jobs.All, false)
			if len(sums) != len(jobs.Names) {
				t.Fatalf("got %d summaries, want one per job (%d)", len(sums), len(jobs.Names))
			}
			e := sums[jobs.Enterprises]
			// Never synced before: the ledger is the source of truth, so enterprises missing on
			// the platform and those whose portal copy differs are pushed; none is drift yet.
			if want := len(w.ds.Gaps.OnlyInLedger) + len(w.ds.Gaps.Different); e.Pushed != want {
				t.Errorf("enterprises pushed %d, want %d (only in ledger + differing)", e.Pushed, want)
			}
			if e.Pulled < len(w.ds.Gaps.OnlyOnPlatform) || e.Drifted != 0 || e.Quarantined != 0 || e.Queued != 0 {
				t.Errorf("enterprises summary %+v: want ≥ %d pulled, nothing drifted, quarantined or queued", e, len(w.ds.Gaps.OnlyOnPlatform))
			}
			for _, job := range jobs.Names {
				if s := sums[job]; s.Queued != 0 || s.Quarantined != 0 {
					t.Errorf("%s: %+v, want nothing queued or quarantined on a clean run", job, s)
				}
			}
			if sums[jobs.Employments].Pushed == 0 || sums[jobs.Certificates].Pulled == 0 || sums[jobs.Alarms].Pulled != len(w.ds.Alarms) {
				t.Errorf("summaries %+v: want registrations, certificates and every alarm (%d)", sums, len(w.ds.Alarms))
			}
			recs := enterpriseRecords(t, w.store)
			for _, u := range w.ds.Gaps.OnlyOnPlatform {
				if rec, ok := recs[u]; !ok || !rec.PendingReview {
					t.Errorf("platform-only %s: in ledger %v, pending review %v; want added flagged 待核实", u, ok, rec.PendingReview)
				}
			}
			w.assertAgreement(t, nil, true)
			if fs, _ := w.cursors.Get(ctx, "certificates.feed"); !strings.Contains(fs, `"since":"2026-01-15T`) {
				t.Errorf("feed position %s: want started at the time of the first roster query (2026-01-15)", fs)
			}

			// Portal edits after the first sync: one only on the platform (drift), one on both
			// sides (conflict); and one change only in the ledger (pushed).
			drift, conflict, changed := pickAccepted(t, recs, 3)
			portal := map[string]string{}
			for _, u := range []string{drift, conflict} {
				w.srv.Quanzhou.EditEnterprise(u, func(x *mockqz.Enterprise) { x.Zyfzr = "门户改"; portal[u] = streetOf(x) })
			}
			editLedger(t, w.store, recs[conflict], func(e *mapping.Enterprise) { e.Principal = "台账改" })
			editLedger(t, w.store, recs[changed], func(e *mapping.Enterprise) { e.Address += "B栋" })
			e = w.sync(r, jobs.Enterprises, false)[jobs.Enterprises]
			if e.Drifted != 2 || e.Pushed != 1 {
				t.Errorf("after portal edits: %+v, want 2 drifted (drift and conflict) and 1 pushed", e)
			}
			for _, u := range []string{drift, conflict} {
				if p, _ := w.srv.Quanzhou.Enterprise(u); streetOf(&p) != portal[u] {
					t.Errorf("%s: the platform's portal edit was overwritten", u)
				}
			}
			after := enterpriseRecords(t, w.store)
			if after[drift].StreetHash != recs[drift].StreetHash || after[conflict].Principal != "台账改" {
				t.Errorf("the ledger's street-owned fields were overwritten by the pull")
			}
			d, c := after[drift], after[conflict]
			if s := d.SyncState(); s != ledger.StatePlatformChanged {
				t.Errorf("drift %s: state %v, want platformChanged", drift, s)
			}
			if s := c.SyncState(); s != ledger.StateConflict {
				t.Errorf("conflict %s: state %v, want conflict", conflict, s)
			}

			// A second run: reads only, nothing recorded as changed, drift still reported.
			before := w.writes()
			ov1, _ := w.store.Overview(ctx, mapping.Date{})
			sums = w.sync(w.runner(), jobs.All, false)
			if got := w.writes(); !equalCounts(got, before) {
				t.Errorf("second run wrote to the platforms: before %v, after %v", before, got)
			}
			for _, job := range jobs.Names {
				s := sums[job]
				if s.Pulled != 0 || s.Pushed != 0 || s.Queued != 0 || s.Quarantined != 0 {
					t.Errorf("second run %s: %+v, want nothing pulled, pushed, queued or quarantined", job, s)
				}
			}
			if d := sums[jobs.Enterprises].Drifted; d != 1 {
				t.Errorf("second run: drifted %d, want 1 (the conflict, whose ledger change is held back)", d)
			}
			if ov2, _ := w.store.Overview(ctx, mapping.Date{}); ov1 != ov2 {
				t.Errorf("second run changed the ledger: %+v → %+v", ov1, ov2)
			}
		})
	}
}

// TestFaultsThenDrainConverge: transient errors, HTML 502s, dropped answers, token revocation,
// 429 bursts, per-item 40901, page mutation, expired cursors — and a maintenance window — then a
// queue drain: ledger and platforms agree, and no item is dead.
func TestFaultsThenDrainConverge(t *testing.T) {
	w := newWorld(t, worldOptions{enterprises: 60})
	r := w.runner()
	ctx := context.Background()
	storm := fault.Faults{InternalError: 0.04, GatewayError: 0.06, DropAfter: 0.03, DropBefore: 0.02, TruncatedBody: 0.02,
		GarbageBody: 0.01, RevokeTokenEvery: 11, ItemConflict: 0.15, ItemStoreFailure: 0.03, MutateWhilePaging: 0.3,
		CursorExpired: 0.5, RateLimitBurst: 3}
	w.srv.SetFaults(storm)
	if _, err := r.Run(ctx, jobs.All, false); err != nil {
		t.Fatalf("a run under transient faults must queue, not fail: %v", err)
	}

	// A maintenance window on the Quanzhou platform while the street works: a ledger change, and
	// handling feedback recorded for an alarm.
	w.srv.Quanzhou.UpdateFaults(func(f *fault.Faults) { f.Maintenance, f.MaintenanceRetryAfter = true, 1 })
	recs := enterpriseRecords(t, w.store)
	changed := w.ds.Ledger[len(w.ds.Ledger)/2].USCC
	editLedger(t, w.store, recs[changed], func(e *mapping.Enterprise) { e.Employees += 3 })
	alarm := activeAlarm(t, w)
	out, err := r.RecordFeedback(ctx, mapping.AlarmFeedback{AlarmID: alarm, Status: "1", Note: "已安排人员现场核查",
		Handler: "王五", HandledAt: w.clk.Now()})
	if err != nil || !out.Queued || out.Feedback.State != ledger.PushPending {
		t.Fatalf("feedback in a maintenance window: %+v, %v; want recorded, pending and queued", out, err)
	}
	s := w.sync(r, jobs.Enterprises, false)[jobs.Enterprises]
	if s.Queued == 0 {
		t.Errorf("enterprises in a maintenance window: %+v, want the job queued", s)
	}

	w.srv.SetFaults(fault.Faults{InternalError: 0.03, GatewayError: 0.03, ItemConflict: 0.1, RevokeTokenEvery: 13})
	st := w.drain(r, 60*time.Second)
	if st.Pending != 0 || st.Scheduled != 0 || st.Dead != 0 {
		t.Fatalf("after drain: %+v, want an empty queue and no dead item", st)
	}
	w.srv.SetFaults(fault.Faults{})
	w.assertAgreement(t, nil, false)
	if fb, _ := w.store.AlarmFeedback(ctx, alarm); len(fb) != 1 || fb[0].State != ledger.PushAccepted {
		t.Errorf("feedback after drain: %+v, want accepted", fb)
	}
	if got := w.srv.Quanzhou.Feedback(alarm); len(got) != 1 || got[0].Czsm != "已安排人员现场核查" {
		t.Errorf("platform feedback of %s: %+v, want the street's one, once", alarm, got)
	}
	for u := range recs {
		if n := w.srv.Quanzhou.Creates(u); n > 1 {
			t.Errorf("%s created %d times", u, n)
		}
	}
}

// crashAfter kills the run (cancels its context) right after the n-th request to a path was
// answered by the platform: the write happened, the answer is lost, as when the process dies.
type crashAfter struct {
	rt     http.RoundTripper
	path   string
	at     int64
	n      atomic.Int64
	mu     sync.Mutex
	cancel context.CancelFunc
}

func (c *crashAfter) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.rt.RoundTrip(req)
	if c.path != "" && strings.HasSuffix(req.URL.Path, c.path) && c.n.Add(1) == c.at {
		c.mu.Lock()
		cancel := c.cancel
		c.mu.Unlock()
		if cancel != nil {
			cancel()
		}
		if resp != nil {
			resp.Body.Close()
		}
		return nil, context.Canceled
	}
	return resp, err
}

// TestKilledMidPushRerunReachesSameEndState: the run dies at a random point of a push; a fresh
// Runner reruns; the end state is the clean one, with no enterprise created twice. The kill
// points come from a seed: STREETSYNC_CRASH_SEED replays a failed run (the seed is printed when
// the test fails).
func TestKilledMidPushRerunReachesSameEndState(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("STREETSYNC_CRASH_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("STREETSYNC_CRASH_SEED=%q: want an unsigned integer", v)
		}
		seed = n
	}
	rnd := rand.New(rand.NewPCG(seed, 1))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("replay with STREETSYNC_CRASH_SEED=%d", seed)
		}
	})
	for _, tc := range []struct {
		name, path string
		max        int
	}{
		{"batchSave", "/enterprises/batchSave", 2},
		{"employments", "/api/v2/employments", 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			crash := &crashAfter{path: tc.path, at: 1 + rnd.Int64N(int64(tc.max))}
			t.Logf("crash after request %d to %s", crash.at, tc.path)
			w := newWorld(t, worldOptions{enterprises: 110, adjust: emptyPlatform,
				wrap: func(rt http.RoundTripper) http.RoundTripper { crash.rt = rt; return crash }})
			ctx, cancel := context.WithCancel(context.Background())
			crash.mu.Lock()
			crash.cancel = cancel
			crash.mu.Unlock()
			_, err := w.runner().Run(ctx, jobs.All, false)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("the killed run ended with %v, want context canceled", err)
			}
			crash.path = "" // the rerun is not killed
			r := w.runner()
			w.sync(r, jobs.All, false)
			w.drain(r, 30*time.Second)
			w.assertAgreement(t, nil, true)
			for _, e := range w.ds.Ledger {
				if n := w.srv.Quanzhou.Creates(e.USCC); n != 1 {
					t.Errorf("%s created %d times, want exactly once", e.USCC, n)
				}
			}
			before := w.writes()
			w.sync(w.runner(), jobs.All, false)
			if got := w.writes(); !equalCounts(got, before) {
				t.Errorf("run after the rerun wrote: before %v, after %v", before, got)
			}
		})
	}
}

// emptyPlatform starts from a platform that knows none of the street's enterprises, so that the
// first sync creates them all (alarms and registrations stay).
func emptyPlatform(ds *dataset.Dataset) {
	ds.Platform = nil
	ds.Gaps = dataset.Gaps{}
}

// TestPermanentFailureQuarantinedRestSyncs: an enterprise the platform refuses (40014, region) is
// quarantined with the platform's message, one failing validation is quarantined and never sent,
// the rest syncs; neither is sent again until it changes, and a fixed one goes through.
func TestPermanentFailureQuarantinedRestSyncs(t *testing.T) {
	w := newWorld(t, worldOptions{enterprises: 40})
	ctx := context.Background()
	recs := enterpriseRecords(t, w.store)
	if len(w.ds.Gaps.OnlyInLedger) < 2 {
		t.Fatalf("dataset has %d ledger-only enterprises, want 2", len(w.ds.Gaps.OnlyInLedger))
	}
	refused, invalid := w.ds.Gaps.OnlyInLedger[0], w.ds.Gaps.OnlyInLedger[1]
	// A region code of the right shape but not the app key's: only the platform can tell (40014).
	// The remark changes too: the ledger does not count a region change alone as a change.
	editLedger(t, w.store, recs[refused], func(e *mapping.Enterprise) { e.RegionCode, e.Remark = "350582999", "区划待核" })
	editLedger(t, w.store, recs[invalid], func(e *mapping.Enterprise) { e.LegalRep = "" })

	r := w.runner()
	s := w.sync(r, jobs.Enterprises, false)[jobs.Enterprises]
	if s.Quarantined != 2 || s.Queued != 0 {
		t.Errorf("summary %+v: want 2 quarantined, nothing queued", s)
	}
	if p := w.srv.Quanzhou.Pushes(refused); len(p) != 1 || p[0].ErrCode != 40014 {
		t.Errorf("refused %s: pushes %+v, want one refused with 40014", refused, p)
	}
	if p := w.srv.Quanzhou.Pushes(invalid); len(p) != 0 {
		t.Errorf("invalid %s was sent %d times, want never", invalid, len(p))
	}
	q := quarantined(t, w.store, ledger.SourceSyncPush, ledger.KindEnterprise)
	if e, ok := q[refused]; !ok || !strings.Contains(e.Reasons.Error(), "泉州平台") || e.Reasons.Error() == "泉州平台：" {
		t.Errorf("quarantine of %s: %+v, want the platform's refusal with its message", refused, e)
	}
	if e, ok := q[invalid]; !ok || e.Reasons[0].Field != "legalRep" {
		t.Errorf("quarantine of %s: %+v, want the missing legal representative", invalid, e)
	}
	// The rest synced.
	delete(recs, refused)
	delete(recs, invalid)
	w.assertEnterprises(t, map[string]bool{refused: true, invalid: true}, false)

	before := w.writes()
	s = w.sync(w.runner(), jobs.Enterprises, false)[jobs.Enterprises]
	if got := w.writes(); got["batchSave"] != before["batchSave"] {
		t.Errorf("second run sent %d batchSave requests, want none", got["batchSave"]-before["batchSave"])
	}
	if q2 := quarantined(t, w.store, ledger.SourceSyncPush, ledger.KindEnterprise); q2[refused].Occurrences != 1 || q2[invalid].Occurrences != 1 {
		t.Errorf("second run touched the quarantine: %+v", q2)
	}

	// Fixed in the ledger: it goes through and its quarantine entry is resolved.
	rec, _ := w.store.EnterpriseByUSCC(ctx, refused)
	editLedger(t, w.store, rec, func(e *mapping.Enterprise) { e.RegionCode, e.Remark = "350582006", "区划已改" })
	s = w.sync(r, jobs.Enterprises, false)[jobs.Enterprises]
	if s.Pushed != 1 {
		t.Errorf("after the fix: %+v, want 1 pushed", s)
	}
	if _, open := quarantined(t, w.store, ledger.SourceSyncPush, ledger.KindEnterprise)[refused]; open {
		t.Errorf("%s still in quarantine after it went through", refused)
	}
}

func quarantined(t testing.TB, s ledger.Store, src ledger.Source, kind ledger.Kind) map[string]ledger.QuarantineEntry {
	t.Helper()
	out := map[string]ledger.QuarantineEntry{}
	for e, err := range s.QuarantineEntries(context.Background(), ledger.QuarantineFilter{Source: src, Kind: kind}) {
		if err != nil {
			t.Fatal(err)
		}
		out[e.Key] = e
	}
	return out
}

// pickAccepted returns n USCCs of enterprises the platform has accepted, in a stable order.
func pickAccepted(t testing.TB, recs map[string]ledger.EnterpriseRecord, n int) (a, b, c string) {
	t.Helper()
	var got []string
	for _, rec := range sortedRecords(recs) {
		if !rec.PendingReview && rec.AcceptedHash != "" && rec.SyncState() == ledger.StateInSync {
			got = append(got, rec.USCC)
		}
		if len(got) == n {
			break
		}
	}
	if len(got) < n {
		t.Fatalf("only %d accepted enterprises, want %d", len(got), n)
	}
	got = append(got, "", "")
	return got[0], got[1], got[2]
}

func editLedger(t testing.TB, s ledger.Store, rec ledger.EnterpriseRecord, edit func(*mapping.Enterprise)) {
	t.Helper()
	e := rec.Enterprise
	edit(&e)
	if _, err := s.UpsertEnterprises(context.Background(), []ledger.EnterpriseInput{{Enterprise: e, Warnings: rec.Warnings}}); err != nil {
		t.Fatal(err)
	}
}

func streetOf(x *mockqz.Enterprise) string {
	return strings.Join([]string{x.Tyshxydm, x.Qymc, x.Fddbr, x.Zyfzr, x.Zyfzrlxdh, x.Aqglry, x.Jydz, x.Xzqhdm, x.Sqmc,
		x.Hylb, x.Zdlx, x.Cyrs, x.Qyzt, x.Sfczc}, "|")
}

func equalCounts(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// activeAlarm returns an alarm the platform has not closed.
func activeAlarm(t testing.TB, w *world) string {
	t.Helper()
	for _, a := range w.srv.Quanzhou.Alarms() {
		if a.Czzt == "0" {
			return a.Bjid
		}
	}
	t.Fatal("no unhandled alarm in the dataset")
	return ""
}
