package mapping

import (
	"fmt"
	"strings"
	"time"
)

// Hazards (隐患), the enterprises' principal-led inspections (企业检查记录) and the street's drills
// (演练记录), contracts/hazards.md: the canonical records, their codes and labels, the status
// order, normalization and validation. The Quanzhou wire shapes are in hazard_quanzhou.go, the
// judgement clauses in clauses.go, every Chinese string in hazard_messages.go.

// HazardLevel is 隐患等级 (yhdj): "1" 一般隐患, "2" 重大事故隐患.
type HazardLevel string

const (
	HazardGeneral HazardLevel = "1" // 一般隐患
	HazardMajor   HazardLevel = "2" // 重大事故隐患: only with a judgement clause
)

// HazardSource is 来源 (yhly): who found the hazard.
type HazardSource string

const (
	SourceEnterprise HazardSource = "QYZC" // 企业自查: reported by the enterprise on the platform
	SourceStreet     HazardSource = "JDJC" // 街道检查
	SourceExperts    HazardSource = "ZJHZ" // 专家会诊
	SourceComplaint  HazardSource = "JBTS" // 举报投诉
	SourceSuperior   HazardSource = "SJJC" // 上级检查
)

// HazardStatus is 整改状态 (zgzt). It only moves forward: 0 → 1 → 2 → 3, skipping allowed.
type HazardStatus string

const (
	HazardPending    HazardStatus = "0" // 待整改
	HazardRectifying HazardStatus = "1" // 整改中
	HazardRectified  HazardStatus = "2" // 已整改（待验收）
	HazardClosed     HazardStatus = "3" // 已销号: verified; the hazard is no longer open
)

// InspectionType is 检查类型 (jclx).
type InspectionType string

const (
	InspectionPrincipal InspectionType = "ZYFZR" // 主要负责人带队检查: the quarterly check the plan asks for
	InspectionRoutine   InspectionType = "RC"    // 日常检查
	InspectionSpecial   InspectionType = "ZX"    // 专项检查
)

// DrillType is 演练类型. Drills are the street's own records (no platform code): the codes are
// streetsync's.
type DrillType string

const (
	DrillEvacuation    DrillType = "EVACUATION"    // 疏散逃生: the drill DRILL_OVERDUE looks for
	DrillComprehensive DrillType = "COMPREHENSIVE" // 综合
	DrillSpecial       DrillType = "SPECIAL"       // 专项
)

// Hazard is one hazard (隐患) of an enterprise: found by the street (it has a StreetID, lybh)
// or by the enterprise itself (only the platform's ID, yhid). The reporter owns the fields from
// Source to Measures; the status fields are both sides' and merge furthest forward; ID,
// EnterpriseID, EnterpriseName and UpdatedAt are the platform's.
type Hazard struct {
	ID             string       // yhid, the platform's id; "" until pushed
	StreetID       string       // lybh, the street's own id; "" for hazards the street did not report
	USCC           string       // tyshxydm of the enterprise
	EnterpriseID   string       // qyid, set by the platform
	EnterpriseName string       // qymc, set by the platform
	RegionCode     string       // xzqhdm
	Source         HazardSource // yhly
	Level          HazardLevel  // yhdj
	Clause         string       // pdbz: canonical 条-项 (3-2), or as sent when it is no clause reference; "" for general hazards
	Description    string       // yhms
	Location       string       // yhbw (optional)
	FoundOn        Date         // fxrq
	FoundBy        string       // fxr
	Deadline       Date         // zgqx: the rectification deadline
	Responsible    string       // zgzrr: the enterprise's person responsible for the rectification
	Measures       string       // zgcs (optional)
	Status         HazardStatus // zgzt; "" on a new record means 待整改
	StatusNote     string       // zgsm: the latest status change's note
	StatusBy       string       // zgczr
	StatusAt       time.Time    // zgczsj (Beijing time)
	Remark         string       // 备注: the street's own note, never pushed
	UpdatedAt      time.Time    // gxsj, platform-owned (Beijing time)
}

