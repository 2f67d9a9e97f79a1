package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"streetsync/internal/ledger"
	"streetsync/mapping"
)

const (
	ins = ledger.OutcomeInserted
	upd = ledger.OutcomeUpdated
	unc = ledger.OutcomeUnchanged
	nf  = ledger.OutcomeNotFound
)

func TestUpsertEnterprisesReportsInsertedUpdatedUnchangedByContent(t *testing.T) {
	eachStore(t, func(t *testing.T, s ledger.Store, clk *clock) {
		ctx := context.Background()
		a, b := enterprise(1), enterprise(2)
		outs, err := s.UpsertEnterprises(ctx, inputs(a, b))
		mustOutcomes(t, outs, err, ins, ins)

		b.Principal = "李明"
		outs, err = s.UpsertEnterprises(ctx, inputs(a, b))
		mustOutcomes(t, outs, err, unc, upd)

		a.Remark = "2026年3月已检查" // the street's own note counts as a change too
		outs, err = s.UpsertEnterprises(ctx, inputs(a, b))
		mustOutcomes(t, outs, err, upd, unc)

		got, err := s.EnterpriseByUSCC(ctx, b.USCC)
		if err != nil {
			t.Fatal(err)
		}
		if got.Principal != "李明" || got.Name != b.Name || len(got.KeyRisks) != 2 || got.KeyRisks[1] != "YXKJ" || got.Employees != b.Employees {
			t.Errorf("stored %+v, want %+v", got.Enterprise, b)
		}
	})
}

func TestUpsertEnterprisesRepeatedKeyInOneBatchLastWins(t *testing.T) {
	eachStore(t, func(t *testing.T, s ledger.Store, clk *clock) {
		ctx := context.Background()
		first, second := enterprise(1), enterprise(1)
		second.Address = "晋江市灵源街道新地址1号"
		outs, err := s.UpsertEnterprises(ctx, inputs(first, enterprise(2), second))
		mustOutcomes(t, outs, err, ins, ins, upd)
		got, err := s.EnterpriseByUSCC(ctx, first.USCC)
		if err != nil {
			t.Fatal(err)
		}
		if got.Address != second.Address {
			t.Errorf("address %q, want the later row's %q", got.Address, second.Address)
		}
	})
}

// A batch larger than one lookup chunk and than one PostgreSQL statement (2 000 rows) is written
// whole, and read back whole.
func TestUpsertEnterprisesBatchLargerThanOneLookupChunk(t *testing.T) {
	eachStore(t, func(t *testing.T, s ledger.Store, clk *clock) {
		ctx := context.Background()
		const n = 2345
		es := enterprisesUpTo(n)
		outs, err := s.UpsertEnterprises(ctx, inputs(es...))
		if err != nil {
			t.Fatal(err)
		}
		if c := ledger.Tally(outs); c.Inserted != n {
			t.Fatalf("counts %+v, want %d inserted", c, n)
		}
		es[1100].Name = "改名有限公司"
		es[2200].Name = "又一家改名有限公司"
		outs, err = s.UpsertEnterprises(ctx, inputs(es...))
		if err != nil {
			t.Fatal(err)
		}
		if c := ledger.Tally(outs); c != (ledger.Counts{Updated: 2, Unchanged: n - 2}) || outs[1100] != upd || outs[2200] != upd {
			t.Fatalf("counts %+v (rows 1100, 2200: %v, %v), want those 2 updated and %d unchanged", c, outs[1100], outs[2200], n-2)
		}
		for _, i := range []int{0, 1100, 1999, 2000, 2200, n - 1} {
			if got, err := s.EnterpriseByUSCC(ctx, uscc(i)); err != nil || got.Name != es[i].Name || got.Address != es[i].Address {
				t.Errorf("enterprise %d: %q at %q, %v; want %q at %q", i, got.Name, got.Address, err, es[i].Name, es[i].Address)
			}
		}
	})
}

