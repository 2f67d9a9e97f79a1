package ledger_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"streetsync/internal/ledger"
	"streetsync/mapping"
)

// The alert engine's roster: the on-duty entries in key order, each with its enterprise, whether
// the special-operations system ever answered for its ID number, and every certificate of that
// number — across the chunks certificates are read in.
func TestAlertRosterJoinsEnterprisesAnswersAndCertificates(t *testing.T) {
	eachStore(t, func(t *testing.T, s ledger.Store, clk *clock) {
		ctx := context.Background()
		if _, err := s.UpsertEnterprises(ctx, inputs(enterprise(1), enterprise(2))); err != nil {
			t.Fatal(err)
		}
		const people = 300 // more than one chunk
		var ops []ledger.OperatorInput
		for n := 1; n <= people; n++ {
			ops = append(ops, ledger.OperatorInput{Operator: operator(n, 1+n%2, "0102")})
		}
		gone := operator(people+1, 1, "0102")
		gone.EndDate = date(2026, 3, 1)
		orphan := operator(people+2, 99, "0102") // its enterprise is not in the ledger
		ops = append(ops, ledger.OperatorInput{Operator: gone}, ledger.OperatorInput{Operator: orphan})
		if _, err := s.UpsertOperators(ctx, ops); err != nil {
			t.Fatal(err)
		}
		var certs []mapping.Certificate
		for n := 1; n <= people; n += 3 {
			certs = append(certs, certificate(n, "0102", date(2030, 1, 1)))
		}
		if _, err := s.UpsertCertificates(ctx, certs); err != nil {
			t.Fatal(err)
		}
		var answered []string
		for n := 1; n <= people; n += 2 {
			answered = append(answered, strings.ToLower(idNumber(n)))
		}
		if err := s.RecordCertificateAnswers(ctx, answered, clk.Now()); err != nil {
			t.Fatal(err)
		}
		entries := collect(t, s.AlertRoster(ctx, date(2026, 3, 2)))
		if len(entries) != people+1 {
			t.Fatalf("%d entries on duty, want %d (the one that left is not)", len(entries), people+1)
		}
		for i, e := range entries {
			if i > 0 && e.Operator.IDNumber < entries[i-1].Operator.IDNumber {
				t.Fatalf("entry %d out of key order", i)
			}
			if e.Operator.IDNumber == orphan.IDNumber {
				if e.EnterpriseName != "" || e.Community != "" {
					t.Errorf("an entry of an unknown enterprise: %+v", e)
				}
				continue
			}
			var n int
			fmt.Sscanf(e.Operator.Name, "操作员%d", &n)
			want := enterprise(1 + n%2)
			if e.EnterpriseName != want.Name || e.Community != want.Community || e.Operator.StartDate != date(2024, 1, 1) {
				t.Errorf("entry %d: %+v", n, e)
			}
			if e.Answered != (n%2 == 1) || (len(e.Certificates) == 1) != (n%3 == 1) {
				t.Errorf("entry %d: answered %v, %d certificates", n, e.Answered, len(e.Certificates))
			}
		}
	})
}

func alertRow(n int, community, status string, since time.Time) ledger.AlertRow {
	return ledger.AlertRow{
		Key: fmt.Sprintf("%016x", n), Family: "certificate", Rule: "NO_CERTIFICATE", Severity: "critical",
		Community: community, EnterpriseUSCC: uscc(n % 3), EnterpriseName: fmt.Sprintf("第%d鞋材", n%3),
		PersonName: fmt.Sprintf("操作员%d", n), IDHash: fmt.Sprintf("id%d", n), SearchText: fmt.Sprintf("操作员%d 第%d鞋材", n, n%3),
		Fingerprint: "fp", BodyHash: "h", Body: `{"message":"m"}`, Status: status, Episode: 1, Version: 1,
		Since: since, ChangedAt: since, Open: true,
	}
}

