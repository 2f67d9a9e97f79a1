package ledger_test

import (
	"context"
	"errors"
	"sort"
	"strings"
	"testing"
	"time"

	"streetsync/internal/ledger"
	"streetsync/mapping"
)

func ops(os ...mapping.Operator) []ledger.OperatorInput {
	out := make([]ledger.OperatorInput, len(os))
	for i, o := range os {
		out[i] = ledger.OperatorInput{Operator: o}
	}
	return out
}

func TestUpsertOperatorsKeyedByIDNumberEnterpriseAndItem(t *testing.T) {
	eachStore(t, func(t *testing.T, s ledger.Store, clk *clock) {
		ctx := context.Background()
		a := operator(1, 1, "0102")
		sameAtOther := operator(1, 2, "0102") // one person, two enterprises
		otherItem := operator(1, 1, "0201")   // one person, two items
		outs, err := s.UpsertOperators(ctx, ops(a, sameAtOther, otherItem))
		mustOutcomes(t, outs, err, ins, ins, ins)

		a.EndDate = date(2026, 6, 30)
		outs, err = s.UpsertOperators(ctx, ops(a, sameAtOther, otherItem))
		mustOutcomes(t, outs, err, upd, unc, unc)

		// The ID number's final x is stored as X: a lower-case spelling is the same person.
		n := 10
		for !strings.HasSuffix(idNumber(n), "X") {
			n++
		}
		x := operator(n, 1, "0102")
		if _, err := s.UpsertOperators(ctx, ops(x)); err != nil {
			t.Fatal(err)
		}
		lower := x
		lower.IDNumber = strings.ToLower(x.IDNumber)
		outs, err = s.UpsertOperators(ctx, ops(lower))
		mustOutcomes(t, outs, err, unc)

		got, err := s.OperatorByKey(ctx, a.Key())
		if err != nil {
			t.Fatal(err)
		}
		if got.EndDate != a.EndDate || got.StartDate != a.StartDate || got.Name != a.Name {
			t.Errorf("stored %+v, want %+v", got.Operator, a)
		}
		unknown := operator(9, 9, "0102")
		_, err = s.OperatorByKey(ctx, unknown.Key())
		if !errors.Is(err, ledger.ErrNotFound) {
			t.Errorf("unknown key: %v, want ErrNotFound", err)
		}
		if strings.Contains(err.Error(), idNumber(9)) {
			t.Errorf("error %q carries the ID number unmasked", err)
		}
	})
}

func TestOperatorsOnDutyFollowsStartAndEndDates(t *testing.T) {
	eachStore(t, func(t *testing.T, s ledger.Store, clk *clock) {
		ctx := context.Background()
		day := date(2026, 3, 2)
		tests := []struct {
			name       string
			start, end mapping.Date
			onDuty     bool
		}{
			{"no end date", date(2024, 1, 1), mapping.Date{}, true},
			{"end date in the future", date(2024, 1, 1), date(2026, 3, 3), true},
			{"end date today has left", date(2024, 1, 1), day, false},
			{"end date past", date(2024, 1, 1), date(2025, 1, 1), false},
			{"starts tomorrow", date(2026, 3, 3), mapping.Date{}, false},
			{"starts today", day, mapping.Date{}, true},
			{"no start date", mapping.Date{}, mapping.Date{}, true},
		}
		var batch []mapping.Operator
		want := map[string]bool{}
		for i, tc := range tests {
			o := operator(100+i, 1, "0102")
			o.StartDate, o.EndDate = tc.start, tc.end
			o.Remark = tc.name
			batch = append(batch, o)
			want[tc.name] = tc.onDuty
			if got := o.OnDuty(day); got != tc.onDuty {
				t.Fatalf("fixture %q: mapping says on duty %v", tc.name, got)
			}
		}
		if _, err := s.UpsertOperators(ctx, ops(batch...)); err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		for _, r := range collect(t, s.Operators(ctx, ledger.OperatorFilter{OnDuty: day})) {
			got[r.Remark] = true
		}
		for _, tc := range tests {
			if got[tc.name] != want[tc.name] {
				t.Errorf("%s: on duty %v, want %v", tc.name, got[tc.name], want[tc.name])
			}
		}
		if all := collect(t, s.Operators(ctx, ledger.OperatorFilter{})); len(all) != len(tests) {
			t.Errorf("%d entries without filter, want %d", len(all), len(tests))
		}
	})
}

