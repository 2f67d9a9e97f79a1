package rules

import (
	"slices"

	"streetsync/internal/alerts/notify"
	"streetsync/mapping"
	"streetsync/mapping/mask"
)

// RosterEntry is one roster entry with what its alerts show about its enterprise.
type RosterEntry struct {
	Operator       mapping.Operator
	EnterpriseName string
	Community      string // 所属社区 of the enterprise; routes the alert
	ItemName       string // 操作项目 name from the catalog; "" falls back to the certificate's
}

// Stack says how a certificate rule combines with the others (the contract: "rules do not
// stack").
type Stack int

const (
	// Critical: at most one per entry, the first (by Order) that applies.
	Critical Stack = iota
	// Warning: only when no critical rule applies; any number of them.
	Warning
	// Alone: whatever else fires.
	Alone
)

// CertificateRule is a rule of the certificate family: it judges one on-duty roster entry
// against the certificates of its ID number, on one day.
type CertificateRule struct {
	Rule
	Stack Stack
	// When says whether the rule fires and which certificate its alert shows (nil: none).
	When func(f *Facts) (shown *mapping.Certificate, fires bool)
	// Message is the rule's sentence: what is wrong, with whom, and what to do about it. shown is
	// When's certificate. ID and certificate numbers appear masked only.
	Message func(f *Facts, shown *mapping.Certificate) string
	// Fingerprint adds what else, beyond the certificate shown, makes two findings the same
	// alert (optional).
	Fingerprint func(f *Facts, shown *mapping.Certificate, add func(string))
}

// certificateRules are the registered certificate rules, ordered by Order.
var certificateRules []*CertificateRule

// certificateRule registers a certificate rule (a rule file's package-level variable).
func certificateRule(r CertificateRule) *CertificateRule {
	if r.When == nil || r.Message == nil {
		panic("rules: certificate rule " + r.Code + " needs When and Message")
	}
	r.Family = Certificate
	r.Rule = register(r.Rule)
	p := &r
	i, _ := slices.BinarySearchFunc(certificateRules, r.Order, func(x *CertificateRule, o int) int { return x.Order - o })
	certificateRules = slices.Insert(certificateRules, i, p)
	return p
}

// Facts are what the certificate rules judge an entry by.
type Facts struct {
	Entry *RosterEntry
	// Certs are every certificate of the person, for any item.
	Certs []mapping.Certificate
	// Best is the best certificate for the roster's item (nil: none for it): a valid one before
	// an invalid one, then the latest validUntil, then the latest reviewDueDate.
	Best *mapping.Certificate
	// Named is the certificate whose holder name NAME_MISMATCH compares: Best, or — when none is
	// for the item — the person's best certificate of any item (all carry the same holder).
	Named *mapping.Certificate
	// Item is the name of the roster's operation item.
	Item   string
	Day    mapping.Date
	Config Config
}

// Enterprise is the entry's enterprise name.
func (f *Facts) Enterprise() string { return f.Entry.EnterpriseName }

// Person is "张三（350582********123X）".
func (f *Facts) Person() string { return person(f.Entry.Operator.Name, f.Entry.Operator.IDNumber) }

// Expired: the certificate's validUntil is past, or its status EXPIRED. A VALID status past its
// validUntil is expired all the same: the system's nightly status batch lags (special-ops.md).
func (f *Facts) Expired(c *mapping.Certificate) bool {
	return c.Status == mapping.CertExpired || (!c.ValidUntil.IsZero() && c.ValidUntil.Before(f.Day))
}

// ReviewOverdue: reviewDueDate is past and lastReviewDate is empty or before it.
func (f *Facts) ReviewOverdue(c *mapping.Certificate) bool {
	if c.ReviewDueDate.IsZero() || !c.ReviewDueDate.Before(f.Day) {
		return false
	}
	return c.LastReviewDate.IsZero() || c.LastReviewDate.Before(c.ReviewDueDate)
}

// Within: today ≤ d ≤ today + expiringWithinDays, inclusive.
func (f *Facts) Within(d mapping.Date) bool {
	return !d.IsZero() && !d.Before(f.Day) && !d.After(f.Day.AddDays(f.Config.ExpiringWithinDays))
}

// Revoked: status SUSPENDED, REVOKED or CANCELLED.
func Revoked(c *mapping.Certificate) bool {
	return c.Status == mapping.CertSuspended || c.Status == mapping.CertRevoked || c.Status == mapping.CertCancelled
}

