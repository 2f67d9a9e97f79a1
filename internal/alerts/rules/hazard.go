package rules

import (
	"slices"
	"strconv"
	"time"

	"streetsync/internal/alerts/notify"
	"streetsync/mapping"
)

// The hazard rules of contracts/hazards.md ("Alert rules"): three that judge one open hazard
// (MAJOR_HAZARD_OPEN, HAZARD_OVERDUE, HAZARD_DUE_SOON) and two that judge one enterprise
// (QUARTERLY_CHECK_MISSING, DRILL_OVERDUE). They are three families because each judges data of
// its own freshness: the hazards pulled by `sync hazards`, the inspections pulled by `sync
// inspections`, and the drills the street records itself (no sync: always current).
var (
	Hazard     = Family{Code: "hazard", Name: "隐患预警", Data: "隐患数据", Job: "hazards"}
	Inspection = Family{Code: "inspection", Name: "带队检查预警", Data: "企业检查记录", Job: "inspections"}
	Drill      = Family{Code: "drill", Name: "演练预警", Data: "演练记录"}
)

// HazardConfig is what the hazard rules take from the configuration.
type HazardConfig struct {
	// DueWithinDays is HAZARD_DUE_SOON's window (hazards.dueWithinDays).
	DueWithinDays int
	// WarnDaysBeforeQuarterEnd: QUARTERLY_CHECK_MISSING fires once this many days or fewer remain
	// in the quarter, today counted (inspections.warnDaysBeforeQuarterEnd).
	WarnDaysBeforeQuarterEnd int
	// LaborIntensiveEmployees: from this many employees a drill is due every 6 months
	// (drills.laborIntensiveEmployees).
	LaborIntensiveEmployees int
	// DrillsTrackSince is drills.trackSince; zero: DRILL_OVERDUE is not judged.
	DrillsTrackSince mapping.Date
}

// HazardEntry is one hazard with what its alerts show about its enterprise.
type HazardEntry struct {
	Hazard mapping.Hazard
	// EnterpriseName is the ledger's name of the enterprise (the platform's qymc when the ledger
	// has none; "" when neither is known).
	EnterpriseName string
	// Community routes the alert: the ledger's community of the enterprise (for an enterprise
	// the platform holds alone, the platform's sqmc, which the pull keeps in the ledger).
	Community string
}

// HazardFacts are what the hazard rules judge a hazard by.
type HazardFacts struct {
	Entry  *HazardEntry
	Day    mapping.Date
	Config HazardConfig
}

// Enterprise is the hazard's enterprise name, or its USCC when the name is unknown.
func (f *HazardFacts) Enterprise() string {
	if f.Entry.EnterpriseName != "" {
		return f.Entry.EnterpriseName
	}
	if f.Entry.Hazard.EnterpriseName != "" {
		return f.Entry.Hazard.EnterpriseName
	}
	return f.Entry.Hazard.USCC
}

// Rectifying: 待整改 or 整改中 — the rectification is not done (已整改 waits for verification).
func (f *HazardFacts) Rectifying() bool {
	s := f.Entry.Hazard.Status
	return s == "" || s == mapping.HazardPending || s == mapping.HazardRectifying
}

// Subject is how a message names the hazard: 重大事故隐患 JD20260301-0a1b2c3d（判定依据 3-2）.
func (f *HazardFacts) Subject() string {
	h := &f.Entry.Hazard
	s := levelLabel(h.Level) + " " + h.Key()
	if h.Clause != "" {
		s += "（判定依据 " + h.Clause + "）"
	}
	return s
}

// HazardRule is a rule of the hazard family: it judges one open hazard on one day.
type HazardRule struct {
	Rule
	When    func(f *HazardFacts) bool
	Message func(f *HazardFacts) string
	// EscalateNow sends the alert to the escalation channels as soon as it fires, not after
	// alerts.escalateAfter (MAJOR_HAZARD_OPEN: the street office hears of every major hazard).
	EscalateNow bool
}

var hazardRules []*HazardRule

// hazardRule registers a hazard rule (a rule file's package-level variable).
func hazardRule(r HazardRule) *HazardRule {
	if r.When == nil || r.Message == nil {
		panic("rules: hazard rule " + r.Code + " needs When and Message")
	}
	r.Family = Hazard
	r.Rule = register(r.Rule)
	p := &r
	i, _ := slices.BinarySearchFunc(hazardRules, r.Order, func(x *HazardRule, o int) int { return x.Order - o })
	hazardRules = slices.Insert(hazardRules, i, p)
	return p
}

