package alerts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"streetsync/internal/alerts/notify"
	"streetsync/internal/alerts/notify/webhook"
	"streetsync/internal/config"
	"streetsync/internal/redisconn"
	"streetsync/internal/testutil"
	"streetsync/mapping"
)

var t0 = time.Date(2026, 3, 2, 8, 0, 0, 0, shanghai)

type queued struct{ kind, key string }

type fakeQueue struct {
	mu    sync.Mutex
	items []queued
}

func (q *fakeQueue) Enqueue(_ context.Context, kind, key string, _ error) (string, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.items = append(q.items, queued{kind, key})
	return fmt.Sprint(len(q.items)), nil
}

// harness is one Redis, one ledger, one clock and a few recording channels; every check runs on
// a fresh Store and Checker, as a restarted or second instance would.
type harness struct {
	t      *testing.T
	conn   *redisconn.Conn
	clock  *fakeClock
	led    *ledger
	alarms AlarmSource
	rec    map[string]*recorder
	chans  []Channel
	cfg    config.Alerts
	queue  *fakeQueue
}

func newHarness(t *testing.T, conn *redisconn.Conn) *harness {
	t.Helper()
	if conn == nil {
		conn, _ = testutil.Redis(t)
	}
	h := &harness{
		t: t, conn: conn, clock: &fakeClock{t: t0}, led: newLedger(), rec: map[string]*recorder{},
		cfg: config.Alerts{
			ExpiringWithinDays: 60, RepeatInterval: config.Duration(168 * time.Hour),
			EscalateAfter: config.Duration(72 * time.Hour), AlarmUnhandled: config.Duration(2 * time.Hour),
		},
		queue: &fakeQueue{},
	}
	h.channel("all", nil, false)
	return h
}

func (h *harness) channel(name string, communities []string, escalations bool) *recorder {
	r := &recorder{}
	h.rec[name] = r
	h.chans = append(h.chans, Channel{Name: name, Type: "test", Communities: communities, Escalations: escalations, Notifier: r})
	return r
}

func (h *harness) store() *Store {
	h.t.Helper()
	s, err := NewStore(h.conn, shanghai, WithClock(h.clock))
	if err != nil {
		h.t.Fatal(err)
	}
	return s
}

func (h *harness) checker(opts ...Option) *Checker {
	h.t.Helper()
	c, err := NewChecker(h.store(), Sources{Roster: h.led, Certificates: h.led, Alarms: h.alarms}, h.chans, h.cfg,
		append([]Option{WithEnqueuer(h.queue)}, opts...)...)
	if err != nil {
		h.t.Fatal(err)
	}
	return c
}

func (h *harness) check() *Result {
	h.t.Helper()
	res, err := h.checker().Check(context.Background(), false)
	if err != nil {
		h.t.Fatalf("Check: %v", err)
	}
	return res
}

// expectSent checks what channel name received since the last call, as rule/notice pairs.
func (h *harness) expectSent(name string, want ...string) []*notify.Message {
	h.t.Helper()
	msgs := h.rec[name].take()
	got := notices(msgs)
	if !slices.Equal(got, want) {
		h.t.Errorf("channel %s got %v, want %v", name, got, want)
	}
	return msgs
}