func TestCompareEnterprisesWritesNothing(t *testing.T) {
	eachStore(t, func(t *testing.T, s ledger.Store, clk *clock) {
		ctx := context.Background()
		a := enterprise(1)
		if _, err := s.UpsertEnterprises(ctx, inputs(a)); err != nil {
			t.Fatal(err)
		}
		changed := a
		changed.Name = "新名称有限公司"
		outs, err := s.CompareEnterprises(ctx, inputs(changed, enterprise(2), enterprise(2)))
		mustOutcomes(t, outs, err, upd, ins, unc)
		got, err := s.EnterpriseByUSCC(ctx, a.USCC)
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != a.Name {
			t.Errorf("dry run changed the name to %q", got.Name)
		}
		if _, err := s.EnterpriseByUSCC(ctx, uscc(2)); !errors.Is(err, ledger.ErrNotFound) {
			t.Errorf("dry run inserted: lookup error %v, want ErrNotFound", err)
		}
	})
}

func TestUpsertEnterprisesLeavesPlatformOwnedFieldsAndAnEmptyRegionAlone(t *testing.T) {
	eachStore(t, func(t *testing.T, s ledger.Store, clk *clock) {
		ctx := context.Background()
		a := enterprise(1)
		if _, err := s.UpsertEnterprises(ctx, inputs(a)); err != nil {
			t.Fatal(err)
		}
		p := a
		p.PlatformID, p.Grade, p.GradeValidUntil, p.RiskMonitored = "QY35058200000001", "3", date(2027, 6, 30), true
		p.UpdatedAt = time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC)
		outs, err := s.SetPlatformFields(ctx, []mapping.Enterprise{p, enterprise(99)})
		mustOutcomes(t, outs, err, upd, nf)
		outs, err = s.SetPlatformFields(ctx, []mapping.Enterprise{p})
		mustOutcomes(t, outs, err, unc)

		// A workbook row carries no platform fields and no region code.
		w := a
		w.RegionCode = ""
		w.Employees = 77
		outs, err = s.UpsertEnterprises(ctx, inputs(w))
		mustOutcomes(t, outs, err, upd)
		got, err := s.EnterpriseByUSCC(ctx, a.USCC)
		if err != nil {
			t.Fatal(err)
		}
		if got.PlatformID != p.PlatformID || got.Grade != "3" || got.GradeValidUntil != p.GradeValidUntil ||
			!got.RiskMonitored || !got.UpdatedAt.Equal(p.UpdatedAt) {
			t.Errorf("platform fields %q %q %v %v %v after a street upsert, want %q 3 %v true %v",
				got.PlatformID, got.Grade, got.GradeValidUntil, got.RiskMonitored, got.UpdatedAt,
				p.PlatformID, p.GradeValidUntil, p.UpdatedAt)
		}
		if got.RegionCode != "350582006" || got.Employees != 77 {
			t.Errorf("region %q employees %d, want the stored region kept and 77", got.RegionCode, got.Employees)
		}
	})
}

func TestWarningsAreKeptWithRecords(t *testing.T) {
	eachStore(t, func(t *testing.T, s ledger.Store, clk *clock) {
		ctx := context.Background()
		w := mapping.Problems{{Field: "principalPhone", Label: "主要负责人电话", Value: "88881234", Reason: "已补区号0595", Severity: mapping.SeverityWarning}}
		if _, err := s.UpsertEnterprises(ctx, []ledger.EnterpriseInput{{Enterprise: enterprise(1), Warnings: w}}); err != nil {
			t.Fatal(err)
		}
		got, err := s.EnterpriseByUSCC(ctx, uscc(1))
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Warnings) != 1 || got.Warnings[0] != w[0] {
			t.Errorf("warnings %+v, want %+v", got.Warnings, w)
		}
		o := operator(1, 1, "0102")
		if _, err := s.UpsertOperators(ctx, []ledger.OperatorInput{{Operator: o, Warnings: w}}); err != nil {
			t.Fatal(err)
		}
		r, err := s.OperatorByKey(ctx, o.Key())
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Warnings) != 1 || r.Warnings[0].Reason != "已补区号0595" {
			t.Errorf("operator warnings %+v, want %+v", r.Warnings, w)
		}
	})
}

