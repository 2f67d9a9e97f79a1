package rules

import (
	"fmt"
	"slices"

	"streetsync/internal/alerts/notify"
	"streetsync/mapping"
)

// ITEM_MISMATCH: certificates exist, none for the roster's operation item (证项不符).
var itemMismatch = certificateRule(CertificateRule{
	Rule:  Rule{Code: "ITEM_MISMATCH", Name: "证项不符", Severity: notify.SeverityCritical, Colour: "#e11d48", Order: 20},
	Stack: Critical,
	When: func(f *Facts) (*mapping.Certificate, bool) {
		return nil, len(f.Certs) > 0 && f.Best == nil
	},
	Message: func(f *Facts, _ *mapping.Certificate) string {
		return fmt.Sprintf("证项不符：%s的%s从事%s，但其操作证只有%s，不含该操作项目。请督促企业立即停止其该项作业，取得相应操作证后方可上岗",
			f.Enterprise(), f.Person(), f.Item, heldItems(f.Certs))
	},
	// The items held: a new certificate for another item changes the alert.
	Fingerprint: func(f *Facts, _ *mapping.Certificate, add func(string)) {
		codes := make([]string, len(f.Certs))
		for i := range f.Certs {
			codes[i] = f.Certs[i].ItemCode
		}
		slices.Sort(codes)
		for _, c := range slices.Compact(codes) {
			add(c)
		}
	},
})
