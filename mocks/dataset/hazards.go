package dataset

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// Hazards, principal-led inspections and drills (contracts/hazards.md). They are drawn from a
// random stream of their own, after everything else, so that adding them changed nothing a seed
// gave before: the enterprises, the roster, the certificates and the alarms stay byte-identical.

// hazardStream is the PCG stream of the hazard records ("hazards").
const hazardStream = 0x68617a61726473

// Rules the hazard records are built to fire (contracts/hazards.md, "Alert rules").
const (
	RuleMajorHazardOpen  = "MAJOR_HAZARD_OPEN"
	RuleHazardOverdue    = "HAZARD_OVERDUE"
	RuleHazardDueSoon    = "HAZARD_DUE_SOON"
	RuleQuarterlyMissing = "QUARTERLY_CHECK_MISSING"
	RuleDrillOverdue     = "DRILL_OVERDUE"
)

// DueSoonDays is the HAZARD_DUE_SOON window Expect assumes (hazards.dueWithinDays' default).
const DueSoonDays = 7

// Hazard is one hazard in the Quanzhou platform's codes. The street's ledger rows (sheet 隐患台账)
// and the platform's records use the same type.
type Hazard struct {
	PlatformID     string // yhid; "" on a ledger row the street has not pushed yet
	StreetID       string // lybh; "" for an enterprise's own report, and on a ledger row left without 隐患编号
	USCC           string
	EnterpriseID   string // qyid (platform records)
	EnterpriseName string // qymc (platform records)
	Source         string // yhly: QYZC JDJC ZJHZ JBTS SJJC
	Level          string // yhdj: "1" 一般, "2" 重大
	Clause         string // pdbz, "" for a general hazard
	Description    string
	Location       string
	FoundOn        Day
	FoundBy        string
	Deadline       Day
	Responsible    string
	Measures       string
	Status         string // zgzt "0".."3"
	StatusNote     string
	StatusBy       string
	StatusAt       time.Time // zero when the status never changed
	Remark         string    // ledger rows only
	UpdatedAt      time.Time // platform records only

	// Expect lists the hazard rules that fire for this hazard on Params.Reference, judged on the
	// furthest-forward status of its two copies, with a DueSoonDays window (nil when none).
	Expect []string
}

// Inspection is one 企业检查记录 on the Quanzhou platform.
type Inspection struct {
	ID                 string // jcid
	USCC               string
	EnterpriseName     string
	Date               Day
	Type               string // jclx: ZYFZR RC ZX
	LedBy              string // dzr
	HazardsFound       int    // fxyhs
	HazardsFoundAsText bool   // an older record: fxyhs is answered as a string
	UpdatedAt          time.Time
}

// Drill is one row of the street's sheet 演练记录.
type Drill struct {
	USCC         string
	Date         Day
	Type         string // 疏散逃生, 综合 or 专项, as the sheet writes it
	Participants int
	Remark       string
}

// Drill types as the sheet writes them.
const (
	DrillEvacuation    = "疏散逃生"
	DrillComprehensive = "综合"
	DrillSpecial       = "专项"
)

// HazardGaps records how the hazard records were made, for the sync, reconcile and alert tests.
type HazardGaps struct {
	// NotPushed are indexes into HazardLedger of street hazards the platform does not hold yet
	// (some of them on an enterprise the platform does not know: pushing them answers 40401).
	NotPushed []int
	// StatusAhead are the lybh of street hazards whose platform copy is further forward (the
	// enterprise reported the rectification on the platform).
	StatusAhead []string
	// Drift are the lybh of street hazards whose platform copy had a reporter field edited on the
	// portal (yhbw).
	Drift []string
	// QuarterlyCheckMissing are the USCCs of enterprises in operation with a key type and no
	// ZYFZR inspection in the reference day's quarter up to that day (ledger enterprises as the
	// ledger has them, platform-only ones as the platform has them).
	QuarterlyCheckMissing []string
	// DrillsOverdue are the USCCs of ledger enterprises in operation whose latest 疏散逃生 drill is
	// more than 12 months old (6 when 厂中厂 or 从业人数 ≥ 100) on the reference day; NoDrills
	// those with no 疏散逃生 drill at all.
	DrillsOverdue []string
	NoDrills      []string
}

// hazardRecords draws the hazards, inspections and drills from their own stream.
func (g *generator) hazardRecords() {
	h := *g
	h.rng = rand.New(rand.NewPCG(uint64(g.p.Seed), hazardStream))
	h.hazards()
	h.inspections()
	h.drills()
}

