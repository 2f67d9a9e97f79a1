package rules_test

import (
	"testing"

	. "streetsync/internal/alerts/alertstest"
	"streetsync/mapping"
)

func TestReviewOverdue(t *testing.T) {
	id := ID(1)
	checkRules(t, id, []ruleCase{
		{"review due yesterday, never reviewed", []mapping.Certificate{Cert(id, ReviewDue("2026-03-01"))}, []string{"REVIEW_OVERDUE"}},
		{"last review before the due date", []mapping.Certificate{Cert(id, ReviewDue("2026-01-01"), LastReview("2023-01-01"))}, []string{"REVIEW_OVERDUE"}},
		{"reviewed on the due date: not overdue", []mapping.Certificate{Cert(id, ReviewDue("2026-01-01"), LastReview("2026-01-01"))}, nil},
	})
}
