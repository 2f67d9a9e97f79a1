package quanzhou_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"streetsync/connectors/httpx"
	"streetsync/connectors/quanzhou"
	"streetsync/mapping"
	"streetsync/mocks"
	"streetsync/mocks/dataset"
	"streetsync/mocks/fault"
	mockqz "streetsync/mocks/quanzhou"
)

// Integration tests: the client against the mock platform over loopback, through the mux that
// `streetsync mock serve` uses (gateway prefix /qz/gw/openapi/v1).

func startServer(t testing.TB, opts mocks.Options) (*mocks.Server, mocks.Endpoints) {
	t.Helper()
	s, err := mocks.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	ts, ep := s.StartTest()
	t.Cleanup(func() { s.Close(); ts.Close() })
	return s, ep
}

func newClient(t testing.TB, ep mocks.Endpoints, opts ...quanzhou.Option) *quanzhou.Client {
	t.Helper()
	cfg := quanzhou.Config{BaseURL: ep.QuanzhouBaseURL, AppKey: ep.AppKey, AppSecret: ep.AppSecret,
		RateLimit: 20, Burst: 20, Timeout: 5 * time.Second}
	c, err := quanzhou.New(cfg, ep.Region, zaptest.NewLogger(t), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// tenPercent is the transient fault mix of the acceptance test: one request in ten fails.
var tenPercent = fault.Faults{
	InternalError: 0.03, GatewayError: 0.03, DropBefore: 0.015, DropAfter: 0.005, GarbageBody: 0.01, TruncatedBody: 0.01,
	RevokeTokenEvery: 20,
}

// fastRetry is the default policy's shape with shorter waits, to keep the suite quick.
var fastRetry = httpx.RetryPolicy{Attempts: 3, BaseDelay: 10 * time.Millisecond, MaxDelay: 50 * time.Millisecond,
	MaxWait: 2 * time.Second, Budget: 3 * time.Second}

// walkUntilDone runs listing walks from the same since as a sync job would — a walk that ends in
// a transient error is simply run again — and keeps the last version delivered of each record.
func walkUntilDone(t *testing.T, c *quanzhou.Client) (map[string]mapping.QZEnterprise, *quanzhou.Progress, int) {
	t.Helper()
	got := map[string]mapping.QZEnterprise{}
	for walks := 1; walks <= 3; walks++ {
		seq, prog := c.ListEnterprises(context.Background(), quanzhou.Mark{})
		var err error
		for e, e2 := range seq {
			if e2 != nil {
				err = e2
				break
			}
			got[e.Qyid] = e
		}
		if err == nil {
			return got, prog, walks
		}
		var temp interface{ Temporary() bool }
		if !errors.As(err, &temp) || !temp.Temporary() {
			t.Fatalf("walk %d: %v", walks, err)
		}
		t.Logf("walk %d ended by a transient error, run again: %v", walks, err)
	}
	t.Fatal("three walks in a row failed")
	return nil, nil, 0
}

func TestIntegrationListingUnderFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("integration")
	}
	s, ep := startServer(t, mocks.Options{Seed: 11, Enterprises: 2500, Unlimited: true})
	f := tenPercent
	f.MutateWhilePaging = 1
	s.Quanzhou.SetFaults(f)
	c := newClient(t, ep, quanzhou.WithRateLimit(0, 0), quanzhou.WithPageSize(20), quanzhou.WithRetryPolicy(fastRetry))

	got, prog, walks := walkUntilDone(t, c)
	s.Quanzhou.SetFaults(fault.Faults{})
	// A walk may end on the platform's current second, its high-water mark there, when more
	// records were filed in that second than a page holds (here every page request moves a record
	// to "now": on a slow machine dozens land in one second; listing.go). The next walk, from the
	// mark (inclusive), reads that second, as the next sync does. Every older record must have
	// come from the walks under faults.
	last, _ := c.ListEnterprises(context.Background(), prog.Mark())
	for e, err := range last {
		if err != nil {
			t.Fatalf("the walk from the high-water mark %s: %v", prog.HighWaterText, err)
		}
		if e.Gxsj < prog.HighWaterText {
			t.Errorf("the walk from %s delivered %s of %s", prog.HighWaterText, e.Qyid, e.Gxsj)
		}
		got[e.Qyid] = e
	}

	final := s.Quanzhou.Enterprises()
	for _, e := range final {
		g, ok := got[e.Qyid]
		if !ok || g.Gxsj != e.Gxsj || g.Qymc != e.Qymc || g.Zyfzrlxdh != e.Zyfzrlxdh || string(g.Cyrs) != e.Cyrs || g.Bzhdj != e.Bzhdj {
			t.Errorf("record %s: got %+v, platform holds %+v", e.Qyid, g, e)
		}
	}
	if len(got) != len(final) {
		t.Errorf("%d records delivered, platform holds %d", len(got), len(final))
	}
	var failures, revoked int
	for k, n := range s.Quanzhou.Requests() {
		switch {
		case k.Code == 40101:
			revoked += n
		case k.Status != http.StatusOK || k.Code == 50000:
			failures += n
		}
	}
	if failures == 0 || revoked == 0 {
		t.Errorf("faults did not happen: %d failures, %d revocations", failures, revoked)
	}
	t.Logf("%d records in %d walk(s); last walk %+v; platform answered %d failures and %d revocations",
		len(final), walks, *prog, failures, revoked)
}