// hazardState is what a generated hazard is like on the reference day.
type hazardState int

const (
	stOverdue   hazardState = iota // 待整改 or 整改中, deadline past
	stDueSoon                      // 待整改 or 整改中, deadline within DueSoonDays
	stLater                        // 待整改 or 整改中, deadline further away
	stRectified                    // 已整改, awaiting verification
	stClosed                       // 已销号
)

// hazardPlan is one hazard to generate.
type hazardPlan struct {
	source, level, clause string
	state                 hazardState
	notPushed             bool // the platform does not hold it yet
	noStreetID            bool // the office left 隐患编号 empty (and it is not pushed)
	statusAhead           bool // the platform's copy is 已整改 while the ledger says 整改中
	drift                 bool // the platform's copy has another 隐患部位
	rectifying            bool // an open hazard in 整改中 rather than 待整改
}

// streetCoverage are the street's first hazards: every case the sync and the rules must see.
var streetCoverage = []hazardPlan{
	{source: "JDJC", level: "2", clause: "3-2", state: stDueSoon, rectifying: true},
	{source: "JDJC", level: "1", state: stOverdue},
	{source: "ZJHZ", level: "2", clause: "3-1", state: stOverdue},
	{source: "JDJC", level: "1", state: stClosed},
	{source: "JBTS", level: "1", state: stRectified},
	{source: "SJJC", level: "2", clause: "3-3", state: stClosed},
	{source: "JDJC", level: "1", state: stLater, notPushed: true},
	{source: "JDJC", level: "1", state: stLater, notPushed: true, noStreetID: true},
	{source: "JDJC", level: "1", state: stLater, statusAhead: true, rectifying: true},
	{source: "JDJC", level: "1", state: stLater, drift: true},
	{source: "JDJC", level: "2", clause: "3-2", state: stClosed},
}

// selfCoverage are the enterprises' first own reports (企业自查, on the platform only).
var selfCoverage = []hazardPlan{
	{source: "QYZC", level: "1", state: stLater},
	{source: "QYZC", level: "2", clause: "3-1", state: stOverdue, rectifying: true},
	{source: "QYZC", level: "1", state: stClosed},
	{source: "QYZC", level: "1", state: stDueSoon},
}

func (g *generator) hazards() {
	onPlatform := make(map[string]*Enterprise, len(g.ds.Platform))
	for i := range g.ds.Platform {
		onPlatform[g.ds.Platform[i].USCC] = &g.ds.Platform[i]
	}
	var hosts, unpushable []*Enterprise // operating ledger enterprises on the platform, and not on it
	for i := range g.ds.Ledger[:g.p.Enterprises] {
		e := &g.ds.Ledger[i]
		switch {
		case e.Status != "1":
		case onPlatform[e.USCC] != nil:
			hosts = append(hosts, e)
		default:
			unpushable = append(unpushable, e)
		}
	}
	seq := 0
	next := func(e *Enterprise, pl hazardPlan) {
		seq++
		g.streetHazard(e, onPlatform[e.USCC], pl, seq)
	}
	for k, pl := range streetCoverage {
		if len(hosts) == 0 {
			break
		}
		e := hosts[(k*7)%len(hosts)]
		if pl.clause == "3-3" {
			e = metalSmelter(hosts, e) // 3-3 is about metal smelting
			if e.Industry != "YJ" && e.Industry != "YS" {
				pl.clause = "3-1"
			}
		}
		next(e, pl)
	}
	if len(unpushable) > 0 {
		next(unpushable[0], hazardPlan{source: "JDJC", level: "1", state: stOverdue})
	}
	for _, e := range slices.Concat(hosts, unpushable) {
		for n := g.hazardCount(12); n > 0; n-- {
			next(e, g.randomPlan(e, g.pick(100) < 70))
		}
	}

	// The enterprises' own reports, on the platform only; one on a platform-only enterprise.
	var selfHosts []*Enterprise
	for i := range g.ds.Platform {
		if e := &g.ds.Platform[i]; e.Status == "1" {
			selfHosts = append(selfHosts, e)
		}
	}
	for k, pl := range selfCoverage {
		if len(selfHosts) == 0 {
			break
		}
		e := selfHosts[(k*11+5)%len(selfHosts)]
		if k == len(selfCoverage)-1 && len(g.ds.Gaps.OnlyOnPlatform) > 0 {
			e = onPlatform[g.ds.Gaps.OnlyOnPlatform[0]]
		}
		g.selfReport(e, pl)
	}
	for _, e := range selfHosts {
		for n := g.hazardCount(10); n > 0; n-- {
			pl := g.randomPlan(e, false)
			pl.source = "QYZC"
			g.selfReport(e, pl)
		}
	}
	ref := g.ref
	copies := make(map[string]*Hazard, len(g.ds.PlatformHazards))
	for i := range g.ds.PlatformHazards {
		if p := &g.ds.PlatformHazards[i]; p.StreetID != "" {
			copies[p.StreetID] = p
		}
	}
	for i := range g.ds.HazardLedger {
		h := &g.ds.HazardLedger[i]
		if p := copies[h.StreetID]; h.StreetID != "" && p != nil {
			merged := *h
			if p.Status > h.Status {
				merged.Status = p.Status
			}
			h.Expect = expectHazard(&merged, ref)
			p.Expect = h.Expect
		} else {
			h.Expect = expectHazard(h, ref)
		}
	}
	for i := range g.ds.PlatformHazards {
		if p := &g.ds.PlatformHazards[i]; p.StreetID == "" {
			p.Expect = expectHazard(p, ref)
		}
	}
}

