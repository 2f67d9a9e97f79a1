package ledger_test

import (
	"context"
	"testing"

	"streetsync/internal/ledger"
	"streetsync/mapping"
)

// pendingInputs are workbook rows marked 核实状态 待核实.
func pendingInputs(es ...mapping.Enterprise) []ledger.EnterpriseInput {
	out := inputs(es...)
	for i := range out {
		out[i].PendingReview = true
	}
	return out
}

func pendingOf(t *testing.T, s ledger.Store, uscc string) bool {
	t.Helper()
	r, err := s.EnterpriseByUSCC(context.Background(), uscc)
	if err != nil {
		t.Fatal(err)
	}
	return r.PendingReview
}

// A row that says 待核实 does not confirm the enterprise: exporting and importing a workbook
// unchanged confirms nothing (issue 17). Any other row confirms it, as before.
func TestARowMarkedPendingKeepsTheFlag(t *testing.T) {
	eachStore(t, func(t *testing.T, s ledger.Store, clk *clock) {
		ctx := context.Background()
		pulled := withPlatformID(enterprise(5), "QY5")
		if _, err := s.RecordPlatformEnterprises(ctx, []mapping.Enterprise{pulled}, clk.Now()); err != nil {
			t.Fatal(err)
		}

		// The same values, marked pending: nothing to do.
		outs, err := s.CompareEnterprises(ctx, pendingInputs(enterprise(5)))
		mustOutcomes(t, outs, err, unc)
		outs, err = s.UpsertEnterprises(ctx, pendingInputs(enterprise(5)))
		mustOutcomes(t, outs, err, unc)
		if !pendingOf(t, s, uscc(5)) {
			t.Fatal("a row marked 待核实 confirmed the enterprise")
		}

		// Changed values, marked pending: written, still pending.
		changed := enterprise(5)
		changed.Employees = 999
		outs, err = s.UpsertEnterprises(ctx, pendingInputs(changed))
		mustOutcomes(t, outs, err, upd)
		if !pendingOf(t, s, uscc(5)) {
			t.Error("a changed row marked 待核实 confirmed the enterprise")
		}

		// The same row in one batch twice, pending then not: the second confirms.
		outs, err = s.UpsertEnterprises(ctx, append(pendingInputs(changed), inputs(changed)...))
		mustOutcomes(t, outs, err, unc, upd)
		if pendingOf(t, s, uscc(5)) {
			t.Error("an unmarked row did not confirm the enterprise")
		}

		// A confirmed enterprise is not made pending again by a row that says so.
		outs, err = s.UpsertEnterprises(ctx, pendingInputs(changed))
		mustOutcomes(t, outs, err, unc)
		if pendingOf(t, s, uscc(5)) {
			t.Error("a row marked 待核实 made a confirmed enterprise pending")
		}

		// A new enterprise marked pending is stored pending (a workbook exported elsewhere).
		outs, err = s.UpsertEnterprises(ctx, pendingInputs(enterprise(8)))
		mustOutcomes(t, outs, err, ins)
		if !pendingOf(t, s, uscc(8)) {
			t.Error("a new row marked 待核实 was stored confirmed")
		}
		if got := collect(t, s.Enterprises(ctx, ledger.EnterpriseFilter{PendingReview: true})); len(got) != 1 || got[0].USCC != uscc(8) {
			t.Errorf("pending %d, want only %s", len(got), uscc(8))
		}
	})
}

// The platform's stored view is keyed by field name: a view written before a field existed
// reads back with that field empty.
func TestAStoredViewWithoutAFieldReadsItEmpty(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			cfg := b.cfg(t)
			clk := newClock()
			s := open(t, cfg, clk)
			ctx := context.Background()
			p := withPlatformID(enterprise(3), "QY3")
			if _, err := s.RecordPlatformEnterprises(ctx, []mapping.Enterprise{p}, clk.Now()); err != nil {
				t.Fatal(err)
			}
			exec(t, cfg, `UPDATE enterprises SET platform_street = '{"name":"旧名","keyRisks":null,"employees":12}'`)
			r, err := s.EnterpriseByUSCC(ctx, p.USCC)
			if err != nil {
				t.Fatal(err)
			}
			if v := r.Platform; v == nil || v.Name != "旧名" || v.Employees != 12 || v.LegalRep != "" || v.KeyRisks != nil {
				t.Errorf("stored view read back as %+v", v)
			}
		})
	}
}
