package rules_test

import (
	"testing"

	. "streetsync/internal/alerts/alertstest"
	"streetsync/mapping"
)

func TestExpiringSoon(t *testing.T) {
	id := ID(1)
	checkRules(t, id, []ruleCase{
		{"valid until today (valid all of that day)", []mapping.Certificate{Cert(id, ValidUntil("2026-03-02"))}, []string{"EXPIRING_SOON"}},
		{"today + 60 is within", []mapping.Certificate{Cert(id, ValidUntil("2026-05-01"))}, []string{"EXPIRING_SOON"}},
		{"today + 61 is not within", []mapping.Certificate{Cert(id, ValidUntil("2026-05-02"))}, nil},
		{"both warnings fire", []mapping.Certificate{Cert(id, ValidUntil("2026-04-01"), ReviewDue("2026-03-15"))}, []string{"EXPIRING_SOON", "REVIEW_DUE_SOON"}},
		{"several valid: the latest validUntil decides", []mapping.Certificate{
			Cert(id, ValidUntil("2026-03-10")), Cert(id, ValidUntil("2029-01-01"))}, nil},
		{"several: a valid one beats a later invalid one", []mapping.Certificate{
			Cert(id, Status(mapping.CertRevoked), ValidUntil("2031-01-01")), Cert(id, ValidUntil("2028-01-01"))}, nil},
	})
}
