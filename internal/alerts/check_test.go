package alerts

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"streetsync/internal/alerts/alertstest"
	"streetsync/internal/alerts/notify"
	"streetsync/internal/alerts/notify/webhook"
	"streetsync/internal/config"
	"streetsync/internal/ledger"
	"streetsync/mapping"
)

func TestCheckFiringRepeatResolved(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		id := testID(10)
		h.roster.add(entry(id), cert(id, alertstest.ValidUntil("2026-01-01")))

		res := h.check()
		if res.Evaluated != 1 || len(res.alerts) != 1 || res.Delivered != (Delivered{Firing: 1}) {
			t.Fatalf("first check: %+v", res.Result)
		}
		msgs := h.expectSent("all", "CERT_EXPIRED/new")
		if msgs[0].Status != notify.StatusFiring || msgs[0].Community != "林格社区" {
			t.Errorf("message status %q community %q", msgs[0].Status, msgs[0].Community)
		}
		since := res.alerts[0].Since

		h.clock.Advance(time.Hour)
		res = h.check()
		h.expectSent("all")
		if res.Delivered != (Delivered{}) || !res.alerts[0].Since.Equal(since) {
			t.Errorf("still firing an hour later: delivered %+v, since %v (want %v)", res.Delivered, res.alerts[0].Since, since)
		}

		h.clock.Set(t0.Add(168*time.Hour - time.Minute))
		h.check()
		h.expectSent("all")
		h.clock.Set(t0.Add(168 * time.Hour))
		res = h.check()
		h.expectSent("all", "CERT_EXPIRED/repeat")
		if res.Delivered != (Delivered{Firing: 1}) {
			t.Errorf("repeat: delivered %+v", res.Delivered)
		}

		h.roster.setCerts(id, cert(id, alertstest.ValidUntil("2032-01-01")))
		h.clock.Advance(time.Hour)
		res = h.check()
		msgs = h.expectSent("all", "CERT_EXPIRED/resolved")
		if res.Delivered != (Delivered{Resolved: 1}) || len(res.alerts) != 0 || msgs[0].Status != notify.StatusResolved {
			t.Errorf("resolved: %+v, message status %q", res.Result, msgs[0].Status)
		}
		h.check()
		h.expectSent("all")

		key := keyOf("CERT_EXPIRED", id)
		// Its resolution out everywhere, the alert is closed: the delivery pass no longer reads it.
		if st, ok := h.state(key); !ok || st.Open || st.Status != notify.StatusResolved {
			t.Errorf("after the resolution went out: %+v (stored %v), want closed", st, ok)
		}

		// Firing again is a new episode: delivered at once, since = now, open again.
		h.roster.setCerts(id, cert(id, alertstest.ValidUntil("2026-01-01")))
		h.clock.Advance(24 * time.Hour)
		res = h.check()
		h.expectSent("all", "CERT_EXPIRED/new")
		if !res.alerts[0].Since.Equal(h.clock.Now()) {
			t.Errorf("since = %v, want %v", res.alerts[0].Since, h.clock.Now())
		}
		if st, _ := h.state(key); !st.Open {
			t.Error("firing again, the alert is not open")
		}
		rec, events, err := h.store().History(context.Background(), key)
		if err != nil {
			t.Fatal(err)
		}
		if rec.Episode != 2 || rec.Family != "certificate" {
			t.Errorf("episode %d family %q, want 2, certificate", rec.Episode, rec.Family)
		}
		var types []string
		for _, e := range events {
			types = append(types, e.Type+"/"+e.Notice)
		}
		// A critical alert firing 72h escalates (no escalation channel here: only the event).
		want := []string{"delivered/new", "fired/", "delivered/resolved", "resolved/", "delivered/repeat", "escalated/", "delivered/new", "fired/"}
		if !slices.Equal(types, want) {
			t.Errorf("history %v, want %v", types, want)
		}
	})
}

// The state is the ledger's: a restarted process (new pools on the same database, a new Store
// and Checker) delivers nothing twice and keeps counting repeats from the last delivery.
func TestStateSurvivesARestart(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		id := testID(11)
		h.roster.add(entry(id), cert(id, alertstest.ReviewDue("2026-01-01")))
		h.check()
		h.expectSent("all", "REVIEW_OVERDUE/new")

		restart := func() {
			h.led.Close()
			h.led = openLedger(t, h.cfgLed)
		}
		restart()
		h.clock.Advance(time.Hour)
		res := h.check()
		h.expectSent("all")
		if len(res.alerts) != 1 || !res.alerts[0].Since.Equal(t0) {
			t.Fatalf("after the restart: %+v", res.alerts)
		}
		h.clock.Set(t0.Add(168 * time.Hour))
		h.check()
		h.expectSent("all", "REVIEW_OVERDUE/repeat")

		restart()
		h.roster.setCerts(id, cert(id, alertstest.ReviewDue("2026-01-01"), alertstest.LastReview("2026-02-01")))
		h.check()
		h.expectSent("all", "REVIEW_OVERDUE/resolved")
	})
}

