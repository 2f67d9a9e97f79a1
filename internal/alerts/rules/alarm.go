package rules

import (
	"fmt"
	"strconv"
	"time"

	"streetsync/internal/alerts/notify"
	"streetsync/mapping"
)

// AlarmEntry is a risk-monitoring alarm with its enterprise's community.
type AlarmEntry struct {
	Alarm     mapping.Alarm
	Community string
}

// ALARM_UNHANDLED: a level 1–2 risk-monitoring alarm unhandled for alerts.alarmUnhandledAfter.
var alarmUnhandled = register(Rule{
	Code: "ALARM_UNHANDLED", Name: "报警未处置", Severity: notify.SeverityCritical, Family: Alarm,
	Colour: "#64748b", Order: 100,
})

// EvaluateAlarm raises ALARM_UNHANDLED (critical) for a risk-monitoring alarm of level 1 or 2
// that is still unhandled (czzt 0; an empty status counts as never handled) `after` or longer
// since it was raised. Its key is (rule, alarm id, enterprise USCC); it resolves when the alarm
// is handled (czzt 1 or 2) and so leaves the source. The alert goes to the enterprise's
// community, through the same state machine as the certificate alerts.
func EvaluateAlarm(a *AlarmEntry, now time.Time, after time.Duration, loc *time.Location) (Finding, bool) {
	al := &a.Alarm
	if al.Level < 1 || al.Level > 2 || (al.HandlingStatus != "0" && al.HandlingStatus != "") {
		return Finding{}, false
	}
	if al.RaisedAt.IsZero() || now.Sub(al.RaisedAt) < after {
		return Finding{}, false
	}
	what := al.Quantity
	if al.Value != "" {
		what += " " + al.Value + al.Unit
	}
	if al.Type == "LX" || what == "" {
		what = "离线"
	}
	f := newFinding(alarmUnhandled, notify.Alert{
		Key:        KeyOf(alarmUnhandled.Code, al.ID, al.USCC, ""),
		Community:  a.Community,
		Enterprise: notify.Enterprise{USCC: al.USCC, Name: al.EnterpriseName},
		Alarm: &notify.Alarm{
			ID: al.ID, Point: al.PointName, Quantity: al.Quantity, Value: al.Value,
			Threshold: al.Threshold, Unit: al.Unit, Level: al.Level, RaisedAt: al.RaisedAt.In(loc),
		},
		Message: fmt.Sprintf("报警未处置：%s的监测点“%s”发生 %d 级报警（%s），已超过 %s 未处置。请督促企业立即核查处置，并在平台反馈处置情况",
			al.EnterpriseName, al.PointName, al.Level, what, chineseDuration(after)),
	})
	// The alarm's material state: its level (a level change is worth a new notice).
	f.Fingerprint = "level" + strconv.Itoa(al.Level)
	return f, true
}
