package alerts

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"streetsync/internal/alerts/alertstest"
	"streetsync/internal/alerts/notify"
	"streetsync/internal/alerts/notify/notifytest"
	"streetsync/mapping"
	"streetsync/mapping/mask"
)

// What people list: filtered, searched (a whole ID or certificate number by its hash, never
// stored), sorted by severity then age, paged with totals; and the counts by family and severity.
func TestPagesFiltersAndSearches(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		ctx := context.Background()
		zhang, li, wang := testID(300), testID(301), testID(302)
		h.roster.add(entry(zhang), cert(zhang, alertstest.ValidUntil("2026-01-01")))
		e := entry(li)
		e.Operator.Name, e.Operator.EnterpriseUSCC, e.EnterpriseName, e.Community = "李四", usccB, "晋江市灵源第二鞋业有限公司", "灵源社区"
		h.roster.add(e, cert(li, alertstest.ValidUntil("2026-04-01"), alertstest.Holder("李四")))
		h.alarms = &alarmList{list: []AlarmEntry{alarm("BJ1", 1, t0.Add(-3*time.Hour), "0")}}
		h.check()
		h.clock.Advance(time.Hour)
		w := entry(wang)
		w.Operator.Name = "王五"
		h.roster.add(w)
		h.check()

		keys := func(p *Page) []string {
			var out []string
			for _, r := range p.Alerts {
				out = append(out, r.Rule)
			}
			return out
		}
		// Critical before warning, then the oldest first: CERT_EXPIRED and ALARM_UNHANDLED fired at
		// t0 (by key), NO_CERTIFICATE an hour later.
		all := h.page(Filter{})
		if all.Total != 4 || all.Pages != 1 || all.Page != 1 || all.PageSize != defaultPageSize {
			t.Fatalf("page %+v", all)
		}
		if got := keys(all); got[2] != "NO_CERTIFICATE" || got[3] != "EXPIRING_SOON" ||
			!slices.Contains(got[:2], "CERT_EXPIRED") || !slices.Contains(got[:2], "ALARM_UNHANDLED") {
			t.Errorf("order %v", got)
		}
		b2, _ := json.Marshal(all)
		for _, id := range []string{zhang, li, wang} {
			if strings.Contains(string(b2), id) || strings.Contains(string(b2), id[6:14]) {
				t.Errorf("the listing shows %s whole", id)
			}
		}

		for _, tc := range []struct {
			name string
			f    Filter
			want []string
		}{
			{"severity", Filter{Severity: "warning"}, []string{"EXPIRING_SOON"}},
			{"family", Filter{Family: "alarm"}, []string{"ALARM_UNHANDLED"}},
			{"rule", Filter{Rule: "NO_CERTIFICATE"}, []string{"NO_CERTIFICATE"}},
			{"community", Filter{Community: "灵源社区"}, []string{"ALARM_UNHANDLED", "EXPIRING_SOON"}},
			{"enterprise", Filter{Enterprise: strings.ToLower(usccB)}, []string{"ALARM_UNHANDLED", "EXPIRING_SOON"}},
			{"status", Filter{Status: "resolved"}, nil},
			{"name", Filter{Search: "李四"}, []string{"EXPIRING_SOON"}},
			{"enterprise name", Filter{Search: "第二鞋业"}, []string{"EXPIRING_SOON"}},
			{"masked ID number", Filter{Search: mask.ID(li)}, []string{"EXPIRING_SOON"}},
			{"whole ID number", Filter{Search: li}, []string{"EXPIRING_SOON"}},
			{"whole ID number, lower-case x", Filter{Search: " " + strings.ToLower(testID(302)) + " "}, []string{"NO_CERTIFICATE"}},
			{"whole certificate number", Filter{Search: "T" + zhang}, []string{"CERT_EXPIRED"}},
			{"masked certificate number", Filter{Search: mask.CertNo("T" + zhang)}, []string{"CERT_EXPIRED"}},
			{"a percent sign is a percent sign", Filter{Search: "%"}, nil},
			{"combined", Filter{Family: "certificate", Severity: "critical", Search: "张三"}, []string{"CERT_EXPIRED"}},
		} {
			if got := keys(h.page(tc.f)); !slices.Equal(got, tc.want) {
				t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
			}
		}

		// Pages of two.
		p1, p2 := h.page(Filter{PageSize: 2}), h.page(Filter{PageSize: 2, Page: 2})
		if p1.Total != 4 || p1.Pages != 2 || len(p1.Alerts) != 2 || len(p2.Alerts) != 2 || p2.Page != 2 ||
			!slices.Equal(append(keys(p1), keys(p2)...), keys(all)) {
			t.Errorf("pages: %v + %v, want %v", keys(p1), keys(p2), keys(all))
		}
		if p := h.page(Filter{PageSize: 5000}); p.PageSize != maxPageSize {
			t.Errorf("page size %d, want at most %d", p.PageSize, maxPageSize)
		}

		// The records carry their deliveries and state.
		if r := all.Alerts[3]; len(r.Deliveries) != 1 || !r.Deliveries[0].OK || r.Status != notify.StatusFiring || !r.LastEvaluated.Equal(h.clock.Now()) {
			t.Errorf("record %+v", r)
		}

		counts, err := h.store().Counts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		tally := map[string]int{}
		for _, c := range counts {
			tally[c.Family+"/"+c.Severity] += c.Count
		}
		if want := map[string]int{"certificate/critical": 2, "certificate/warning": 1, "alarm/critical": 1}; !reflect.DeepEqual(tally, want) {
			t.Errorf("counts %v, want %v", tally, want)
		}

		var ie *InputError
		for _, f := range []Filter{{Status: "bogus"}, {Rule: "NO_SUCH_RULE"}, {Severity: "fatal"}, {Family: "no-such-family"}} {
			if _, err := h.store().Page(ctx, f); !errors.As(err, &ie) {
				t.Errorf("%+v: got %v, want an InputError", f, err)
			}
		}
	})
}

