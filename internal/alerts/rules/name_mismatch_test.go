package rules_test

import (
	"testing"

	. "streetsync/internal/alerts/alertstest"
	"streetsync/internal/alerts/rules"
	"streetsync/mapping"
)

func TestNameMismatch(t *testing.T) {
	id := ID(1)
	checkRules(t, id, []ruleCase{
		{"alone", []mapping.Certificate{Cert(id, Holder("张叁"))}, []string{"NAME_MISMATCH"}},
		{"beside a critical", []mapping.Certificate{Cert(id, Holder("李四"), ValidUntil("2026-01-01"))}, []string{"CERT_EXPIRED", "NAME_MISMATCH"}},
		{"beside both warnings", []mapping.Certificate{Cert(id, Holder("李四"), ValidUntil("2026-04-01"), ReviewDue("2026-03-15"))}, []string{"EXPIRING_SOON", "REVIEW_DUE_SOON", "NAME_MISMATCH"}},
		{"beside ITEM_MISMATCH", []mapping.Certificate{Cert(id, Item("0201", "熔化焊接与热切割作业"), Holder("李四"))}, []string{"ITEM_MISMATCH", "NAME_MISMATCH"}},
		{"names equal after removing white space", []mapping.Certificate{Cert(id, Holder("张 三"))}, nil},
		{"names equal after folding full-width and ideographic spaces", []mapping.Certificate{Cert(id, Holder("　张三　"))}, nil},
	})
}

func TestNameMismatchNormalizesMiddleDots(t *testing.T) {
	id := ID(2)
	e := Entry(id)
	e.Operator.Name = "阿卜杜・热合曼" // katakana middle dot, as typed on many phones
	for _, name := range []string{"阿卜杜·热合曼", "阿卜杜•热合曼", "阿卜杜 · 热合曼"} {
		if got := rulesOf(rules.EvaluateCertificates(&e, []mapping.Certificate{Cert(id, Holder(name))}, today, rules.Config{})); len(got) != 0 {
			t.Errorf("holder %q: got %v, want no alert", name, got)
		}
	}
}