// Detached returns a copy of h whose text shares no memory with what h was decoded from (a
// platform page): a record kept after its page must not hold the page.
func (h *Hazard) Detached() Hazard {
	c := *h
	for _, t := range []*string{&c.ID, &c.StreetID, &c.USCC, &c.EnterpriseID, &c.EnterpriseName, &c.RegionCode,
		(*string)(&c.Source), (*string)(&c.Level), &c.Clause, &c.Description, &c.Location, &c.FoundBy,
		&c.Responsible, &c.Measures, (*string)(&c.Status), &c.StatusNote, &c.StatusBy, &c.Remark} {
		*t = strings.Clone(*t)
	}
	return c
}

// Key is the hazard's identity on the street side: its StreetID when the street reported it,
// else its platform ID. Alert keys use it, so that an alert keeps its key when the hazard is
// pushed and gets its ID.
func (h *Hazard) Key() string {
	if h.StreetID != "" {
		return h.StreetID
	}
	return h.ID
}

// ReportedByStreet reports whether the street reported the hazard and so owns its reporter
// fields (a platform-side edit of them is drift).
func (h *Hazard) ReportedByStreet() bool { return h.StreetID != "" }

// Open reports whether the hazard is not yet closed (销号).
func (h *Hazard) Open() bool { return h.Status != HazardClosed }

// Major reports whether the hazard is a 重大事故隐患.
func (h *Hazard) Major() bool { return h.Level == HazardMajor }

// Overdue reports whether the deadline is past on day today while the rectification has not
// been done (待整改 or 整改中; 已整改 waits for verification and is not overdue).
func (h *Hazard) Overdue(today Date) bool {
	switch h.Status {
	case "", HazardPending, HazardRectifying:
		return !h.Deadline.IsZero() && h.Deadline.Before(today)
	}
	return false
}

// HazardStatusChange is one recorded move of a hazard's status (the body of
// POST /hazards/{yhid}/status with the hazard's platform ID).
type HazardStatusChange struct {
	HazardID string // yhid; "" while the hazard is not pushed yet
	Status   HazardStatus
	Note     string // for 已销号: who verified it and how
	Handler  string
	At       time.Time
}

// Inspection is one inspection record of an enterprise (企业检查记录), read from the platform.
type Inspection struct {
	ID             string // jcid
	USCC           string // tyshxydm
	EnterpriseName string // qymc
	Date           Date   // jcrq
	Type           InspectionType
	LedBy          string    // dzr: who led it
	HazardsFound   int       // fxyhs
	UpdatedAt      time.Time // gxsj
}

// Drill is one drill (演练记录) of an enterprise, kept by the street only. Its identity is
// (USCC, Date, Type).
type Drill struct {
	USCC         string
	Date         Date
	Type         DrillType
	Participants int // 参加人数; 0 when not recorded
	Remark       string
}

// DrillKey identifies a drill.
type DrillKey struct {
	USCC string
	Date Date
	Type DrillType
}

// Key returns the drill's identity.
func (d *Drill) Key() DrillKey { return DrillKey{USCC: d.USCC, Date: d.Date, Type: d.Type} }

// --- codes and labels ---

// ParseHazardLevel reads 隐患等级: 1, 2, 一般, 一般隐患, 重大, 重大隐患, 重大事故隐患.
func ParseHazardLevel(s string) (HazardLevel, bool) {
	var buf [64]byte
	switch string(labelKey(buf[:0], s)) {
	case "1", "一般", "一般隐患", "一般事故隐患":
		return HazardGeneral, true
	case "2", "重大", "重大隐患", "重大事故隐患":
		return HazardMajor, true
	}
	return HazardLevel(rewrite(s, rulesText)), false
}

// Known reports whether l is one of the two levels.
func (l HazardLevel) Known() bool { return l.Label() != "" }

// Label returns 一般 or 重大 (the workbook's form), else "".
func (l HazardLevel) Label() string {
	switch l {
	case HazardGeneral:
		return "一般"
	case HazardMajor:
		return "重大"
	}
	return ""
}

