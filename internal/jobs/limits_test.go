package jobs_test

import (
	"context"
	"strings"
	"testing"

	"streetsync/internal/jobs"
	"streetsync/internal/ledger"
	mockqz "streetsync/mocks/quanzhou"
)

// A portal edit that stores a 2 MiB enterprise name (issue 16, finding 2) is quarantined by the
// pull, with a reason naming the field and its limit; the ledger keeps its own name and view, and
// nothing is pushed over it.
func TestAPulledNameOverItsLimitIsQuarantined(t *testing.T) {
	w := newWorld(t, worldOptions{driver: "sqlite", enterprises: 40})
	r := w.runner()
	ctx := context.Background()
	w.sync(r, jobs.Enterprises, false)
	recs := enterpriseRecords(t, w.store)
	u, _, _ := pickAccepted(t, recs, 1)
	before := recs[u]

	w.srv.Quanzhou.EditEnterprise(u, func(x *mockqz.Enterprise) { x.Qymc = strings.Repeat("名", 2<<20/3) })
	writes := w.writes()
	e := w.sync(r, jobs.Enterprises, false)[jobs.Enterprises]
	if e.Quarantined != 1 || e.Pushed != 0 {
		t.Errorf("summary %+v, want the record quarantined and nothing pushed", e)
	}
	if got := w.writes(); !equalCounts(got, writes) {
		t.Errorf("the pull wrote to the platform: %v → %v", writes, got)
	}
	after, err := w.store.EnterpriseByUSCC(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	if after.Name != before.Name || after.PlatformHash != before.PlatformHash {
		t.Errorf("the ledger took the platform's name or view: %q, hash %s → %s", after.Name, before.PlatformHash, after.PlatformHash)
	}
	var reasons []string
	for q, err := range w.store.QuarantineEntries(ctx, ledger.QuarantineFilter{Key: u}) {
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range q.Reasons {
			reasons = append(reasons, p.Error())
			if len(p.Value) > 4*101 {
				t.Errorf("the quarantine reason carries %d bytes of the value", len(p.Value))
			}
		}
	}
	if len(reasons) != 1 || !strings.HasPrefix(reasons[0], "企业名称：超过 100 个字符（实际 ") {
		t.Errorf("quarantine reasons %q, want one naming 企业名称 and its limit", reasons)
	}
}
