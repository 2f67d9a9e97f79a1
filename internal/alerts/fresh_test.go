package alerts

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"streetsync/internal/alerts/alertstest"
	"streetsync/internal/alerts/notify"
	"streetsync/internal/alerts/rules"
)

// Certificate rules judge only fresh certificate data. Stale (older than alerts.maxDataAge) or
// never synced: nothing of the family is delivered, its state stays as it was (nothing resolves),
// one DATA_STALE goes to the escalation channels, and the result says what was skipped. Fresh
// again: DATA_STALE resolves and the rules judge as before.
func TestCertificateRulesJudgeOnlyFreshData(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		h.channel("office", []string{"英墩社区"}, true)
		ctx := context.Background()
		fixed, stays := testID(200), testID(201)
		h.roster.add(entry(fixed), cert(fixed, alertstest.ValidUntil("2026-01-01")))
		h.roster.add(entry(stays))
		res := h.check()
		if len(res.Skipped) != 0 || res.SkippedError() != nil {
			t.Fatalf("fresh data: skipped %+v", res.Skipped)
		}
		h.expectSent("all", "NO_CERTIFICATE/new", "CERT_EXPIRED/new")
		h.expectSent("office")

		// The certificate job last succeeded 30 hours ago; meanwhile one person's certificate was
		// renewed and the other's alert is due for a repeat.
		h.clock.Set(t0.Add(168 * time.Hour))
		h.runs.set("certificates", h.clock.Now().Add(-30*time.Hour))
		h.roster.setCerts(fixed, cert(fixed))
		res = h.check()
		if len(res.Skipped) != 1 || res.Skipped[0].Rules != "certificate" || !strings.Contains(res.Skipped[0].Reason, "30 小时") {
			t.Fatalf("skipped %+v", res.Skipped)
		}
		var se *SkippedError
		if err := res.SkippedError(); !errors.As(err, &se) || !strings.Contains(err.Error(), "证书数据") {
			t.Errorf("SkippedError() = %v", err)
		}
		if res.Evaluated != 0 || len(res.alerts) != 1 || res.alerts[0].Rule != "DATA_STALE" || res.alerts[0].System == nil {
			t.Errorf("stale check: evaluated %d, firing %+v", res.Evaluated, res.alerts)
		}
		h.expectSent("all") // no repeat, no resolution of the certificate alerts; no DATA_STALE to a community channel
		msgs := h.expectSent("office", "DATA_STALE/new")
		if !strings.Contains(msgs[0].Alerts[0].Message, "证书数据已 30 小时未更新，预警暂停") || msgs[0].Community != rules.SystemCommunity {
			t.Errorf("DATA_STALE: %q to %q", msgs[0].Alerts[0].Message, msgs[0].Community)
		}
		for _, id := range []string{fixed, stays} {
			for _, rule := range []string{"CERT_EXPIRED", "NO_CERTIFICATE"} {
				if st, ok := h.state(keyOf(rule, id)); ok && st.Status != notify.StatusFiring {
					t.Errorf("%s of %s: %s while the data was stale, want firing as before", rule, id, st.Status)
				}
			}
		}

		// Still stale an hour later: DATA_STALE is raised once (not delivered again).
		h.clock.Advance(time.Hour)
		h.check()
		h.expectSent("office")
		if p := h.page(Filter{Family: "system", Status: "firing"}); p.Total != 1 || p.Alerts[0].System.Subject != "certificate" {
			t.Errorf("system alerts: %+v", p)
		}

		// Fresh again: DATA_STALE resolves, the renewed certificate resolves its alert, the other
		// is repeated and escalated (both were held back while the data was stale).
		h.runs.fresh("certificates")
		res = h.check()
		if len(res.Skipped) != 0 {
			t.Errorf("fresh again, skipped %+v", res.Skipped)
		}
		h.expectSent("all", "NO_CERTIFICATE/repeat", "CERT_EXPIRED/resolved")
		h.expectSent("office", "NO_CERTIFICATE/escalation", "DATA_STALE/resolved")
		if st, _ := h.state(rules.KeyOf("DATA_STALE", "", "", "certificate")); st.Status != notify.StatusResolved {
			t.Errorf("DATA_STALE %s, want resolved", st.Status)
		}

		// Never synced: the same, with its own reason.
		h.runs.set("certificates", time.Time{})
		res = h.check()
		if len(res.Skipped) != 1 || !strings.Contains(res.Skipped[0].Reason, "从未同步") {
			t.Errorf("never synced: skipped %+v", res.Skipped)
		}
		msgs = h.expectSent("office", "DATA_STALE/new")
		if !strings.Contains(msgs[0].Alerts[0].Message, "证书数据从未同步") {
			t.Errorf("never synced: %q", msgs[0].Alerts[0].Message)
		}
		h.expectSent("all")

		// A run history that cannot be read fails the check: it never judges data it cannot date.
		h.runs.err = errors.New("ledger down")
		if _, err := h.checker().Check(ctx, false, nil); err == nil || !strings.Contains(err.Error(), "ledger down") {
			t.Errorf("unreadable run history: got %v", err)
		}
	})
}