// ParseHazardSource reads 来源: the codes, 企业自查, 街道检查, 专家会诊, 举报投诉, 上级检查 and short
// forms (自查, 街道, 专家, 举报, 投诉, 上级).
func ParseHazardSource(s string) (HazardSource, bool) {
	var buf [64]byte
	switch string(labelKey(buf[:0], s)) {
	case "QYZC", "企业自查", "自查", "企业自报":
		return SourceEnterprise, true
	case "JDJC", "街道检查", "街道", "街道排查", "街道巡查", "街道安办检查":
		return SourceStreet, true
	case "ZJHZ", "专家会诊", "专家", "专家检查", "专家排查":
		return SourceExperts, true
	case "JBTS", "举报投诉", "举报", "投诉", "群众举报":
		return SourceComplaint, true
	case "SJJC", "上级检查", "上级", "上级督查", "上级部门检查":
		return SourceSuperior, true
	}
	return HazardSource(rewrite(s, rulesText)), false
}

// Known reports whether s is one of the five sources.
func (s HazardSource) Known() bool { return s.Label() != "" }

// Label returns the Chinese label of a known source, else "".
func (s HazardSource) Label() string {
	switch s {
	case SourceEnterprise:
		return "企业自查"
	case SourceStreet:
		return "街道检查"
	case SourceExperts:
		return "专家会诊"
	case SourceComplaint:
		return "举报投诉"
	case SourceSuperior:
		return "上级检查"
	}
	return ""
}

// ParseHazardStatus reads 整改状态: 0–3, 待整改, 整改中, 已整改, 已整改（待验收）, 待验收, 已销号, 销号.
func ParseHazardStatus(s string) (HazardStatus, bool) {
	var buf [64]byte
	switch string(labelKey(buf[:0], s)) {
	case "0", "待整改", "未整改":
		return HazardPending, true
	case "1", "整改中", "正在整改":
		return HazardRectifying, true
	case "2", "已整改", "已整改(待验收)", "已整改待验收", "待验收":
		return HazardRectified, true
	case "3", "已销号", "销号":
		return HazardClosed, true
	}
	return HazardStatus(rewrite(s, rulesText)), false
}

// Known reports whether s is one of the four statuses.
func (s HazardStatus) Known() bool { return s.Label() != "" }

// Label returns 待整改, 整改中, 已整改 or 已销号 (the workbook's forms), else "".
func (s HazardStatus) Label() string {
	switch s {
	case HazardPending:
		return "待整改"
	case HazardRectifying:
		return "整改中"
	case HazardRectified:
		return "已整改"
	case HazardClosed:
		return "已销号"
	}
	return ""
}

// rank is the status's place in the forward order; "" (a new record) is 待整改; -1 unknown.
func (s HazardStatus) rank() int {
	switch s {
	case "", HazardPending:
		return 0
	case HazardRectifying:
		return 1
	case HazardRectified:
		return 2
	case HazardClosed:
		return 3
	}
	return -1
}

// StatusMove is what a new status does to the recorded one.
type StatusMove int

const (
	MoveInvalid  StatusMove = iota // either status is not one of the four
	MoveForward                    // allowed, skipping included
	MoveSame                       // no move: a further note on the same status
	MoveBackward                   // refused (the platform answers 40903)
)

// MoveTo classifies the move from s (the recorded status; "" is 待整改) to t.
func (s HazardStatus) MoveTo(t HazardStatus) StatusMove {
	from, to := s.rank(), t.rank()
	switch {
	case from < 0 || to < 0 || t == "":
		return MoveInvalid
	case to > from:
		return MoveForward
	case to == from:
		return MoveSame
	}
	return MoveBackward
}

// ParseInspectionType reads 检查类型: ZYFZR, RC, ZX, 主要负责人带队检查, 日常检查, 专项检查 and short forms.
func ParseInspectionType(s string) (InspectionType, bool) {
	var buf [64]byte
	switch string(labelKey(buf[:0], s)) {
	case "ZYFZR", "主要负责人带队检查", "主要负责人带队", "主要负责人检查", "负责人带队检查":
		return InspectionPrincipal, true
	case "RC", "日常检查", "日常":
		return InspectionRoutine, true
	case "ZX", "专项检查", "专项":
		return InspectionSpecial, true
	}
	return InspectionType(rewrite(s, rulesText)), false
}

// Known reports whether t is one of the three types.
func (t InspectionType) Known() bool { return t.Label() != "" }