func TestOperatorsFilterByEnterpriseAndIDNumber(t *testing.T) {
	eachStore(t, func(t *testing.T, s ledger.Store, clk *clock) {
		ctx := context.Background()
		if _, err := s.UpsertOperators(ctx, ops(operator(1, 1, "0102"), operator(2, 1, "0201"), operator(1, 2, "0102"))); err != nil {
			t.Fatal(err)
		}
		if got := collect(t, s.Operators(ctx, ledger.OperatorFilter{EnterpriseUSCC: uscc(1)})); len(got) != 2 {
			t.Errorf("enterprise 1 has %d entries, want 2", len(got))
		}
		got := collect(t, s.Operators(ctx, ledger.OperatorFilter{IDNumber: idNumber(1)}))
		if len(got) != 2 || got[0].EnterpriseUSCC != uscc(1) || got[1].EnterpriseUSCC != uscc(2) {
			t.Errorf("person 1: %+v, want the entries at enterprises 1 and 2 in order", got)
		}
	})
}

func certificate(idN int, item string, until mapping.Date) mapping.Certificate {
	id := idNumber(idN)
	return mapping.Certificate{
		CertNo: "T" + id, HolderName: "操作员", IDNumber: id, Gender: "1", CategoryCode: item[:2], ItemCode: item,
		FirstIssueDate: date(2020, 5, 1), ValidFrom: date(2020, 5, 1), ValidUntil: until,
		ReviewDueDate: date(2026, 5, 1), Status: mapping.CertValid, Issuer: "泉州市应急管理局",
		UpdatedAt: time.Date(2026, 1, 5, 1, 2, 3, 0, time.UTC),
	}
}

func TestCertificatesKeyedByNumberAndItemAndFoundByIDNumber(t *testing.T) {
	eachStore(t, func(t *testing.T, s ledger.Store, clk *clock) {
		ctx := context.Background()
		c1 := certificate(1, "0102", date(2026, 5, 1))
		c2 := certificate(1, "0201", date(2027, 1, 1)) // same number, another item
		c3 := certificate(2, "0102", date(2026, 5, 1))
		outs, err := s.UpsertCertificates(ctx, []mapping.Certificate{c1, c2, c3})
		mustOutcomes(t, outs, err, ins, ins, ins)

		resent := c1
		resent.UpdatedAt = resent.UpdatedAt.Add(time.Hour) // same content, new change time
		renewed := c2
		renewed.ValidUntil = date(2033, 1, 1)
		outs, err = s.UpsertCertificates(ctx, []mapping.Certificate{resent, renewed})
		mustOutcomes(t, outs, err, unc, upd)

		got, err := s.CertificatesByIDNumbers(ctx, []string{idNumber(1), idNumber(3)})
		if err != nil {
			t.Fatal(err)
		}
		cs := got[idNumber(1)]
		if len(cs) != 2 || cs[0].ItemCode != "0102" || cs[1].ValidUntil != renewed.ValidUntil || len(got[idNumber(3)]) != 0 {
			t.Fatalf("certificates by ID %+v", got)
		}
		if cs[0] != c1 {
			t.Errorf("stored certificate\n%+v\nwant\n%+v", cs[0], c1)
		}
		if all := collect(t, s.Certificates(ctx)); len(all) != 3 {
			t.Errorf("%d certificates streamed, want 3", len(all))
		}
	})
}

