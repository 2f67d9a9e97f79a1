package specialops_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"streetsync/connectors/httpx"
	"streetsync/connectors/specialops"
	"streetsync/mapping"
	"streetsync/mocks"
	"streetsync/mocks/fault"
	mockso "streetsync/mocks/specialops"
)

// Integration tests: the client against the mock system over loopback, mounted at /tz/share as
// `streetsync mock serve` does.

func startServer(t *testing.T, opts mocks.Options) (*mocks.Server, mocks.Endpoints) {
	t.Helper()
	if testing.Short() {
		t.Skip("integration")
	}
	s, err := mocks.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	ts, ep := s.StartTest()
	t.Cleanup(func() { s.Close(); ts.Close() })
	return s, ep
}

var fastRetry = httpx.RetryPolicy{Attempts: 3, BaseDelay: 10 * time.Millisecond, MaxDelay: 50 * time.Millisecond,
	MaxWait: 2 * time.Second, Budget: 3 * time.Second}

func newClient(t *testing.T, ep mocks.Endpoints, opts ...specialops.Option) *specialops.Client {
	t.Helper()
	cfg := specialops.Config{BaseURL: ep.SpecialOpsBaseURL, ClientID: ep.ClientID, ClientSecret: ep.ClientSecret,
		RateLimit: 10, Burst: 5, Timeout: 5 * time.Second}
	c, err := specialops.New(cfg, zaptest.NewLogger(t), append([]specialops.Option{specialops.WithRetryPolicy(fastRetry)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var tenPercent = fault.Faults{
	InternalError: 0.03, GatewayError: 0.03, DropBefore: 0.015, DropAfter: 0.005, GarbageBody: 0.01, TruncatedBody: 0.01,
	RevokeTokenEvery: 20,
}

func certKey(c mapping.TZCertificate) string { return strings.ToUpper(c.CertNo) + "/" + c.ItemCode }

func TestIntegrationRosterQueryUnderFaults(t *testing.T) {
	f := tenPercent
	f.RevokeTokenEvery = 10
	s, ep := startServer(t, mocks.Options{Seed: 31, Enterprises: 500, Unlimited: true, Faults: f})
	c := newClient(t, ep, specialops.WithRateLimit(0, 0))
	seen := map[string]bool{}
	var ids []string
	for _, op := range s.Dataset.Roster {
		if !seen[op.IDNumber] {
			seen[op.IDNumber] = true
			ids = append(ids, op.IDNumber)
		}
	}
	var items []mapping.TZCertificate
	var notFound []string
	var err error
	for try := 1; try <= 3; try++ { // a query ending in a transient error is run again, as the job does
		if items, notFound, err = c.QueryCertificates(context.Background(), ids); err == nil || httpx.Classify(err) != httpx.KindTransient {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	s.SpecialOps.SetFaults(fault.Faults{})

	holders := map[string]bool{}
	for _, id := range ids {
		holders[strings.ToUpper(id)] = true
	}
	want := map[string]mapping.TZCertificate{}
	for _, mc := range s.SpecialOps.Certificates() {
		if holders[strings.ToUpper(mc.IDNumber)] {
			want[strings.ToUpper(mc.CertNo)+"/"+mc.ItemCode] = mapping.TZCertificate(mc)
		}
	}
	got := map[string]mapping.TZCertificate{}
	for _, it := range items {
		got[certKey(it)] = it
	}
	if len(got) != len(want) {
		t.Errorf("%d certificates, the system holds %d for the roster", len(got), len(want))
	}
	for k, w := range want {
		g, ok := got[k]
		if !ok || g.Status != w.Status || g.ValidUntil != w.ValidUntil || g.UpdatedAt != w.UpdatedAt {
			t.Errorf("%s: got %+v, want %+v", k, g, w)
		}
	}
	if len(notFound) == 0 {
		t.Error("the roster has people without certificates; notFound is empty")
	}
	var failures, revoked int
	for k, n := range s.SpecialOps.Requests() {
		switch {
		case k.Status == http.StatusUnauthorized:
			revoked += n
		case k.Status != http.StatusOK:
			failures += n
		}
	}
	if failures == 0 || revoked == 0 {
		t.Errorf("faults did not happen: %d failures, %d revocations", failures, revoked)
	}
	t.Logf("%d ID numbers, %d certificates, %d not found; the system answered %d failures and %d revocations",
		len(ids), len(items), len(notFound), failures, revoked)
}

func TestIntegrationChangeFeed(t *testing.T) {
	s, ep := startServer(t, mocks.Options{Seed: 32, Enterprises: 100, Unlimited: true})
	s.SpecialOps.SetFaults(fault.Faults{CursorExpired: 0.3, RevokeTokenEvery: 9})
	c := newClient(t, ep, specialops.WithRateLimit(0, 0), specialops.WithFeedLimit(50))
	all := s.SpecialOps.Certificates()
	since, err := time.Parse(time.RFC3339Nano, all[len(all)/2].UpdatedAt)
	if err != nil {
		t.Fatal(err)
	}
	seq, pos := c.Changes(context.Background(), since, "")
	got := map[string]mapping.TZCertificate{}
	for it, err := range seq {
		if err != nil {
			t.Fatal(err)
		}
		got[certKey(it)] = it
	}
	want := 0
	for _, mc := range all {
		u, _ := time.Parse(time.RFC3339Nano, mc.UpdatedAt)
		if u.Before(since) {
			continue
		}
		want++
		if g, ok := got[strings.ToUpper(mc.CertNo)+"/"+mc.ItemCode]; !ok || g.UpdatedAt != mc.UpdatedAt {
			t.Errorf("change %s/%s at %s not delivered", mc.CertNo, mc.ItemCode, mc.UpdatedAt)
		}
	}
	if len(got) != want || !pos.Done || !pos.Restarted || pos.Cursor == "" {
		t.Errorf("%d of %d changes; position %+v", len(got), want, *pos)
	}

	// The next run resumes from the stored cursor and sees only what changed since.
	s.SpecialOps.SetFaults(fault.Faults{})
	changed := all[0]
	if ok, err := s.SpecialOps.UpdateCertificate(changed.CertNo, changed.ItemCode, func(x *mockso.Certificate) { x.Status = "SUSPENDED" }); !ok || err != nil {
		t.Fatal(ok, err)
	}
	seq, pos2 := c.Changes(context.Background(), pos.Since, pos.Cursor)
	var next []mapping.TZCertificate
	for it, err := range seq {
		if err != nil {
			t.Fatal(err)
		}
		next = append(next, it)
	}
	if len(next) != 1 || next[0].Status != "SUSPENDED" || pos2.Restarted || !pos2.Since.After(pos.Since) {
		t.Errorf("resumed feed: %+v, position %+v", next, *pos2)
	}
}

func TestIntegrationEmployments(t *testing.T) {
	s, ep := startServer(t, mocks.Options{Seed: 33, Enterprises: 100, Unlimited: true})
	s.SpecialOps.SetFaults(fault.Faults{DropAfter: 0.2, RevokeTokenEvery: 5})
	c := newClient(t, ep, specialops.WithRateLimit(0, 0))
	today := mapping.DateOf(time.Now().In(mapping.Beijing()))
	var valid, invalid *mapping.TZCertificate
	for _, mc := range s.SpecialOps.Certificates() {
		cert, _ := mapping.CertificateFromTZ(mapping.TZCertificate(mc), nil)
		w := mapping.TZCertificate(mc)
		switch {
		case valid == nil && cert.ValidOn(today):
			valid = &w
		case invalid == nil && !cert.ValidOn(today) && cert.Status == mapping.CertRevoked:
			invalid = &w
		}
	}
	if valid == nil || invalid == nil {
		t.Fatal("the dataset lacks a valid or a revoked certificate")
	}
	uscc := s.Dataset.Ledger[0].USCC
	reg := mapping.TZEmployment{CertNo: valid.CertNo, ItemCode: valid.ItemCode, IDNumber: valid.IDNumber,
		EnterpriseUSCC: uscc, EnterpriseName: s.Dataset.Ledger[0].Name, StartDate: today.String()}

	// A dropped answer after the system stored the registration: the repeat is answered 200, and
	// either way exactly one registration exists.
	stored, _, err := c.PutEmployment(context.Background(), reg)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Status != "ACTIVE" || stored.EnterpriseUSCC != uscc {
		t.Errorf("stored %+v", stored)
	}
	s.SpecialOps.SetFaults(fault.Faults{})
	if _, created, err := c.PutEmployment(context.Background(), reg); err != nil || created {
		t.Errorf("same registration again: created %v, %v", created, err)
	}
	n := 0
	for _, e := range s.SpecialOps.Employments() {
		if strings.EqualFold(e.CertNo, reg.CertNo) && e.ItemCode == reg.ItemCode && e.EnterpriseUSCC == uscc {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d registrations, want 1", n)
	}

	bad := reg
	bad.IDNumber = invalid.IDNumber
	_, _, err = c.PutEmployment(context.Background(), bad)
	checkPermanent(t, err, specialops.ErrHolderMismatch)

	other := reg
	other.CertNo, other.ItemCode, other.IDNumber = invalid.CertNo, invalid.ItemCode, invalid.IDNumber
	_, _, err = c.PutEmployment(context.Background(), other)
	checkPermanent(t, err, specialops.ErrCertificateNotValid)

	missing := reg
	missing.ItemCode = "9999"
	_, _, err = c.PutEmployment(context.Background(), missing)
	checkPermanent(t, err, specialops.ErrCertificateNotFound)

	noName := reg
	noName.EnterpriseName, noName.StartDate = "", "21/05/2024"
	_, _, err = c.PutEmployment(context.Background(), noName)
	checkPermanent(t, err, specialops.ErrValidation)
	var ae *specialops.APIError
	if errors.As(err, &ae) && (ae.Fields["enterpriseName"] == "" || ae.Fields["startDate"] == "") {
		t.Errorf("fields %v", ae.Fields)
	}

	// Ending a registration is accepted whatever became of the certificate.
	end := today.AddDays(30).String()
	ending := reg
	ending.EndDate = &end
	if stored, _, err := c.PutEmployment(context.Background(), ending); err != nil || stored.EndDate == nil || *stored.EndDate != end {
		t.Errorf("ending: %+v, %v", stored, err)
	}
}

func checkPermanent(t *testing.T, err, want error) {
	t.Helper()
	var temp interface{ Temporary() bool }
	if !errors.Is(err, want) || !errors.As(err, &temp) || temp.Temporary() {
		t.Errorf("err = %v, want permanent %v", err, want)
	}
	if err != nil && strings.Contains(err.Error(), "T35") && !strings.Contains(err.Error(), "****") {
		t.Errorf("certificate number unmasked in %q", err)
	}
}
