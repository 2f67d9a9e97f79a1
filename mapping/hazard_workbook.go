package mapping

import "strconv"

// The street's hazard and drill sheets of the ledger workbook (contracts/hazards.md, "Ledger and
// workbook"): the same header rules as 企业台账 (order free, common variants, * and hints
// ignored). 平台隐患ID is written by export and ignored by import; a hazard the enterprise reported
// itself (来源 企业自查) is exported for reading and refused on import (it comes from the platform).

const (
	SheetHazards Sheet = "隐患台账"
	SheetDrills  Sheet = "演练记录"
)

// Column variants are in header-key form (headerKey): cleaned, folded, upper case.
var (
	hazardColumns = []column{
		{header: labelHazardStreetID, field: "streetId", variants: []string{"编号", "隐患编码", "街道隐患编号"}, max: 32},
		{header: labelUSCC, field: "uscc", required: true, variants: usccVariants, max: 32},
		{header: labelHazardDesc, field: "description", required: true, variants: []string{"隐患内容", "隐患情况", "问题描述", "存在问题", "描述"}, max: MaxCellRunes},
		{header: labelHazardLevel, field: "level", required: true, variants: []string{"等级", "隐患级别", "级别"}, max: 16},
		{header: labelHazardClause, field: "clause", variants: []string{"依据", "判定标准", "判定条款"}, max: MaxCellRunes},
		{header: labelHazardLocation, field: "location", variants: []string{"部位", "隐患位置", "位置"}, max: MaxCellRunes},
		{header: labelHazardFoundOn, field: "foundOn", required: true, variants: []string{"发现时间", "检查日期", "排查日期"}, max: 32},
		{header: labelHazardFoundBy, field: "foundBy", variants: []string{"检查人", "排查人"}, max: 64},
		{header: labelHazardSource, field: "source", variants: []string{"隐患来源"}, max: 16},
		{header: labelHazardDeadline, field: "deadline", required: true, variants: []string{"整改时限", "期限", "整改截止日期", "整改期限日期"}, max: 32},
		{header: labelHazardOwner, field: "responsible", variants: []string{"责任人"}, max: 64},
		{header: labelHazardMeasures, field: "measures", variants: []string{"措施"}, max: MaxCellRunes},
		{header: labelHazardStatus, field: "status", variants: []string{"状态"}, max: 16},
		{header: labelRemark, field: "remark", variants: []string{"说明"}, max: MaxCellRunes},
		{header: labelHazardID, field: "id", readOnly: true, variants: []string{"平台ID", "YHID"}, max: 64},
	}
	drillColumns = []column{
		{header: labelUSCC, field: "uscc", required: true, variants: usccVariants, max: 32},
		{header: labelDrillDate, field: "date", required: true, variants: []string{"日期", "演练时间"}, max: 32},
		{header: labelDrillType, field: "type", required: true, variants: []string{"类型", "演练形式", "演练项目"}, max: 32},
		{header: labelDrillParticipants, field: "participants", variants: []string{"人数", "参演人数", "参加人员数"}, max: 16},
		{header: labelRemark, field: "remark", variants: []string{"说明"}, max: MaxCellRunes},
	}
	usccVariants = []string{"信用代码", "社会信用代码", "统一信用代码", "企业信用代码", "统一代码"}
)

// detectHazardSheet tells a hazard or drill sheet from its header row by the columns only it has.
func detectHazardSheet(headers []string) (Sheet, bool) {
	for _, h := range headers {
		if c, ok := SheetHazards.CanonicalHeader(h); ok && (c == labelHazardDesc || c == labelHazardLevel) {
			return SheetHazards, true
		}
		if c, ok := SheetDrills.CanonicalHeader(h); ok && (c == labelDrillDate || c == labelDrillType) {
			return SheetDrills, true
		}
	}
	return "", false
}

