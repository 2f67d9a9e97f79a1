package mapping

// The Quanzhou platform's hazard and inspection shapes (contracts/hazards.md, which extends
// quanzhou-platform.md) ↔ the canonical records. As everywhere on this platform: times are
// Beijing `yyyy-MM-dd HH:mm:ss` without offset, dates `yyyy-MM-dd`, empty optional values "".

// QZHazard is a Quanzhou platform hazard record. On create (POST /hazards) yhid is absent and
// the platform-set fields (qyid, qymc, gxsj) are left out.
type QZHazard struct {
	Yhid     string `json:"yhid,omitempty"`
	Lybh     string `json:"lybh"`
	Tyshxydm string `json:"tyshxydm"`
	Qyid     string `json:"qyid,omitempty"`
	Qymc     string `json:"qymc,omitempty"`
	Xzqhdm   string `json:"xzqhdm"`
	Yhly     string `json:"yhly"`
	Yhdj     string `json:"yhdj"`
	Pdbz     string `json:"pdbz"`
	Yhms     string `json:"yhms"`
	Yhbw     string `json:"yhbw"`
	Fxrq     string `json:"fxrq"`
	Fxr      string `json:"fxr"`
	Zgqx     string `json:"zgqx"`
	Zgzrr    string `json:"zgzrr"`
	Zgcs     string `json:"zgcs"`
	Zgzt     string `json:"zgzt"`
	Zgsm     string `json:"zgsm"`
	Zgczr    string `json:"zgczr"`
	Zgczsj   string `json:"zgczsj"`
	Gxsj     string `json:"gxsj,omitempty"`
}

// QZHazardStatus is the body of POST /hazards/{yhid}/status; all four fields are required.
type QZHazardStatus struct {
	Zgzt   string `json:"zgzt"`
	Zgsm   string `json:"zgsm"`
	Zgczr  string `json:"zgczr"`
	Zgczsj string `json:"zgczsj"`
}

// QZInspection is a Quanzhou platform inspection record (read-only).
type QZInspection struct {
	Jcid     string     `json:"jcid"`
	Tyshxydm string     `json:"tyshxydm"`
	Qymc     string     `json:"qymc"`
	Jcrq     string     `json:"jcrq"`
	Jclx     string     `json:"jclx"`
	Dzr      string     `json:"dzr"`
	Fxyhs    FlexNumber `json:"fxyhs"` // a number or a string
	Gxsj     string     `json:"gxsj"`
}

// HazardField describes one field of a hazard the two sides hold: its canonical English name
// (reconcile output), its Chinese label, its Quanzhou wire name, and whether it is one of the
// status fields both sides change (merged furthest forward) rather than a field its reporter
// owns (a platform-side edit of a street-reported hazard's reporter field is drift).
type HazardField struct {
	Name   string
	Label  string
	Wire   string
	Status bool
	// Get renders the field of a normalized hazard as it is pushed, for comparison.
	Get func(h *Hazard) string
}

// HazardFields lists the compared fields in the contract's order. The ids (yhid, lybh), the
// platform-set qyid, qymc and gxsj, and the street-only 备注 are not compared.
var HazardFields = []HazardField{
	{"uscc", labelUSCC, "tyshxydm", false, func(h *Hazard) string { return h.USCC }},
	{"regionCode", labelRegionCode, "xzqhdm", false, func(h *Hazard) string { return h.RegionCode }},
	{"source", labelHazardSource, "yhly", false, func(h *Hazard) string { return string(h.Source) }},
	{"level", labelHazardLevel, "yhdj", false, func(h *Hazard) string { return string(h.Level) }},
	{"clause", labelHazardClause, "pdbz", false, pushedClause},
	{"description", labelHazardDesc, "yhms", false, func(h *Hazard) string { return h.Description }},
	{"location", labelHazardLocation, "yhbw", false, func(h *Hazard) string { return h.Location }},
	{"foundOn", labelHazardFoundOn, "fxrq", false, func(h *Hazard) string { return h.FoundOn.String() }},
	{"foundBy", labelHazardFoundBy, "fxr", false, func(h *Hazard) string { return h.FoundBy }},
	{"deadline", labelHazardDeadline, "zgqx", false, func(h *Hazard) string { return h.Deadline.String() }},
	{"responsible", labelHazardOwner, "zgzrr", false, func(h *Hazard) string { return h.Responsible }},
	{"measures", labelHazardMeasures, "zgcs", false, func(h *Hazard) string { return h.Measures }},
	{"status", labelHazardStatus, "zgzt", true, pushedStatus},
	{"statusNote", labelHazardStatusNote, "zgsm", true, func(h *Hazard) string { return h.StatusNote }},
	{"statusBy", labelHazardStatusBy, "zgczr", true, func(h *Hazard) string { return h.StatusBy }},
	{"statusAt", labelHazardStatusAt, "zgczsj", true, func(h *Hazard) string { return FormatBeijingTime(h.StatusAt) }},
}

// pushedClause is pdbz as pushed: the clause of a major hazard, "" for a general one (contract).
func pushedClause(h *Hazard) string {
	if h.Level == HazardGeneral {
		return ""
	}
	return h.Clause
}

// pushedStatus is zgzt as pushed: a new record without a status is 待整改.
func pushedStatus(h *Hazard) string {
	if h.Status == "" {
		return string(HazardPending)
	}
	return string(h.Status)
}

