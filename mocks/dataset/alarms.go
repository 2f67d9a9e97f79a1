package dataset

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// alarms gives every monitored key-risk enterprise on the platform monitoring points and a
// month of alarms: levels 1–4, some active, some recovered, some handled.
func (g *generator) alarms() {
	seq := 0
	covered := 0 // the first alarms take levels 1..4 and each handling state once
	for pi := range g.ds.Platform {
		e := &g.ds.Platform[pi]
		if !e.RiskMonitored {
			continue
		}
		point := 0
		for _, code := range strings.Split(e.KeyRisks, ",") {
			kinds := pointKinds[code]
			for n := 1 + g.pick(2); n > 0; n-- {
				point++
				kind := kinds[g.pick(len(kinds))]
				name := strconv.Itoa(point) + kind.name
				pointCode := fmt.Sprintf("JCD%04d", point)
				alarms := g.pick(4)
				if covered < 6 {
					alarms = 2
				}
				for a := 0; a < alarms; a++ {
					seq++
					g.ds.Alarms = append(g.ds.Alarms, g.alarm(e, seq, pointCode, name, kind, &covered))
				}
			}
		}
	}
}

func (g *generator) alarm(e *Enterprise, seq int, pointCode, pointName string, kind pointKind, covered *int) Alarm {
	raised := (g.ref - 2 - Day(g.pick(29))).Time(g.pick(86400))
	a := Alarm{
		PlatformID: e.PlatformID, USCC: e.USCC, EnterpriseName: e.Name,
		PointCode: pointCode, PointName: pointName, Quantity: kind.quantity, Unit: kind.unit,
		Threshold: kind.threshold, Type: kind.breach, RaisedAt: raised,
	}
	a.ID = fmt.Sprintf("BJ%s%06d", strings.ReplaceAll(DayOf(raised).String(), "-", ""), seq)
	switch r := g.pick(100); {
	case r < 6:
		a.Level = 1
	case r < 22:
		a.Level = 2
	case r < 62:
		a.Level = 3
	default:
		a.Level = 4
	}
	if g.chance(10) {
		a.Type, a.Value, a.Threshold = "LX", "", ""
	} else {
		v := kind.low + g.rng.Float64()*(kind.high-kind.low)
		a.Value = strconv.FormatFloat(v, 'f', 1, 64)
	}
	state := g.pick(10) // 0-2 active, 3-9 recovered
	if *covered < 6 {
		a.Level = 1 + *covered%4
		state = []int{0, 2, 5, 9, 1, 8}[*covered]
		*covered++
	}
	a.UpdatedAt = raised
	if state >= 3 {
		a.RecoveredAt = raised.Add(time.Duration(5+g.pick(360)) * time.Minute)
		a.UpdatedAt = a.RecoveredAt
	}
	a.HandlingStatus = "0"
	switch {
	case state >= 7 || (state == 2):
		// Handled (已处置) — also an active one whose handling was recorded as done.
		g.handle(&a, "2")
	case state >= 5 || state == 1:
		g.handle(&a, "1")
	}
	return a
}

func (g *generator) handle(a *Alarm, status string) {
	a.HandlingStatus = status
	a.HandlingNote = handlingNotes[g.pick(len(handlingNotes))]
	a.Handler = g.personName(true) + "（" + handlerTitles[g.pick(len(handlerTitles))] + "）"
	at := a.RaisedAt.Add(time.Duration(10+g.pick(600)) * time.Minute)
	if !a.RecoveredAt.IsZero() && at.Before(a.RecoveredAt) {
		at = a.RecoveredAt.Add(time.Duration(1+g.pick(120)) * time.Minute)
	}
	a.HandledAt = at.Truncate(time.Second)
	if a.HandledAt.After(a.UpdatedAt) {
		a.UpdatedAt = a.HandledAt
	}
}