func TestIDNumbersDueForCertificateQueryAreThoseWithoutARecentAnswer(t *testing.T) {
	eachStore(t, func(t *testing.T, s ledger.Store, clk *clock) {
		ctx := context.Background()
		left := operator(4, 1, "0102")
		left.EndDate = date(2025, 1, 1)
		if _, err := s.UpsertOperators(ctx, ops(operator(1, 1, "0102"), operator(1, 2, "0201"), operator(2, 1, "0102"),
			operator(3, 1, "0102"), left)); err != nil {
			t.Fatal(err)
		}
		now := clk.Now()
		if err := s.RecordCertificateAnswers(ctx, []string{idNumber(2)}, now.Add(-48*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := s.RecordCertificateAnswers(ctx, []string{idNumber(3)}, now.Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
		due := collect(t, s.IDNumbersDueForCertificateQuery(ctx, now.Add(-24*time.Hour), date(2026, 3, 2)))
		want := []string{idNumber(1), idNumber(2)} // never asked first, then the oldest answer; 3 is recent, 4 has left
		if strings.Join(due, ",") != strings.Join(want, ",") {
			t.Errorf("due %v, want %v", due, want)
		}
		all := collect(t, s.IDNumbersDueForCertificateQuery(ctx, now.Add(-24*time.Hour), mapping.Date{}))
		if len(all) != 3 {
			t.Errorf("whole roster: due %v, want 3 (the one who left included)", all)
		}
		// Answering again moves the time forward.
		if err := s.RecordCertificateAnswers(ctx, []string{idNumber(1), idNumber(2), idNumber(2)}, now); err != nil {
			t.Fatal(err)
		}
		if due := collect(t, s.IDNumbersDueForCertificateQuery(ctx, now.Add(-24*time.Hour), date(2026, 3, 2))); len(due) != 0 {
			t.Errorf("after answers: due %v, want none", due)
		}
	})
}

func TestRosterWithCertificatesJoinsEveryEntryAcrossChunks(t *testing.T) {
	eachStore(t, func(t *testing.T, s ledger.Store, clk *clock) {
		ctx := context.Background()
		var os []mapping.Operator
		var certs []mapping.Certificate
		for i := range 600 {
			os = append(os, operator(i, i%7, "0102"))
			if i%3 != 0 { // every third person holds no certificate
				certs = append(certs, certificate(i, "0102", date(2027, 1, 1)), certificate(i, "0201", date(2027, 1, 1)))
			}
		}
		if _, err := s.UpsertOperators(ctx, ops(os...)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.UpsertCertificates(ctx, certs); err != nil {
			t.Fatal(err)
		}
		n, without := 0, 0
		for e, err := range s.RosterWithCertificates(ctx, ledger.OperatorFilter{OnDuty: date(2026, 3, 2)}) {
			if err != nil {
				t.Fatal(err)
			}
			n++
			switch len(e.Certificates) {
			case 0:
				without++
			case 2:
				if e.Certificates[0].IDNumber != e.Operator.IDNumber {
					t.Fatalf("entry %s joined with certificates of %s", e.Operator.Key(), e.Certificates[0].IDNumber)
				}
			default:
				t.Fatalf("entry has %d certificates", len(e.Certificates))
			}
		}
		if n != 600 || without != 200 {
			t.Errorf("%d entries, %d without certificates; want 600 and 200", n, without)
		}
	})
}

func TestRegistrationsDueAreMissingOrChangedOnes(t *testing.T) {
	eachStore(t, func(t *testing.T, s ledger.Store, clk *clock) {
		ctx := context.Background()
		day := date(2026, 3, 2)
		registered := operator(1, 1, "0102")
		unregistered := operator(2, 1, "0102")
		endChanged := operator(3, 1, "0102")
		leftNeverRegistered := operator(4, 1, "0102")
		leftNeverRegistered.EndDate = date(2025, 1, 1)
		if _, err := s.UpsertOperators(ctx, ops(registered, unregistered, endChanged, leftNeverRegistered)); err != nil {
			t.Fatal(err)
		}
		reg := func(o mapping.Operator) ledger.EmploymentRecord {
			return ledger.EmploymentRecord{Key: o.Key(), CertNo: "T" + o.IDNumber, StartDate: o.StartDate, EndDate: o.EndDate,
				Status: "ACTIVE", AcceptedAt: clk.Now()}
		}
		if err := s.RecordEmployments(ctx, []ledger.EmploymentRecord{reg(registered), reg(endChanged)}); err != nil {
			t.Fatal(err)
		}
		endChanged.EndDate = date(2026, 3, 31)
		if _, err := s.UpsertOperators(ctx, ops(endChanged)); err != nil {
			t.Fatal(err)
		}
		due := collect(t, s.RegistrationsDue(ctx, day))
		if len(due) != 2 {
			t.Fatalf("%d registrations due, want 2: %+v", len(due), due)
		}
		if due[0].Operator.Key() != unregistered.Key() || due[0].Last != nil {
			t.Errorf("first due %+v, want the unregistered entry without a last registration", due[0])
		}
		if due[1].Operator.Key() != endChanged.Key() || due[1].Last == nil || !due[1].Last.EndDate.IsZero() ||
			due[1].Last.CertNo != "T"+endChanged.IDNumber || due[1].Operator.EndDate != endChanged.EndDate {
			t.Errorf("second due %+v (last %+v), want the entry whose end date changed with its last registration", due[1], due[1].Last)
		}
		got, err := s.EmploymentByKey(ctx, registered.Key())
		if err != nil {
			t.Fatal(err)
		}
		if got != reg(registered) {
			t.Errorf("employment %+v, want %+v", got, reg(registered))
		}
		if _, err := s.EmploymentByKey(ctx, unregistered.Key()); !errors.Is(err, ledger.ErrNotFound) {
			t.Errorf("unregistered: %v, want ErrNotFound", err)
		}
	})
}

// An incremental employment run reads only the entries whose decision may have changed since
// its last run: each way a decision can change, and nothing else.
func TestRegistrationsDueSinceReadsOnlyWhatMayHaveChanged(t *testing.T) {
	eachStore(t, func(t *testing.T, s ledger.Store, clk *clock) {
		ctx := context.Background()
		sinceDay, day := date(2026, 3, 2), date(2026, 3, 3)
		var all []mapping.Operator
		for n := 1; n <= 8; n++ {
			all = append(all, operator(n, 1, "0102"))
		}
		all[6].StartDate = day // 7 starts on day
		if _, err := s.UpsertOperators(ctx, ops(all...)); err != nil {
			t.Fatal(err)
		}
		future := certificate(3, "0102", date(2028, 1, 1))
		future.ValidFrom = day // 3's certificate becomes valid on day
		if _, err := s.UpsertCertificates(ctx, []mapping.Certificate{future, certificate(5, "0102", date(2028, 1, 1))}); err != nil {
			t.Fatal(err)
		}
		// 8 and a hundred others are registered: the roster is mostly settled, as on any day.
		o8 := all[7]
		settled := []mapping.Operator{o8}
		for n := 100; n < 200; n++ {
			settled = append(settled, operator(n, 2, "0102"))
		}
		if _, err := s.UpsertOperators(ctx, ops(settled[1:]...)); err != nil {
			t.Fatal(err)
		}
		var regs []ledger.EmploymentRecord
		for _, o := range settled {
			regs = append(regs, ledger.EmploymentRecord{Key: o.Key(), CertNo: "T" + o.IDNumber, StartDate: o.StartDate,
				Status: "ACTIVE", AcceptedAt: clk.Now()})
		}
		if err := s.RecordEmployments(ctx, regs); err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Hour)
		since := clk.Now() // the last run
		clk.Advance(time.Hour)

		changed := all[0]
		changed.Phone = "13900000000" // 1 edited on the roster
		if _, err := s.UpsertOperators(ctx, ops(changed)); err != nil {
			t.Fatal(err)
		}
		// 2 gets a certificate; 5's is read again unchanged (no change, no candidate).
		if _, err := s.UpsertCertificates(ctx, []mapping.Certificate{certificate(2, "0102", date(2028, 1, 1)), certificate(5, "0102", date(2028, 1, 1))}); err != nil {
			t.Fatal(err)
		}
		keys := func(due []ledger.RegistrationDue) string {
			var out []string
			for _, d := range due {
				out = append(out, strings.TrimPrefix(d.Operator.Name, "操作员"))
			}
			return strings.Join(out, " ")
		}
		sortByName := func(due []ledger.RegistrationDue) []ledger.RegistrationDue {
			sort.Slice(due, func(i, j int) bool { return due[i].Operator.Name < due[j].Operator.Name })
			return due
		}
		if got := keys(sortByName(collect(t, s.RegistrationsDue(ctx, day)))); got != "1 2 3 4 5 6 7" {
			t.Errorf("due on the whole roster: %s, want 1 2 3 4 5 6 7", got)
		}
		if got := keys(sortByName(collect(t, s.RegistrationsDueSince(ctx, day, since, sinceDay)))); got != "1 2 3 7" {
			t.Errorf("due since the last run, the next day: %s, want 1 2 3 7", got)
		}
		if got := keys(sortByName(collect(t, s.RegistrationsDueSince(ctx, sinceDay, since, sinceDay)))); got != "1 2" {
			t.Errorf("due since the last run, the same day: %s, want 1 2", got)
		}
		// The candidates still pass the due rule: a registered entry that changed only its
		// phone is not due.
		o8.Phone = "13900000001"
		if _, err := s.UpsertOperators(ctx, ops(o8)); err != nil {
			t.Fatal(err)
		}
		if got := keys(sortByName(collect(t, s.RegistrationsDueSince(ctx, sinceDay, since, sinceDay)))); got != "1 2" {
			t.Errorf("after a registered entry's phone changed: %s, want 1 2", got)
		}
		// When much of the roster changed (a re-import), the whole roster is read: more entries
		// are decided, none is missed.
		for i := range settled {
			settled[i].Phone = "13900000002"
		}
		if _, err := s.UpsertOperators(ctx, ops(settled...)); err != nil {
			t.Fatal(err)
		}
		if got := keys(sortByName(collect(t, s.RegistrationsDueSince(ctx, sinceDay, since, sinceDay)))); got != "1 2 3 4 5 6" {
			t.Errorf("after a re-import: %s, want the whole roster's due entries 1 2 3 4 5 6", got)
		}
	})
}

// OnRoster answers a batch of ID numbers (more than one query's worth) by the numbers as
// passed, a final lower-case x included.
func TestOnRosterAnswersByTheNumbersPassed(t *testing.T) {
	eachStore(t, func(t *testing.T, s ledger.Store, clk *clock) {
		ctx := context.Background()
		var roster []mapping.Operator
		for n := 1; n <= 1200; n += 2 {
			roster = append(roster, operator(n, 1, "0102"))
		}
		if _, err := s.UpsertOperators(ctx, ops(roster...)); err != nil {
			t.Fatal(err)
		}
		var ask []string
		for n := 1; n <= 1200; n++ {
			ask = append(ask, strings.ToLower(idNumber(n)))
		}
		on, err := s.OnRoster(ctx, ask)
		if err != nil {
			t.Fatal(err)
		}
		for n := 1; n <= 1200; n++ {
			if id := ask[n-1]; on[id] != (n%2 == 1) {
				t.Errorf("OnRoster(%s) = %v, want %v", id, on[id], n%2 == 1)
			}
		}
	})
}