// Label returns the Chinese label of a known type, else "".
func (t InspectionType) Label() string {
	switch t {
	case InspectionPrincipal:
		return "主要负责人带队检查"
	case InspectionRoutine:
		return "日常检查"
	case InspectionSpecial:
		return "专项检查"
	}
	return ""
}

// ParseDrillType reads 演练类型: 疏散逃生, 综合, 专项, with or without 演练 (疏散逃生演练, 综合应急演练),
// short forms (疏散, 逃生, 应急疏散) and the codes.
func ParseDrillType(s string) (DrillType, bool) {
	var buf [64]byte
	k := trimSuffix(labelKey(buf[:0], s), "演练")
	switch string(k) {
	case "EVACUATION", "疏散逃生", "疏散", "逃生", "应急疏散", "消防疏散", "疏散逃生应急", "消防疏散逃生":
		return DrillEvacuation, true
	case "COMPREHENSIVE", "综合", "综合应急":
		return DrillComprehensive, true
	case "SPECIAL", "专项", "专项应急":
		return DrillSpecial, true
	}
	return DrillType(rewrite(s, rulesText)), false
}

// Known reports whether t is one of the three types.
func (t DrillType) Known() bool { return t.Label() != "" }

// Label returns 疏散逃生, 综合 or 专项, else "".
func (t DrillType) Label() string {
	switch t {
	case DrillEvacuation:
		return "疏散逃生"
	case DrillComprehensive:
		return "综合"
	case DrillSpecial:
		return "专项"
	}
	return ""
}

// ValidStreetID reports whether s can be a street hazard id (lybh): 1–32 characters
// [A-Za-z0-9-].
func ValidStreetID(s string) bool {
	if len(s) < 1 || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '-') {
			return false
		}
	}
	return true
}

// ParseCount reads a count people or the platform write: 3, "3", ３, 3处, 3项, 3个, 50人, 1,200.
// Empty is 0.
func ParseCount(s string) (int, bool) {
	var buf [64]byte
	k := labelKey(buf[:0], s)
	for _, unit := range []string{"处", "项", "个", "条"} {
		if t := trimSuffix(k, unit); len(t) < len(k) {
			if len(t) == 0 {
				return 0, false // a unit without a number
			}
			return parseEmployees(string(t))
		}
	}
	return parseEmployees(s)
}

// --- normalization ---

// NormalizeHazard puts every field of h in canonical form, in place: labels become codes (重大 →
// "2", 街道检查 → JDJC, 整改中 → "1"), the clause its canonical code (第三条第（二）项 → 3-2; text that
// is no clause reference is kept, cleaned), ids and codes cleaned, names and texts tidied. The
// lybh loses white space and full width but keeps its case and dashes: it is the street's id as
// written. A nil clause list is the built-in one.
func NormalizeHazard(h *Hazard, cl *Clauses) {
	fields := [...]textField{
		{&h.ID, rulesCode},
		{&h.StreetID, ruleClean | ruleFold | ruleNoSpace},
		{&h.USCC, rulesCode},
		{&h.EnterpriseID, rulesCode},
		{&h.EnterpriseName, rulesCompanyName},
		{&h.RegionCode, rulesCode},
		{&h.Description, ruleClean},
		{&h.Location, ruleClean},
		{&h.FoundBy, rulesPersonName},
		{&h.Responsible, rulesPersonName},
		{&h.Measures, ruleClean},
		{&h.StatusNote, ruleClean},
		{&h.StatusBy, rulesPersonName},
		{&h.Remark, ruleClean},
	}
	rewriteFields(fields[:])
	h.Level, _ = ParseHazardLevel(string(h.Level))
	h.Source, _ = ParseHazardSource(string(h.Source))
	h.Status, _ = ParseHazardStatus(string(h.Status))
	if h.Clause != "" {
		h.Clause, _, _ = clausesOrDefault(cl).Parse(h.Clause)
	}
	if !h.StatusAt.IsZero() {
		h.StatusAt = h.StatusAt.In(beijing)
	}
	if !h.UpdatedAt.IsZero() {
		h.UpdatedAt = h.UpdatedAt.In(beijing)
	}
}