// The alarm rule judges only fresh alarm data, independently of the certificate rules.
func TestAlarmRuleJudgesOnlyFreshData(t *testing.T) {
	h := newHarness(t, backends[0])
	h.channel("office", nil, true)
	h.alarms = &alarmList{list: []AlarmEntry{alarm("BJ1", 1, t0.Add(-3*time.Hour), "0")}}
	id := testID(210)
	h.roster.add(entry(id))
	h.runs.set("alarms", t0.Add(-27*time.Hour))
	res := h.check()
	if len(res.Skipped) != 1 || res.Skipped[0].Rules != "alarm" || res.Evaluated != 1 {
		t.Fatalf("skipped %+v, evaluated %d", res.Skipped, res.Evaluated)
	}
	h.expectSent("all", "NO_CERTIFICATE/new")
	h.expectSent("office", "NO_CERTIFICATE/new", "DATA_STALE/new")
	h.runs.fresh("alarms")
	h.check()
	h.expectSent("all", "ALARM_UNHANDLED/new")
	h.expectSent("office", "ALARM_UNHANDLED/new", "DATA_STALE/resolved")
}

// An entry the special-operations system never answered for (its query failed and waits in the
// queue) is not NO_CERTIFICATE: it is counted as unknown, and its alert, if any, stays as it was.
func TestUnansweredEntriesAreUnknownNotUncertified(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		answered, unknown, certified := testID(220), testID(221), testID(222)
		h.roster.add(entry(answered)) // answered "not found": no certificate
		e := entry(unknown)
		e.Answered = false
		h.roster.add(e)
		c := entry(certified)
		c.Answered = false // never answered, but a certificate is stored (from the daily feed)
		h.roster.add(c, cert(certified, alertstest.ValidUntil("2026-01-01")))
		var buf strings.Builder
		w := NewJSONWriter(&buf)
		res, err := h.checker().Check(context.Background(), false, w)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Close(res); err != nil {
			t.Fatal(err)
		}
		if res.Evaluated != 3 || res.Unknown != 1 || res.Firing != 2 {
			t.Errorf("evaluated %d unknown %d firing %d, want 3, 1, 2", res.Evaluated, res.Unknown, res.Firing)
		}
		if !strings.Contains(buf.String(), `"unknown": 1`) {
			t.Errorf("the document lacks the unknown count: %s", buf.String())
		}
		h.expectSent("all", "NO_CERTIFICATE/new", "CERT_EXPIRED/new")
		if _, ok := h.state(keyOf("NO_CERTIFICATE", unknown)); ok {
			t.Error("an unanswered entry was alerted as NO_CERTIFICATE")
		}

		// The answer is lost (the person's query is queued again): the alert stays as it was.
		h.roster.edit(func(es []RosterEntry) []RosterEntry {
			es[0].Answered = false
			return es
		})
		h.clock.Advance(time.Hour)
		res = h.check().Result
		h.expectSent("all")
		if st, _ := h.state(keyOf("NO_CERTIFICATE", answered)); st.Status != notify.StatusFiring || res.Unknown != 2 {
			t.Errorf("an entry become unknown: its alert %s, unknown %d; want it firing as before, 2", st.Status, res.Unknown)
		}
	})
}