// metalSmelter returns a 冶金 or 有色 enterprise when there is one, else fallback.
func metalSmelter(hosts []*Enterprise, fallback *Enterprise) *Enterprise {
	for _, e := range hosts {
		if e.Industry == "YJ" || e.Industry == "YS" {
			return e
		}
	}
	return fallback
}

// hazardCount draws how many further hazards an enterprise gets: none mostly.
func (g *generator) hazardCount(percent int) int {
	if !g.chance(percent) {
		return 0
	}
	if g.chance(20) {
		return 2
	}
	return 1
}

func (g *generator) randomPlan(e *Enterprise, street bool) hazardPlan {
	pl := hazardPlan{source: "JDJC", level: "1"}
	if street {
		pl.source = pickWeighted(g, []struct {
			code   string
			weight int
		}{{"JDJC", 70}, {"ZJHZ", 10}, {"JBTS", 10}, {"SJJC", 10}}, func(w struct {
			code   string
			weight int
		}) int {
			return w.weight
		}).code
	}
	switch r := g.pick(100); {
	case r < 45:
		pl.state = stClosed
	case r < 53:
		pl.state = stRectified
	case r < 80:
		pl.state = stLater
	case r < 92:
		pl.state = stOverdue
	default:
		pl.state = stDueSoon
	}
	pl.rectifying = g.chance(50)
	if g.chance(8) {
		pl.level = "2"
		pl.clause = []string{"3-1", "3-2"}[g.pick(2)]
		if (e.Industry == "YJ" || e.Industry == "YS") && g.chance(30) {
			pl.clause = "3-3"
		}
	}
	return pl
}

// hazardDates draws finding day and deadline for a state. Nothing happens on the reference day
// itself: the platforms' clocks may stand at its first minute.
func (g *generator) hazardDates(st hazardState) (found, deadline Day) {
	ref := g.ref
	switch st {
	case stOverdue:
		deadline = ref - 1 - Day(g.pick(20))
		found = deadline - 7 - Day(g.pick(40))
	case stDueSoon:
		deadline = ref + Day(g.pick(DueSoonDays))
		found = min(deadline-7-Day(g.pick(30)), ref-1)
	case stLater:
		deadline = ref + DueSoonDays + 3 + Day(g.pick(50))
		found = ref - 1 - Day(g.pick(30))
	case stRectified:
		deadline = ref - 20 + Day(g.pick(30))
		found = min(deadline-7-Day(g.pick(40)), ref-1)
	default: // closed
		found = ref - 30 - Day(g.pick(330))
		deadline = found + 7 + Day(g.pick(40))
	}
	return found, deadline
}

