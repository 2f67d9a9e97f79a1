package alerts

import (
	"slices"
	"strconv"

	"streetsync/internal/alerts/notify"
	"streetsync/internal/logging"
	"streetsync/mapping"
)

// RuleConfig is what the rules take from the configuration.
type RuleConfig struct {
	// ExpiringWithinDays is N of "within N days" (alerts.expiringWithinDays).
	ExpiringWithinDays int
}

// Evaluate applies the contract's alert rules to one roster entry on day (a date in
// schedule.timezone), against certs, the certificates of the entry's ID number:
//
//   - at most one critical alert, the first that applies in the order NO_CERTIFICATE,
//     ITEM_MISMATCH, CERT_INVALID, CERT_EXPIRED, REVIEW_OVERDUE;
//   - EXPIRING_SOON and REVIEW_DUE_SOON (both may fire) only when no critical one does;
//   - NAME_MISMATCH on its own, whatever else fires.
//
// Where the person holds several certificates for the item, the best one decides: a valid one
// before an invalid one, then the latest validUntil, then the latest reviewDueDate.
//
// One case the contract's table leaves open is closed here on purpose: a best certificate that is
// not valid although none of the five critical rules applies (status VALID but validFrom in the
// future, a missing validUntil, an unknown status) raises CERT_INVALID, so that every entry is
// either validly certified or has a critical alert.
//
// Evaluate does not look at whether the entry is on duty; the caller does.
func Evaluate(e *RosterEntry, certs []mapping.Certificate, day mapping.Date, cfg RuleConfig) []Finding {
	return appendFindings(nil, e, certs, day, cfg)
}

// appendFindings is Evaluate appending to out (the check reuses one buffer for every entry).
func appendFindings(out []Finding, e *RosterEntry, certs []mapping.Certificate, day mapping.Date, cfg RuleConfig) []Finding {
	op := &e.Operator
	var best *mapping.Certificate
	for i := range certs {
		c := &certs[i]
		if c.ItemCode != op.ItemCode {
			continue
		}
		if best == nil || better(c, best, day) {
			best = c
		}
	}
	item := e.ItemName
	if item == "" && best != nil {
		item = best.ItemName
	}
	if item == "" {
		item = op.ItemCode
	}

	add := func(rule string, c *mapping.Certificate) {
		out = append(out, newFinding(rule, e, item, c, certs, day))
	}
	switch {
	case len(certs) == 0:
		add(RuleNoCertificate, nil)
	case best == nil:
		add(RuleItemMismatch, nil)
	default:
		if rule := criticalRule(best, day); rule != "" {
			add(rule, best)
		} else {
			n := cfg.ExpiringWithinDays
			if within(best.ValidUntil, day, n) {
				add(RuleExpiringSoon, best)
			}
			if within(best.ReviewDueDate, day, n) {
				add(RuleReviewDueSoon, best)
			}
		}
	}

	// NAME_MISMATCH compares with the certificate that decided, or — when none is for the item —
	// with the person's best certificate of any item (all of them carry the same holder).
	named := best
	if named == nil {
		for i := range certs {
			if named == nil || better(&certs[i], named, day) {
				named = &certs[i]
			}
		}
	}
	if named != nil && op.Name != "" && named.HolderName != "" &&
		nameKey(op.Name) != nameKey(named.HolderName) {
		add(RuleNameMismatch, named)
	}
	return out
}

// criticalRule returns the critical rule the best certificate raises, or "".
func criticalRule(c *mapping.Certificate, day mapping.Date) string {
	switch {
	case c.Status == mapping.CertSuspended || c.Status == mapping.CertRevoked || c.Status == mapping.CertCancelled:
		return RuleCertInvalid
	case c.Status == mapping.CertExpired || (!c.ValidUntil.IsZero() && c.ValidUntil.Before(day)):
		// A VALID status past its validUntil is expired all the same: the system's nightly
		// status batch lags (special-ops.md).
		return RuleCertExpired
	case reviewOverdue(c, day):
		return RuleReviewOverdue
	case !c.ValidOn(day):
		return RuleCertInvalid
	}
	return ""
}