// PLATFORM_DOWN fires once a platform has failed every call for alerts.platformDownAfter, goes to
// the escalation channels, and resolves on recovery; CheckSystem judges and delivers it (and
// DATA_STALE) alone, without reading the roster.
func TestPlatformDownRaisedAndResolved(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		office := h.channel("office", []string{"英墩社区"}, true)
		hl := &health{}
		h.health = hl
		id := testID(230)
		h.roster.add(entry(id))
		ctx := context.Background()
		system := func() *Result {
			res, err := h.checker().CheckSystem(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return res
		}

		hl.set(Health{System: "quanzhou", FailingSince: t0.Add(-time.Hour), LastSuccess: t0.Add(-time.Hour), LastError: "平台返回 503"},
			Health{System: "specialops", LastSuccess: t0})
		if res := system(); res.Firing != 0 || res.Evaluated != 0 {
			t.Errorf("failing for an hour: %+v", res)
		}
		h.expectSent("office")
		h.clock.Advance(time.Hour)
		if res := system(); res.Firing != 1 || res.ByRule["PLATFORM_DOWN"] != 1 {
			t.Errorf("failing for two hours: %+v", res)
		}
		msgs := office.take()
		if len(msgs) != 1 || notices(msgs)[0] != "PLATFORM_DOWN/new" || msgs[0].Alerts[0].System.Subject != "quanzhou" ||
			!strings.Contains(msgs[0].Alerts[0].Message, "平台返回 503") {
			t.Errorf("office got %v", notices(msgs))
		}
		h.expectSent("all") // a system check delivers system alerts only: not the roster's
		if p := h.page(Filter{}); p.Total != 1 {
			t.Errorf("the system check judged more than the system: %d alerts", p.Total)
		}

		// A full check judges it too (nothing new to say) and delivers the rest.
		h.clock.Advance(time.Minute)
		h.check()
		h.expectSent("office")
		h.expectSent("all", "NO_CERTIFICATE/new")

		// Health unknown: PLATFORM_DOWN neither fires nor resolves.
		hl.err = errors.New("ledger down")
		hl.set()
		system()
		h.expectSent("office")
		hl.err = nil

		// Recovered.
		hl.set(Health{System: "quanzhou", LastSuccess: h.clock.Now()})
		system()
		h.expectSent("office", "PLATFORM_DOWN/resolved")
		if st, _ := h.state(rules.KeyOf("PLATFORM_DOWN", "", "", "quanzhou")); st.Status != notify.StatusResolved {
			t.Errorf("PLATFORM_DOWN %s after recovery", st.Status)
		}
	})
}

// The system check between a daemon's jobs leaves data never synced to the daily check: on a first
// start the catch-up is syncing it, and a DATA_STALE raised between its jobs would be a false
// critical alert resolved minutes later. Data gone stale it raises at once; a DATA_STALE the daily
// check raised for data never synced it neither resolves nor repeats.
func TestSystemCheckLeavesDataNeverSyncedToTheDailyCheck(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		h.channel("office", []string{"英墩社区"}, true)
		h.roster.add(entry(testID(240)))
		ctx := context.Background()
		system := func() *Result {
			res, err := h.checker().CheckSystem(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return res
		}

		h.runs.set("certificates", time.Time{})
		if res := system(); res.Firing != 0 {
			t.Errorf("first start, certificates never synced: the system check fired %+v", res.ByRule)
		}
		h.expectSent("office")

		// The daily check says it: the certificate rules are paused.
		h.check()
		h.expectSent("office", "DATA_STALE/new")
		h.clock.Advance(time.Minute)
		system()
		h.expectSent("office") // kept firing, not resolved
		if st, ok := h.state(rules.KeyOf("DATA_STALE", "", "", "certificate")); !ok || st.Status != notify.StatusFiring {
			t.Errorf("DATA_STALE after a system check: %+v (found %v), want firing", st, ok)
		}

		// Synced, then gone stale: the system check raises it at once.
		h.runs.fresh("certificates")
		h.check()
		h.expectSent("office", "DATA_STALE/resolved")
		h.runs.set("certificates", h.clock.Now().Add(-30*time.Hour))
		if res := system(); res.ByRule["DATA_STALE"] != 1 {
			t.Errorf("certificate data 30 hours old: the system check found %+v", res.ByRule)
		}
		h.expectSent("office", "DATA_STALE/new")
	})
}

// Without an escalation channel, system alerts go to the channels that serve every community:
// someone must hear that the alerts are paused.
func TestSystemAlertsWithoutAnEscalationChannel(t *testing.T) {
	h := newHarness(t, backends[0])
	lingge := h.channel("lingge", []string{"林格社区"}, false)
	h.runs.set("certificates", time.Time{})
	h.check()
	h.expectSent("all", "DATA_STALE/new")
	if m := lingge.take(); len(m) != 0 {
		t.Errorf("a community's channel got %v", notices(m))
	}
}