// The three-way comparison, step by step as sync and reconcile see it.
func TestEnterpriseSyncStateFollowsTheThreeVersions(t *testing.T) {
	eachStore(t, func(t *testing.T, s ledger.Store, clk *clock) {
		ctx := context.Background()
		e := enterprise(1)
		state := func(t *testing.T, want ledger.SyncState) ledger.EnterpriseRecord {
			t.Helper()
			r, err := s.EnterpriseByUSCC(ctx, e.USCC)
			if err != nil {
				t.Fatal(err)
			}
			if got := r.SyncState(); got != want {
				t.Fatalf("state %v (street %s accepted %s platform %s), want %v", got, r.StreetHash, r.AcceptedHash, r.PlatformHash, want)
			}
			return r
		}
		changed := func(t *testing.T, want int) {
			t.Helper()
			got := collect(t, s.Enterprises(ctx, ledger.EnterpriseFilter{ChangedSinceAccepted: true}))
			if len(got) != want {
				t.Fatalf("%d enterprises changed since accepted, want %d", len(got), want)
			}
		}

		// A new enterprise of the ledger has never been accepted: push.
		if _, err := s.UpsertEnterprises(ctx, inputs(e)); err != nil {
			t.Fatal(err)
		}
		state(t, ledger.StateUnpushed)
		changed(t, 1)

		// The platform accepts the push.
		outs, err := s.MarkEnterprisesAccepted(ctx, []ledger.Acceptance{{Pushed: e, PlatformID: "QY1", At: clk.Now()}})
		mustOutcomes(t, outs, err, upd)
		r := state(t, ledger.StateInSync)
		if r.PlatformID != "QY1" || r.Platform == nil || r.Platform.Name != e.Name || !r.AcceptedAt.Equal(clk.Now()) {
			t.Errorf("after acceptance: platform id %q, view %+v, accepted at %v", r.PlatformID, r.Platform, r.AcceptedAt)
		}
		changed(t, 0)

		// The pull sees the same values: nothing to do.
		cmp, err := s.RecordPlatformEnterprises(ctx, []mapping.Enterprise{withPlatformID(e, "QY1")}, clk.Now())
		if err != nil || cmp[0] != (ledger.Comparison{Outcome: unc, State: ledger.StateInSync}) {
			t.Fatalf("pull of unchanged record: %+v, %v", cmp, err)
		}

		// Only the ledger changes: push.
		e.Principal = "李明"
		if _, err := s.UpsertEnterprises(ctx, inputs(e)); err != nil {
			t.Fatal(err)
		}
		state(t, ledger.StateLedgerChanged)
		changed(t, 1)
		if _, err := s.MarkEnterprisesAccepted(ctx, []ledger.Acceptance{{Pushed: e, At: clk.Now()}}); err != nil {
			t.Fatal(err)
		}
		state(t, ledger.StateInSync)

		// Only the platform changes (someone edited the portal): drift.
		clk.Advance(time.Hour)
		portal := withPlatformID(e, "QY1")
		portal.Address = "晋江市灵源街道门户修改路2号"
		cmp, err = s.RecordPlatformEnterprises(ctx, []mapping.Enterprise{portal}, clk.Now())
		if err != nil || cmp[0] != (ledger.Comparison{Outcome: upd, State: ledger.StatePlatformChanged}) {
			t.Fatalf("pull of portal edit: %+v, %v", cmp, err)
		}
		r = state(t, ledger.StatePlatformChanged)
		if r.Platform.Address != portal.Address || r.Address == portal.Address || !r.PlatformViewAt.Equal(clk.Now()) {
			t.Errorf("platform view address %q (ledger %q, seen %v), want the portal's kept apart from the ledger's",
				r.Platform.Address, r.Address, r.PlatformViewAt)
		}
		if !r.SyncState().Drifted() || r.SyncState().NeedsPush() {
			t.Errorf("platform change: drifted %v needs push %v, want drifted and no push", r.SyncState().Drifted(), r.SyncState().NeedsPush())
		}
		changed(t, 0)

		// Both change, differently: conflict, never pushed.
		e.Employees = 999
		if _, err := s.UpsertEnterprises(ctx, inputs(e)); err != nil {
			t.Fatal(err)
		}
		r = state(t, ledger.StateConflict)
		if r.SyncState().NeedsPush() || !r.SyncState().Drifted() {
			t.Errorf("conflict must be drift and not pushed")
		}

		// The operator makes the portal agree with the ledger: both sides converge and that is
		// recorded as accepted.
		cmp, err = s.RecordPlatformEnterprises(ctx, []mapping.Enterprise{withPlatformID(e, "QY1")}, clk.Now())
		if err != nil || cmp[0] != (ledger.Comparison{Outcome: upd, State: ledger.StateInSync}) {
			t.Fatalf("pull of converged record: %+v, %v", cmp, err)
		}
		r = state(t, ledger.StateInSync)
		if r.AcceptedHash != r.StreetHash {
			t.Errorf("accepted %s, want the converged street hash %s", r.AcceptedHash, r.StreetHash)
		}
	})
}