// HazardFromRow converts one row of 隐患台账 into a normalized, validated hazard the street
// records: 来源 empty is 街道检查 and may not be 企业自查, the clause is a code or the clause's text,
// a 重大 hazard needs one, the deadline may not be before the finding. The row's 隐患编号 is kept
// as written ("" when empty: the importer derives one). Options: WithToday.
func HazardFromRow(row map[string]string, cl *Clauses, opts ...Option) (Hazard, Problems) {
	var ps Problems
	cells := SheetHazards.readRow(row, &ps)
	get := func(field string) string {
		for i, c := range hazardColumns {
			if c.field == field {
				return cells[i].value
			}
		}
		return ""
	}
	h := Hazard{StreetID: get("streetId"), USCC: get("uscc"), Description: get("description"),
		Level: HazardLevel(get("level")), Clause: get("clause"), Location: get("location"), FoundBy: get("foundBy"),
		Source: HazardSource(get("source")), Responsible: get("responsible"), Measures: get("measures"),
		Status: HazardStatus(get("status")), Remark: get("remark")}
	h.FoundOn = ps.parseDateField("foundOn", labelHazardFoundOn, get("foundOn"), SeverityError)
	h.Deadline = ps.parseDateField("deadline", labelHazardDeadline, get("deadline"), SeverityError)
	NormalizeHazard(&h, cl)
	if h.Source == "" {
		h.Source = SourceStreet // the contract's default
	}
	if h.Status == "" {
		h.Status = HazardPending
	}
	for _, p := range ValidateHazard(&h, cl, opts...) {
		if !ps.has(p.Field) {
			ps = append(ps, p)
		}
	}
	for _, c := range hazardColumns {
		if c.max > 0 && tooLong(get(c.field), c.max) {
			ps.tooLong(c.field, c.header, get(c.field), c.max, SeverityError)
		}
	}
	if ps != nil {
		SheetHazards.relabel(ps, cells)
		ps.sortByField(hazardFieldOrder)
	}
	return h, ps
}

// HazardToRow writes a hazard as a row of 隐患台账, keyed by canonical headers: labels for codes,
// the clause as its code, dates yyyy-MM-dd, and the read-only 平台隐患ID.
func HazardToRow(h *Hazard) map[string]string {
	status := h.Status
	if status == "" {
		status = HazardPending
	}
	return map[string]string{
		labelHazardStreetID: h.StreetID, labelUSCC: h.USCC, labelHazardDesc: h.Description, labelHazardLevel: h.Level.Label(),
		labelHazardClause: pushedClause(h), labelHazardLocation: h.Location, labelHazardFoundOn: h.FoundOn.String(),
		labelHazardFoundBy: h.FoundBy, labelHazardSource: h.Source.Label(), labelHazardDeadline: h.Deadline.String(),
		labelHazardOwner: h.Responsible, labelHazardMeasures: h.Measures, labelHazardStatus: status.Label(),
		labelRemark: h.Remark, labelHazardID: h.ID,
	}
}

// DrillFromRow converts one row of 演练记录 into a normalized, validated drill. Options: WithToday.
func DrillFromRow(row map[string]string, opts ...Option) (Drill, Problems) {
	var ps Problems
	cells := SheetDrills.readRow(row, &ps)
	d := Drill{USCC: cells[0].value, Type: DrillType(cells[2].value), Remark: cells[4].value}
	d.Date = ps.parseDateField("date", labelDrillDate, cells[1].value, SeverityError)
	if v := CleanText(cells[3].value); v != "" {
		n, ok := ParseCount(v)
		if !ok {
			ps.add("participants", labelDrillParticipants, v, reasonParticipants, SeverityError)
		}
		d.Participants = n
	}
	NormalizeDrill(&d)
	for _, p := range ValidateDrill(&d, opts...) {
		if !ps.has(p.Field) {
			ps = append(ps, p)
		}
	}
	if ps != nil {
		SheetDrills.relabel(ps, cells)
		ps.sortByField(drillFieldOrder)
	}
	return d, ps
}

// DrillToRow writes a drill as a row of 演练记录.
func DrillToRow(d *Drill) map[string]string {
	n := ""
	if d.Participants > 0 {
		n = strconv.Itoa(d.Participants)
	}
	return map[string]string{labelUSCC: d.USCC, labelDrillDate: d.Date.String(), labelDrillType: d.Type.Label(),
		labelDrillParticipants: n, labelRemark: d.Remark}
}