func TestCheckFiringRepeatResolved(t *testing.T) {
	h := newHarness(t, nil)
	id := testID(10)
	h.led.add(entry(id), cert(id, validUntil("2026-01-01")))

	res := h.check()
	if res.Evaluated != 1 || len(res.Firing) != 1 || res.Delivered != (Delivered{Firing: 1}) {
		t.Fatalf("first check: %+v", res)
	}
	msgs := h.expectSent("all", "CERT_EXPIRED/new")
	if msgs[0].Status != notify.StatusFiring || msgs[0].Community != "林格社区" {
		t.Errorf("message status %q community %q", msgs[0].Status, msgs[0].Community)
	}
	since := res.Firing[0].Since

	h.clock.Advance(time.Hour)
	res = h.check()
	h.expectSent("all")
	if res.Delivered != (Delivered{}) || !res.Firing[0].Since.Equal(since) {
		t.Errorf("still firing an hour later: delivered %+v, since %v (want %v)", res.Delivered, res.Firing[0].Since, since)
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

	h.led.setCerts(id, cert(id, validUntil("2032-01-01")))
	h.clock.Advance(time.Hour)
	res = h.check()
	msgs = h.expectSent("all", "CERT_EXPIRED/resolved")
	if res.Delivered != (Delivered{Resolved: 1}) || len(res.Firing) != 0 || msgs[0].Status != notify.StatusResolved {
		t.Errorf("resolved: %+v, message status %q", res, msgs[0].Status)
	}
	h.check()
	h.expectSent("all")

	ctx := context.Background()
	k := keys{h.conn}
	key := KeyOf(RuleCertExpired, id, usccA, "0102")
	if n := h.conn.Client.SCard(ctx, k.open()).Val(); n != 0 {
		t.Errorf("open alerts after resolution: %d, want 0", n)
	}
	if ttl := h.conn.Client.PTTL(ctx, k.state(key)).Val(); ttl < 89*24*time.Hour || ttl > 90*24*time.Hour {
		t.Errorf("resolved state TTL %v, want 90 days", ttl)
	}

	// Firing again is a new episode: delivered at once, since = now, TTL gone.
	h.led.setCerts(id, cert(id, validUntil("2026-01-01")))
	h.clock.Advance(24 * time.Hour)
	res = h.check()
	h.expectSent("all", "CERT_EXPIRED/new")
	if !res.Firing[0].Since.Equal(h.clock.Now()) {
		t.Errorf("since = %v, want %v", res.Firing[0].Since, h.clock.Now())
	}
	if ttl := h.conn.Client.PTTL(ctx, k.state(key)).Val(); ttl != -1 {
		t.Errorf("firing state has TTL %v, want none", ttl)
	}
	rec, events, err := h.store().History(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Episode != 2 {
		t.Errorf("episode %d, want 2", rec.Episode)
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
}

func TestCheckSurvivesARedisRestartWithAOF(t *testing.T) {
	srv := testutil.StartRedisServer(t, true)
	h := newHarness(t, srv.Conn(t))
	id := testID(11)
	h.led.add(entry(id), cert(id, reviewDue("2026-01-01")))

	h.check()
	h.expectSent("all", "REVIEW_OVERDUE/new")
	h.queue.items = nil

	srv.Restart(t) // SIGKILL and start again: only the AOF survives
	h.clock.Advance(time.Hour)
	res := h.check()
	h.expectSent("all")
	if len(res.Firing) != 1 || !res.Firing[0].Since.Equal(t0) {
		t.Fatalf("after the restart: %+v", res.Firing)
	}
	h.clock.Set(t0.Add(168 * time.Hour))
	h.check()
	h.expectSent("all", "REVIEW_OVERDUE/repeat")

	srv.Restart(t)
	h.led.setCerts(id, cert(id, reviewDue("2026-01-01"), lastReview("2026-02-01")))
	h.check()
	h.expectSent("all", "REVIEW_OVERDUE/resolved")
}

// secondConn is another client on the same Redis and prefix: another instance.
func secondConn(t *testing.T, c *redisconn.Conn) *redisconn.Conn {
	opts := c.Client.(*redis.Client).Options()
	c2 := &redisconn.Conn{Client: redis.NewClient(&redis.Options{Addr: opts.Addr}), Prefix: c.Prefix}
	t.Cleanup(func() { c2.Client.Close() })
	return c2
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

func twoInstances(t *testing.T) (*harness, *harness, *countingChannel, int) {
	h1 := newHarness(t, nil)
	cc := &countingChannel{byKey: map[string]int{}, byComm: map[string]int{}}
	h1.chans = []Channel{{Name: "webhook", Type: "webhook", Notifier: cc}}
	for i := 0; i < 60; i++ {
		id := testID(100 + i)
		e := entry(id)
		e.Community = []string{"林格社区", "灵源社区", "英墩社区"}[i%3]
		h1.led.add(e, cert(id, validUntil("2026-01-01")))
	}
	h2 := &harness{}
	*h2 = *h1
	h2.conn = secondConn(t, h1.conn)
	return h1, h2, cc, 60
}

func TestTwoInstancesCheckingAtOnceDeliverOnce(t *testing.T) {
	h1, h2, cc, n := twoInstances(t)
	// The real webhook channel, against an HTTP receiver that counts its hits.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m notify.Message
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		_, _ = cc.Notify(r.Context(), &m)
	}))
	defer srv.Close()
	wh, err := webhook.New(config.Channel{Type: "webhook", URL: config.Secret(srv.URL + "/alerts")})
	if err != nil {
		t.Fatal(err)
	}
	h1.chans = []Channel{{Name: "webhook", Type: "webhook", Notifier: wh}}
	h2.chans = h1.chans
	c1, c2 := h1.checker(), h2.checker()
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, c := range []*Checker{c1, c2} {
		wg.Go(func() { _, errs[i] = c.Check(context.Background(), false) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if cc.hits != 3 || len(cc.byKey) != n {
		t.Errorf("receiver: %d hits for %d alerts, want 3 hits (one per community) for %d", cc.hits, len(cc.byKey), n)
	}
	for k, v := range cc.byKey {
		if v != 1 {
			t.Errorf("alert %s delivered %d times", k, v)
		}
	}
}

// TestClaimsAloneDeliverOnce leaves the run lock out: the per-alert, per-channel claim is enough
// on its own.
func TestClaimsAloneDeliverOnce(t *testing.T) {
	for round := 0; round < 5; round++ {
		h1, h2, cc, n := twoInstances(t)
		c1, c2 := h1.checker(), h2.checker()
		now := h1.clock.Now()
		ev1, err := c1.evaluate(context.Background(), mapping.DateOf(now), now)
		if err != nil {
			t.Fatal(err)
		}
		ev2, _ := c2.evaluate(context.Background(), mapping.DateOf(now), now)
		var wg sync.WaitGroup
		wg.Go(func() { _, _ = c1.apply(context.Background(), ev1, now) })
		wg.Go(func() { _, _ = c2.apply(context.Background(), ev2, now) })
		wg.Wait()
		if len(cc.byKey) != n {
			t.Errorf("round %d: %d alerts delivered, want %d", round, len(cc.byKey), n)
		}
		for k, v := range cc.byKey {
			if v != 1 {
				t.Errorf("round %d: alert %s delivered %d times", round, k, v)
			}
		}
	}
}

func TestCheckWaitsForTheLockThenGivesUp(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	h.conn.Client.Set(ctx, keys{h.conn}.lock(), "someone-else", time.Minute)
	_, err := h.checker(WithLock(time.Minute, 300*time.Millisecond)).Check(ctx, false)
	if !errors.Is(err, ErrCheckRunning) {
		t.Fatalf("got %v, want ErrCheckRunning", err)
	}
	// A dry run needs no lock.
	if _, err := h.checker(WithLock(time.Minute, 0)).Check(ctx, true); err != nil {
		t.Fatalf("dry run: %v", err)
	}
}

func TestAckStopsRepeatsUntilTheAlertChanges(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	id := testID(12)
	h.led.add(entry(id), cert(id, validUntil("2026-01-01")))
	h.check()
	h.expectSent("all", "CERT_EXPIRED/new")
	key := KeyOf(RuleCertExpired, id, usccA, "0102")

	st := h.store()
	if err := st.Ack(ctx, strings.ToUpper(key), "王网格员", "已电话督促企业，本周内停岗"); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(200 * time.Hour)
	res := h.check()
	h.expectSent("all")
	if a := res.Firing[0].Acknowledged; a == nil || a.By != "王网格员" || a.Note != "已电话督促企业，本周内停岗" {
		t.Errorf("acknowledged = %+v", a)
	}
	if l, _ := st.List(ctx, Filter{Status: "acknowledged"}); len(l) != 1 {
		t.Errorf("acknowledged alerts: %d, want 1", len(l))
	}

	// The certificate's state changes (the system batch catches up): same rule, changed alert.
	h.led.setCerts(id, cert(id, validUntil("2026-01-01"), status(mapping.CertExpired)))
	res = h.check()
	h.expectSent("all", "CERT_EXPIRED/changed")
	if res.Firing[0].Acknowledged != nil {
		t.Error("the acknowledgement survived a change of the alert")
	}
	if l, _ := st.List(ctx, Filter{Status: "acknowledged"}); len(l) != 0 {
		t.Errorf("acknowledged alerts after the change: %d, want 0", len(l))
	}

	var ie *InputError
	if err := st.Ack(ctx, key, "王网格员", " "); !errors.As(err, &ie) {
		t.Errorf("empty note: got %v, want an InputError", err)
	}
	if err := st.Ack(ctx, "0000000000000000", "王网格员", "x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown key: got %v, want ErrNotFound", err)
	}
	h.led.setCerts(id, cert(id))
	h.check()
	if err := st.Ack(ctx, key, "王网格员", "x"); !errors.Is(err, ErrNotFiring) {
		t.Errorf("resolved alert: got %v, want ErrNotFiring", err)
	}
}

func TestEscalation(t *testing.T) {
	h := newHarness(t, nil)
	h.chans = nil
	h.channel("lingge", []string{"林格社区"}, false)
	h.channel("office", []string{"英墩社区"}, true)
	ctx := context.Background()
	idCrit, idWarn, idAcked := testID(13), testID(14), testID(15)
	h.led.add(entry(idCrit), cert(idCrit, validUntil("2026-01-01")))
	h.led.add(entry(idWarn), cert(idWarn, validUntil("2026-04-01")))
	h.led.add(entry(idAcked), cert(idAcked, status(mapping.CertRevoked)))

	h.check()
	h.expectSent("lingge", "CERT_INVALID/new", "CERT_EXPIRED/new", "EXPIRING_SOON/new")
	h.expectSent("office")
	if err := h.store().Ack(ctx, KeyOf(RuleCertInvalid, idAcked, usccA, "0102"), "王网格员", "已督促"); err != nil {
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
	for _, a := range res.Firing {
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

	_, events, err := h.store().History(ctx, KeyOf(RuleCertExpired, idCrit, usccA, "0102"))
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
}

func TestSilences(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	id, other := testID(16), testID(17)
	h.led.add(entry(id), cert(id, validUntil("2026-01-01")))
	e := entry(other)
	e.Operator.EnterpriseUSCC = usccB
	h.led.add(e)
	st := h.store()
	key := KeyOf(RuleCertExpired, id, usccA, "0102")

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
	if len(res.Firing) != 2 || res.Delivered != (Delivered{}) {
		t.Errorf("silenced alerts still fire but are not delivered: %+v", res)
	}
	if l, _ := st.List(ctx, Filter{Status: "silenced"}); len(l) != 2 || l[0].Silenced == nil {
		t.Errorf("silenced list: %+v", l)
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
}

func TestFailedDeliveryIsRecordedQueuedAndRedelivered(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	id := testID(18)
	h.led.add(entry(id))
	h.rec["all"].failWith(errors.New("all: unexpected HTTP status 503"), true)

	res := h.check()
	if res.Delivered != (Delivered{}) || len(res.Firing) != 1 {
		t.Errorf("failed delivery: %+v", res)
	}
	if !slices.Equal(h.queue.items, []queued{{RetryKind, "all|林格社区"}}) {
		t.Errorf("queued %+v", h.queue.items)
	}
	key := KeyOf(RuleNoCertificate, id, usccA, "0102")
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
	h.led.add(entry(id2))
	h.queue.items = nil
	h.rec["all"].failWith(errors.New("all: errcode 93000"), false)
	h.check()
	if len(h.queue.items) != 0 {
		t.Errorf("a permanent failure was queued: %+v", h.queue.items)
	}
	h.rec["all"].failWith(nil, false)
	h.check()
	h.expectSent("all", "NO_CERTIFICATE/new")
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
	h := newHarness(t, nil)
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
	if len(res.Firing) != 2 || msgs[0].Community != "灵源社区" || msgs[0].Alerts[0].Alarm == nil || msgs[0].Alerts[0].Operator != nil {
		t.Fatalf("alarm alerts: %+v", res.Firing)
	}
	if !strings.Contains(msgs[0].Alerts[0].Message, "2 小时") {
		t.Errorf("message %q", msgs[0].Alerts[0].Message)
	}

	// The alarm source fails: certificate alerts go on, alarm alerts neither fire nor resolve.
	al.err = errors.New("ledger down")
	h.clock.Advance(time.Hour)
	if res = h.check(); len(res.Firing) != 0 {
		t.Errorf("firing with the alarm source down: %d, want 0 (not evaluated)", len(res.Firing))
	}
	h.expectSent("all")

	al.err = nil
	al.list = al.list[:1] // BJ5 handled
	h.check()
	h.expectSent("all", "ALARM_UNHANDLED/resolved")
}

func TestDryRunChangesNothing(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	id := testID(20)
	h.led.add(entry(id), cert(id, validUntil("2026-01-01")))
	res, err := h.checker().Check(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	if res.Evaluated != 1 || len(res.Firing) != 1 || res.Delivered != (Delivered{}) || !res.Firing[0].Since.Equal(t0) {
		t.Errorf("dry run: %+v", res)
	}
	h.expectSent("all")
	if n := len(h.conn.Client.Keys(ctx, h.conn.Prefix+"*").Val()); n != 0 {
		t.Errorf("dry run wrote %d keys", n)
	}
	// Once the alert exists, a dry run shows its real since.
	h.check()
	h.clock.Advance(5 * time.Hour)
	res, _ = h.checker().Check(ctx, true)
	if !res.Firing[0].Since.Equal(t0) {
		t.Errorf("dry run since %v, want %v", res.Firing[0].Since, t0)
	}
}

func TestTimeZoneAtMidnight(t *testing.T) {
	h := newHarness(t, nil)
	id := testID(21)
	h.led.add(entry(id), cert(id, validUntil("2026-03-01")))
	for _, tc := range []struct {
		now  time.Time
		want string
	}{
		{time.Date(2026, 3, 1, 15, 59, 0, 0, time.UTC), RuleExpiringSoon}, // 23:59 on 1 March in Shanghai
		{time.Date(2026, 3, 1, 16, 30, 0, 0, time.UTC), RuleCertExpired},  // 00:30 on 2 March in Shanghai
	} {
		h.clock.Set(tc.now)
		res, err := h.checker().Check(context.Background(), true)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Firing) != 1 || res.Firing[0].Rule != tc.want {
			t.Errorf("%v: got %+v, want %s", tc.now, res.Firing, tc.want)
		}
	}
}

func TestOnlyEntriesOnDutyAreEvaluated(t *testing.T) {
	h := newHarness(t, nil)
	onDuty := func(n int, start, end string) {
		id := testID(n)
		e := entry(id)
		e.Operator.StartDate, e.Operator.EndDate = d(start), mapping.Date{}
		if end != "" {
			e.Operator.EndDate = d(end)
		}
		h.led.add(e)
	}
	onDuty(30, "2024-01-01", "")           // on duty
	onDuty(31, "2024-01-01", "2026-03-01") // ended yesterday
	onDuty(32, "2024-01-01", "2026-03-02") // ends today: no longer on duty
	onDuty(33, "2024-01-01", "2026-03-03") // ends tomorrow: still on duty
	onDuty(34, "2026-03-03", "")           // starts tomorrow
	res := h.check()
	if res.Evaluated != 2 || len(res.Firing) != 2 {
		t.Errorf("evaluated %d, firing %d; want 2 and 2", res.Evaluated, len(res.Firing))
	}
	h.expectSent("all", "NO_CERTIFICATE/new", "NO_CERTIFICATE/new")

	// The next day, the entry that ends then leaves duty (its alert resolves) and the one that
	// starts then comes on duty.
	h.clock.Advance(24 * time.Hour)
	h.check()
	h.expectSent("all", "NO_CERTIFICATE/new", "NO_CERTIFICATE/resolved")
}

func TestOneMessagePerCommunityPerChannel(t *testing.T) {
	h := newHarness(t, nil)
	lingge := h.channel("lingge", []string{"林格社区"}, false)
	for i := 0; i < 5; i++ {
		e := entry(testID(40 + i))
		if i >= 3 {
			e.Community = "灵源社区"
		}
		h.led.add(e)
	}
	h.check()
	msgs := h.rec["all"].take()
	if len(msgs) != 2 || msgs[0].Community != "林格社区" || len(msgs[0].Alerts) != 3 || msgs[1].Community != "灵源社区" || len(msgs[1].Alerts) != 2 {
		t.Errorf("channel all: %d messages", len(msgs))
	}
	if m := lingge.take(); len(m) != 1 || len(m[0].Alerts) != 3 {
		t.Errorf("channel lingge: %d messages, want 1 with 3 alerts", len(m))
	}
}

func TestResultJSONHasTheContractShape(t *testing.T) {
	h := newHarness(t, nil)
	id := "350582199001011234"
	h.led.add(entry(id), cert(id, validUntil("2026-01-01")))
	res := h.check()
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), id) {
		t.Errorf("an unmasked ID number in the output: %s", b)
	}
	var doc struct {
		Evaluated *int              `json:"evaluated"`
		Firing    []json.RawMessage `json:"firing"`
		Delivered *struct {
			Firing   *int `json:"firing"`
			Resolved *int `json:"resolved"`
		} `json:"delivered"`
	}
	if err := json.Unmarshal(b, &doc); err != nil || doc.Evaluated == nil || doc.Delivered == nil || doc.Delivered.Firing == nil || doc.Delivered.Resolved == nil || len(doc.Firing) != 1 {
		t.Fatalf("shape: %s (%v)", b, err)
	}
	var a map[string]any
	_ = json.Unmarshal(doc.Firing[0], &a)
	for _, k := range []string{"key", "rule", "severity", "status", "enterprise", "operator", "item", "certificate", "since", "message"} {
		if _, ok := a[k]; !ok {
			t.Errorf("alert lacks %q: %s", k, doc.Firing[0])
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
	// No certificate at all: "certificate": null.
	h.led.add(entry(testID(50)))
	res = h.check()
	b, _ = json.Marshal(res.Firing)
	if !strings.Contains(string(b), `"certificate":null`) {
		t.Errorf("NO_CERTIFICATE alert: %s", b)
	}
	// Empty result: "firing": [] not null.
	h.led.roster = nil
	res = h.check()
	if b, _ = json.Marshal(res); !strings.Contains(string(b), `"firing":[]`) {
		t.Errorf("empty result: %s", b)
	}
}

func TestListFilters(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	a, b := entry(testID(60)), entry(testID(61))
	b.Community = "灵源社区"
	h.led.add(a)
	h.led.add(b, cert(b.Operator.IDNumber, validUntil("2026-01-01")))
	h.check()
	st := h.store()
	for _, tc := range []struct {
		f    Filter
		want int
	}{
		{Filter{}, 2},
		{Filter{Community: "灵源社区"}, 1},
		{Filter{Rule: RuleNoCertificate}, 1},
		{Filter{Status: "firing"}, 2},
		{Filter{Status: "resolved"}, 0},
	} {
		l, err := st.List(ctx, tc.f)
		if err != nil || len(l) != tc.want {
			t.Errorf("%+v: got %d (%v), want %d", tc.f, len(l), err, tc.want)
		}
	}
	l, _ := st.List(ctx, Filter{Community: "灵源社区"})
	if len(l) == 1 && (len(l[0].Deliveries) != 1 || !l[0].Deliveries[0].OK || l[0].Deliveries[0].Channel != "all") {
		t.Errorf("deliveries %+v", l[0].Deliveries)
	}
	var ie *InputError
	if _, err := st.List(ctx, Filter{Status: "bogus"}); !errors.As(err, &ie) {
		t.Errorf("bad status: %v", err)
	}
}

// TestARenameIsStoredWithoutANotice: what an alert shows may change without the alert changing
// (an enterprise renamed): the stored alert follows, nobody is told at once, the next repeat
// shows the new name, and an acknowledgement stays.
func TestARenameIsStoredWithoutANotice(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	id := testID(70)
	e := entry(id)
	h.led.add(e, cert(id, validUntil("2026-01-01")))
	h.check()
	h.expectSent("all", "CERT_EXPIRED/new")

	h.led.roster[0].EnterpriseName = "晋江市灵源新名字鞋业有限公司"
	h.clock.Advance(time.Hour)
	res := h.check()
	h.expectSent("all")
	if res.Firing[0].Enterprise.Name != "晋江市灵源新名字鞋业有限公司" {
		t.Errorf("result shows %q", res.Firing[0].Enterprise.Name)
	}
	key := KeyOf(RuleCertExpired, id, usccA, "0102")
	rec, events, err := h.store().History(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Enterprise.Name != "晋江市灵源新名字鞋业有限公司" || events[0].Type != EventDelivered {
		t.Errorf("stored name %q, last event %+v", rec.Enterprise.Name, events[0])
	}
	h.clock.Set(t0.Add(168 * time.Hour))
	h.check()
	msgs := h.expectSent("all", "CERT_EXPIRED/repeat")
	if len(msgs) == 1 && msgs[0].Alerts[0].Enterprise.Name != "晋江市灵源新名字鞋业有限公司" {
		t.Errorf("repeat shows %q", msgs[0].Alerts[0].Enterprise.Name)
	}
}

func TestALostLockCancelsTheRun(t *testing.T) {
	h := newHarness(t, nil)
	c := h.checker(WithLock(time.Second, 0))
	ctx, release, err := c.lock(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	// Another instance took over (our lock expired while we stalled).
	h.conn.Client.Set(context.Background(), keys{h.conn}.lock(), "someone-else", time.Minute)
	select {
	case <-ctx.Done():
		if !errors.Is(context.Cause(ctx), errLockLost) {
			t.Errorf("cause %v, want errLockLost", context.Cause(ctx))
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the run went on without its lock")
	}
	release()
	if v := h.conn.Client.Get(context.Background(), keys{h.conn}.lock()).Val(); v != "someone-else" {
		t.Errorf("release deleted another owner's lock: %q", v)
	}
}

func TestExpiredAlertsLeaveTheIndex(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	long, gone := testID(80), testID(81)
	h.led.add(entry(long))
	h.led.add(entry(gone))
	h.check()
	h.led.roster = h.led.roster[:1]
	h.check() // gone resolves and, its notice out, is closed: its state expires after 90 days
	k := keys{h.conn}
	goneKey := KeyOf(RuleNoCertificate, gone, usccA, "0102")
	h.conn.Client.Del(ctx, k.state(goneKey)) // what the expiry does, 90 days on
	h.clock.Advance(91 * 24 * time.Hour)
	h.check()
	members := h.conn.Client.ZRange(ctx, k.all(), 0, -1).Val()
	if !slices.Equal(members, []string{KeyOf(RuleNoCertificate, long, usccA, "0102")}) {
		t.Errorf("index %v: want only the alert that has been firing all along", members)
	}
}
