package reconcile

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"streetsync/internal/ledger"
	"streetsync/mapping"
	"streetsync/mapping/mask"
	mockqz "streetsync/mocks/quanzhou"
)

// A portal edit that stores a 2 MiB enterprise name (issue 16, finding 2) shows in the report as
// a difference, cut to the field's limit: the report does not carry the megabytes.
func TestAHugePlatformValueIsReportedCut(t *testing.T) {
	f := newFixture(t, "sqlite")
	ctx := context.Background()
	uscc := f.ds.Gaps.Different[0]
	huge := strings.Repeat("名", 2<<20/3)
	f.srv.Quanzhou.EditEnterprise(uscc, func(x *mockqz.Enterprise) { x.Qymc = huge })

	for name, run := range map[string]func() (*Report, error){
		"one enterprise": func() (*Report, error) { rep, _, err := f.rec.Enterprise(ctx, uscc); return rep, err },
		"all":            func() (*Report, error) { rep, _, err := f.rec.Run(ctx, ScopeEnterprises); return rep, err },
	} {
		rep, err := run()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		b, _ := json.Marshal(rep)
		if len(b) > 1<<20 {
			t.Errorf("%s: the report is %d bytes", name, len(b))
		}
		found := false
		for _, d := range rep.Enterprises.Different {
			for _, fd := range d.Fields {
				if d.USCC == uscc && fd.Field == "name" {
					found = true
					if n := utf8.RuneCountInString(fd.Platform); n != 101 || !strings.HasSuffix(fd.Platform, "…") {
						t.Errorf("%s: the platform's name is shown with %d characters, want 100 and …", name, n)
					}
				}
			}
		}
		if !found {
			t.Errorf("%s: the name difference of %s is not reported", name, uscc)
		}
	}
}

// A hazard's text that names a person by ID number shows the number masked in the report (it
// leaves the ledger), whichever side holds it.
func TestHazardDifferencesMaskIDNumbers(t *testing.T) {
	const id = "11010519491231002X"
	rec := &ledger.HazardRecord{Hazard: mapping.Hazard{StreetID: "LY-2026-0001", Description: "电工 " + id + " 无证上岗"}}
	p := &mapping.Hazard{StreetID: "LY-2026-0001", Description: "电工无证上岗（" + id + "）"}
	diffs := HazardDiff(rec, p)
	if len(diffs) != 1 || diffs[0].Field != "description" {
		t.Fatalf("differences %+v, want the description", diffs)
	}
	for _, v := range []string{diffs[0].Ledger, diffs[0].Platform} {
		if strings.Contains(v, id) || !strings.Contains(v, mask.ID(id)) {
			t.Errorf("a difference shows %q, want the ID number masked", v)
		}
	}
}