// countingChannel counts hits and alerts per key, like an HTTP receiver would.
type countingChannel struct {
	mu     sync.Mutex
	hits   int
	byKey  map[string]int
	byComm map[string]int
}

func (c *countingChannel) Notify(_ context.Context, m *notify.Message) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.hits++
	c.byComm[m.Community]++
	for _, a := range m.Alerts {
		c.byKey[a.Key]++
	}
	return false, nil
}

// Two daemons (two processes' pools on one ledger) check at once, with the real webhook channel
// against one HTTP receiver: every alert is delivered once, one message per community. Several
// rounds, so that the two runs interleave differently.
func TestTwoCheckersAtOnceDeliverOnce(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		for round := 0; round < 3; round++ {
			h1 := newHarness(t, b)
			cc := &countingChannel{byKey: map[string]int{}, byComm: map[string]int{}}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				var m notify.Message
				if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
					http.Error(w, err.Error(), http.StatusBadRequest)
					return
				}
				_, _ = cc.Notify(r.Context(), &m)
			}))
			t.Cleanup(srv.Close)
			wh, err := webhook.New(config.Channel{Type: "webhook", URL: config.Secret(srv.URL + "/alerts")})
			if err != nil {
				t.Fatal(err)
			}
			const n = 60
			for i := 0; i < n; i++ {
				id := testID(100 + i)
				e := entry(id)
				e.Community = []string{"林格社区", "灵源社区", "英墩社区"}[i%3]
				h1.roster.add(e, cert(id, alertstest.ValidUntil("2026-01-01")))
			}
			h1.chans = []Channel{{Name: "webhook", Type: "webhook", Notifier: wh}}
			h2 := &harness{}
			*h2 = *h1
			h2.led = openLedger(t, h1.cfgLed) // the other daemon's own pools
			c1, c2 := h1.checker(), h2.checker()
			var wg sync.WaitGroup
			errs := make([]error, 2)
			for i, c := range []*Checker{c1, c2} {
				wg.Go(func() { _, errs[i] = c.Check(context.Background(), false, nil) })
			}
			wg.Wait()
			if err := errors.Join(errs...); err != nil {
				t.Fatal(err)
			}
			if cc.hits != 3 || len(cc.byKey) != n {
				t.Errorf("round %d: receiver: %d hits for %d alerts, want 3 hits (one per community) for %d", round, cc.hits, len(cc.byKey), n)
			}
			for k, v := range cc.byKey {
				if v != 1 {
					t.Errorf("round %d: alert %s delivered %d times", round, k, v)
				}
			}
		}
	})
}

func TestAckStopsRepeatsUntilTheAlertChanges(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		ctx := context.Background()
		id := testID(12)
		h.roster.add(entry(id), cert(id, alertstest.ValidUntil("2026-01-01")))
		h.check()
		h.expectSent("all", "CERT_EXPIRED/new")
		key := keyOf("CERT_EXPIRED", id)

		st := h.store()
		if err := st.Ack(ctx, strings.ToUpper(key), "王网格员", "已电话督促企业，本周内停岗"); err != nil {
			t.Fatal(err)
		}
		h.clock.Advance(200 * time.Hour)
		res := h.check()
		h.expectSent("all")
		if a := res.alerts[0].Acknowledged; a == nil || a.By != "王网格员" || a.Note != "已电话督促企业，本周内停岗" {
			t.Errorf("acknowledged = %+v", a)
		}
		if p := h.page(Filter{Status: "acknowledged"}); p.Total != 1 || p.Alerts[0].Acknowledged == nil {
			t.Errorf("acknowledged alerts: %+v, want 1", p)
		}
		if p := h.page(Filter{Status: "acked"}); p.Total != 1 {
			t.Errorf("status acked: %d, want 1", p.Total)
		}

		// The certificate's state changes (the system batch catches up): same rule, changed alert.
		h.roster.setCerts(id, cert(id, alertstest.ValidUntil("2026-01-01"), alertstest.Status(mapping.CertExpired)))
		res = h.check()
		h.expectSent("all", "CERT_EXPIRED/changed")
		if res.alerts[0].Acknowledged != nil {
			t.Error("the acknowledgement survived a change of the alert")
		}
		if p := h.page(Filter{Status: "acknowledged"}); p.Total != 0 {
			t.Errorf("acknowledged alerts after the change: %d, want 0", p.Total)
		}

		var ie *InputError
		if err := st.Ack(ctx, key, "王网格员", " "); !errors.As(err, &ie) {
			t.Errorf("empty note: got %v, want an InputError", err)
		}
		if err := st.Ack(ctx, "0000000000000000", "王网格员", "x"); !errors.Is(err, ErrNotFound) {
			t.Errorf("unknown key: got %v, want ErrNotFound", err)
		}
		h.roster.setCerts(id, cert(id))
		h.check()
		if err := st.Ack(ctx, key, "王网格员", "x"); !errors.Is(err, ErrNotFiring) {
			t.Errorf("resolved alert: got %v, want ErrNotFiring", err)
		}
	})
}

