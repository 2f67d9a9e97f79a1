package rules_test

import (
	"testing"

	. "streetsync/internal/alerts/alertstest"
	"streetsync/mapping"
)

func TestCertExpired(t *testing.T) {
	id := ID(1)
	checkRules(t, id, []ruleCase{
		{"status VALID but validUntil yesterday", []mapping.Certificate{Cert(id, ValidUntil("2026-03-01"))}, []string{"CERT_EXPIRED"}},
		{"status EXPIRED, validUntil in the future", []mapping.Certificate{Cert(id, Status(mapping.CertExpired))}, []string{"CERT_EXPIRED"}},
		{"before REVIEW_OVERDUE", []mapping.Certificate{Cert(id, ValidUntil("2026-01-01"), ReviewDue("2025-01-01"))}, []string{"CERT_EXPIRED"}},
	})
}