// EvaluateHazard applies the hazard rules to one hazard on day (a date in schedule.timezone). A
// closed hazard (已销号) raises nothing. Each alert's key is (rule, hazard), the hazard being
// its street identity (lybh, else yhid), so that an alert keeps its key when the hazard is
// pushed and gets its yhid.
func EvaluateHazard(e *HazardEntry, day mapping.Date, cfg HazardConfig) []Finding {
	return AppendHazardFindings(nil, e, day, cfg)
}

// AppendHazardFindings is EvaluateHazard appending to out.
func AppendHazardFindings(out []Finding, e *HazardEntry, day mapping.Date, cfg HazardConfig) []Finding {
	if !e.Hazard.Open() {
		return out
	}
	f := HazardFacts{Entry: e, Day: day, Config: cfg}
	for _, r := range hazardRules {
		if r.When(&f) {
			out = append(out, r.finding(&f))
		}
	}
	return out
}

func (r *HazardRule) finding(f *HazardFacts) Finding {
	h := &f.Entry.Hazard
	status := h.Status
	if status == "" {
		status = mapping.HazardPending
	}
	fd := newFinding(r.Rule, notify.Alert{
		Key:        KeyOf(r.Code, "", h.USCC, h.Key()),
		Community:  f.Entry.Community,
		Enterprise: notify.Enterprise{USCC: h.USCC, Name: f.Enterprise()},
		Hazard: &notify.Hazard{ID: h.Key(), YHID: h.ID, Level: h.Level.Label(), Clause: h.Clause,
			Deadline: h.Deadline, Status: status.Label()},
		Message: r.Message(f),
	})
	fd.EscalateNow = r.EscalateNow
	// The hazard's material state: a new deadline, status, level or clause is worth a new notice.
	hs := newFNV()
	for _, s := range []string{r.Code, h.Level.Label(), h.Clause, h.Deadline.String(), string(status)} {
		hs.add(s)
	}
	fd.Fingerprint = hs.String()
	return fd
}

// levelLabel is 重大事故隐患 or 一般隐患.
func levelLabel(l mapping.HazardLevel) string {
	if l == mapping.HazardMajor {
		return "重大事故隐患"
	}
	return "一般隐患"
}

// EnterpriseEntry is one enterprise as QUARTERLY_CHECK_MISSING and DRILL_OVERDUE judge it.
type EnterpriseEntry struct {
	USCC      string
	Name      string
	Community string
	Status    mapping.EnterpriseStatus
	KeyRisk   bool // 重点类型 not empty
	// FactoryInFactory and Employees decide the drill interval.
	FactoryInFactory bool
	Employees        int
	// LastPrincipalCheck is the latest ZYFZR inspection (主要负责人带队检查); zero: none.
	LastPrincipalCheck mapping.Date
	// LastEvacuationDrill is the latest 疏散逃生 drill; zero: none.
	LastEvacuationDrill mapping.Date
	// PendingReview: pulled from the platform, not yet confirmed by the street (待核实). The
	// street keeps no drill records of it yet, so DRILL_OVERDUE waits until it is confirmed.
	PendingReview bool
}

// Operating: 在营.
func (e *EnterpriseEntry) Operating() bool { return e.Status == mapping.StatusOperating }

// EnterpriseFacts are what the enterprise rules judge an enterprise by.
type EnterpriseFacts struct {
	Entry  *EnterpriseEntry
	Day    mapping.Date
	Config HazardConfig
}

// Enterprise is the enterprise's name, or its USCC when the name is unknown.
func (f *EnterpriseFacts) Enterprise() string {
	if f.Entry.Name != "" {
		return f.Entry.Name
	}
	return f.Entry.USCC
}

// Quarter is the day's quarter: 2026Q4.
func (f *EnterpriseFacts) Quarter() string { return QuarterOf(f.Day) }

// QuarterOf names d's quarter: 2026Q4.
func QuarterOf(d mapping.Date) string {
	return strconv.Itoa(d.Year) + "Q" + strconv.Itoa((int(d.Month)-1)/3+1)
}