func TestEscalation(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		h.chans = nil
		h.channel("lingge", []string{"林格社区"}, false)
		h.channel("office", []string{"英墩社区"}, true)
		ctx := context.Background()
		idCrit, idWarn, idAcked := testID(13), testID(14), testID(15)
		h.roster.add(entry(idCrit), cert(idCrit, alertstest.ValidUntil("2026-01-01")))
		h.roster.add(entry(idWarn), cert(idWarn, alertstest.ValidUntil("2026-04-01")))
		h.roster.add(entry(idAcked), cert(idAcked, alertstest.Status(mapping.CertRevoked)))

		h.check()
		h.expectSent("lingge", "CERT_INVALID/new", "CERT_EXPIRED/new", "EXPIRING_SOON/new")
		h.expectSent("office")
		if err := h.store().Ack(ctx, keyOf("CERT_INVALID", idAcked), "王网格员", "已督促"); err != nil {
			t.Fatal(err)
		}

		h.clock.Set(t0.Add(72*time.Hour - time.Minute))
		h.check()
		h.expectSent("office")
		h.clock.Set(t0.Add(72 * time.Hour))
		res := h.check()
		// Both critical alerts escalate once, the acknowledged one too; the warning never does.
		msgs := h.expectSent("office", "CERT_INVALID/escalation", "CERT_EXPIRED/escalation")
		h.expectSent("lingge")
		if !msgs[0].Alerts[0].Escalated || msgs[0].Alerts[0].Acknowledged == nil {
			t.Errorf("escalated alert: escalated %v, acknowledged %+v", msgs[0].Alerts[0].Escalated, msgs[0].Alerts[0].Acknowledged)
		}
		for _, a := range res.alerts {
			if a.Escalated != (a.Severity == notify.SeverityCritical) {
				t.Errorf("%s: escalated %v", a.Rule, a.Escalated)
			}
		}
		h.clock.Set(t0.Add(100 * time.Hour))
		h.check()
		h.expectSent("office")

		// Then the repeat interval, counted per channel; acknowledged alerts do not repeat.
		h.clock.Set(t0.Add(168 * time.Hour))
		h.check()
		h.expectSent("lingge", "CERT_EXPIRED/repeat", "EXPIRING_SOON/repeat")
		h.expectSent("office")
		h.clock.Set(t0.Add(240 * time.Hour))
		h.check()
		h.expectSent("office", "CERT_EXPIRED/repeat")

		// Resolved, the escalated alert is resolved for the street office too, which heard of it.
		h.roster.setCerts(idCrit, cert(idCrit))
		h.check()
		h.expectSent("lingge", "CERT_EXPIRED/resolved")
		h.expectSent("office", "CERT_EXPIRED/resolved")

		_, events, err := h.store().History(ctx, keyOf("CERT_EXPIRED", idCrit))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range events {
			if e.Type == EventEscalated {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%d escalated events, want 1", n)
		}
		if p := h.page(Filter{Status: "escalated"}); p.Total != 1 {
			t.Errorf("escalated alerts: %d, want 1 (the other one resolved)", p.Total)
		}
	})
}

