// Package rules says what fires: the alert rules of the operator contract and the hazard contract,
// as pure functions of one subject on one day — a roster entry against its certificates, a risk
// alarm, the freshness of a job's data, a platform's health. It does no I/O and keeps no state:
// package alerts stores what fires and delivers it, and package reconcile counts uncertified
// operators with the same rules.
//
// A rule is one value carrying its code, Chinese name, severity, colour, message and condition,
// in a file of its own (no_certificate.go, cert_expired.go, …): adding a certificate rule is that
// file and its test. Each rule file registers its rule with a package-level variable (no init
// function), and the registry orders rules by their Order, which is also the precedence among the
// critical certificate rules.
//
// Rules come in families (Family): certificate (one roster entry), alarm (one risk alarm), the
// hazard rules of contracts/hazards.md — hazard (one open hazard), inspection and drill (one
// enterprise; hazard.go) — and system (DATA_STALE, PLATFORM_DOWN). Each family judges its own
// kind of subject from data of its own freshness and fills its own object of the alert
// (operator/item/certificate, alarm, hazard, system).
package rules

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"

	"streetsync/internal/alerts/notify"
	"streetsync/mapping"
)

// Family is a group of rules that judge one kind of subject from one source of data.
type Family struct {
	Code string // stored with every alert and named in `alerts check`'s "skipped"
	Name string // the rules in Chinese: 持证预警
	Data string // the data they judge, in Chinese: 证书数据 ("" when they judge no synced data)
	Job  string // the sync job that keeps that data fresh ("" when none)
}

// The families.
var (
	Certificate = Family{Code: "certificate", Name: "持证预警", Data: "证书数据", Job: "certificates"}
	Alarm       = Family{Code: "alarm", Name: "报警预警", Data: "报警数据", Job: "alarms"}
	System      = Family{Code: "system", Name: "系统预警"}
)

// Families lists every family, in listing order.
func Families() []Family { return []Family{Certificate, Alarm, Hazard, Inspection, Drill, System} }

// FamilyOf returns the family with that code.
func FamilyOf(code string) (Family, bool) {
	for _, f := range Families() {
		if f.Code == code {
			return f, true
		}
	}
	return Family{}, false
}

// Rule is what every alert rule carries.
type Rule struct {
	Code     string // as the contract spells it: NO_CERTIFICATE
	Name     string // in Chinese: 无证上岗
	Severity string // notify.SeverityCritical or notify.SeverityWarning
	Family   Family
	// Colour is the rule's colour in the console's charts and legends (a CSS colour).
	Colour string
	// Order places the rule in listings; among the critical certificate rules it is also the
	// precedence (the first that applies is the one that fires).
	Order int
}

// registry holds every rule, ordered by Order. It is filled while the package's variables are
// initialized (each rule file registers its rule) and only read after.
var registry []Rule

// register adds a rule to the registry and returns it.
func register(r Rule) Rule {
	if r.Code == "" || r.Name == "" || r.Colour == "" || r.Family.Code == "" ||
		(r.Severity != notify.SeverityCritical && r.Severity != notify.SeverityWarning) {
		panic("rules: incomplete rule " + r.Code) // a programming error in a rule file, caught by any test
	}
	i, _ := slices.BinarySearchFunc(registry, r.Order, func(x Rule, o int) int { return x.Order - o })
	registry = slices.Insert(registry, i, r)
	return r
}

// All returns every rule, in listing order.
func All() []Rule { return slices.Clone(registry) }

// Codes returns every rule's code, in listing order.
func Codes() []string {
	out := make([]string, len(registry))
	for i, r := range registry {
		out[i] = r.Code
	}
	return out
}

// Lookup returns the rule with that code.
func Lookup(code string) (Rule, bool) {
	for _, r := range registry {
		if r.Code == code {
			return r, true
		}
	}
	return Rule{}, false
}

// Find returns the rule a person names: its code in any case (cert_expired) or its Chinese name
// (证书过期), as the CLI and the console accept either.
func Find(s string) (Rule, bool) {
	s = strings.TrimSpace(s)
	for _, r := range registry {
		if strings.EqualFold(r.Code, s) || r.Name == s {
			return r, true
		}
	}
	return Rule{}, false
}

// Name is a rule's Chinese name (the code itself for an unknown rule).
func Name(code string) string {
	if r, ok := Lookup(code); ok {
		return r.Name
	}
	return code
}

// Config is what the rules take from the configuration.
type Config struct {
	// ExpiringWithinDays is N of "within N days" (alerts.expiringWithinDays).
	ExpiringWithinDays int
}

// Finding is one alert a rule raised on one evaluation: what is shown (every ID number masked),
// plus what identifies and compares it. The whole ID and certificate numbers it was raised from
// are carried only as hashes.
type Finding struct {
	Alert  notify.Alert
	Family Family
	Order  int // the rule's Order
	// IDHash stands for the person's ID number (silences and searches by person, or by a whole
	// certificate number, which contains it); "" for alerts about no person.
	IDHash string
	// Fingerprint hashes the alert's material state: a change re-delivers it and clears its
	// acknowledgement; what it only shows (an enterprise's name, the wording) is left out.
	Fingerprint string
	// EscalateNow sends a critical alert to the escalation channels as soon as it fires
	// (MAJOR_HAZARD_OPEN), not after alerts.escalateAfter.
	EscalateNow bool
}

func newFinding(r Rule, a notify.Alert) Finding {
	a.Rule, a.RuleName, a.Severity, a.Status = r.Code, r.Name, r.Severity, notify.StatusFiring
	return Finding{Alert: a, Family: r.Family, Order: r.Order}
}

// RawKey joins an alert's identity: (rule, ID number, enterprise USCC, item code). Alarm and
// system alerts put their subject where it fits (the alarm id; the system's subject as item).
// It carries the whole ID number and never leaves the engine: KeyOf hashes it.
func RawKey(rule, idNumber, uscc, itemCode string) string {
	return rule + "|" + idNumber + "|" + uscc + "|" + itemCode
}

// KeyOf is an alert's public key: the first 16 hex digits of the SHA-256 of its raw key. It is
// what people see and type (alerts ack KEY), stable across runs, and carries no ID number.
func KeyOf(rule, idNumber, uscc, itemCode string) string {
	sum := sha256.Sum256([]byte(RawKey(rule, idNumber, uscc, itemCode)))
	return hex.EncodeToString(sum[:8])
}

// IDHash stands for an ID number where a silence or a search matches a person without storing
// the number: the first 16 hex digits of the SHA-256 of "id|" and the number (upper-case X).
func IDHash(idNumber string) string {
	sum := sha256.Sum256([]byte("id|" + strings.ToUpper(strings.TrimSpace(idNumber))))
	return hex.EncodeToString(sum[:8])
}

// fnv is the FNV-1a hash fingerprints are made with: each field followed by a zero byte.
type fnv uint64

func newFNV() fnv { return 14695981039346656037 }

func (h *fnv) add(s string) {
	v := uint64(*h)
	for i := 0; i < len(s); i++ {
		v = (v ^ uint64(s[i])) * 1099511628211
	}
	*h = fnv(v * 1099511628211)
}

func (h fnv) String() string { return strconv.FormatUint(uint64(h), 16) }

// nameKey is the form NAME_MISMATCH compares names in (mapping owns the normalization).
func nameKey(s string) string { return mapping.NameMatchKey(s) }
