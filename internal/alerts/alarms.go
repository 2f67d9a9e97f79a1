package alerts

import (
	"strconv"
	"time"

	"streetsync/internal/alerts/notify"
)

// EvaluateAlarm raises ALARM_UNHANDLED (critical) for a risk-monitoring alarm of level 1 or 2
// that is still unhandled (czzt 0; an empty status counts as never handled) `after` or longer
// since it was raised. Its key is (rule, alarm id, enterprise USCC); it resolves when the
// alarm is handled (czzt 1 or 2) and so leaves the source. The alert goes to the enterprise's
// community, through the same state machine as the certificate alerts.
func EvaluateAlarm(a *AlarmEntry, now time.Time, after time.Duration, loc *time.Location) (Finding, bool) {
	al := &a.Alarm
	if al.Level < 1 || al.Level > 2 || (al.HandlingStatus != "0" && al.HandlingStatus != "") {
		return Finding{}, false
	}
	if al.RaisedAt.IsZero() || now.Sub(al.RaisedAt) < after {
		return Finding{}, false
	}
	raw := RawKey(RuleAlarmUnhandled, al.ID, al.USCC, "")
	alert := Alert{
		Key:        publicKey(raw),
		Rule:       RuleAlarmUnhandled,
		RuleName:   RuleName(RuleAlarmUnhandled),
		Severity:   notify.SeverityCritical,
		Status:     notify.StatusFiring,
		Community:  a.Community,
		Enterprise: notify.Enterprise{USCC: al.USCC, Name: al.EnterpriseName},
		Alarm: &notify.Alarm{
			ID: al.ID, Point: al.PointName, Quantity: al.Quantity, Value: al.Value,
			Threshold: al.Threshold, Unit: al.Unit, Level: al.Level, RaisedAt: al.RaisedAt.In(loc),
		},
		Message: alarmMessage(a, after),
	}
	// The alarm's material state: its level (a level change is worth a new notice).
	return Finding{Alert: alert, raw: raw, fp: "level" + strconv.Itoa(al.Level)}, true
}