// The alert state's queries: delivery candidates of one community (a missing delivery record,
// another episode, a repeat due, a resolution owed), claims that exclude each other until they
// expire, pages and counts.
func TestAlertStateQueries(t *testing.T) {
	eachStore(t, func(t *testing.T, s ledger.Store, clk *clock) {
		ctx := context.Background()
		now := clk.Now()
		rows := []ledger.AlertRow{
			alertRow(1, "林口社区", "firing", now.Add(-time.Hour)),     // never delivered
			alertRow(2, "林口社区", "firing", now.Add(-2*time.Hour)),   // delivered, nothing due
			alertRow(3, "林口社区", "firing", now.Add(-200*time.Hour)), // delivered a week ago: a repeat
			alertRow(4, "林口社区", "resolved", now.Add(-3*time.Hour)), // resolution owed
			alertRow(5, "灵水社区", "firing", now),                     // another community
		}
		rows[3].ResolvedAt = now
		del := func(n int, sent time.Time) ledger.DeliveryRow {
			return ledger.DeliveryRow{Key: rows[n-1].Key, Channel: "安办", Episode: 1, Version: 1, SentAt: sent, LastNotice: "new", LastAt: sent, LastOK: true}
		}
		err := s.AlertTx(ctx, func(tx ledger.AlertTx) error {
			if err := tx.PutAlerts(ctx, rows); err != nil {
				return err
			}
			return tx.PutDeliveries(ctx, []ledger.DeliveryRow{del(2, now.Add(-time.Hour)), del(3, now.Add(-170*time.Hour)), del(4, now.Add(-4*time.Hour))})
		})
		if err != nil {
			t.Fatal(err)
		}
		claim := ledger.DeliveryClaim{Channel: "安办", Community: "林口社区", Run: "run-a", Until: now.Add(10 * time.Minute)}
		err = s.AlertTx(ctx, func(tx ledger.AlertTx) error {
			if ok, err := tx.ClaimDelivery(ctx, claim, now); !ok || err != nil {
				return fmt.Errorf("claim: %v %v", ok, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		cands, err := s.DeliveryCandidates(ctx, ledger.DeliveryScope{Channel: "安办", Community: "林口社区", RepeatBefore: now.Add(-168 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, c := range cands {
			keys = append(keys, c.Alert.Key)
			if c.Alert.Body == "" {
				t.Errorf("candidate %s without its body", c.Alert.Key)
			}
			// What a message and a silence need is read; what only listings use is not.
			if a := c.Alert; a.IDHash == "" || a.EnterpriseName == "" || a.Community != "林口社区" || a.Since.IsZero() ||
				a.PersonName != "" || a.SearchText != "" || a.Fingerprint != "" {
				t.Errorf("candidate %s read as %+v", a.Key, a)
			}
		}
		// Firing first, then critical, then … since: 3 (the oldest), 1; then the resolution.
		if want := rows[2].Key + "," + rows[0].Key + "," + rows[3].Key; strings.Join(keys, ",") != want {
			t.Errorf("candidates %v, want %s", keys, want)
		}

		// Another run cannot claim the message while the claim stands; after it expires it can.
		other := claim
		other.Run = "run-b"
		for _, tc := range []struct {
			at   time.Time
			want bool
		}{{now.Add(time.Minute), false}, {now.Add(11 * time.Minute), true}} {
			var ok bool
			if err := s.AlertTx(ctx, func(tx ledger.AlertTx) (err error) { ok, err = tx.ClaimDelivery(ctx, other, tc.at); return }); err != nil {
				t.Fatal(err)
			}
			if ok != tc.want {
				t.Errorf("claim at %v: %v, want %v", tc.at, ok, tc.want)
			}
		}
		var released bool
		if err := s.AlertTx(ctx, func(tx ledger.AlertTx) (err error) { released, err = tx.ReleaseDelivery(ctx, claim); return }); err != nil || released {
			t.Errorf("releasing a claim another run took over: %v %v, want false", released, err)
		}

		page, total, err := s.AlertPage(ctx, ledger.AlertQuery{Status: "firing", Text: "第1鞋材", Limit: 1})
		if err != nil || total != 1 || len(page) != 1 || page[0].Key != rows[0].Key { // alert 4 matches too, but is resolved
			t.Errorf("page: %d of %d (%v): %+v", len(page), total, err, page)
		}
		page, total, err = s.AlertPage(ctx, ledger.AlertQuery{Text: "第1鞋材", Offset: 1, Limit: 1})
		if err != nil || total != 2 || len(page) != 1 || page[0].Key != rows[3].Key {
			t.Errorf("second page of every status: %d of %d (%v): %+v, want the resolved one after the firing one", len(page), total, err, page)
		}
		counts, err := s.AlertCounts(ctx)
		if err != nil || len(counts) != 2 || counts[0].Community != "林口社区" || counts[0].Count != 3 || counts[1].Count != 1 {
			t.Errorf("counts %+v (%v)", counts, err)
		}
	})
}

// Concurrent alert-state transactions of two processes (two stores on one database) never
// interleave: a read-modify-write in one is not lost to the other.
func TestAlertTransactionsAreSerialized(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			cfg := b.cfg(t)
			clk := newClock()
			one, two := open(t, cfg, clk), open(t, cfg, clk)
			ctx := context.Background()
			row := alertRow(1, "林口社区", "firing", clk.Now())
			if err := one.AlertTx(ctx, func(tx ledger.AlertTx) error { return tx.PutAlerts(ctx, []ledger.AlertRow{row}) }); err != nil {
				t.Fatal(err)
			}
			const each = 20
			var wg sync.WaitGroup
			errs := make(chan error, 2*each)
			for _, st := range []ledger.Store{one, two} {
				wg.Go(func() {
					for range each {
						errs <- st.AlertTx(ctx, func(tx ledger.AlertTx) error {
							cur, err := tx.AlertStates(ctx, []string{row.Key})
							if err != nil {
								return err
							}
							r := cur[row.Key]
							r.Body = `{"message":"m"}`
							r.Version++
							return tx.PutAlerts(ctx, []ledger.AlertRow{r})
						})
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			got, err := one.AlertStates(ctx, []string{row.Key})
			if err != nil || got[row.Key].Version != 1+2*each {
				t.Errorf("version %d (%v), want %d: an increment was lost", got[row.Key].Version, err, 1+2*each)
			}
		})
	}
}

// The alarms an alert check judges: level 1 or 2, not handled, raised at or before the cut-off
// (inclusive), oldest first, each with its enterprise's community, "" for an enterprise the
// ledger does not hold.
func TestAlertAlarmsCarryTheirCommunity(t *testing.T) {
	eachStore(t, func(t *testing.T, s ledger.Store, clk *clock) {
		ctx := context.Background()
		if _, err := s.UpsertEnterprises(ctx, inputs(enterprise(1), enterprise(2))); err != nil {
			t.Fatal(err)
		}
		t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
		red := alarm(1, 1, t0)
		red.Level = 1
		orange := alarm(2, 2, t0.Add(time.Hour))
		unknown := alarm(3, 99, t0.Add(2*time.Hour)) // its enterprise is not in the ledger
		yellow := alarm(4, 1, t0)
		yellow.Level = 3
		handled := alarm(5, 1, t0)
		handled.HandlingStatus = "2"
		inProgress := alarm(6, 2, t0.Add(3*time.Hour))
		inProgress.HandlingStatus = "1"
		late := alarm(7, 1, t0.Add(3*time.Hour+time.Millisecond))
		if _, err := s.UpsertAlarms(ctx, []mapping.Alarm{red, orange, unknown, yellow, handled, inProgress, late}); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, a := range collect(t, s.AlertAlarms(ctx, t0.Add(3*time.Hour))) {
			got = append(got, a.Alarm.ID+" "+a.Community)
		}
		want := []string{red.ID + " " + enterprise(1).Community, orange.ID + " " + enterprise(2).Community,
			unknown.ID + " ", inProgress.ID + " " + enterprise(2).Community}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("alarms %q, want %q", got, want)
		}
	})
}

// FiringCount counts one family's firing alerts, whatever their community or rule.
func TestFiringCountCountsOneFamily(t *testing.T) {
	eachStore(t, func(t *testing.T, s ledger.Store, clk *clock) {
		ctx := context.Background()
		now := clk.Now()
		rows := []ledger.AlertRow{
			alertRow(1, "林口社区", "firing", now), alertRow(2, "灵水社区", "firing", now),
			alertRow(3, "林口社区", "resolved", now), alertRow(4, "林口社区", "firing", now),
		}
		rows[1].Rule = "CERT_EXPIRED"
		rows[3].Family, rows[3].Rule = "alarm", "ALARM_UNHANDLED"
		if err := s.AlertTx(ctx, func(tx ledger.AlertTx) error { return tx.PutAlerts(ctx, rows) }); err != nil {
			t.Fatal(err)
		}
		for family, want := range map[string]int{"certificate": 2, "alarm": 1, "system": 0} {
			if got, err := s.FiringCount(ctx, family); err != nil || got != want {
				t.Errorf("%s: %d firing (%v), want %d", family, got, err, want)
			}
		}
	})
}

// An alert's history keeps every field of every event, whether its batch names actors, notes,
// errors and ends (an acknowledgement, a silence, a failed delivery) or none (fired, delivered).
func TestAlertEventsKeepEveryField(t *testing.T) {
	eachStore(t, func(t *testing.T, s ledger.Store, clk *clock) {
		ctx := context.Background()
		at := clk.Now()
		key := "00000000000000e1"
		plain := []ledger.AlertEvent{
			{Key: key, At: at, Type: "fired"},
			{Key: key, At: at.Add(time.Second), Type: "delivered", Channel: "安办", Notice: "new"},
		}
		full := []ledger.AlertEvent{
			{Key: key, At: at.Add(2 * time.Second), Type: "failed", Channel: "安办", Notice: "repeat", Error: "webhook 返回 503"},
			{Key: key, At: at.Add(3 * time.Second), Type: "acknowledged", Actor: "陈", Note: "已电话通知"},
			{Key: key, At: at.Add(4 * time.Second), Type: "silenced", Actor: "陈", Note: "停产检修", Until: at.Add(72 * time.Hour)},
			{Key: key, At: at.Add(5 * time.Second), Type: "delivered", Channel: "林口网格", Notice: "escalation"},
		}
		for _, batch := range [][]ledger.AlertEvent{plain, full} {
			if err := s.AlertTx(ctx, func(tx ledger.AlertTx) error { return tx.AddAlertEvents(ctx, batch) }); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.AlertEvents(ctx, key, 10)
		if err != nil {
			t.Fatal(err)
		}
		want := slices.Concat(plain, full)
		slices.Reverse(want) // newest first
		if len(got) != len(want) {
			t.Fatalf("%d events, want %d", len(got), len(want))
		}
		for i := range want {
			g, w := got[i], want[i]
			if g.Key != w.Key || !g.At.Equal(w.At) || g.Type != w.Type || g.Channel != w.Channel || g.Notice != w.Notice ||
				g.Actor != w.Actor || g.Note != w.Note || g.Error != w.Error || !g.Until.Equal(w.Until) {
				t.Errorf("event %d: %+v, want %+v", i, g, w)
			}
		}
	})
}