// NormalizeInspection puts every field of i in canonical form, in place.
func NormalizeInspection(i *Inspection) {
	fields := [...]textField{
		{&i.ID, rulesCode},
		{&i.USCC, rulesCode},
		{&i.EnterpriseName, rulesCompanyName},
		{&i.LedBy, rulesPersonName},
	}
	rewriteFields(fields[:])
	i.Type, _ = ParseInspectionType(string(i.Type))
	if !i.UpdatedAt.IsZero() {
		i.UpdatedAt = i.UpdatedAt.In(beijing)
	}
}

// NormalizeDrill puts every field of d in canonical form, in place.
func NormalizeDrill(d *Drill) {
	fields := [...]textField{
		{&d.USCC, rulesCode},
		{&d.Remark, ruleClean},
	}
	rewriteFields(fields[:])
	d.Type, _ = ParseDrillType(string(d.Type))
}

// --- validation ---

// The order problems are reported in: the record's fields in the workbook's column order.
var (
	hazardFieldOrder = []string{"streetId", "id", "uscc", "description", "level", "clause", "location",
		"foundOn", "foundBy", "source", "deadline", "responsible", "measures", "status", "statusNote",
		"statusBy", "statusAt", "remark", "regionCode", "updatedAt"}
	inspectionFieldOrder = []string{"id", "uscc", "date", "type", "ledBy", "hazardsFound", "updatedAt"}
	drillFieldOrder      = []string{"uscc", "date", "type", "participants", "remark"}
)

// ValidateHazard checks a normalized hazard the street records (a workbook row, a command): the
// enterprise's code, the fields the contract requires (统一社会信用代码, 隐患描述, 隐患等级, 发现日期,
// 整改期限), a clause for a major hazard, a source the street may report (not 企业自查: those come
// from the platform), known codes, a deadline not before the finding, a finding not after today
// and a well-formed lybh. A clause no list knows is a warning (kept as sent); one on a general
// hazard is a warning too (it is not pushed). Callers fill the workbook's default source
// (街道检查) before. Options: WithToday.
func ValidateHazard(h *Hazard, cl *Clauses, opts ...Option) Problems {
	s := newSettings(opts)
	var ps Problems
	ps.validateHazard(h, clausesOrDefault(cl))
	if h.Source == SourceEnterprise {
		ps.add("source", labelHazardSource, string(h.Source), reasonSourceSelfCheck, SeverityError)
	}
	if !h.FoundOn.IsZero() && s.todayOr().Before(h.FoundOn) {
		ps.add("foundOn", labelHazardFoundOn, h.FoundOn.String(), reasonFoundInFuture, SeverityError)
	}
	ps.sortByField(hazardFieldOrder)
	return ps
}

// validateHazard holds the rules every hazard record follows, wherever it comes from.
func (ps *Problems) validateHazard(h *Hazard, cl *Clauses) {
	if h.StreetID != "" && !ValidStreetID(h.StreetID) {
		ps.add("streetId", labelHazardStreetID, h.StreetID, reasonStreetID, SeverityError)
	}
	ps.checkUSCC("uscc", labelUSCC, h.USCC)
	if h.RegionCode != "" && (len(h.RegionCode) != 9 || !allDigits(h.RegionCode)) {
		ps.add("regionCode", labelRegionCode, h.RegionCode, reasonRegionCode, SeverityError)
	}
	ps.required("description", labelHazardDesc, h.Description)
	if ps.required("level", labelHazardLevel, string(h.Level)) && !h.Level.Known() {
		ps.add("level", labelHazardLevel, string(h.Level), reasonHazardLevel, SeverityError)
	}
	ps.checkClause(h, cl)
	if ps.required("source", labelHazardSource, string(h.Source)) && !h.Source.Known() {
		ps.add("source", labelHazardSource, string(h.Source), reasonHazardSource, SeverityError)
	}
	if ps.requiredDate("foundOn", labelHazardFoundOn, h.FoundOn) {
		ps.checkDate("foundOn", labelHazardFoundOn, h.FoundOn, SeverityError)
	}
	if ps.requiredDate("deadline", labelHazardDeadline, h.Deadline) {
		ps.checkDate("deadline", labelHazardDeadline, h.Deadline, SeverityError)
		if !h.FoundOn.IsZero() && h.Deadline.Before(h.FoundOn) {
			ps.add("deadline", labelHazardDeadline, h.Deadline.String(), reasonDeadlineEarly, SeverityError)
		}
	}
	if h.Status != "" && !h.Status.Known() {
		ps.add("status", labelHazardStatus, string(h.Status), reasonHazardStatus, SeverityError)
	}
}