func TestIntegrationBatchSaveRoundTrip(t *testing.T) {
	if testing.Short() {
		t.Skip("integration")
	}
	s, ep := startServer(t, mocks.Options{Seed: 12, Enterprises: 300, Unlimited: true})
	c := newClient(t, ep, quanzhou.WithRateLimit(0, 0), quanzhou.WithRetryPolicy(fastRetry))
	records := make([]mapping.QZEnterprise, len(s.Dataset.Ledger))
	for i, e := range s.Dataset.Ledger {
		records[i] = ledgerRecord(e)
	}
	res, err := c.BatchSave(context.Background(), records)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for i, r := range res {
		counts[r.Result]++
		if r.Err != nil {
			var ie *quanzhou.ItemError
			if !errors.As(r.Err, &ie) || ie.Msg == "" || ie.Index != i {
				t.Errorf("record %d: %v", i, r.Err)
			}
			continue
		}
		if r.Qyid == "" {
			t.Errorf("record %d (%s) saved without qyid", i, r.USCC)
		}
	}
	if counts[quanzhou.ResultCreated] == 0 || counts[quanzhou.ResultUpdated]+counts[quanzhou.ResultUnchanged] == 0 {
		t.Errorf("results %v", counts)
	}
	// Pushing again under dropped answers and item conflicts, the way the retry queue would (only
	// what failed temporarily goes again), creates nothing twice and ends with every record saved.
	s.Quanzhou.SetFaults(fault.Faults{DropAfter: 0.1, ItemConflict: 0.05, ItemStoreFailure: 0.02})
	pending := records
	rounds := 0
	for ; len(pending) > 0 && rounds < 8; rounds++ {
		res, err := c.BatchSave(context.Background(), pending)
		if err != nil && httpx.Classify(err) != httpx.KindTransient {
			t.Fatal(err)
		}
		var next []mapping.QZEnterprise
		for i, r := range res {
			switch {
			case r.Err == nil && r.Result == quanzhou.ResultCreated:
				t.Errorf("%s created a second time", r.USCC)
			case r.Err != nil && httpx.Classify(r.Err) == httpx.KindTransient:
				next = append(next, pending[i])
			}
		}
		pending = next
	}
	if len(pending) > 0 {
		t.Fatalf("%d records still failing after %d pushes", len(pending), rounds)
	}
	for _, r := range records {
		if n := s.Quanzhou.Creates(r.Tyshxydm); n > 1 {
			t.Errorf("%s created %d times", r.Tyshxydm, n)
		}
	}
	t.Logf("first push %v; re-push under faults settled in %d rounds", counts, rounds)
}