func TestFirstPullOfAnEqualRecordCountsAsAccepted(t *testing.T) {
	eachStore(t, func(t *testing.T, s ledger.Store, clk *clock) {
		ctx := context.Background()
		e, other := enterprise(1), enterprise(2)
		if _, err := s.UpsertEnterprises(ctx, inputs(e, other)); err != nil {
			t.Fatal(err)
		}
		different := withPlatformID(other, "QY2")
		different.Name = "门户上的另一个名字有限公司"
		cmp, err := s.RecordPlatformEnterprises(ctx, []mapping.Enterprise{withPlatformID(e, "QY1"), different}, clk.Now())
		if err != nil {
			t.Fatal(err)
		}
		want := []ledger.Comparison{{Outcome: upd, State: ledger.StateInSync}, {Outcome: upd, State: ledger.StateUnpushed}}
		if cmp[0] != want[0] || cmp[1] != want[1] {
			t.Errorf("comparisons %+v, want %+v (no accepted version yet: the ledger is the source of truth)", cmp, want)
		}
	})
}

func TestPlatformOnlyEnterpriseIsPendingReviewUntilTheStreetConfirmsIt(t *testing.T) {
	eachStore(t, func(t *testing.T, s ledger.Store, clk *clock) {
		ctx := context.Background()
		p := withPlatformID(enterprise(5), "QY5")
		p.Grade = "2"
		cmp, err := s.RecordPlatformEnterprises(ctx, []mapping.Enterprise{p, withPlatformID(enterprise(6), "QY6")}, clk.Now())
		if err != nil {
			t.Fatal(err)
		}
		if cmp[0] != (ledger.Comparison{Outcome: ins, State: ledger.StateInSync}) {
			t.Errorf("adoption %+v, want inserted and in sync", cmp[0])
		}
		pending := collect(t, s.Enterprises(ctx, ledger.EnterpriseFilter{PendingReview: true}))
		if len(pending) != 2 || pending[0].USCC != p.USCC || pending[0].Name != p.Name || pending[0].Grade != "2" {
			t.Fatalf("pending review %+v, want the two pulled enterprises with their values", pending)
		}

		// A workbook import of the same values confirms it: an update, flag cleared.
		outs, err := s.UpsertEnterprises(ctx, inputs(enterprise(5)))
		mustOutcomes(t, outs, err, upd)
		r, err := s.EnterpriseByUSCC(ctx, p.USCC)
		if err != nil {
			t.Fatal(err)
		}
		if r.PendingReview || r.PlatformID != "QY5" || r.SyncState() != ledger.StateInSync {
			t.Errorf("after import: pending %v platform id %q state %v, want confirmed, QY5, in sync", r.PendingReview, r.PlatformID, r.SyncState())
		}
		// Confirming in the console does the same.
		if err := s.ConfirmEnterprise(ctx, uscc(6)); err != nil {
			t.Fatal(err)
		}
		if got := collect(t, s.Enterprises(ctx, ledger.EnterpriseFilter{PendingReview: true})); len(got) != 0 {
			t.Errorf("%d still pending after confirmation", len(got))
		}
		if err := s.ConfirmEnterprise(ctx, uscc(404)); !errors.Is(err, ledger.ErrNotFound) {
			t.Errorf("confirm unknown: %v, want ErrNotFound", err)
		}
	})
}

