package specialops

import (
	"context"
	"net/http"
	"testing"
	"time"

	"streetsync/mapping"
	"streetsync/mocks/dataset"
	mockso "streetsync/mocks/specialops"
)

// mockFixture answers with the stateful mock system's Responder on the fixture's clock, so that
// the unit tests and the integration tests never disagree about the system.
func mockFixture(t *testing.T, opts ...Option) (*fixture, *mockso.Platform) {
	t.Helper()
	f := newFixture(t, opts...)
	f.clk.Advance(time.Date(2026, 1, 15, 9, 0, 0, 0, mapping.Beijing()).Sub(f.clk.Now()))
	p, err := mockso.New(mockso.Config{BasePath: testPrefix, Clients: []mockso.Client{{ID: testID, Secret: testSecret}},
		Now: f.clk.Now, Seed: 5, RatePerSecond: -1})
	if err != nil {
		t.Fatal(err)
	}
	ds, err := dataset.Generate(dataset.Params{Seed: 9, Enterprises: 60, Reference: dataset.Date(2026, 1, 15)})
	if err != nil {
		t.Fatal(err)
	}
	p.LoadDataset(ds)
	f.mt.RegisterNoResponder(f.record(p.Responder()))
	f.mt.RegisterResponder(http.MethodPost, testBase+"/oauth/token", f.record(p.Responder()))
	return f, p
}

// A cursor stored by yesterday's run is older than 24 hours today: the feed restarts from the
// stored since and delivers what changed, token expiry included.
func TestStoredCursorExpiresAfterADay(t *testing.T) {
	f, p := mockFixture(t, WithFeedLimit(100))
	since := f.clk.Now().Add(-30 * 24 * time.Hour)
	seq, pos := f.c.Changes(context.Background(), since, "")
	first := 0
	for _, err := range seq {
		if err != nil {
			t.Fatal(err)
		}
		first++
	}
	if !pos.Done || pos.Cursor == "" || first == 0 {
		t.Fatalf("first run: %d changes, position %+v", first, *pos)
	}

	f.clk.Advance(25 * time.Hour) // the token (1 h) and the cursor (24 h) are both stale now
	certs := p.Certificates()
	c := certs[len(certs)/2]
	if ok, err := p.UpdateCertificate(c.CertNo, c.ItemCode, func(x *mockso.Certificate) { x.Status = "REVOKED" }); !ok || err != nil {
		t.Fatal(ok, err)
	}
	seq, pos2 := f.c.Changes(context.Background(), pos.Since, pos.Cursor)
	var got []mapping.TZCertificate
	for it, err := range seq {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, it)
	}
	if !pos2.Restarted || !pos2.Done {
		t.Errorf("position %+v: the day-old cursor should have expired and the feed restarted", *pos2)
	}
	found := false
	for _, it := range got {
		found = found || (it.CertNo == c.CertNo && it.ItemCode == c.ItemCode && it.Status == "REVOKED")
	}
	if !found {
		t.Errorf("the revocation was not delivered after the restart (%d changes)", len(got))
	}
	if n := len(f.requests("/oauth/token")); n != 2 {
		t.Errorf("%d token requests, want 2 (the first expired after an hour)", n)
	}
}

func TestEmploymentIsIdempotentOnTheMock(t *testing.T) {
	f, p := mockFixture(t)
	today := mapping.DateOf(f.clk.Now())
	var w mapping.TZCertificate
	for _, mc := range p.Certificates() {
		cert, _ := mapping.CertificateFromTZ(mapping.TZCertificate(mc), nil)
		if cert.ValidOn(today) {
			w = mapping.TZCertificate(mc)
			break
		}
	}
	reg := mapping.TZEmployment{CertNo: w.CertNo, ItemCode: w.ItemCode, IDNumber: w.IDNumber, EnterpriseUSCC: "91350582MA2YB1XK3L",
		EnterpriseName: "晋江市灵源鞋材有限公司", StartDate: today.String()}
	_, created, err := f.c.PutEmployment(context.Background(), reg)
	if err != nil || !created {
		t.Fatalf("first: created %v, %v", created, err)
	}
	_, created, err = f.c.PutEmployment(context.Background(), reg)
	if err != nil || created {
		t.Fatalf("again: created %v, %v", created, err)
	}
}