func TestSilences(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		ctx := context.Background()
		id, other := testID(16), testID(17)
		h.roster.add(entry(id), cert(id, alertstest.ValidUntil("2026-01-01")))
		e := entry(other)
		e.Operator.EnterpriseUSCC = usccB
		h.roster.add(e)
		st := h.store()
		key := keyOf("CERT_EXPIRED", id)

		m, err := ParseTarget(key)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Silence(ctx, m, t0.Add(24*time.Hour), "企业停产检修，人员已离岗待办手续", "安办"); err != nil {
			t.Fatal(err)
		}
		// By person: the ID number is matched by its hash.
		pm, err := ParseTarget(strings.ToLower(other))
		if err != nil || pm.IDHash != IDHash(other) || pm.Key != "" {
			t.Fatalf("ParseTarget(ID) = %+v, %v", pm, err)
		}
		if _, err := st.Silence(ctx, pm, t0.Add(48*time.Hour), "核实中", "安办"); err != nil {
			t.Fatal(err)
		}
		res := h.check()
		h.expectSent("all")
		if len(res.alerts) != 2 || res.Delivered != (Delivered{}) {
			t.Errorf("silenced alerts still fire but are not delivered: %+v", res.Result)
		}
		if p := h.page(Filter{Status: "silenced"}); p.Total != 2 || p.Alerts[0].Silenced == nil {
			t.Errorf("silenced list: %+v", p)
		}

		h.clock.Set(t0.Add(25 * time.Hour))
		h.check()
		h.expectSent("all", "CERT_EXPIRED/new")
		h.clock.Set(t0.Add(49 * time.Hour))
		h.check()
		h.expectSent("all", "NO_CERTIFICATE/new")
		if sls, _ := st.Silences(ctx); len(sls) != 0 {
			t.Errorf("ended silences still listed: %+v", sls)
		}

		var ie *InputError
		if _, err := st.Silence(ctx, m, h.clock.Now().Add(-time.Minute), "x", "安办"); !errors.As(err, &ie) {
			t.Errorf("until in the past: got %v, want an InputError", err)
		}
		if _, err := st.Silence(ctx, m, h.clock.Now().Add(time.Hour), "", "安办"); !errors.As(err, &ie) {
			t.Errorf("no reason: got %v, want an InputError", err)
		}
		if _, err := ParseTarget("35058219900101123"); !errors.As(err, &ie) { // 17 characters
			t.Errorf("an ID number with a bad shape should be refused: %v", err)
		} else if strings.Contains(err.Error(), "199001011") {
			t.Errorf("the error echoes the ID number: %v", err)
		}
		// Lifted early, a silence ends at once.
		sl, err := st.Silence(ctx, Matcher{Community: "林格社区"}, h.clock.Now().Add(time.Hour), "演练", "安办")
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Unsilence(ctx, sl.ID); err != nil {
			t.Fatal(err)
		}
		if err := st.Unsilence(ctx, sl.ID); !errors.As(err, &ie) {
			t.Errorf("lifting it twice: got %v, want an InputError", err)
		}
		// A silence of a stored alert goes into its history (one set before the alert existed
		// could not).
		if _, err := st.Silence(ctx, m, h.clock.Now().Add(time.Hour), "企业停产检修，人员已离岗待办手续", "安办"); err != nil {
			t.Fatal(err)
		}
		_, events, _ := st.History(ctx, key)
		if events[len(events)-1].Type != EventFired || events[0].Type != EventSilenced || events[0].By != "安办" ||
			events[0].Until == nil || events[0].Note != "企业停产检修，人员已离岗待办手续" {
			t.Errorf("history %+v: want the silence last", events)
		}
	})
}

func TestFailedDeliveryIsRecordedQueuedAndRedelivered(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		ctx := context.Background()
		id := testID(18)
		h.roster.add(entry(id))
		h.rec["all"].failWith(errors.New("all: unexpected HTTP status 503"), true)

		res := h.check()
		if res.Delivered != (Delivered{}) || len(res.alerts) != 1 {
			t.Errorf("failed delivery: %+v", res.Result)
		}
		if !slices.Equal(h.queue.items, []queued{{RetryKind, "all|林格社区"}}) {
			t.Errorf("queued %+v", h.queue.items)
		}
		key := keyOf("NO_CERTIFICATE", id)
		rec, events, err := h.store().History(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if len(rec.Deliveries) != 1 || rec.Deliveries[0].OK || !strings.Contains(rec.Deliveries[0].Error, "503") || events[0].Type != EventFailed {
			t.Errorf("deliveries %+v, last event %+v", rec.Deliveries, events[0])
		}

		// The retry queue's worker calls Redeliver; the next check does not send it again.
		err = h.checker().Redeliver(ctx, "all|林格社区")
		var de *DeliveryError
		if !errors.As(err, &de) || !de.Temporary() {
			t.Fatalf("redeliver while still failing: got %v, want a temporary DeliveryError", err)
		}
		h.rec["all"].failWith(nil, false)
		if err := h.checker().Redeliver(ctx, "all|林格社区"); err != nil {
			t.Fatal(err)
		}
		h.expectSent("all", "NO_CERTIFICATE/new")
		h.check()
		h.expectSent("all")
		if err := h.checker().Redeliver(ctx, "gone|林格社区"); !errors.As(err, &de) || !de.Permanent() {
			t.Errorf("redeliver to a removed channel: got %v, want a permanent DeliveryError", err)
		}

		// A permanent failure is not queued; the next check tries again.
		id2 := testID(19)
		h.roster.add(entry(id2))
		h.queue.items = nil
		h.rec["all"].failWith(errors.New("all: errcode 93000"), false)
		h.check()
		if len(h.queue.items) != 0 {
			t.Errorf("a permanent failure was queued: %+v", h.queue.items)
		}
		h.rec["all"].failWith(nil, false)
		h.check()
		h.expectSent("all", "NO_CERTIFICATE/new")
	})
}

