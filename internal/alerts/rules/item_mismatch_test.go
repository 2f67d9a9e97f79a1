package rules_test

import (
	"testing"

	. "streetsync/internal/alerts/alertstest"
	"streetsync/mapping"
)

func TestItemMismatch(t *testing.T) {
	id := ID(1)
	checkRules(t, id, []ruleCase{
		{"certificates, none for the item", []mapping.Certificate{Cert(id, Item("0201", "熔化焊接与热切割作业"))}, []string{"ITEM_MISMATCH"}},
		{"a certificate for another item does not count", []mapping.Certificate{
			Cert(id, Item("0201", "熔化焊接与热切割作业")), Cert(id, ValidUntil("2026-02-01"))}, []string{"CERT_EXPIRED"}},
	})
}
