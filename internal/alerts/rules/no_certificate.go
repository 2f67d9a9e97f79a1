package rules

import (
	"fmt"

	"streetsync/internal/alerts/notify"
	"streetsync/mapping"
)

// NO_CERTIFICATE: no certificate at all for the ID number (无证上岗).
var noCertificate = certificateRule(CertificateRule{
	Rule:  Rule{Code: "NO_CERTIFICATE", Name: "无证上岗", Severity: notify.SeverityCritical, Colour: "#b91c1c", Order: 10},
	Stack: Critical,
	When: func(f *Facts) (*mapping.Certificate, bool) {
		return nil, len(f.Certs) == 0
	},
	Message: func(f *Facts, _ *mapping.Certificate) string {
		return fmt.Sprintf("无证上岗：%s的%s从事%s，未查到其任何特种作业操作证。请督促企业立即停止其特种作业，取得操作证后方可上岗",
			f.Enterprise(), f.Person(), f.Item)
	},
})