type alarmList struct {
	mu   sync.Mutex
	list []AlarmEntry
	err  error
}

func (a *alarmList) UnhandledAlarms(context.Context, time.Time) ([]AlarmEntry, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]AlarmEntry(nil), a.list...), a.err
}

func alarm(id string, level int, raised time.Time, handling string) AlarmEntry {
	return AlarmEntry{Community: "灵源社区", Alarm: mapping.Alarm{
		ID: id, USCC: usccB, EnterpriseName: "晋江市灵源示例冷冻食品有限公司", PointName: "1号冷库氨浓度",
		Quantity: "氨浓度", Unit: "ppm", Value: "35", Threshold: "25", Type: "SX", Level: level,
		RaisedAt: raised, HandlingStatus: handling,
	}}
}

func TestAlarmUnhandled(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		al := &alarmList{list: []AlarmEntry{
			alarm("BJ1", 1, t0.Add(-3*time.Hour), "0"),
			alarm("BJ2", 3, t0.Add(-3*time.Hour), "0"), // level 3: not severe enough
			alarm("BJ3", 2, t0.Add(-time.Hour), "0"),   // not yet two hours
			alarm("BJ4", 2, t0.Add(-5*time.Hour), "2"), // handled
			alarm("BJ5", 2, t0.Add(-2*time.Hour), ""),  // exactly two hours, status never set
		}}
		h.alarms = al
		res := h.check()
		msgs := h.expectSent("all", "ALARM_UNHANDLED/new", "ALARM_UNHANDLED/new")
		if len(res.alerts) != 2 || msgs[0].Community != "灵源社区" || msgs[0].Alerts[0].Alarm == nil || msgs[0].Alerts[0].Operator != nil {
			t.Fatalf("alarm alerts: %+v", res.alerts)
		}
		if !strings.Contains(msgs[0].Alerts[0].Message, "2 小时") {
			t.Errorf("message %q", msgs[0].Alerts[0].Message)
		}
		if p := h.page(Filter{Family: "alarm"}); p.Total != 2 || p.Alerts[0].Family != "alarm" {
			t.Errorf("alarm alerts listed apart: %+v", p)
		}
		if p := h.page(Filter{Family: "certificate"}); p.Total != 0 {
			t.Errorf("certificate alerts: %d, want 0", p.Total)
		}

		// The alarm source fails: certificate alerts go on, alarm alerts neither fire nor resolve.
		al.err = errors.New("ledger down")
		h.clock.Advance(time.Hour)
		if res = h.check(); len(res.alerts) != 0 {
			t.Errorf("firing with the alarm source down: %d, want 0 (not evaluated)", len(res.alerts))
		}
		h.expectSent("all")

		al.err = nil
		al.list = al.list[:1] // BJ5 handled
		h.check()
		h.expectSent("all", "ALARM_UNHANDLED/resolved")
	})
}

