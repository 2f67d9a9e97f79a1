package rules_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	. "streetsync/internal/alerts/alertstest"
	"streetsync/internal/alerts/rules"
	"streetsync/mapping"
)

var t0 = time.Date(2026, 3, 2, 8, 0, 0, 0, Shanghai)

// today is the evaluation day of the rule tests.
var today = D("2026-03-02")

// ruleCase is one case of a rule's test: the person's certificates and the rules that fire, in
// order.
type ruleCase struct {
	name  string
	certs []mapping.Certificate
	want  []string
}

// checkRules evaluates each case for Entry(id) on today (a 60-day window) and compares the rules
// that fire; every finding must also read as the contract asks (checkFinding).
func checkRules(t *testing.T, id string, cases []ruleCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := Entry(id)
			fs := rules.EvaluateCertificates(&e, tc.certs, today, rules.Config{ExpiringWithinDays: 60})
			if got := rulesOf(fs); !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
			for _, f := range fs {
				checkFinding(t, f, id)
			}
		})
	}
}

// checkFinding: the message starts with the rule's Chinese name and says what to do, and nothing
// shown carries the whole ID number.
func checkFinding(t *testing.T, f rules.Finding, id string) {
	t.Helper()
	r, ok := rules.Lookup(f.Alert.Rule)
	if !ok || f.Alert.RuleName != r.Name || f.Alert.Severity != r.Severity || f.Family != r.Family {
		t.Errorf("%s: the finding does not carry its rule: %+v", f.Alert.Rule, f.Alert)
	}
	if !strings.HasPrefix(f.Alert.Message, r.Name+"：") || !strings.Contains(f.Alert.Message, "请") {
		t.Errorf("%s: message %q should start with the rule's name and say what to do", r.Code, f.Alert.Message)
	}
	if id != "" && strings.Contains(f.Alert.Message, id) {
		t.Errorf("%s: message carries the whole ID number: %q", r.Code, f.Alert.Message)
	}
	if f.Fingerprint == "" || len(f.Alert.Key) != 16 {
		t.Errorf("%s: fingerprint %q key %q", r.Code, f.Fingerprint, f.Alert.Key)
	}
}

func rulesOf(fs []rules.Finding) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Alert.Rule
	}
	return out
}