// EvaluateCertificates applies the certificate rules to one roster entry on day (a date in
// schedule.timezone), against certs, the certificates of the entry's ID number:
//
//   - at most one critical alert, the first that applies in the order NO_CERTIFICATE,
//     ITEM_MISMATCH, CERT_INVALID, CERT_EXPIRED, REVIEW_OVERDUE;
//   - EXPIRING_SOON and REVIEW_DUE_SOON (both may fire) only when no critical one does;
//   - NAME_MISMATCH on its own, whatever else fires.
//
// It does not look at whether the entry is on duty; the caller does.
func EvaluateCertificates(e *RosterEntry, certs []mapping.Certificate, day mapping.Date, cfg Config) []Finding {
	return AppendCertificateFindings(nil, e, certs, day, cfg)
}

// AppendCertificateFindings is EvaluateCertificates appending to out (a check reuses one buffer
// for every entry).
func AppendCertificateFindings(out []Finding, e *RosterEntry, certs []mapping.Certificate, day mapping.Date, cfg Config) []Finding {
	f := Facts{Entry: e, Certs: certs, Day: day, Config: cfg}
	op := &e.Operator
	for i := range certs {
		c := &certs[i]
		if c.ItemCode == op.ItemCode && (f.Best == nil || better(c, f.Best, day)) {
			f.Best = c
		}
	}
	f.Named = f.Best
	if f.Named == nil {
		for i := range certs {
			if f.Named == nil || better(&certs[i], f.Named, day) {
				f.Named = &certs[i]
			}
		}
	}
	f.Item = e.ItemName
	if f.Item == "" && f.Best != nil {
		f.Item = f.Best.ItemName
	}
	if f.Item == "" {
		f.Item = op.ItemCode
	}
	critical := false
	for _, r := range certificateRules {
		if r.Stack != Critical {
			continue
		}
		if c, ok := r.When(&f); ok {
			out = append(out, r.finding(&f, c))
			critical = true
			break
		}
	}
	for _, r := range certificateRules {
		if r.Stack == Critical || (r.Stack == Warning && critical) {
			continue
		}
		if c, ok := r.When(&f); ok {
			out = append(out, r.finding(&f, c))
		}
	}
	return out
}

func (r *CertificateRule) finding(f *Facts, c *mapping.Certificate) Finding {
	op := &f.Entry.Operator
	fd := newFinding(r.Rule, notify.Alert{
		Key:        KeyOf(r.Code, op.IDNumber, op.EnterpriseUSCC, op.ItemCode),
		Community:  f.Entry.Community,
		Enterprise: notify.Enterprise{USCC: op.EnterpriseUSCC, Name: f.Entry.EnterpriseName},
		Operator:   &notify.Operator{Name: op.Name, IDNumber: mask.ID(op.IDNumber)},
		Item:       &notify.Item{Code: op.ItemCode, Name: f.Item},
		Message:    r.Message(f, c),
	})
	fd.IDHash = IDHash(op.IDNumber)
	h := newFNV()
	h.add(r.Code)
	if c != nil {
		fd.Alert.Certificate = &notify.Certificate{
			CertNo: mask.CertNo(c.CertNo), Status: c.Status, ValidUntil: c.ValidUntil, ReviewDueDate: c.ReviewDueDate,
		}
		// The deciding certificate's identity, status and dates.
		for _, s := range []string{c.CertNo, c.ItemCode, string(c.Status), c.ValidFrom.String(), c.ValidUntil.String(),
			c.ReviewDueDate.String(), c.LastReviewDate.String()} {
			h.add(s)
		}
	}
	if r.Fingerprint != nil {
		r.Fingerprint(f, c, h.add)
	}
	fd.Fingerprint = h.String()
	return fd
}

// better reports whether a is a better certificate than b on day: valid before invalid, then the
// latest validUntil, then the latest reviewDueDate. The remaining ties are broken by the latest
// lastReviewDate and the certificate number, so that the choice does not depend on the order the
// ledger returns them in (a flip would look like a change of the alert).
func better(a, b *mapping.Certificate, day mapping.Date) bool {
	if va, vb := a.ValidOn(day), b.ValidOn(day); va != vb {
		return va
	}
	if a.ValidUntil != b.ValidUntil {
		return b.ValidUntil.Before(a.ValidUntil)
	}
	if a.ReviewDueDate != b.ReviewDueDate {
		return b.ReviewDueDate.Before(a.ReviewDueDate)
	}
	if a.LastReviewDate != b.LastReviewDate {
		return b.LastReviewDate.Before(a.LastReviewDate)
	}
	return a.CertNo > b.CertNo
}