func TestDryRunChangesNothing(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		ctx := context.Background()
		id := testID(20)
		h.roster.add(entry(id), cert(id, alertstest.ValidUntil("2026-01-01")))
		res := h.run(true)
		if res.Evaluated != 1 || len(res.alerts) != 1 || res.Delivered != (Delivered{}) || !res.alerts[0].Since.Equal(t0) {
			t.Errorf("dry run: %+v", res)
		}
		h.expectSent("all")
		if _, n, err := h.led.AlertPage(ctx, ledger.AlertQuery{}); err != nil || n != 0 {
			t.Errorf("dry run stored %d alerts (%v)", n, err)
		}
		if at, _ := h.led.AlertCheckedAt(ctx, "certificate"); !at.IsZero() {
			t.Errorf("dry run recorded a check at %v", at)
		}
		// Once the alert exists, a dry run shows its real since, and that it would escalate.
		h.check()
		h.clock.Advance(80 * time.Hour)
		res = h.run(true)
		if !res.alerts[0].Since.Equal(t0) || !res.alerts[0].Escalated {
			t.Errorf("dry run since %v (want %v), escalated %v", res.alerts[0].Since, t0, res.alerts[0].Escalated)
		}
		if st, _ := h.state(keyOf("CERT_EXPIRED", id)); !st.EscalatedAt.IsZero() {
			t.Error("a dry run escalated")
		}
	})
}

func TestTimeZoneAtMidnight(t *testing.T) {
	h := newHarness(t, backends[0])
	id := testID(21)
	h.roster.add(entry(id), cert(id, alertstest.ValidUntil("2026-03-01")))
	for _, tc := range []struct {
		now  time.Time
		want string
	}{
		{time.Date(2026, 3, 1, 15, 59, 0, 0, time.UTC), "EXPIRING_SOON"}, // 23:59 on 1 March in Shanghai
		{time.Date(2026, 3, 1, 16, 30, 0, 0, time.UTC), "CERT_EXPIRED"},  // 00:30 on 2 March in Shanghai
	} {
		h.clock.Set(tc.now)
		res := h.run(true)
		if len(res.alerts) != 1 || res.alerts[0].Rule != tc.want {
			t.Errorf("%v: got %+v, want %s", tc.now, res.alerts, tc.want)
		}
	}
}

func TestOnlyEntriesOnDutyAreEvaluated(t *testing.T) {
	h := newHarness(t, backends[0])
	onDuty := func(n int, start, end string) {
		id := testID(n)
		e := entry(id)
		e.Operator.StartDate, e.Operator.EndDate = d(start), mapping.Date{}
		if end != "" {
			e.Operator.EndDate = d(end)
		}
		h.roster.add(e)
	}
	onDuty(30, "2024-01-01", "")           // on duty
	onDuty(31, "2024-01-01", "2026-03-01") // ended yesterday
	onDuty(32, "2024-01-01", "2026-03-02") // ends today: no longer on duty
	onDuty(33, "2024-01-01", "2026-03-03") // ends tomorrow: still on duty
	onDuty(34, "2026-03-03", "")           // starts tomorrow
	res := h.check()
	if res.Evaluated != 2 || len(res.alerts) != 2 {
		t.Errorf("evaluated %d, firing %d; want 2 and 2", res.Evaluated, len(res.alerts))
	}
	h.expectSent("all", "NO_CERTIFICATE/new", "NO_CERTIFICATE/new")

	// The next day, the entry that ends then leaves duty (its alert resolves) and the one that
	// starts then comes on duty.
	h.clock.Advance(24 * time.Hour)
	h.check()
	h.expectSent("all", "NO_CERTIFICATE/new", "NO_CERTIFICATE/resolved")
}

func TestOneMessagePerCommunityPerChannel(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		lingge := h.channel("lingge", []string{"林格社区"}, false)
		for i := 0; i < 5; i++ {
			e := entry(testID(40 + i))
			if i >= 3 {
				e.Community = "灵源社区"
			}
			h.roster.add(e)
		}
		h.check()
		msgs := h.rec["all"].take()
		if len(msgs) != 2 || msgs[0].Community != "林格社区" || len(msgs[0].Alerts) != 3 || msgs[1].Community != "灵源社区" || len(msgs[1].Alerts) != 2 {
			t.Errorf("channel all: %d messages", len(msgs))
		}
		if m := lingge.take(); len(m) != 1 || len(m[0].Alerts) != 3 {
			t.Errorf("channel lingge: %d messages, want 1 with 3 alerts", len(m))
		}
	})
}

