package main

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"streetsync/internal/reconcile"
	"streetsync/mapping"
)

// The streamed report is byte for byte what the encoder writes: the same names, omissions,
// empty and nil lists, nested objects, times, and text left unescaped.
func TestStreamJSONWritesWhatTheEncoderWrites(t *testing.T) {
	since := time.Date(2026, 11, 28, 8, 0, 0, 0, mapping.Beijing())
	full := reconcileOutput{
		Report: &reconcile.Report{
			Enterprises: &reconcile.EnterpriseReport{
				OnlyInLedger:   []reconcile.LedgerOnly{{USCC: "91350582MA00000011", Name: "晋江市<灵源>&鞋业"}},
				OnlyOnPlatform: []reconcile.PlatformOnly{},
				Different: []reconcile.Difference{{USCC: "91350582MA00000022", Name: "某公司", Fields: []reconcile.FieldDiff{
					{Field: "legalRep", Label: "法定代表人", Ledger: "张三", Platform: "王五", Owner: "street"}}}},
			},
			Operators: &reconcile.OperatorReport{Uncertified: 2, UnknownItems: []reconcile.UnknownItem{},
				UncertifiedPeople: reconcile.PeopleOf(
					reconcile.Uncertified{Name: "李四", IDNumber: "350582********123X", Enterprise: "91350582MA00000011", ItemCode: "0102", Rule: "CERT_EXPIRED", Since: &since},
					reconcile.Uncertified{Name: "王五", IDNumber: "350582********4567", Rule: "NO_CERTIFICATE"})},
			Hazards:     &reconcile.HazardReport{},
			Quarantined: []reconcile.Rejected{{USCC: "bad", Reason: "校验位错误 \"x\""}},
		},
		Applied: &reconcile.Applied{Pushed: 3, NeedsPerson: []reconcile.Attention{{Kind: "enterprise", Key: "k", Reason: "请核实"}}, Failed: []reconcile.Attention{}},
		Files:   []string{"对账.xlsx"},
	}
	for name, v := range map[string]reconcileOutput{"full": full, "empty": {Report: &reconcile.Report{}}, "nil report": {}} {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(v); err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		if err := streamJSON(&got, v); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Errorf("%s: got\n%s\nwant\n%s", name, got.String(), want.String())
		}
	}
}