// newHazard builds the record both copies share.
func (g *generator) newHazard(e *Enterprise, pl hazardPlan) Hazard {
	found, deadline := g.hazardDates(pl.state)
	h := Hazard{
		USCC: e.USCC, Source: pl.source, Level: pl.level, Clause: pl.clause,
		Location: hazardLocations[g.pick(len(hazardLocations))], FoundOn: found, Deadline: deadline,
		Responsible: e.Principal,
	}
	if e.SafetyManager != "" && g.chance(40) {
		h.Responsible = e.SafetyManager
	}
	if pl.clause != "" {
		h.Description = pick1(g, clauseFindings[pl.clause])
		h.Measures = pick1(g, hazardMeasures[pl.clause])
	} else {
		risk := ""
		if e.KeyRisks != "" && g.chance(50) {
			codes := strings.Split(e.KeyRisks, ",")
			risk = codes[g.pick(len(codes))]
		}
		h.Description, h.Measures, _ = strings.Cut(pick1(g, generalFindings[risk]), "｜")
		if g.chance(15) {
			h.Measures = "" // 整改措施 is optional
		}
	}
	switch pl.source {
	case "QYZC":
		h.FoundBy = e.Principal
		if e.SafetyManager != "" {
			h.FoundBy = e.SafetyManager
		}
	case "ZJHZ":
		h.FoundBy = "专家组（" + g.personName(true) + "）"
	case "SJJC":
		h.FoundBy = "晋江市应急管理局检查组"
	default:
		h.FoundBy = pick1(g, streetStaff)
	}
	switch pl.state {
	case stClosed:
		at := min(deadline-Day(g.pick(5)), g.ref-1)
		g.setStatus(&h, "3", fmt.Sprintf(closingNote, pick1(g, streetStaff)), "", max(at, found))
	case stRectified:
		g.setStatus(&h, "2", pick1(g, doneNotes), h.Responsible, found+Day(g.pick(int(g.ref-found))))
	default:
		h.Status = "0"
		if pl.rectifying {
			g.setStatus(&h, "1", pick1(g, progressNotes), h.Responsible, found+Day(g.pick(int(g.ref-found))))
		}
	}
	return h
}

// setStatus records a status change made on day at (by the verifier named in the note when by
// is ""), at the latest the day before the reference day.
func (g *generator) setStatus(h *Hazard, status, note, by string, at Day) {
	h.Status, h.StatusNote, h.StatusBy = status, note, by
	if by == "" {
		h.StatusBy = strings.TrimSuffix(note[strings.LastIndex(note, "：")+len("："):], "）")
	}
	h.StatusAt = min(at, g.ref-1).Time(9*3600 + g.pick(8*3600))
}

func pick1(g *generator, xs []string) string { return xs[g.pick(len(xs))] }

// streetHazard adds a street-found hazard to the ledger and, unless the plan says otherwise or
// the platform does not know the enterprise, its pushed copy to the platform.
func (g *generator) streetHazard(e, pe *Enterprise, pl hazardPlan, seq int) {
	h := g.newHazard(e, pl)
	y, _, _ := h.FoundOn.Civil()
	h.StreetID = fmt.Sprintf("LY-%d-%04d", y, seq)
	h.Remark = pick1(g, hazardRemarks)
	if pl.noStreetID {
		h.StreetID = ""
	}
	if pl.notPushed || pe == nil {
		g.ds.HazardLedger = append(g.ds.HazardLedger, h)
		g.ds.HazardGaps.NotPushed = append(g.ds.HazardGaps.NotPushed, len(g.ds.HazardLedger)-1)
		return
	}
	p := h
	p.Remark = ""
	pushed := h.FoundOn.Time(15*3600 + g.pick(3*3600))
	if pl.statusAhead {
		g.setStatus(&p, "2", pick1(g, doneNotes), h.Responsible, g.ref-1)
		g.ds.HazardGaps.StatusAhead = append(g.ds.HazardGaps.StatusAhead, h.StreetID)
	}
	if pl.drift {
		p.Location = "原料仓库东侧"
		pushed = (g.ref - 2).Time(10 * 3600)
		g.ds.HazardGaps.Drift = append(g.ds.HazardGaps.Drift, h.StreetID)
	}
	g.ds.HazardLedger = append(g.ds.HazardLedger, h)
	g.addPlatformHazard(p, pe, pushed)
}

// selfReport adds an enterprise's own report (企业自查) to the platform.
func (g *generator) selfReport(pe *Enterprise, pl hazardPlan) {
	h := g.newHazard(pe, pl)
	g.addPlatformHazard(h, pe, h.FoundOn.Time(10*3600+g.pick(6*3600)))
}

func (g *generator) addPlatformHazard(h Hazard, pe *Enterprise, saved time.Time) {
	h.PlatformID = fmt.Sprintf("YH%s%07d", county, 100+3*len(g.ds.PlatformHazards))
	h.EnterpriseID, h.EnterpriseName = pe.PlatformID, pe.Name
	h.UpdatedAt = saved
	if h.StatusAt.After(saved) {
		h.UpdatedAt = h.StatusAt
	}
	if h.Status == "3" && h.FoundOn < g.ref-180 && g.chance(40) {
		// A platform upgrade re-saved its older closed hazards in one second.
		h.UpdatedAt = (g.ref - 90).Time(2 * 3600)
	}
	g.ds.PlatformHazards = append(g.ds.PlatformHazards, h)
}

