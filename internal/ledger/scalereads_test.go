package ledger_test

import (
	"context"
	"slices"
	"sort"
	"strings"
	"testing"

	"streetsync/internal/ledger"
	"streetsync/mapping"
)

// A keyed batch read returns exactly the stored enterprises among the keys, however many lookup
// chunks the keys span; unknown keys are absent, not errors.
func TestEnterpriseFieldsByUSCCReturnsTheStoredAmongTheKeys(t *testing.T) {
	eachStore(t, func(t *testing.T, s ledger.Store, clk *clock) {
		ctx := context.Background()
		var es []mapping.Enterprise
		for i := range 1200 {
			if i%3 != 0 {
				es = append(es, enterprise(i))
			}
		}
		if _, err := s.UpsertEnterprises(ctx, inputs(es...)); err != nil {
			t.Fatal(err)
		}
		var keys []string
		for i := 1199; i >= 0; i-- { // not in key order: the platform's pages are not
			keys = append(keys, uscc(i))
		}
		got, err := s.EnterpriseFieldsByUSCC(ctx, keys)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(es) {
			t.Fatalf("got %d enterprises, want %d", len(got), len(es))
		}
		for i := range 1200 {
			rec, ok := got[uscc(i)]
			if ok != (i%3 != 0) {
				t.Fatalf("%s present %v, want %v", uscc(i), ok, i%3 != 0)
			}
			if want := enterprise(i); ok && (rec.Name != want.Name || rec.Community != want.Community || rec.Employees != want.Employees) {
				t.Errorf("%s: got %q/%q/%d, want %q/%q/%d", uscc(i), rec.Name, rec.Community, rec.Employees, want.Name, want.Community, want.Employees)
			}
		}
		if got, err := s.EnterpriseFieldsByUSCC(ctx, nil); err != nil || len(got) != 0 {
			t.Errorf("no keys: got %d, %v; want none", len(got), err)
		}
	})
}

// The ordered stream of fields reads every enterprise once, in USCC order, with its pending flag.
func TestEnterpriseFieldsStreamInUSCCOrder(t *testing.T) {
	eachStore(t, func(t *testing.T, s ledger.Store, clk *clock) {
		ctx := context.Background()
		pending := enterprise(3)
		pending.PendingReview = true
		if _, err := s.UpsertEnterprises(ctx, inputs(enterprise(5), pending, enterprise(1))); err != nil {
			t.Fatal(err)
		}
		var got []string
		for e, err := range s.EnterpriseFields(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, e.USCC)
			if e.PendingReview != (e.USCC == uscc(3)) {
				t.Errorf("%s pending %v", e.USCC, e.PendingReview)
			}
		}
		if want := []string{uscc(1), uscc(3), uscc(5)}; strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("got %v, want %v", got, want)
		}
	})
}

// Certificates by item: the distinct codes in order, then only the certificates of the codes
// asked for, by number; no codes, no certificates.
func TestCertificatesOfItems(t *testing.T) {
	eachStore(t, func(t *testing.T, s ledger.Store, clk *clock) {
		ctx := context.Background()
		certs := []mapping.Certificate{certificate(2, "0102", date(2027, 1, 1)), certificate(1, "9999", date(2027, 1, 1)),
			certificate(1, "0102", date(2027, 1, 1)), certificate(3, "9999", date(2027, 1, 1))}
		if _, err := s.UpsertCertificates(ctx, certs); err != nil {
			t.Fatal(err)
		}
		codes, err := s.CertificateItemCodes(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(codes, ",") != "0102,9999" {
			t.Errorf("codes %v, want [0102 9999]", codes)
		}
		var got []string
		for c, err := range s.CertificatesOfItems(ctx, []string{"9999"}) {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, c.CertNo+"/"+c.ItemCode)
		}
		if want := "T" + idNumber(1) + "/9999,T" + idNumber(3) + "/9999"; strings.Join(got, ",") != want {
			t.Errorf("got %v, want %s", got, want)
		}
		for range s.CertificatesOfItems(ctx, nil) {
			t.Error("no codes yielded a certificate")
		}
	})
}