// reviewOverdue: reviewDueDate is past and lastReviewDate is empty or before it.
func reviewOverdue(c *mapping.Certificate, day mapping.Date) bool {
	if c.ReviewDueDate.IsZero() || !c.ReviewDueDate.Before(day) {
		return false
	}
	return c.LastReviewDate.IsZero() || c.LastReviewDate.Before(c.ReviewDueDate)
}

// within: today ≤ d ≤ today + n, inclusive.
func within(d, today mapping.Date, n int) bool {
	return !d.IsZero() && !d.Before(today) && !d.After(today.AddDays(n))
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

func newFinding(rule string, e *RosterEntry, item string, c *mapping.Certificate, all []mapping.Certificate, day mapping.Date) Finding {
	op := &e.Operator
	raw := RawKey(rule, op.IDNumber, op.EnterpriseUSCC, op.ItemCode)
	a := Alert{
		Key:        publicKey(raw),
		Rule:       rule,
		RuleName:   RuleName(rule),
		Severity:   severity(rule),
		Status:     notify.StatusFiring,
		Community:  e.Community,
		Enterprise: notify.Enterprise{USCC: op.EnterpriseUSCC, Name: e.EnterpriseName},
		Operator:   &notify.Operator{Name: op.Name, IDNumber: logging.MaskID(op.IDNumber)},
		Item:       &notify.Item{Code: op.ItemCode, Name: item},
		Message:    message(rule, e, item, c, all, day),
	}
	if c != nil {
		a.Certificate = &notify.Certificate{
			CertNo:        logging.MaskCertNo(c.CertNo),
			Status:        c.Status,
			ValidUntil:    c.ValidUntil,
			ReviewDueDate: c.ReviewDueDate,
		}
	}
	return Finding{Alert: a, raw: raw, idh: IDHash(op.IDNumber), fp: certFingerprint(rule, e, c, all)}
}

func severity(rule string) string {
	switch rule {
	case RuleExpiringSoon, RuleReviewDueSoon, RuleNameMismatch:
		return notify.SeverityWarning
	}
	return notify.SeverityCritical
}

// certFingerprint hashes what makes an alert "the same alert" for repeats and acknowledgements:
// the deciding certificate's identity, status and dates, the names NAME_MISMATCH compares, and
// for ITEM_MISMATCH the items held. Enterprise names and message wording are left out: renaming
// an enterprise does not un-acknowledge its alerts.
func certFingerprint(rule string, e *RosterEntry, c *mapping.Certificate, all []mapping.Certificate) string {
	// FNV-1a over the fields, each followed by a zero byte.
	h := uint64(14695981039346656037)
	w := func(s string) {
		for i := 0; i < len(s); i++ {
			h = (h ^ uint64(s[i])) * 1099511628211
		}
		h *= 1099511628211
	}
	w(rule)
	if c != nil {
		w(c.CertNo)
		w(c.ItemCode)
		w(string(c.Status))
		w(c.ValidFrom.String())
		w(c.ValidUntil.String())
		w(c.ReviewDueDate.String())
		w(c.LastReviewDate.String())
		if rule == RuleNameMismatch {
			w(nameKey(c.HolderName))
			w(nameKey(e.Operator.Name))
		}
	}
	if rule == RuleItemMismatch {
		codes := make([]string, len(all))
		for i := range all {
			codes[i] = all[i].ItemCode
		}
		slices.Sort(codes)
		for _, code := range slices.Compact(codes) {
			w(code)
		}
	}
	return strconv.FormatUint(h, 16)
}

// nameKey is the form NAME_MISMATCH compares names in: white space removed, full-width folded,
// middle dots unified (mapping owns the normalization).
func nameKey(s string) string { return mapping.NameMatchKey(s) }