// HazardFromQZ converts a platform hazard record: every field is parsed, normalized and
// validated, and all problems are returned together. Only a missing yhid or tyshxydm stops it;
// anything else odd (an unknown code, a malformed clause, a date that does not parse) is a
// warning: the record is the platform's, an enterprise's own report is read-only for the street,
// and a hazard is better kept and shown than lost. A nil clause list is the built-in one.
func HazardFromQZ(q QZHazard, cl *Clauses) (Hazard, Problems) {
	cl = clausesOrDefault(cl)
	var ps Problems
	h := Hazard{
		ID:             q.Yhid,
		StreetID:       q.Lybh,
		USCC:           q.Tyshxydm,
		EnterpriseID:   q.Qyid,
		EnterpriseName: q.Qymc,
		RegionCode:     q.Xzqhdm,
		Source:         HazardSource(q.Yhly),
		Level:          HazardLevel(q.Yhdj),
		Clause:         q.Pdbz,
		Description:    q.Yhms,
		Location:       q.Yhbw,
		FoundBy:        q.Fxr,
		Responsible:    q.Zgzrr,
		Measures:       q.Zgcs,
		Status:         HazardStatus(q.Zgzt),
		StatusNote:     q.Zgsm,
		StatusBy:       q.Zgczr,
	}
	h.FoundOn = ps.parseDateField("foundOn", labelHazardFoundOn, q.Fxrq, SeverityWarning)
	h.Deadline = ps.parseDateField("deadline", labelHazardDeadline, q.Zgqx, SeverityWarning)
	h.StatusAt = ps.parseTimeField("statusAt", labelHazardStatusAt, q.Zgczsj, SeverityWarning)
	h.UpdatedAt = ps.parseTimeField("updatedAt", labelUpdatedAt, q.Gxsj, SeverityWarning)
	NormalizeHazard(&h, cl)
	ps.required("id", labelHazardID, h.ID)
	ps.validateHazard(&h, cl)
	ps.stopOnlyWhenMissing("id", "uscc")
	ps.sortByField(hazardFieldOrder)
	return h, ps
}

// HazardToQZ writes the body of POST /hazards for a street-reported hazard: the reporter's fields
// and the status in the platform's canonical forms, without yhid and the platform-set fields;
// pdbz only for a major hazard, zgzt 0 when the record has none yet. The street's 备注 is never
// pushed. h is normalized on a copy first, so that two spellings of one record send the same
// strings (the platform compares a repeated create by content).
func HazardToQZ(h *Hazard) QZHazard {
	n := *h
	NormalizeHazard(&n, nil)
	return QZHazard{
		Lybh:     n.StreetID,
		Tyshxydm: n.USCC,
		Xzqhdm:   n.RegionCode,
		Yhly:     string(n.Source),
		Yhdj:     string(n.Level),
		Pdbz:     pushedClause(&n),
		Yhms:     n.Description,
		Yhbw:     n.Location,
		Fxrq:     n.FoundOn.String(),
		Fxr:      n.FoundBy,
		Zgqx:     n.Deadline.String(),
		Zgzrr:    n.Responsible,
		Zgcs:     n.Measures,
		Zgzt:     pushedStatus(&n),
		Zgsm:     n.StatusNote,
		Zgczr:    n.StatusBy,
		Zgczsj:   FormatBeijingTime(n.StatusAt),
	}
}

// StatusChangeToQZ writes the body of POST /hazards/{yhid}/status. Callers check the change with
// ValidateStatusChange first.
func StatusChangeToQZ(ch HazardStatusChange) QZHazardStatus {
	status, _ := ParseHazardStatus(string(ch.Status))
	return QZHazardStatus{
		Zgzt:   string(status),
		Zgsm:   CleanText(ch.Note),
		Zgczr:  NormalizePersonName(ch.Handler),
		Zgczsj: FormatBeijingTime(ch.At),
	}
}

// InspectionFromQZ converts a platform inspection record. A missing jcid or tyshxydm stops it
// (it could not be kept or counted for its enterprise); anything else odd is a warning.
func InspectionFromQZ(q QZInspection) (Inspection, Problems) {
	var ps Problems
	in := Inspection{
		ID:             q.Jcid,
		USCC:           q.Tyshxydm,
		EnterpriseName: q.Qymc,
		Type:           InspectionType(q.Jclx),
		LedBy:          q.Dzr,
	}
	in.Date = ps.parseDateField("date", labelInspectionDate, q.Jcrq, SeverityWarning)
	in.UpdatedAt = ps.parseTimeField("updatedAt", labelUpdatedAt, q.Gxsj, SeverityWarning)
	if n, ok := ParseCount(string(q.Fxyhs)); ok && n >= 0 {
		in.HazardsFound = n
	} else {
		ps.add("hazardsFound", labelInspectionFound, string(q.Fxyhs), reasonHazardCount, SeverityWarning)
	}
	NormalizeInspection(&in)
	ps.required("id", labelInspectionID, in.ID)
	ps.checkUSCC("uscc", labelUSCC, in.USCC)
	ps.requiredDate("date", labelInspectionDate, in.Date)
	if !in.Type.Known() {
		ps.add("type", labelInspectionType, string(in.Type), reasonInspectionType, SeverityWarning)
	}
	ps.stopOnlyWhenMissing("id", "uscc")
	ps.sortByField(inspectionFieldOrder)
	return in, ps
}

// stopOnlyWhenMissing turns every problem into a warning except a missing value of one of the
// given fields: a platform record is kept unless it cannot be identified.
func (ps Problems) stopOnlyWhenMissing(fields ...string) {
	for i := range ps {
		p := &ps[i]
		stop := false
		if p.Reason == reasonRequired {
			for _, f := range fields {
				stop = stop || p.Field == f
			}
		}
		if !stop {
			p.Severity = SeverityWarning
		}
	}
}