// QuarterStart is the first day of d's quarter.
func QuarterStart(d mapping.Date) mapping.Date {
	return mapping.Date{Year: d.Year, Month: time.Month((int(d.Month)-1)/3*3 + 1), Day: 1}
}

// QuarterEnd is the last day of d's quarter.
func QuarterEnd(d mapping.Date) mapping.Date {
	s := QuarterStart(d)
	return mapping.DateOf(time.Date(s.Year, s.Month+3, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -1))
}

// DaysLeftInQuarter counts the days from d to the quarter's last day, both counted: 1 on the
// last day, 15 on the first of "the last 15 days".
func DaysLeftInQuarter(d mapping.Date) int {
	end := QuarterEnd(d)
	return int(dateTime(end).Sub(dateTime(d))/(24*time.Hour)) + 1
}

// AddMonths is the same day n months later, clamped to the end of a shorter month (08-31 plus six
// months is 02-28, or 02-29).
func AddMonths(d mapping.Date, n int) mapping.Date {
	first := time.Date(d.Year, d.Month+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
	last := first.AddDate(0, 1, -1).Day()
	return mapping.Date{Year: first.Year(), Month: first.Month(), Day: min(d.Day, last)}
}

func dateTime(d mapping.Date) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC)
}

// EnterpriseRule is a rule judging one enterprise on one day (QUARTERLY_CHECK_MISSING,
// DRILL_OVERDUE): its family is its own.
type EnterpriseRule struct {
	Rule
	When    func(f *EnterpriseFacts) bool
	Message func(f *EnterpriseFacts) string
	// Subject is what, beside the rule and the enterprise, makes the alert's key (the quarter);
	// and Fingerprint its material state. Both optional.
	Subject     func(f *EnterpriseFacts) string
	Fingerprint func(f *EnterpriseFacts) string
}

var enterpriseRules []*EnterpriseRule

func enterpriseRule(r EnterpriseRule) *EnterpriseRule {
	if r.When == nil || r.Message == nil || r.Family.Code == "" {
		panic("rules: enterprise rule " + r.Code + " needs a family, When and Message")
	}
	r.Rule = register(r.Rule)
	p := &r
	i, _ := slices.BinarySearchFunc(enterpriseRules, r.Order, func(x *EnterpriseRule, o int) int { return x.Order - o })
	enterpriseRules = slices.Insert(enterpriseRules, i, p)
	return p
}

// EvaluateEnterprise applies the enterprise rules of family fam to one enterprise on day.
func EvaluateEnterprise(fam Family, e *EnterpriseEntry, day mapping.Date, cfg HazardConfig) []Finding {
	return AppendEnterpriseFindings(nil, fam, e, day, cfg)
}

// AppendEnterpriseFindings is EvaluateEnterprise appending to out.
func AppendEnterpriseFindings(out []Finding, fam Family, e *EnterpriseEntry, day mapping.Date, cfg HazardConfig) []Finding {
	f := EnterpriseFacts{Entry: e, Day: day, Config: cfg}
	for _, r := range enterpriseRules {
		if r.Family != fam || !r.When(&f) {
			continue
		}
		subject := ""
		if r.Subject != nil {
			subject = r.Subject(&f)
		}
		fd := newFinding(r.Rule, notify.Alert{
			Key:        KeyOf(r.Code, "", e.USCC, subject),
			Community:  e.Community,
			Enterprise: notify.Enterprise{USCC: e.USCC, Name: f.Enterprise()},
			Message:    r.Message(&f),
		})
		fd.Fingerprint = r.Code + "|" + subject
		if r.Fingerprint != nil {
			fd.Fingerprint += "|" + r.Fingerprint(&f)
		}
		out = append(out, fd)
	}
	return out
}

// qualificationRules are the certificate rules whose confirmed alert is a major accident hazard
// of clause 3-2 of 《工贸企业重大事故隐患判定标准》 (a special operator working without the
// qualification). REVIEW_OVERDUE is not: the person is qualified, the review is late.
var qualificationRules = []string{"NO_CERTIFICATE", "ITEM_MISMATCH", "CERT_INVALID", "CERT_EXPIRED"}

// QualificationClause is the judgement clause (3-2) a confirmed alert of the rule code makes a
// major hazard of, and whether it makes one at all.
func QualificationClause(code string) (string, bool) {
	if slices.Contains(qualificationRules, code) {
		return mapping.ClauseUncertified, true
	}
	return "", false
}
