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

// hazardCfg is the hazard rules' configuration in their tests: the contract's defaults, drills
// tracked since 2024-01-01.
var hazardCfg = rules.HazardConfig{DueWithinDays: 7, WarnDaysBeforeQuarterEnd: 15, LaborIntensiveEmployees: 100,
	DrillsTrackSince: D("2024-01-01")}

// openHazard is a street-reported general hazard of USCCA, 待整改, found 2026-02-20, due deadline.
func openHazard(deadline string, changes ...func(*mapping.Hazard)) rules.HazardEntry {
	h := mapping.Hazard{StreetID: "JD20260220-0a1b2c3d", USCC: USCCA, Source: mapping.SourceStreet,
		Level: mapping.HazardGeneral, Description: "配电箱未上锁", FoundOn: D("2026-02-20"), Deadline: D(deadline),
		Status: mapping.HazardPending}
	for _, c := range changes {
		c(&h)
	}
	return rules.HazardEntry{Hazard: h, EnterpriseName: "晋江市灵源示例鞋业有限公司", Community: "林格社区"}
}

func major(h *mapping.Hazard) { h.Level, h.Clause = mapping.HazardMajor, "3-2" }

func status(s mapping.HazardStatus) func(*mapping.Hazard) {
	return func(h *mapping.Hazard) { h.Status = s }
}

// hazardCase is one case of a hazard rule's test: the hazard, the day, the rules that fire.
type hazardCase struct {
	name  string
	entry rules.HazardEntry
	day   string
	want  []string
}

func checkHazardRules(t *testing.T, cases []hazardCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fs := rules.EvaluateHazard(&tc.entry, D(tc.day), hazardCfg)
			if got := rulesOf(fs); !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
			for _, f := range fs {
				checkHazardFinding(t, f)
				if f.Alert.Hazard == nil || f.Alert.Hazard.ID != tc.entry.Hazard.Key() || f.Alert.Operator != nil {
					t.Errorf("%s: alert object %+v, want the hazard %s and no operator", f.Alert.Rule, f.Alert.Hazard, tc.entry.Hazard.Key())
				}
				if f.Alert.Key != rules.KeyOf(f.Alert.Rule, "", tc.entry.Hazard.USCC, tc.entry.Hazard.Key()) {
					t.Errorf("%s: key %s is not (rule, hazard)", f.Alert.Rule, f.Alert.Key)
				}
			}
		})
	}
}

// enterpriseCase is one case of an enterprise rule's test.
type enterpriseCase struct {
	name  string
	entry rules.EnterpriseEntry
	day   string
	cfg   *rules.HazardConfig // nil: hazardCfg
	want  []string
}

func checkEnterpriseRules(t *testing.T, fam rules.Family, cases []enterpriseCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := hazardCfg
			if tc.cfg != nil {
				cfg = *tc.cfg
			}
			fs := rules.EvaluateEnterprise(fam, &tc.entry, D(tc.day), cfg)
			if got := rulesOf(fs); !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
			for _, f := range fs {
				checkHazardFinding(t, f)
				if f.Alert.Community != tc.entry.Community || f.Alert.Enterprise.USCC != tc.entry.USCC {
					t.Errorf("%s: routed to %q for %s", f.Alert.Rule, f.Alert.Community, f.Alert.Enterprise.USCC)
				}
			}
		})
	}
}

// checkHazardFinding: the finding carries its rule, its message names the rule and says what to
// do (请…), and it has a key and a fingerprint.
func checkHazardFinding(t *testing.T, f rules.Finding) {
	t.Helper()
	r, ok := rules.Lookup(f.Alert.Rule)
	if !ok || f.Alert.RuleName != r.Name || f.Alert.Severity != r.Severity || f.Family != r.Family {
		t.Errorf("%s: the finding does not carry its rule: %+v", f.Alert.Rule, f.Alert)
	}
	if !strings.Contains(f.Alert.Message, r.Name+"：") || !strings.Contains(f.Alert.Message, "请") {
		t.Errorf("%s: message %q should name the rule and say what to do", r.Code, f.Alert.Message)
	}
	if f.Fingerprint == "" || len(f.Alert.Key) != 16 {
		t.Errorf("%s: fingerprint %q key %q", r.Code, f.Fingerprint, f.Alert.Key)
	}
}

// keyEnterprise is an enterprise in operation with a key type in 林格社区.
func keyEnterprise(changes ...func(*rules.EnterpriseEntry)) rules.EnterpriseEntry {
	e := rules.EnterpriseEntry{USCC: USCCA, Name: "晋江市灵源示例鞋业有限公司", Community: "林格社区",
		Status: mapping.StatusOperating, KeyRisk: true, Employees: 40}
	for _, c := range changes {
		c(&e)
	}
	return e
}