// TestAlertHashCoversTheStoredFields changes every field of a complete alert in turn: the hash
// must change for each field alertJSON stores (a pointer also when it becomes nil), and stay the
// same for those the state keeps in its own columns.
func TestAlertHashCoversTheStoredFields(t *testing.T) {
	full := func() Alert {
		a := notifytest.Alert()
		a.Alarm = &notify.Alarm{ID: "BJ1", Point: "p", Quantity: "q", Value: "1", Threshold: "2", Unit: "u", Level: 1, RaisedAt: t0}
		ls, fs := t0, t0.Add(time.Hour)
		a.System = &notify.System{Subject: "quanzhou", Name: "n", LastSuccess: &ls, FailingSince: &fs, LastError: "e"}
		a.Hazard = notifytest.HazardAlert().Hazard
		a.Acknowledged = &notify.Ack{By: "b", Note: "n", At: t0}
		a.Escalated = true
		return a
	}
	notStored := map[string]bool{"Status": true, "Since": true, "Notice": true, "Escalated": true, "Acknowledged": true}
	base := full()
	h0 := alertHash(&base)
	dateT, timeT := reflect.TypeOf(mapping.Date{}), reflect.TypeOf(time.Time{})

	type leaf struct {
		name  string
		index []int
		isPtr bool
	}
	var leaves []leaf
	var collect func(t reflect.Type, prefix string, idx []int)
	collect = func(typ reflect.Type, prefix string, idx []int) {
		for i := 0; i < typ.NumField(); i++ {
			f := typ.Field(i)
			name, index := prefix+f.Name, append(slices.Clone(idx), i)
			switch {
			case f.Type == dateT || f.Type == timeT || f.Type.Kind() == reflect.String || f.Type.Kind() == reflect.Int || f.Type.Kind() == reflect.Bool:
				leaves = append(leaves, leaf{name, index, false})
			case f.Type.Kind() == reflect.Pointer && f.Type.Elem() == timeT:
				leaves = append(leaves, leaf{name, index, true}, leaf{name + "*", index, false})
			case f.Type.Kind() == reflect.Struct:
				collect(f.Type, name+".", index)
			case f.Type.Kind() == reflect.Pointer && f.Type.Elem().Kind() == reflect.Struct:
				leaves = append(leaves, leaf{name, index, true})
				collect(f.Type.Elem(), name+".", index)
			default:
				t.Fatalf("%s: type %s not covered by this test", name, f.Type)
			}
		}
	}
	collect(reflect.TypeOf(Alert{}), "", nil)

	for _, l := range leaves {
		a := full()
		v := reflect.ValueOf(&a).Elem()
		for _, i := range l.index {
			if v.Kind() == reflect.Pointer {
				v = v.Elem()
			}
			v = v.Field(i)
		}
		switch {
		case l.isPtr:
			v.Set(reflect.Zero(v.Type()))
		case v.Kind() == reflect.Pointer: // a *time.Time: another time
			later := v.Elem().Interface().(time.Time).Add(time.Second)
			v.Set(reflect.ValueOf(&later))
		case v.Type() == dateT:
			v.Set(reflect.ValueOf(d("1999-09-09")))
		case v.Type() == timeT:
			v.Set(reflect.ValueOf(t0.Add(time.Second)))
		case v.Kind() == reflect.String:
			v.SetString(v.String() + "x")
		case v.Kind() == reflect.Int:
			v.SetInt(v.Int() + 1)
		case v.Kind() == reflect.Bool:
			v.SetBool(!v.Bool())
		}
		top := strings.Split(l.name, ".")[0]
		changed := alertHash(&a) != h0
		if changed == notStored[top] {
			t.Errorf("changing %s: hash changed %v, want %v", l.name, changed, !notStored[top])
		}
	}
}
