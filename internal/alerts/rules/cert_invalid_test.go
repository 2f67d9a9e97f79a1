package rules_test

import (
	"testing"

	. "streetsync/internal/alerts/alertstest"
	"streetsync/mapping"
)

func TestCertInvalid(t *testing.T) {
	id := ID(1)
	checkRules(t, id, []ruleCase{
		{"suspended", []mapping.Certificate{Cert(id, Status(mapping.CertSuspended))}, []string{"CERT_INVALID"}},
		{"revoked", []mapping.Certificate{Cert(id, Status(mapping.CertRevoked))}, []string{"CERT_INVALID"}},
		{"cancelled", []mapping.Certificate{Cert(id, Status(mapping.CertCancelled))}, []string{"CERT_INVALID"}},
		{"before CERT_EXPIRED: revoked and past validUntil", []mapping.Certificate{Cert(id, Status(mapping.CertRevoked), ValidUntil("2025-01-01"))}, []string{"CERT_INVALID"}},
		{"not valid yet (interpretation)", []mapping.Certificate{Cert(id, ValidFrom("2026-03-03"))}, []string{"CERT_INVALID"}},
		{"unknown status (interpretation)", []mapping.Certificate{Cert(id, Status("PENDING"))}, []string{"CERT_INVALID"}},
		{"several invalid: the latest validUntil decides", []mapping.Certificate{
			Cert(id, Status(mapping.CertExpired), ValidUntil("2025-01-01")), Cert(id, Status(mapping.CertSuspended), ValidUntil("2030-01-01"))}, []string{"CERT_INVALID"}},
		{"no warning beside a critical", []mapping.Certificate{Cert(id, Status(mapping.CertSuspended), ValidUntil("2026-04-01"))}, []string{"CERT_INVALID"}},
	})
}