func TestIntegrationAlarmsAndFeedback(t *testing.T) {
	if testing.Short() {
		t.Skip("integration")
	}
	s, ep := startServer(t, mocks.Options{Seed: 13, Enterprises: 400, Unlimited: true})
	s.Quanzhou.SetFaults(fault.Faults{MutateWhilePaging: 1, RevokeTokenEvery: 7})
	c := newClient(t, ep, quanzhou.WithRateLimit(0, 0), quanzhou.WithPageSize(20))
	seq, prog := c.Alarms(context.Background(), quanzhou.Mark{})
	got := map[string]quanzhou.PulledAlarm{}
	for a, err := range seq {
		if err != nil {
			t.Fatal(err)
		}
		got[a.Alarm.ID] = a
	}
	s.Quanzhou.SetFaults(fault.Faults{})
	final := s.Quanzhou.Alarms()
	if len(final) == 0 {
		t.Fatal("the dataset has no alarms")
	}
	for _, a := range final {
		if g, ok := got[a.Bjid]; !ok || g.Wire.Gxsj != a.Gxsj || g.Wire.Czzt != a.Czzt {
			t.Errorf("alarm %s: got %+v, platform holds %+v", a.Bjid, g.Wire, a)
		}
	}
	if !prog.Done {
		t.Errorf("progress %+v", *prog)
	}

	var open mockqz.Alarm
	for _, a := range final {
		if a.Czzt == "0" {
			open = a
			break
		}
	}
	fb := mapping.QZFeedback{Czzt: "2", Czsm: "已处置", Czr: "林小红", Czsj: mapping.FormatBeijingTime(time.Now())}
	if dup, err := c.SendFeedback(context.Background(), open.Bjid, fb); err != nil || dup {
		t.Fatalf("first feedback: %v, duplicate %v", err, dup)
	}
	if dup, err := c.SendFeedback(context.Background(), open.Bjid, fb); err != nil || !dup {
		t.Fatalf("same feedback again: %v, duplicate %v", err, dup)
	}
	fb.Czsm = "另一种处置说明"
	if _, err := c.SendFeedback(context.Background(), open.Bjid, fb); !errors.Is(err, quanzhou.ErrConflict) || httpx.Classify(err) != httpx.KindPermanent {
		t.Errorf("different feedback on a closed alarm: %v", err)
	}
	if _, err := c.SendFeedback(context.Background(), "BJ-NO-SUCH", fb); !errors.Is(err, quanzhou.ErrNotFound) {
		t.Errorf("unknown alarm: %v", err)
	}
}

func TestIntegrationMaintenanceDoesNotBlock(t *testing.T) {
	if testing.Short() {
		t.Skip("integration")
	}
	s, ep := startServer(t, mocks.Options{Seed: 14, Enterprises: 50, Unlimited: true})
	s.Quanzhou.SetFaults(fault.Faults{Maintenance: true})
	c := newClient(t, ep)
	start := time.Now()
	_, err := c.GetEnterprise(context.Background(), s.Dataset.Platform[0].USCC)
	var ra interface{ RetryAfter() time.Duration }
	if !errors.Is(err, quanzhou.ErrMaintenance) || !errors.As(err, &ra) || ra.RetryAfter() != 1800*time.Second {
		t.Fatalf("err = %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("a 1800 s maintenance blocked the call for %v", d)
	}
}

func ledgerRecord(e dataset.Enterprise) mapping.QZEnterprise {
	sfczc := "0"
	if e.FactoryInFactory {
		sfczc = "1"
	}
	return mapping.QZEnterprise{Tyshxydm: e.USCC, Qymc: e.Name, Fddbr: e.LegalRep, Zyfzr: e.Principal, Zyfzrlxdh: e.Phone,
		Aqglry: e.SafetyManager, Jydz: e.Address, Xzqhdm: e.Region, Sqmc: e.Community, Hylb: e.Industry, Zdlx: e.KeyRisks,
		Cyrs: mapping.FlexNumber(strconv.Itoa(e.Employees)), Qyzt: e.Status, Sfczc: sfczc}
}