// TestStreamedJSONIsTheContractDocument: `alerts check --format json` written as the check goes
// is the contract's document — the same one the check used to build in memory ({"evaluated",
// "firing", "delivered"}), plus "unknown" — with every ID number masked.
func TestStreamedJSONIsTheContractDocument(t *testing.T) {
	h := newHarness(t, backends[0])
	id := "350582199001011234"
	h.roster.add(entry(id), cert(id, alertstest.ValidUntil("2026-01-01")))
	h.roster.add(entry(testID(50))) // no certificate at all: "certificate": null
	var buf bytes.Buffer
	var got collected
	out := multiOutput{NewJSONWriter(&buf), &got}
	res, err := h.checker().Check(context.Background(), false, out)
	if err != nil {
		t.Fatal(err)
	}
	if err := out[0].(*JSONWriter).Close(res); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	if strings.Contains(string(b), id) {
		t.Errorf("an unmasked ID number in the output: %s", b)
	}
	// The document as it used to be made: one value, marshalled whole.
	old, _ := json.Marshal(struct {
		Evaluated int       `json:"evaluated"`
		Unknown   int       `json:"unknown"`
		Firing    []Alert   `json:"firing"`
		Delivered Delivered `json:"delivered"`
	}{res.Evaluated, res.Unknown, got.alerts, res.Delivered})
	var streamed, whole map[string]any
	if err := json.Unmarshal(b, &streamed); err != nil {
		t.Fatalf("the streamed document does not parse: %v\n%s", err, b)
	}
	_ = json.Unmarshal(old, &whole)
	gotJSON, _ := json.Marshal(streamed)
	wantJSON, _ := json.Marshal(whole)
	if !bytes.Equal(gotJSON, wantJSON) {
		t.Errorf("streamed document\n%s\nwant\n%s", gotJSON, wantJSON)
	}
	firing := streamed["firing"].([]any)
	a := firing[0].(map[string]any)
	for _, k := range []string{"key", "rule", "severity", "status", "enterprise", "operator", "item", "certificate", "since", "message"} {
		if _, ok := a[k]; !ok {
			t.Errorf("alert lacks %q: %v", k, a)
		}
	}
	if a["since"] != "2026-03-02T08:00:00+08:00" {
		t.Errorf("since = %v", a["since"])
	}
	if op := a["operator"].(map[string]any); op["idNumber"] != "350582********1234" {
		t.Errorf("operator = %v", op)
	}
	if c := a["certificate"].(map[string]any); c["certNo"] != "T350582********1234" || c["validUntil"] != "2026-01-01" {
		t.Errorf("certificate = %v", c)
	}
	if !strings.Contains(string(b), `"certificate": null`) {
		t.Errorf("NO_CERTIFICATE alert without \"certificate\": null: %s", b)
	}
	if _, ok := streamed["skipped"]; ok {
		t.Errorf("nothing was skipped, yet: %s", b)
	}

	// Empty result: "firing": [] not null; a failed check still ends a parsable document.
	h.roster.edit(func([]RosterEntry) []RosterEntry { return nil })
	for _, r := range []*Result{{}, nil} {
		buf.Reset()
		w := NewJSONWriter(&buf)
		if err := w.Close(r); err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Firing    []json.RawMessage `json:"firing"`
			Evaluated *int              `json:"evaluated"`
		}
		if err := json.Unmarshal(buf.Bytes(), &doc); err != nil || doc.Firing == nil || doc.Evaluated == nil {
			t.Errorf("empty document %s (%v)", buf.Bytes(), err)
		}
	}
}

// multiOutput hands each firing alert to several outputs.
type multiOutput []Output

func (m multiOutput) Firing(a *Alert) error {
	for _, o := range m {
		if err := o.Firing(a); err != nil {
			return err
		}
	}
	return nil
}

// TestARenameIsStoredWithoutANotice: what an alert shows may change without the alert changing
// (an enterprise renamed): the stored alert follows, nobody is told at once, the next repeat
// shows the new name, and an acknowledgement stays.
func TestARenameIsStoredWithoutANotice(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		ctx := context.Background()
		id := testID(70)
		h.roster.add(entry(id), cert(id, alertstest.ValidUntil("2026-01-01")))
		h.check()
		h.expectSent("all", "CERT_EXPIRED/new")

		h.roster.edit(func(es []RosterEntry) []RosterEntry {
			es[0].EnterpriseName = "晋江市灵源新名字鞋业有限公司"
			return es
		})
		h.clock.Advance(time.Hour)
		res := h.check()
		h.expectSent("all")
		if res.alerts[0].Enterprise.Name != "晋江市灵源新名字鞋业有限公司" {
			t.Errorf("result shows %q", res.alerts[0].Enterprise.Name)
		}
		key := keyOf("CERT_EXPIRED", id)
		rec, events, err := h.store().History(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if rec.Enterprise.Name != "晋江市灵源新名字鞋业有限公司" || events[0].Type != EventDelivered {
			t.Errorf("stored name %q, last event %+v", rec.Enterprise.Name, events[0])
		}
		if p := h.page(Filter{Search: "新名字"}); p.Total != 1 {
			t.Errorf("a search by the new name found %d", p.Total)
		}
		h.clock.Set(t0.Add(168 * time.Hour))
		h.check()
		msgs := h.expectSent("all", "CERT_EXPIRED/repeat")
		if len(msgs) == 1 && msgs[0].Alerts[0].Enterprise.Name != "晋江市灵源新名字鞋业有限公司" {
			t.Errorf("repeat shows %q", msgs[0].Alerts[0].Enterprise.Name)
		}
	})
}

