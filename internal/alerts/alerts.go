// Package alerts owns the certificate alerts of the operator contract (特种作业人员持证预警) and the
// alerts on unhandled high-severity risk alarms: the rules (rules.go, alarms.go), the alert state
// in Redis — firing, delivered where, acknowledged, escalated, silenced, resolved, and each alert's
// history (state.go, the one owner of the {alerts} key family) — and the check run that evaluates
// the roster, moves the state machine and delivers one message per community per channel
// (check.go). How a message is said on each channel is package notify's business.
//
// Everything this package needs from the ledger and the retry queue is a small interface declared
// here (sources.go); the wiring adapts the real things to them.
package alerts

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"

	"streetsync/internal/alerts/notify"
)

// Rule names, as the contract spells them.
const (
	RuleNoCertificate  = "NO_CERTIFICATE"
	RuleItemMismatch   = "ITEM_MISMATCH"
	RuleCertInvalid    = "CERT_INVALID"
	RuleCertExpired    = "CERT_EXPIRED"
	RuleReviewOverdue  = "REVIEW_OVERDUE"
	RuleExpiringSoon   = "EXPIRING_SOON"
	RuleReviewDueSoon  = "REVIEW_DUE_SOON"
	RuleNameMismatch   = "NAME_MISMATCH"
	RuleAlarmUnhandled = "ALARM_UNHANDLED"
)

// Rules lists every rule in the contract's order, ALARM_UNHANDLED last.
var Rules = []string{
	RuleNoCertificate, RuleItemMismatch, RuleCertInvalid, RuleCertExpired, RuleReviewOverdue,
	RuleExpiringSoon, RuleReviewDueSoon, RuleNameMismatch, RuleAlarmUnhandled,
}

// certificateRules are the rules a roster evaluation decides; a check run that evaluated the
// roster may resolve their alerts, and only then.
func certificateRule(rule string) bool { return rule != RuleAlarmUnhandled }

// Alert is one alert as every output shows it (the webhook's alert object).
type Alert = notify.Alert

// Finding is one alert a rule raised on one evaluation: what will be shown, plus what identifies
// it. The raw key carries the whole ID number and never leaves this package.
type Finding struct {
	Alert Alert
	raw   string // rule|ID number|USCC|item code (alarms: rule|alarm id|USCC|)
	idh   string // IDHash of the ID number, for silences by person; "" for alarms
	fp    string // fingerprint of the alert's material state: a change re-delivers and clears acks
}

// RawKey joins an alert's identity: (rule, ID number, enterprise USCC, item code).
func RawKey(rule, idNumber, uscc, itemCode string) string {
	return rule + "|" + idNumber + "|" + uscc + "|" + itemCode
}

// KeyOf is an alert's public key: the first 16 hex digits of the SHA-256 of its raw key. It is
// what people see and type (alerts ack KEY), stable across runs, and carries no ID number. The
// console can compute it from a roster row to find the row's alerts.
func KeyOf(rule, idNumber, uscc, itemCode string) string {
	return publicKey(RawKey(rule, idNumber, uscc, itemCode))
}

func publicKey(raw string) string {
	sum := sha256.Sum256([]byte(raw))
	return hex.EncodeToString(sum[:8])
}

// IDHash stands for an ID number where a silence matches a person without storing the number:
// the first 16 hex digits of the SHA-256 of "id|" and the number (upper-case X).
func IDHash(idNumber string) string {
	sum := sha256.Sum256([]byte("id|" + strings.ToUpper(strings.TrimSpace(idNumber))))
	return hex.EncodeToString(sum[:8])
}

// Clock tells the time; tests inject a fake one.
type Clock interface {
	Now() time.Time
}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }
