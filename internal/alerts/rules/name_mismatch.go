package rules

import (
	"fmt"

	"streetsync/internal/alerts/notify"
	"streetsync/mapping"
	"streetsync/mapping/mask"
)

// NAME_MISMATCH: the certificate's holder name differs from the roster's, after normalization
// (white space removed, full-width folded, middle dots unified). It compares with the certificate
// that decided, or — when none is for the item — with the person's best certificate of any item.
var nameMismatch = certificateRule(CertificateRule{
	Rule:  Rule{Code: "NAME_MISMATCH", Name: "姓名不一致", Severity: notify.SeverityWarning, Colour: "#a78bfa", Order: 80},
	Stack: Alone,
	When: func(f *Facts) (*mapping.Certificate, bool) {
		c, name := f.Named, f.Entry.Operator.Name
		return c, c != nil && name != "" && c.HolderName != "" && nameKey(name) != nameKey(c.HolderName)
	},
	Message: func(f *Facts, c *mapping.Certificate) string {
		op := &f.Entry.Operator
		return fmt.Sprintf("姓名不一致：%s台账登记的姓名为“%s”（%s），操作证（%s）上的姓名为“%s”。请核实姓名和身份证号，更正台账或提请发证机关更正",
			f.Enterprise(), op.Name, mask.ID(op.IDNumber), maskedCertNo(c), c.HolderName)
	},
	// The two names compared: correcting either changes the alert.
	Fingerprint: func(f *Facts, c *mapping.Certificate, add func(string)) {
		add(nameKey(c.HolderName))
		add(nameKey(f.Entry.Operator.Name))
	},
})
