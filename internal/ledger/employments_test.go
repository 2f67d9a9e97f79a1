package ledger_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"streetsync/internal/ledger"
	"streetsync/mapping"
)

// A night's registrations are recorded whole, across as many statements as PostgreSQL needs, and
// a registration answered twice in one batch keeps its later answer — its key written in either
// case of the check letter X.
func TestRecordEmploymentsKeepsEveryRowAndTheLastAnswer(t *testing.T) {
	eachStore(t, func(t *testing.T, s ledger.Store, clk *clock) {
		ctx := context.Background()
		const n = 1203 // three statements of 500 rows on PostgreSQL, the last short
		var regs []ledger.EmploymentRecord
		for i := range n {
			regs = append(regs, ledger.EmploymentRecord{
				Key:    mapping.OperatorKey{IDNumber: idNumber(i), EnterpriseUSCC: uscc(i % 13), ItemCode: "0102"},
				CertNo: "T" + idNumber(i), StartDate: date(2026, 1, 1+i%28), EndDate: date(2027, 1, 1),
				Status: "ACTIVE", AcceptedAt: clk.Now().Add(time.Duration(i) * time.Second),
			})
		}
		// The second answer lands in the same statement as the first (the last 203 rows).
		x := slices.IndexFunc(regs[1000:], func(r ledger.EmploymentRecord) bool { return strings.HasSuffix(r.Key.IDNumber, "X") })
		if x < 0 {
			t.Fatal("no ID number ends in X")
		}
		x += 1000
		again := regs[x]
		again.Key.IDNumber = strings.ToLower(again.Key.IDNumber)
		again.CertNo, again.Status = "T-RENEWED", "ENDED"
		regs = append(regs, again)
		if err := s.RecordEmployments(ctx, regs); err != nil {
			t.Fatal(err)
		}
		for i, want := range regs[:n] {
			if i == x {
				want.CertNo, want.Status = again.CertNo, again.Status
			}
			got, err := s.EmploymentByKey(ctx, want.Key)
			if err != nil {
				t.Fatalf("registration %d: %v", i, err)
			}
			if got.CertNo != want.CertNo || got.Status != want.Status || got.StartDate != want.StartDate ||
				got.EndDate != want.EndDate || !got.AcceptedAt.Equal(want.AcceptedAt) {
				t.Errorf("registration %d: got %+v, want %+v", i, got, want)
			}
		}
		// Recorded again, each registration is updated in place.
		regs[5].Status = "ENDED"
		if err := s.RecordEmployments(ctx, regs[:n]); err != nil {
			t.Fatal(err)
		}
		if got, err := s.EmploymentByKey(ctx, regs[5].Key); err != nil || got.Status != "ENDED" {
			t.Errorf("registration 5 recorded again: %+v, %v", got, err)
		}
		if _, err := s.EmploymentByKey(ctx, mapping.OperatorKey{IDNumber: idNumber(n), EnterpriseUSCC: uscc(1), ItemCode: "0102"}); !errors.Is(err, ledger.ErrNotFound) {
			t.Errorf("a registration never recorded: %v", err)
		}
	})
}

// Every ID number of a large answer is stamped, once however often it appears.
func TestRecordCertificateAnswersAcrossStatements(t *testing.T) {
	eachStore(t, func(t *testing.T, s ledger.Store, clk *clock) {
		ctx := context.Background()
		var roster []mapping.Operator
		var ids []string
		for i := range 1203 {
			roster = append(roster, operator(i, i%13, "0102"))
			ids = append(ids, idNumber(i), idNumber(i))
		}
		if _, err := s.UpsertOperators(ctx, ops(roster...)); err != nil {
			t.Fatal(err)
		}
		now := clk.Now()
		if err := s.RecordCertificateAnswers(ctx, ids[:len(ids)-2], now); err != nil {
			t.Fatal(err)
		}
		due := collect(t, s.IDNumbersDueForCertificateQuery(ctx, now.Add(-time.Hour), mapping.Date{}))
		if len(due) != 1 || due[0] != idNumber(1202) {
			t.Errorf("due after the answer: %d ID numbers (%.3v), want only the one not answered", len(due), due)
		}
	})
}