// expectHazard gives the hazard rules that fire for h on day ref.
func expectHazard(h *Hazard, ref Day) []string {
	var out []string
	if h.Level == "2" && h.Status != "3" {
		out = append(out, RuleMajorHazardOpen)
	}
	if h.Status == "0" || h.Status == "1" {
		switch {
		case h.Deadline < ref:
			out = append(out, RuleHazardOverdue)
		case h.Deadline <= ref+DueSoonDays:
			out = append(out, RuleHazardDueSoon)
		}
	}
	return out
}

// --- inspections ---

// QuarterStart returns the first day of d's calendar quarter.
func QuarterStart(d Day) Day {
	y, m, _ := d.Civil()
	return Date(y, time.Month((int(m)-1)/3*3+1), 1)
}

// AddMonths returns the same day n months later, clamped to the end of a shorter month
// (03-31 minus one month is 02-28 or 02-29).
func AddMonths(d Day, n int) Day {
	y, m, dd := d.Civil()
	first := time.Date(y, m+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
	last := first.AddDate(0, 1, -1).Day()
	return Date(first.Year(), first.Month(), min(dd, last))
}

// inspections gives every enterprise on the platform in operation with a key type a
// principal-led inspection in each of the last four quarters, except that some have none yet in
// the reference day's quarter; others get routine and special inspections.
func (g *generator) inspections() {
	ref, q0 := g.ref, QuarterStart(g.ref)
	seq, missing := 0, 0
	add := func(e *Enterprise, kind string, day Day, lead string) {
		seq++
		in := Inspection{ID: fmt.Sprintf("JC%s%07d", county, seq), USCC: e.USCC, EnterpriseName: e.Name, Date: day,
			Type: kind, LedBy: lead, HazardsFound: g.pick(4), UpdatedAt: day.Time(16*3600 + g.pick(4*3600))}
		if day < ref-180 {
			in.HazardsFoundAsText = g.chance(30)
			if g.chance(35) {
				in.UpdatedAt = (ref - 90).Time(9 * 3600) // re-saved in one second by a platform upgrade
			}
		}
		g.ds.Inspections = append(g.ds.Inspections, in)
	}
	for i := range g.ds.Platform {
		e := &g.ds.Platform[i]
		if e.Status != "1" {
			continue
		}
		if e.KeyRisks != "" {
			for k := 3; k >= 0; k-- {
				from := AddMonths(q0, -3*k)
				to := AddMonths(from, 3) - 1
				if k == 0 {
					to = ref - 1 // nothing is dated the reference day itself
					if missing < 2 || to < from || g.chance(15) {
						missing++
						continue
					}
				}
				add(e, "ZYFZR", from+Day(g.pick(int(to-from)+1)), e.Principal)
			}
		} else if g.chance(20) {
			from := AddMonths(q0, -3*(1+g.pick(3)))
			add(e, "ZYFZR", from+Day(g.pick(80)), e.Principal)
		}
		if g.chance(40) {
			lead := e.SafetyManager
			if lead == "" {
				lead = e.Principal
			}
			for n := 1 + g.pick(2); n > 0; n-- {
				add(e, []string{"RC", "RC", "ZX"}[g.pick(3)], ref-1-Day(g.pick(200)), lead)
			}
		}
	}
	checked := map[string]bool{}
	for _, in := range g.ds.Inspections {
		if in.Type == "ZYFZR" && in.Date >= q0 && in.Date <= ref {
			checked[in.USCC] = true
		}
	}
	ledger := map[string]bool{}
	for _, e := range g.ds.Ledger[:g.p.Enterprises] {
		ledger[e.USCC] = true
		if e.Status == "1" && e.KeyRisks != "" && !checked[e.USCC] {
			g.ds.HazardGaps.QuarterlyCheckMissing = append(g.ds.HazardGaps.QuarterlyCheckMissing, e.USCC)
		}
	}
	for _, e := range g.ds.Platform {
		if !ledger[e.USCC] && e.Status == "1" && e.KeyRisks != "" && !checked[e.USCC] {
			g.ds.HazardGaps.QuarterlyCheckMissing = append(g.ds.HazardGaps.QuarterlyCheckMissing, e.USCC)
		}
	}
}

// --- drills ---

// DrillInterval is how many months a 疏散逃生 drill lasts for e: 6 for a 厂中厂 or an enterprise
// of laborIntensive employees or more, else 12.
func DrillInterval(e *Enterprise, laborIntensive int) int {
	if e.FactoryInFactory || e.Employees >= laborIntensive {
		return 6
	}
	return 12
}

// LaborIntensiveEmployees is drills.laborIntensiveEmployees' default.
const LaborIntensiveEmployees = 100

// drillPlan is the latest 疏散逃生 drill an enterprise gets, in months (and days) before the
// reference day (months -1: none), whether it also had a recent drill of another type, and the
// kind of enterprise a coverage plan needs.
type drillPlan struct {
	months int
	days   int
	other  bool
	kind   drillHost
}

type drillHost int

const (
	anyHost   drillHost = iota
	ffiHost             // a 厂中厂 (6 months)
	laborHost           // 从业人数 ≥ 100, not a 厂中厂 (6 months)
	slowHost            // neither (12 months)
)

// drillCoverage are the boundaries and cases the DRILL_OVERDUE tests need.
var drillCoverage = []drillPlan{
	{months: 8, kind: ffiHost},                // overdue at 6 months, would not be at 12
	{months: 7, kind: laborHost},              // labour-intensive, overdue
	{months: 14, kind: slowHost},              // overdue at 12
	{months: 12, kind: slowHost},              // exactly 12 months: not overdue
	{months: 6, kind: ffiHost},                // exactly 6 months: not overdue
	{months: 15, other: true, kind: slowHost}, // a recent 专项 drill does not count
	{months: -1},                              // none at all
}

func (k drillHost) fits(e *Enterprise) bool {
	switch k {
	case ffiHost:
		return e.FactoryInFactory
	case laborHost:
		return !e.FactoryInFactory && e.Employees >= LaborIntensiveEmployees
	case slowHost:
		return DrillInterval(e, LaborIntensiveEmployees) == 12
	}
	return true
}

func (g *generator) drills() {
	ref := g.ref
	var operating []*Enterprise
	for i := range g.ds.Ledger[:g.p.Enterprises] {
		if e := &g.ds.Ledger[i]; e.Status == "1" {
			operating = append(operating, e)
		}
	}
	plans := make([]drillPlan, len(operating))
	planned := make([]bool, len(operating))
	for _, c := range drillCoverage {
		for i, e := range operating {
			if planned[i] || !c.kind.fits(e) {
				continue
			}
			plans[i], planned[i] = c, true
			break
		}
	}
	for i, e := range operating {
		interval := DrillInterval(e, LaborIntensiveEmployees)
		pl := plans[i]
		if !planned[i] {
			switch r := g.pick(100); {
			case r < 80:
				pl.days = 1 + g.pick(interval*30-10)
			case r < 92:
				pl.months = interval + 1 + g.pick(5)
			default:
				pl.months = -1
			}
			pl.other = g.chance(15)
		}
		var rows []Drill
		if pl.months >= 0 {
			last := AddMonths(ref, -pl.months) - Day(pl.days)
			for d := last; d >= ref-730; d = AddMonths(d, -interval) - Day(g.pick(20)) {
				rows = append(rows, g.drill(e, d, DrillEvacuation))
			}
		}
		if pl.other {
			rows = append(rows, g.drill(e, ref-10-Day(g.pick(40)), []string{DrillComprehensive, DrillSpecial}[g.pick(2)]))
		}
		slices.SortStableFunc(rows, func(a, b Drill) int { return int(a.Date - b.Date) })
		g.ds.Drills = append(g.ds.Drills, rows...)
		switch latest := latestEvacuation(rows); {
		case latest == 0:
			g.ds.HazardGaps.NoDrills = append(g.ds.HazardGaps.NoDrills, e.USCC)
		case AddMonths(latest, interval) < ref:
			g.ds.HazardGaps.DrillsOverdue = append(g.ds.HazardGaps.DrillsOverdue, e.USCC)
		}
	}
}

func (g *generator) drill(e *Enterprise, d Day, kind string) Drill {
	n := max(1, e.Employees/2+g.pick(e.Employees/2+1))
	return Drill{USCC: e.USCC, Date: d, Type: kind, Participants: n, Remark: pick1(g, drillRemarks)}
}

func latestEvacuation(rows []Drill) Day {
	var latest Day
	for _, d := range rows {
		if d.Type == DrillEvacuation && d.Date > latest {
			latest = d.Date
		}
	}
	return latest
}