func TestEnterprisesStreamFiltersByCommunityInUSCCOrder(t *testing.T) {
	eachStore(t, func(t *testing.T, s ledger.Store, clk *clock) {
		ctx := context.Background()
		var es []mapping.Enterprise
		for i := 9; i >= 0; i-- {
			es = append(es, enterprise(i))
		}
		if _, err := s.UpsertEnterprises(ctx, inputs(es...)); err != nil {
			t.Fatal(err)
		}
		got := collect(t, s.Enterprises(ctx, ledger.EnterpriseFilter{Community: "灵水社区"}))
		var keys []string
		for _, r := range got {
			keys = append(keys, r.USCC)
		}
		want := []string{uscc(1), uscc(4), uscc(7)}
		if len(keys) != 3 || keys[0] != want[0] || keys[1] != want[1] || keys[2] != want[2] {
			t.Errorf("灵水社区 %v, want %v", keys, want)
		}
	})
}

func withPlatformID(e mapping.Enterprise, id string) mapping.Enterprise {
	e.PlatformID = id
	e.Remark = ""
	return e
}

// A city's pull records every enterprise's platform side — across several statements on
// PostgreSQL — and an enterprise seen twice in one batch ends as the second sighting left it,
// its view from the first kept where the second has none to give.
func TestAPullRecordsEveryEnterpriseAcrossStatements(t *testing.T) {
	eachStore(t, func(t *testing.T, s ledger.Store, clk *clock) {
		ctx := context.Background()
		const n = 2345
		street := enterprisesUpTo(n)
		if _, err := s.UpsertEnterprises(ctx, inputs(street...)); err != nil {
			t.Fatal(err)
		}
		pulled := make([]mapping.Enterprise, 0, n+1)
		for i, e := range street {
			p := withPlatformID(e, fmt.Sprintf("QY%d", i))
			p.Grade = mapping.Grade(fmt.Sprint(1 + i%3))
			if i%2 == 1 {
				p.Address = fmt.Sprintf("门户上的地址%d号", i) // a portal edit: the platform's view differs
			}
			pulled = append(pulled, p)
		}
		// 2 100 is seen again later in the batch with a new platform id and grade.
		again := pulled[2100]
		again.PlatformID, again.Grade = "QY-AGAIN", "3"
		pulled = append(pulled, again)
		seen := clk.Now()
		cmp, err := s.RecordPlatformEnterprises(ctx, pulled, seen)
		if err != nil {
			t.Fatal(err)
		}
		if len(cmp) != n+1 {
			t.Fatalf("%d comparisons for %d records", len(cmp), n+1)
		}
		for i := range n {
			r, err := s.EnterpriseByUSCC(ctx, uscc(i))
			if err != nil {
				t.Fatal(err)
			}
			want := pulled[i]
			if i == 2100 {
				want = again
			}
			if r.PlatformID != want.PlatformID || r.Grade != want.Grade || r.Platform == nil || r.Platform.Address != want.Address || !r.PlatformViewAt.Equal(seen) {
				t.Fatalf("enterprise %d: platform id %q grade %q view %+v at %v; want %q, %q, address %q at %v",
					i, r.PlatformID, r.Grade, r.Platform, r.PlatformViewAt, want.PlatformID, want.Grade, want.Address, seen)
			}
			if wantState := []ledger.SyncState{ledger.StateInSync, ledger.StateUnpushed}[i%2]; r.SyncState() != wantState {
				t.Errorf("enterprise %d: state %v, want %v", i, r.SyncState(), wantState)
			}
		}
	})
}
