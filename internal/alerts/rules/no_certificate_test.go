package rules_test

import (
	"testing"

	. "streetsync/internal/alerts/alertstest"
	"streetsync/mapping"
)

func TestNoCertificate(t *testing.T) {
	id := ID(1)
	checkRules(t, id, []ruleCase{
		{"no certificate at all", nil, []string{"NO_CERTIFICATE"}},
		{"a valid certificate: nothing", []mapping.Certificate{Cert(id)}, nil},
	})
}
