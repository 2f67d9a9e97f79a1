package ledger_test

import (
	"context"
	"errors"
	"testing"

	"streetsync/internal/ledger"
	"streetsync/mapping"
)

// A sheet's import is one transaction: readers see nothing of it until it commits, and a sheet
// that fails part-way leaves nothing behind — records, quarantine entries and resolutions alike.
func TestImportSheetIsAllOrNothing(t *testing.T) {
	eachStore(t, func(t *testing.T, s ledger.Store, _ *clock) {
		ctx := context.Background()
		if err := s.AddToQuarantine(ctx, []ledger.QuarantineEntry{{Source: ledger.SourceWorkbook, Kind: ledger.KindEnterprise,
			Key: uscc(1), Reasons: mapping.Problems{{Field: "name", Label: "企业名称", Reason: "不能为空"}}}}); err != nil {
			t.Fatal(err)
		}
		load := func(fail error) func(tx ledger.SheetTx) error {
			return func(tx ledger.SheetTx) error {
				var open []string
				if err := tx.EachOpenQuarantineKey(ctx, ledger.SourceWorkbook, ledger.KindEnterprise, func(k string) { open = append(open, k) }); err != nil {
					return err
				}
				if len(open) != 1 || open[0] != uscc(1) {
					t.Errorf("open quarantine keys %v, want [%s]", open, uscc(1))
				}
				for b := 0; b < 3; b++ {
					outs, err := tx.UpsertEnterprises(ctx, inputs(enterprise(3*b+1), enterprise(3*b+2), enterprise(3*b+3)))
					mustOutcomes(t, outs, err, ledger.OutcomeInserted, ledger.OutcomeInserted, ledger.OutcomeInserted)
				}
				if _, err := tx.ResolveQuarantineKeys(ctx, ledger.SourceWorkbook, ledger.KindEnterprise, []string{uscc(1)}, "fixed"); err != nil {
					return err
				}
				if err := tx.AddToQuarantine(ctx, []ledger.QuarantineEntry{{Source: ledger.SourceWorkbook, Kind: ledger.KindEnterprise,
					Key: "企业台账!12", Reasons: mapping.Problems{{Field: "uscc", Label: "统一社会信用代码", Reason: "校验位错误"}}}}); err != nil {
					return err
				}
				known, err := tx.KnownEnterprises(ctx, []string{uscc(2), uscc(99)})
				if err != nil || !known[uscc(2)] || known[uscc(99)] {
					t.Errorf("inside the sheet, known %v %v: want %s (written by the sheet) and not %s", known, err, uscc(2), uscc(99))
				}
				// Another reader does not see the sheet before it commits.
				if n := len(collect(t, s.Enterprises(ctx, ledger.EnterpriseFilter{}))); n != 0 {
					t.Errorf("a reader sees %d enterprises of a sheet not yet committed", n)
				}
				return fail
			}
		}
		boom := errors.New("the import was stopped")
		if err := s.ImportSheet(ctx, false, load(boom)); !errors.Is(err, boom) {
			t.Fatalf("ImportSheet: %v, want the load's error", err)
		}
		if n := len(collect(t, s.Enterprises(ctx, ledger.EnterpriseFilter{}))); n != 0 {
			t.Errorf("a failed sheet left %d enterprises", n)
		}
		if q := collect(t, s.QuarantineEntries(ctx, ledger.QuarantineFilter{})); len(q) != 1 || q[0].Key != uscc(1) {
			t.Errorf("a failed sheet changed the quarantine: %+v", q)
		}

		if err := s.ImportSheet(ctx, false, load(nil)); err != nil {
			t.Fatal(err)
		}
		if n := len(collect(t, s.Enterprises(ctx, ledger.EnterpriseFilter{}))); n != 9 {
			t.Errorf("a committed sheet holds %d enterprises, want 9", n)
		}
		if q := collect(t, s.QuarantineEntries(ctx, ledger.QuarantineFilter{})); len(q) != 1 || q[0].Key != "企业台账!12" {
			t.Errorf("after the sheet the open quarantine is %+v, want only the sheet's own rejection", q)
		}
	})
}

// A cancelled context rolls the sheet back even when load did not notice.
func TestImportSheetCancelledRollsBack(t *testing.T) {
	eachStore(t, func(t *testing.T, s ledger.Store, _ *clock) {
		ctx, cancel := context.WithCancel(context.Background())
		err := s.ImportSheet(ctx, false, func(tx ledger.SheetTx) error {
			_, err := tx.UpsertEnterprises(ctx, inputs(enterprise(1)))
			cancel()
			return err
		})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("ImportSheet: %v, want context.Canceled", err)
		}
		if n := len(collect(t, s.Enterprises(context.Background(), ledger.EnterpriseFilter{}))); n != 0 {
			t.Errorf("a cancelled sheet left %d enterprises", n)
		}
	})
}

// A dry sheet compares and writes nothing.
func TestImportSheetDryWritesNothing(t *testing.T) {
	eachStore(t, func(t *testing.T, s ledger.Store, _ *clock) {
		ctx := context.Background()
		if _, err := s.UpsertEnterprises(ctx, inputs(enterprise(1))); err != nil {
			t.Fatal(err)
		}
		err := s.ImportSheet(ctx, true, func(tx ledger.SheetTx) error {
			if !tx.Dry() {
				t.Errorf("a dry sheet says it writes")
			}
			changed := enterprise(1)
			changed.Name = "改名有限公司"
			outs, err := tx.UpsertEnterprises(ctx, inputs(changed, enterprise(2)))
			mustOutcomes(t, outs, err, ledger.OutcomeUpdated, ledger.OutcomeInserted)
			op := operator(1, 1, "0102")
			outs, err = tx.UpsertOperators(ctx, []ledger.OperatorInput{{Operator: op}})
			mustOutcomes(t, outs, err, ledger.OutcomeInserted)
			known, err := tx.KnownEnterprises(ctx, []string{uscc(1), uscc(2)})
			if err != nil || !known[uscc(1)] || known[uscc(2)] {
				t.Errorf("known %v %v: want only the stored one", known, err)
			}
			return tx.AddToQuarantine(ctx, []ledger.QuarantineEntry{{Source: ledger.SourceWorkbook, Kind: ledger.KindEnterprise, Key: "x"}})
		})
		if err != nil {
			t.Fatal(err)
		}
		if e, err := s.EnterpriseByUSCC(ctx, uscc(1)); err != nil || e.Name != enterprise(1).Name {
			t.Errorf("a dry sheet changed enterprise 1: %q %v", e.Name, err)
		}
		if n := len(collect(t, s.Operators(ctx, ledger.OperatorFilter{}))); n != 0 {
			t.Errorf("a dry sheet wrote %d roster entries", n)
		}
		if q := collect(t, s.QuarantineEntries(ctx, ledger.QuarantineFilter{})); len(q) != 0 {
			t.Errorf("a dry sheet quarantined %+v", q)
		}
	})
}
