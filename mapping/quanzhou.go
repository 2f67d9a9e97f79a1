package mapping

import "strconv"

// The Quanzhou platform's shapes (quanzhou-platform.md) ↔ the canonical records. Times on this
// platform are Beijing `yyyy-MM-dd HH:mm:ss` without offset, booleans "1"/"0", and empty optional
// values "".

// EnterpriseFromQZ converts a platform enterprise record: every field is parsed, normalized and
// validated, and all problems are returned together. Problems with platform-owned fields are
// warnings (they are the platform's to fix); street-owned ones are errors.
func EnterpriseFromQZ(q QZEnterprise) (Enterprise, Problems) {
	var ps Problems
	e := Enterprise{
		USCC:           q.Tyshxydm,
		Name:           q.Qymc,
		LegalRep:       q.Fddbr,
		Principal:      q.Zyfzr,
		PrincipalPhone: q.Zyfzrlxdh,
		SafetyManager:  q.Aqglry,
		Address:        q.Jydz,
		RegionCode:     q.Xzqhdm,
		Community:      q.Sqmc,
		Industry:       Industry(q.Hylb),
		Status:         EnterpriseStatus(q.Qyzt),
		PlatformID:     q.Qyid,
		Grade:          Grade(q.Bzhdj),
	}
	e.KeyRisks, _ = ParseKeyRisks(q.Zdlx)
	e.Employees = ps.parseEmployeesField("employees", labelEmployees, string(q.Cyrs))
	e.FactoryInFactory = ps.parseFlagField("factoryInFactory", labelFactoryInside, q.Sfczc, SeverityError)
	e.GradeValidUntil = ps.parseDateField("gradeValidUntil", labelGradeValidUntil, q.Bzhyxq, SeverityWarning)
	e.RiskMonitored = ps.parseFlagField("riskMonitored", labelRiskMonitored, q.Sfnrjcyj, SeverityWarning)
	e.UpdatedAt = ps.parseTimeField("updatedAt", labelUpdatedAt, q.Gxsj, SeverityWarning)
	NormalizeEnterprise(&e)
	ps.validateEnterprise(&e)
	ps.sortByField(enterpriseFieldOrder)
	return e, ps
}

// EnterpriseToQZ writes the street-owned fields of e and its qyid in the platform's canonical
// forms, for batchSave: zdlx codes in the contract's order joined by commas, the phone as digits,
// booleans "1"/"0", 从业人数 as a number ("" when unknown). Platform-owned fields are left out
// (the platform ignores them, and sending them could only overwrite). e is normalized on a copy
// first, so that two spellings of one record always send the same strings (the platform answers
// UNCHANGED only for identical strings).
func EnterpriseToQZ(e *Enterprise) QZEnterprise {
	n := *e
	NormalizeEnterprise(&n)
	return QZEnterprise{
		Qyid:      n.PlatformID,
		Tyshxydm:  n.USCC,
		Qymc:      n.Name,
		Fddbr:     n.LegalRep,
		Zyfzr:     n.Principal,
		Zyfzrlxdh: n.PrincipalPhone,
		Aqglry:    n.SafetyManager,
		Jydz:      n.Address,
		Xzqhdm:    n.RegionCode,
		Sqmc:      n.Community,
		Hylb:      string(n.Industry),
		Zdlx:      joinKeyRisks(n.KeyRisks),
		Cyrs:      FlexNumber(employeesText(n.Employees)),
		Qyzt:      string(n.Status),
		Sfczc:     boolFlag(n.FactoryInFactory),
	}
}

// AlarmFromQZ converts a risk-monitoring alarm. Only a missing alarm id stops it; anything else
// odd (an unknown level or type, a time that does not parse) is a warning: an alarm is the
// platform's record and is better kept than lost.
func AlarmFromQZ(q QZAlarm) (Alarm, Problems) {
	var ps Problems
	a := Alarm{
		ID:             q.Bjid,
		PlatformID:     q.Qyid,
		USCC:           q.Tyshxydm,
		EnterpriseName: q.Qymc,
		PointCode:      q.Jcdbm,
		PointName:      q.Jcdmc,
		Quantity:       q.Jcxm,
		Unit:           q.Jldw,
		Value:          q.Bjz,
		Threshold:      q.Yz,
		Type:           q.Bjlx,
		HandlingStatus: q.Czzt,
		HandlingNote:   q.Czsm,
		Handler:        q.Czr,
	}
	NormalizeAlarm(&a)
	ps.required("id", labelAlarmID, a.ID)
	if a.PlatformID == "" && a.USCC == "" {
		ps.add("enterprise", labelAlarmTarget, "", reasonAlarmEnterprise, SeverityWarning)
	}
	if lv := normalizeCode(q.Bjjb); lv != "" {
		if n, err := strconv.Atoi(lv); err == nil && n >= 1 && n <= 4 {
			a.Level = n
		} else {
			ps.add("level", labelAlarmLevel, q.Bjjb, reasonAlarmLevel, SeverityWarning)
		}
	}
	switch a.Type {
	case "", "SX", "XX", "LX":
	default:
		ps.add("type", labelAlarmType, a.Type, reasonAlarmType, SeverityWarning)
	}
	switch a.HandlingStatus {
	case "", "0", "1", "2":
	default:
		ps.add("handlingStatus", labelHandling, a.HandlingStatus, reasonHandling, SeverityWarning)
	}
	a.RaisedAt = ps.parseTimeField("raisedAt", labelRaisedAt, q.Bjsj, SeverityWarning)
	a.RecoveredAt = ps.parseTimeField("recoveredAt", labelRecoveredAt, q.Hfsj, SeverityWarning)
	a.HandledAt = ps.parseTimeField("handledAt", labelHandledAt, q.Czsj, SeverityWarning)
	a.UpdatedAt = ps.parseTimeField("updatedAt", labelUpdatedAt, q.Gxsj, SeverityWarning)
	return a, ps
}

// ValidateFeedback checks the street's handling of an alarm before it is pushed: all four
// fields are required by the platform (40001 otherwise), and the status is 1 or 2.
func ValidateFeedback(f *AlarmFeedback) Problems {
	var ps Problems
	ps.required("alarmId", labelAlarmID, f.AlarmID)
	if ps.required("status", labelHandling, f.Status) && f.Status != "1" && f.Status != "2" {
		ps.add("status", labelHandling, f.Status, reasonFeedbackStatus, SeverityError)
	}
	ps.required("note", labelHandlingNote, CleanText(f.Note))
	ps.required("handler", labelHandler, NormalizePersonName(f.Handler))
	if f.HandledAt.IsZero() {
		ps.add("handledAt", labelHandledAt, "", reasonRequired, SeverityError)
	}
	return ps
}

// FeedbackToQZ writes the body of POST /risk/alarms/{bjid}/feedback.
func FeedbackToQZ(f AlarmFeedback) QZFeedback {
	return QZFeedback{
		Czzt: normalizeCode(f.Status),
		Czsm: CleanText(f.Note),
		Czr:  NormalizePersonName(f.Handler),
		Czsj: FormatBeijingTime(f.HandledAt),
	}
}
