package mapping

import "strconv"

// The Quanzhou platform's shapes (quanzhou-platform.md) ↔ the canonical records. Times on this
// platform are Beijing `yyyy-MM-dd HH:mm:ss` without offset, booleans "1"/"0", and empty optional
// values "".

// EnterpriseFromQZ converts a platform enterprise record: every field is parsed, normalized and
// validated, and all problems are returned together. Problems with platform-owned fields are
// warnings (they are the platform's to fix); street-owned ones are errors. A text over its length
// limit is an error too, and arrives cut to the limit: the record is refused, and whoever shows
// it anyway (a reconcile report) shows no megabytes.
func EnterpriseFromQZ(q QZEnterprise) (Enterprise, Problems) {
	var ps Problems
	var e Enterprise
	for _, f := range EnterpriseTable {
		switch {
		case f.qz == nil:
		case f.kind == KindText:
			*f.textAt(&e) = *f.qzAt(&q) // read's first case, without the call: most fields are text
		default:
			f.read(&e, *f.qzAt(&q), &ps)
		}
	}
	NormalizeEnterprise(&e)
	ps.validateEnterprise(&e, false)
	if ps != nil {
		clipLong(EnterpriseTable, &e)
		ps.sortByField(enterpriseFieldOrder)
	}
	return e, ps
}

// EnterpriseToQZ writes the street-owned fields of e and its qyid in the platform's canonical
// forms, for batchSave: zdlx codes in the contract's order joined by commas, the phone as digits,
// booleans "1"/"0", 从业人数 as a number ("" when unknown). Platform-owned fields are left out
// (the platform ignores them, and sending them could only overwrite) — except the qyid, which
// names the record being updated. e is normalized on a copy first, so that two spellings of one
// record always send the same strings (the platform answers UNCHANGED only for identical strings).
func EnterpriseToQZ(e *Enterprise) QZEnterprise {
	n := *e
	NormalizeEnterprise(&n)
	q := QZEnterprise{Qyid: n.PlatformID}
	for _, f := range EnterpriseTable {
		if f.Owner == OwnerStreet && f.qz != nil {
			*f.qzAt(&q) = f.wireText(&n)
		}
	}
	return q
}

// Field returns where the record keeps the value of a wire key (EnterpriseTable's Wire names),
// and whether it is a number (cyrs, a FlexNumber: null clears it); nil for a key the record does
// not have. Decoders use it instead of spelling the keys out again.
func (q *QZEnterprise) Field(key string) (dst *string, number bool) {
	f := qzKeys.find(key)
	if f == nil {
		return nil, false
	}
	return f.qzAt(q), f.kind == KindCount
}

// QZEnterpriseKeys lists the Quanzhou record's keys, in EnterpriseTable's order.
func QZEnterpriseKeys() []string {
	var out []string
	for _, f := range EnterpriseTable {
		if f.Wire != "" {
			out = append(out, f.Wire)
		}
	}
	return out
}

// keyIndex finds a field by its wire key. The decoder asks for every key of every record — ten
// thousand times a page — and a map's hashing would cost as much as the decoding itself: a key's
// length and two of its bytes pick a slot instead, probed in order.
type keyIndex struct {
	slots [64]*Field[Enterprise]
}

func keySlot(k string) int {
	if k == "" {
		return 0
	}
	return (len(k)*7 + int(k[0])*31 + int(k[len(k)-1])) & 63
}

func (x *keyIndex) find(k string) *Field[Enterprise] {
	for i, n := keySlot(k), 0; n < len(x.slots); i, n = (i+1)&63, n+1 {
		f := x.slots[i]
		if f == nil || f.Wire == k {
			return f
		}
	}
	return nil
}

var qzKeys = func() *keyIndex {
	x := &keyIndex{}
	for _, f := range EnterpriseTable {
		if f.Wire == "" {
			continue
		}
		i := keySlot(f.Wire)
		for x.slots[i] != nil {
			i = (i + 1) & 63
		}
		x.slots[i] = f
	}
	return x
}()

// AlarmFromQZ converts a risk-monitoring alarm. Only a missing alarm id stops it; anything else
// odd (an unknown level or type, a time that does not parse, a text over its length limit, which
// is cut to it) is a warning: an alarm is the platform's record and is better kept than lost.
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
	validateRecord(&ps, alarmTexts, &a, nil, false)
	clipLong(alarmTexts, &a)
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
// fields are required by the platform (40001 otherwise), the status is 1 or 2, and the note and
// the handler keep to their length limits.
func ValidateFeedback(f *AlarmFeedback) Problems {
	var ps Problems
	ps.required("alarmId", labelAlarmID, f.AlarmID)
	if ps.required("status", labelHandling, f.Status) && f.Status != "1" && f.Status != "2" {
		ps.add("status", labelHandling, f.Status, reasonFeedbackStatus, SeverityError)
	}
	if note := CleanText(f.Note); tooLong(note, maxRemarkRunes) {
		ps.tooLong("note", labelHandlingNote, note, maxRemarkRunes, SeverityError)
	} else {
		ps.required("note", labelHandlingNote, note)
	}
	if handler := NormalizePersonName(f.Handler); tooLong(handler, maxPersonRunes) {
		ps.tooLong("handler", labelHandler, handler, maxPersonRunes, SeverityError)
	} else {
		ps.required("handler", labelHandler, handler)
	}
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
