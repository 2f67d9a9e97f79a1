package rules_test

import (
	"testing"

	. "streetsync/internal/alerts/alertstest"
	"streetsync/mapping"
)

func TestReviewDueSoon(t *testing.T) {
	id := ID(1)
	checkRules(t, id, []ruleCase{
		{"review due today (not yet overdue)", []mapping.Certificate{Cert(id, ReviewDue("2026-03-02"))}, []string{"REVIEW_DUE_SOON"}},
		{"same validUntil: the latest reviewDueDate decides", []mapping.Certificate{
			Cert(id, ReviewDue("2026-03-10")), Cert(id, ReviewDue("2028-01-01"))}, nil},
	})
}