// checkClause: a major hazard needs a clause reference (a clause no list knows is kept, with a
// warning); a general one should have none.
func (ps *Problems) checkClause(h *Hazard, cl *Clauses) {
	switch {
	case h.Level == HazardMajor && h.Clause == "":
		ps.required("clause", labelHazardClause, "")
	case h.Clause == "":
	case h.Level == HazardGeneral:
		ps.add("clause", labelHazardClause, h.Clause, reasonClauseGeneral, SeverityWarning)
	default:
		code, known, ref := cl.Parse(h.Clause)
		switch {
		case !ref:
			ps.add("clause", labelHazardClause, h.Clause, reasonClauseFormat, SeverityError)
		case !known:
			ps.add("clause", labelHazardClause, code, reasonClauseUnknown, SeverityWarning)
		}
	}
}

// ValidateStatusMove checks a move from the recorded status (from; "" is 待整改) to a new one:
// only 整改中, 已整改 or 已销号 can be recorded, never backwards, and nothing after 已销号. A
// further note on the same status is allowed.
func ValidateStatusMove(from, to HazardStatus) Problems {
	var ps Problems
	ps.checkStatusMove(from, to)
	return ps
}

func (ps *Problems) checkStatusMove(from, to HazardStatus) {
	switch {
	case to == HazardPending || !to.Known():
		ps.add("status", labelHazardStatus, string(to), reasonStatusTarget, SeverityError)
	case from == HazardClosed:
		ps.add("status", labelHazardStatus, to.Label(), reasonStatusClosedFinal, SeverityError)
	case from.MoveTo(to) == MoveBackward:
		ps.add("status", labelHazardStatus, to.Label(), fmt.Sprintf(reasonStatusBackward, from.Label(), to.Label()), SeverityError)
	}
}

// ValidateStatusChange checks a status change before it is recorded and pushed: the move (see
// ValidateStatusMove) and the platform's four required fields, a closing (已销号) needing a note
// that says who verified it.
func ValidateStatusChange(current HazardStatus, ch *HazardStatusChange) Problems {
	var ps Problems
	ps.checkStatusMove(current, ch.Status)
	note := CleanText(ch.Note)
	if ch.Status == HazardClosed && note == "" {
		ps.add("statusNote", labelHazardStatusNote, "", reasonClosingNote, SeverityError)
	} else {
		ps.required("statusNote", labelHazardStatusNote, note)
	}
	ps.required("statusBy", labelHazardStatusBy, NormalizePersonName(ch.Handler))
	if ch.At.IsZero() {
		ps.add("statusAt", labelHazardStatusAt, "", reasonRequired, SeverityError)
	}
	return ps
}

// ValidateDrill checks a normalized drill record: the enterprise's code, a real date not after
// today, a known type, a plausible number of participants. Options: WithToday.
func ValidateDrill(d *Drill, opts ...Option) Problems {
	s := newSettings(opts)
	var ps Problems
	ps.checkUSCC("uscc", labelUSCC, d.USCC)
	if ps.requiredDate("date", labelDrillDate, d.Date) {
		ps.checkDate("date", labelDrillDate, d.Date, SeverityError)
		if s.todayOr().Before(d.Date) {
			ps.add("date", labelDrillDate, d.Date.String(), reasonDrillInFuture, SeverityError)
		}
	}
	if ps.required("type", labelDrillType, string(d.Type)) && !d.Type.Known() {
		ps.add("type", labelDrillType, string(d.Type), reasonDrillType, SeverityError)
	}
	switch {
	case d.Participants < 0:
		ps.add("participants", labelDrillParticipants, fmt.Sprint(d.Participants), reasonParticipants, SeverityError)
	case d.Participants > maxEmployees:
		ps.add("participants", labelDrillParticipants, fmt.Sprint(d.Participants), reasonEmployeesTooMany, SeverityError)
	}
	ps.sortByField(drillFieldOrder)
	return ps
}