// Closed alerts are kept for the retention (90 days) after they resolved, then forgotten with
// their history; an alert firing all along is kept.
func TestResolvedAlertsAreForgottenAfterTheRetention(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		ctx := context.Background()
		long, gone := testID(80), testID(81)
		h.roster.add(entry(long))
		h.roster.add(entry(gone))
		h.check()
		h.roster.edit(func(es []RosterEntry) []RosterEntry { return es[:1] })
		h.check() // gone resolves and, its notice out, is closed
		goneKey := keyOf("NO_CERTIFICATE", gone)
		h.clock.Advance(89 * 24 * time.Hour)
		h.check()
		if _, ok := h.state(goneKey); !ok {
			t.Fatal("a closed alert was forgotten before the retention")
		}
		h.clock.Advance(2 * 24 * time.Hour)
		h.check()
		if _, ok := h.state(goneKey); ok {
			t.Error("a closed alert outlived the retention")
		}
		if evs, _ := h.led.AlertEvents(ctx, goneKey, 10); len(evs) != 0 {
			t.Errorf("its history outlived it: %+v", evs)
		}
		if _, ok := h.state(keyOf("NO_CERTIFICATE", long)); !ok {
			t.Error("the alert firing all along was forgotten")
		}
	})
}

// cancellingNotifier records its messages; on the first it waits until the next community's
// message is claimed (the delivery pass claims one ahead of the one it sends), then cancels the
// check.
type cancellingNotifier struct {
	*recorder
	t      *testing.T
	led    ledger.Store
	now    time.Time
	cancel context.CancelFunc
	calls  int
}

func (n *cancellingNotifier) Notify(ctx context.Context, m *notify.Message) (bool, error) {
	n.calls++
	if n.calls == 1 {
		deadline := time.Now().Add(10 * time.Second)
		for {
			cl, err := n.led.DeliveryClaims(context.Background(), n.now)
			if err != nil {
				n.t.Error(err)
				break
			}
			if len(cl) == 2 { // this message's and the next one's
				break
			}
			if time.Now().After(deadline) {
				n.t.Errorf("the next message was never claimed ahead: claims %v", cl)
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		n.cancel()
	}
	return n.recorder.Notify(ctx, m)
}

// TestACheckStoppedMidDeliveryReleasesTheMessageClaimedAhead: the delivery pass claims the next
// community's message while it sends one. A check stopped there records what it sent and
// releases the message it will not send, so the next check delivers it at once instead of
// waiting for the claim's lease to run out.
func TestACheckStoppedMidDeliveryReleasesTheMessageClaimedAhead(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		for i, comm := range []string{"林格社区", "灵源社区", "林口社区"} {
			e := entry(testID(60 + i))
			e.Community = comm
			h.roster.add(e)
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		n := &cancellingNotifier{recorder: h.rec["all"], t: t, led: h.led, now: t0, cancel: cancel}
		h.chans[0].Notifier = n
		if _, err := h.checker().Check(ctx, false, nil); !errors.Is(err, context.Canceled) {
			t.Fatalf("Check: %v, want it stopped", err)
		}
		first := h.rec["all"].take()
		if len(first) != 1 {
			t.Fatalf("the stopped check sent %d messages, want the first community's only", len(first))
		}
		if cl, err := h.led.DeliveryClaims(context.Background(), t0); err != nil || len(cl) != 0 {
			t.Fatalf("claims left after the check stopped: %v (%v)", cl, err)
		}
		// The next check, a minute later, delivers the other two communities and nothing twice.
		h.clock.Advance(time.Minute)
		h.chans[0].Notifier = h.rec["all"]
		h.check()
		comms := []string{first[0].Community}
		for _, m := range h.rec["all"].take() {
			comms = append(comms, m.Community)
		}
		slices.Sort(comms)
		if !slices.Equal(comms, []string{"林口社区", "林格社区", "灵源社区"}) {
			t.Errorf("the stopped check sent to %s and the next to %v, want each community once", first[0].Community, comms[1:])
		}
	})
}