// The roster stream says of each on-duty entry what RegistrationsDue says — due when never
// registered or when its dates changed since — and carries its enterprise's name; an entry whose
// ID number sorts between others' still gets exactly its own certificates, in number order.
func TestRosterWithCertificatesAgreesWithRegistrationsDue(t *testing.T) {
	eachStore(t, func(t *testing.T, s ledger.Store, clk *clock) {
		ctx := context.Background()
		day := date(2026, 3, 2)
		if _, err := s.UpsertEnterprises(ctx, inputs(enterprise(1))); err != nil {
			t.Fatal(err)
		}
		registered, unregistered, endChanged := operator(1, 1, "0102"), operator(2, 1, "0102"), operator(3, 2, "0102")
		if _, err := s.UpsertOperators(ctx, ops(registered, unregistered, endChanged)); err != nil {
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
		second := certificate(2, "0102", date(2027, 1, 1))
		second.CertNo = "A" + second.CertNo // sorts before the person's other certificate
		if _, err := s.UpsertCertificates(ctx, []mapping.Certificate{certificate(2, "0102", date(2027, 1, 1)), second,
			certificate(3, "0102", date(2027, 1, 1))}); err != nil {
			t.Fatal(err)
		}
		wantDue := map[mapping.OperatorKey]bool{}
		for d, err := range s.RegistrationsDue(ctx, day) {
			if err != nil {
				t.Fatal(err)
			}
			wantDue[d.Operator.Key()] = true
		}
		n := 0
		for e, err := range s.RosterWithCertificates(ctx, ledger.OperatorFilter{OnDuty: day}) {
			if err != nil {
				t.Fatal(err)
			}
			n++
			k := e.Operator.Key()
			if e.RegistrationDue != wantDue[k] {
				t.Errorf("%s/%s due %v, RegistrationsDue says %v", e.Operator.EnterpriseUSCC, e.Operator.ItemCode, e.RegistrationDue, wantDue[k])
			}
			if wantName := map[bool]string{true: enterprise(1).Name, false: ""}[k.EnterpriseUSCC == uscc(1)]; e.EnterpriseName != wantName {
				t.Errorf("enterprise name %q, want %q", e.EnterpriseName, wantName)
			}
			var nos []string
			for _, c := range e.Certificates {
				if c.IDNumber != e.Operator.IDNumber {
					t.Errorf("entry joined with a certificate of another person")
				}
				nos = append(nos, c.CertNo)
			}
			if k.IDNumber == idNumber(2) && strings.Join(nos, ",") != second.CertNo+",T"+idNumber(2) {
				t.Errorf("person 2's certificates %v, want both in number order", nos)
			}
		}
		if n != 3 || len(wantDue) != 2 {
			t.Errorf("%d entries, %d due; want 3 and 2", n, len(wantDue))
		}
	})
}

// Walking the ledger batch by batch after the last key read visits every enterprise and every
// roster entry once, in key order, whatever the batch size (a batch ending inside one person's
// entries included).
func TestKeyOrderedBatchesVisitEveryRowOnce(t *testing.T) {
	eachStore(t, func(t *testing.T, s ledger.Store, clk *clock) {
		ctx := context.Background()
		var es []mapping.Enterprise
		var os []mapping.Operator
		for i := range 23 {
			es = append(es, enterprise(i))
			os = append(os, operator(i, i%3, "0102"), operator(i, i%3, "0201"), operator(i, (i+1)%3, "0102"))
		}
		if _, err := s.UpsertEnterprises(ctx, inputs(es...)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.UpsertOperators(ctx, ops(os...)); err != nil {
			t.Fatal(err)
		}
		for _, size := range []int{1, 2, 7, 100} {
			var usccs []string
			for after := ""; ; {
				batch, err := s.EnterpriseFieldsAfter(ctx, after, size)
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range batch {
					usccs = append(usccs, e.USCC)
				}
				if len(batch) < size {
					break
				}
				after = batch[len(batch)-1].USCC
			}
			if len(usccs) != len(es) || !sort.StringsAreSorted(usccs) || len(slices.Compact(slices.Clone(usccs))) != len(es) {
				t.Errorf("batches of %d: %d enterprises in order %v, want %d once each", size, len(usccs), sort.StringsAreSorted(usccs), len(es))
			}
			var keys []string
			for after := (mapping.OperatorKey{}); ; {
				batch, err := s.OperatorsAfter(ctx, after, size)
				if err != nil {
					t.Fatal(err)
				}
				for _, o := range batch {
					keys = append(keys, o.IDNumber+"|"+o.EnterpriseUSCC+"|"+o.ItemCode)
				}
				if len(batch) < size {
					break
				}
				after = batch[len(batch)-1].Key()
			}
			if len(keys) != len(os) || !sort.StringsAreSorted(keys) || len(slices.Compact(slices.Clone(keys))) != len(os) {
				t.Errorf("batches of %d: %d roster entries (sorted %v), want %d once each", size, len(keys), sort.StringsAreSorted(keys), len(os))
			}
		}
	})
}
