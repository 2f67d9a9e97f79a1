package alerts

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.uber.org/zap"

	"streetsync/internal/alerts/notify"
	"streetsync/internal/alerts/rules"
	"streetsync/internal/ledger"
	"streetsync/mapping/mask"
)

// Delivery: one message per community per channel per run. A run claims one community's message
// to one channel in a transaction (ledger.DeliveryClaim), then reads that community's open alerts
// back from the ledger and decides which are due (only that community's are in memory), sends
// the message, and records the outcome and releases the claim in another transaction. While the
// claim stands no other run decides or records that message, so two instances deliver each alert
// once; a run that dies between sending and recording leaves the claim to expire, after which the
// message is due again (at least once).

// DeliveryError is a failed delivery of one community's alerts to one channel.
type DeliveryError struct {
	Channel   string
	Community string
	Retry     bool // transient: worth another attempt
	Err       error
}

func (e *DeliveryError) Error() string {
	return fmt.Sprintf("deliver alerts of community %q to channel %s: %v", e.Community, e.Channel, e.Err)
}

func (e *DeliveryError) Unwrap() error { return e.Err }

// Temporary reports whether retrying may succeed; Permanent its opposite. The retry queue
// classifies by these two.
func (e *DeliveryError) Temporary() bool { return e.Retry }

// Permanent reports that no retry can succeed (bad key, bad payload, channel gone).
func (e *DeliveryError) Permanent() bool { return !e.Retry }

// deliveryScope says what one delivery pass covers.
type deliveryScope struct {
	families  []string // the families whose alerts may be delivered
	channel   *Channel // only this channel (nil: all)
	community *string  // only this community (nil: all)
	now       time.Time
	run       string // claims carry it
	enqueue   bool   // hand transient failures to the retry queue
}

// dueItem is one alert to deliver to one channel, with its delivery record for that channel as
// read under the claim.
type dueItem struct {
	alert    ledger.AlertRow
	notice   string
	delivery ledger.DeliveryRow
	body     string
}

// systemChannel reports whether a channel hears the system alerts: the escalation channels (the
// street office's), or — when no channel takes escalations — those serving every community.
func (c *Checker) systemChannel(ch *Channel) bool {
	return ch.Escalations || (c.systemOnlyAll && len(ch.Communities) == 0)
}

// due says which notice of alert a, if any, channel ch should get now, given its delivery record
// d for that channel (the zero record: never delivered there).
func (c *Checker) due(a *ledger.AlertRow, d *ledger.DeliveryRow, ch *Channel, now time.Time, silenced bool) string {
	if silenced {
		return "" // muted
	}
	system := a.Family == rules.System.Code
	switch a.Status {
	case notify.StatusFiring:
		escalated := !a.EscalatedAt.IsZero()
		switch {
		case system && !c.systemChannel(ch):
			return ""
		case !system && !ch.covers(a.Community) && !(ch.Escalations && escalated):
			return ""
		}
		switch {
		case ch.Escalations && escalated && d.EscalatedEp != a.Episode:
			return notify.NoticeEscalation // even when acknowledged: the street office hears of it once
		case d.Episode != a.Episode:
			return notify.NoticeNew
		case d.Version != a.Version:
			return notify.NoticeChanged
		case acked(a):
			return ""
		case now.Sub(d.SentAt) >= c.repeat:
			return notify.NoticeRepeat
		}
	case notify.StatusResolved:
		// Only channels that were told it fires hear that it stopped.
		if d.Episode == a.Episode && d.ResolvedEp != a.Episode {
			return notify.NoticeResolved
		}
	}
	return ""
}

// deliver sends what is due in scope: for each channel, each community with open alerts, one
// message. It returns the alerts delivered and the first delivery error.
//
// Three stages run at once, one message apart, each on a goroutine of its own: the next
// community's message is claimed and read (claimEach, on a reader of the ledger), this one is
// decoded and sent, and the last one's outcome is recorded (recordEach, on the ledger's writer).
// At a city's first check each stage takes seconds, and a server has two cores. At most three
// messages are in memory; a claimed message this run does not get to send is released.
func (c *Checker) deliver(ctx context.Context, sc deliveryScope) (Delivered, error) {
	var comms []string
	if sc.community != nil {
		comms = []string{*sc.community}
	} else {
		var err error
		if comms, err = c.store.st.OpenAlertCommunities(ctx); err != nil {
			return Delivered{}, fmt.Errorf("alerts: read open alerts: %w", err)
		}
	}
	sls, err := c.store.Silences(ctx)
	if err != nil {
		return Delivered{}, err
	}
	cctx, stop := context.WithCancel(ctx)
	defer stop()
	messages := make(chan claimedMessage) // unbuffered: one claimed ahead of the one being sent
	var claimErr error
	go func() {
		defer close(messages)
		claimErr = c.claimEach(cctx, sc, comms, sls, messages)
	}()
	sent := make(chan sentMessage) // unbuffered: one recorded behind the one being sent
	rec := &outcomes{firing: map[uint64]struct{}{}, resolved: map[uint64]struct{}{}}
	recorded := make(chan struct{})
	go func() {
		defer close(recorded)
		c.recordEach(ctx, sc, sent, rec, stop)
	}()
	var sendErr error
	for m := range messages {
		if sendErr != nil || cctx.Err() != nil {
			c.release(m.ch, m.claim) // not to be sent by this run: due again at once for the next
			continue
		}
		out, err := c.send(ctx, m)
		if err != nil {
			sendErr = err
			stop()
			continue
		}
		sent <- out
	}
	// messages is closed: claimEach has returned and claimErr is its.
	close(sent)
	<-recorded
	delivered := Delivered{len(rec.firing), len(rec.resolved)}
	switch {
	case sendErr != nil:
		return delivered, sendErr
	case rec.err != nil:
		return delivered, rec.err
	case ctx.Err() != nil:
		return delivered, ctx.Err()
	case claimErr != nil:
		return delivered, claimErr
	}
	if rec.failed != nil {
		return delivered, rec.failed
	}
	return delivered, nil
}

// claimedMessage is one community's message to one channel, claimed and read, waiting to be sent.
type claimedMessage struct {
	ch    *Channel
	claim ledger.DeliveryClaim
	won   []dueItem
}

// sentMessage is a message sent (or not: err), waiting for its outcome to be recorded.
type sentMessage struct {
	claimedMessage
	retry bool  // the failure is transient
	err   error // the channel's failure; nil: delivered
}

// outcomes is what recordEach found: the alerts delivered, the first delivery that failed, and
// the failure to record that stopped it.
type outcomes struct {
	firing, resolved map[uint64]struct{}
	failed           *DeliveryError
	err              error
}

// claimEach claims, in turn, each community's message to each channel of scope that has something
// due, and hands it to out. A message it cannot hand over (ctx ended) it releases.
func (c *Checker) claimEach(ctx context.Context, sc deliveryScope, comms []string, sls []Silence, out chan<- claimedMessage) error {
	for ci := range c.channels {
		ch := &c.channels[ci]
		if sc.channel != nil && sc.channel != ch {
			continue
		}
		for _, comm := range comms {
			if err := ctx.Err(); err != nil {
				return err
			}
			q := ledger.DeliveryScope{Channel: ch.Name, Community: comm, Families: sc.families,
				RepeatBefore: sc.now.Add(-c.repeat)}
			switch {
			case comm == rules.SystemCommunity && c.systemChannel(ch):
			case !ch.covers(comm) && !ch.Escalations:
				continue
			case !ch.covers(comm):
				q.EscalatedOnly = true // an escalation channel hears of this community's escalations only
			}
			claim := ledger.DeliveryClaim{Channel: ch.Name, Community: comm, Run: sc.run, Until: sc.now.Add(claimLease)}
			won, err := c.claim(ctx, ch, claim, q, sc, sls)
			if err != nil {
				return err
			}
			if len(won) == 0 {
				continue
			}
			m := claimedMessage{ch: ch, claim: claim, won: won}
			select {
			case out <- m:
			case <-ctx.Done():
				c.release(m.ch, m.claim)
				return ctx.Err()
			}
		}
	}
	return nil
}

// release gives up the claim on a message this run will not send, so that the next run need not
// wait for its lease to run out. A failure to release is logged: the lease ends it anyway.
func (c *Checker) release(ch *Channel, claim ledger.DeliveryClaim) {
	ctx := context.Background()
	err := c.store.st.AlertTx(ctx, func(tx ledger.AlertTx) error {
		_, err := tx.ReleaseDelivery(ctx, claim)
		return err
	})
	if err != nil {
		c.log.Warn("cannot release an unsent delivery claim: it is due again when its lease ends",
			zap.String("channel", ch.Name), zap.String("community", claim.Community), zap.Error(err))
	}
}

// claim claims one community's message to ch, then reads the community's open alerts and decides
// which are due and what to send. The read is outside the claim's transaction, so that it does
// not hold the ledger's writer (recording the last message's outcome needs it): while the claim
// stands no other run records a delivery of this message, and what other runs change in the
// alerts meanwhile they could as well have changed a moment after a read inside. Nothing is
// returned (and nothing stays claimed) when another run holds the claim or nothing is due.
func (c *Checker) claim(ctx context.Context, ch *Channel, claim ledger.DeliveryClaim, q ledger.DeliveryScope, sc deliveryScope, sls []Silence) ([]dueItem, error) {
	var ours bool
	err := c.store.st.AlertTx(ctx, func(tx ledger.AlertTx) error {
		var err error
		ours, err = tx.ClaimDelivery(ctx, claim, sc.now)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("alerts: claim deliveries to %s: %w", ch.Name, err)
	}
	if !ours {
		return nil, nil // another run is delivering this message
	}
	cands, err := c.store.st.DeliveryCandidates(ctx, q)
	if err != nil {
		c.release(ch, claim)
		return nil, fmt.Errorf("alerts: claim deliveries to %s: %w", ch.Name, err)
	}
	var won []dueItem
	for i := range cands {
		a, d := &cands[i].Alert, cands[i].Delivery
		if n := c.due(a, &d, ch, sc.now, silencedBy(sls, a) != nil); n != "" {
			if won == nil {
				won = make([]dueItem, 0, len(cands)-i) // a first check sends every one
			}
			d.Key, d.Channel = a.Key, ch.Name
			body := a.Body
			a.Body = ""
			won = append(won, dueItem{alert: *a, notice: n, delivery: d, body: body})
		}
	}
	if len(won) == 0 {
		c.release(ch, claim)
	}
	return won, nil
}

// send delivers the claimed message (the due alerts of one community) to its channel. err is a
// failure to decode the alerts from the ledger (the message is not sent); the channel's own
// failure is in the result, for recordEach.
func (c *Checker) send(ctx context.Context, m claimedMessage) (sentMessage, error) {
	alerts := make([]Alert, 0, len(m.won))
	for i := range m.won {
		a, err := alertOf(&m.won[i].alert, m.won[i].body, c.store.loc)
		if err != nil {
			c.release(m.ch, m.claim)
			return sentMessage{}, err
		}
		a.Notice = m.won[i].notice
		alerts = append(alerts, a)
		m.won[i].body = "" // sent from alerts now
	}
	retry, nerr := m.ch.Notifier.Notify(ctx, notify.NewMessage(m.claim.Community, alerts))
	return sentMessage{claimedMessage: m, retry: retry, err: nerr}, nil
}

// recordEach records the outcome of each message sent (record), logs it and, when a transient
// failure may be retried, queues it. A failure to record stops the delivery (stop) and is kept in
// rec; the messages sent after it are not recorded, and their claims expire.
func (c *Checker) recordEach(ctx context.Context, sc deliveryScope, sent <-chan sentMessage, rec *outcomes, stop func()) {
	for m := range sent {
		if rec.err != nil {
			continue
		}
		ch, community := m.ch, m.claim.Community
		if err := c.record(ctx, ch, m.claim, m.won, sc, m.err); err != nil {
			rec.err = err
			stop()
			continue
		}
		if m.err == nil {
			c.log.Info("alerts delivered", zap.String("channel", ch.Name), zap.String("community", community),
				zap.Int("alerts", len(m.won)))
			for i := range m.won {
				if m.won[i].notice == notify.NoticeResolved {
					rec.resolved[keyBits(m.won[i].alert.Key)] = struct{}{}
				} else {
					rec.firing[keyBits(m.won[i].alert.Key)] = struct{}{}
				}
			}
			continue
		}
		derr := &DeliveryError{Channel: ch.Name, Community: community, Retry: m.retry, Err: m.err}
		c.log.Warn("alert delivery failed", zap.String("channel", ch.Name), zap.String("community", community),
			zap.Int("alerts", len(m.won)), zap.Bool("retry", m.retry), zap.Error(m.err))
		if sc.enqueue && m.retry && c.enq != nil {
			if _, err := c.enq.Enqueue(ctx, RetryKind, ch.Name+"|"+community, derr); err != nil {
				c.log.Error("cannot queue alert delivery for retry", zap.String("channel", ch.Name), zap.Error(err))
			}
		}
		if rec.failed == nil {
			rec.failed = derr
		}
	}
}

// record writes the outcome of the claimed message and releases the claim — if it is still this
// run's: a claim that outlived its lease may have passed to another run, which decides anew.
func (c *Checker) record(ctx context.Context, ch *Channel, claim ledger.DeliveryClaim, won []dueItem, sc deliveryScope, nerr error) error {
	errText := ""
	if nerr != nil {
		errText = mask.IDsInText(nerr.Error())
	}
	// The outcome is recorded even when the run is being cancelled: the message went out (or not).
	ctx = context.WithoutCancel(ctx)
	err := c.store.st.AlertTx(ctx, func(tx ledger.AlertTx) error {
		if ours, err := tx.ReleaseDelivery(ctx, claim); err != nil || !ours {
			if !ours {
				c.log.Warn("a delivery claim expired before its outcome was recorded", zap.String("channel", ch.Name),
					zap.String("community", claim.Community))
			}
			return err
		}
		rows := make([]ledger.DeliveryRow, 0, len(won))
		events := make([]ledger.AlertEvent, 0, len(won))
		for i := range won {
			it := &won[i]
			d := it.delivery
			ev := ledger.AlertEvent{Key: it.alert.Key, At: sc.now, Type: EventDelivered, Channel: ch.Name, Notice: it.notice}
			d.LastNotice, d.LastAt = it.notice, sc.now
			if nerr == nil {
				switch it.notice {
				case notify.NoticeResolved:
					d.ResolvedEp = it.alert.Episode
				case notify.NoticeEscalation:
					d.EscalatedEp = it.alert.Episode
					d.Episode, d.Version, d.SentAt = it.alert.Episode, it.alert.Version, sc.now
				default:
					d.Episode, d.Version, d.SentAt = it.alert.Episode, it.alert.Version, sc.now
				}
				d.LastOK, d.LastError = true, ""
			} else {
				d.LastOK, d.LastError = false, errText
				ev.Type, ev.Error = EventFailed, errText
			}
			rows = append(rows, d)
			events = append(events, ev)
		}
		if err := tx.PutDeliveries(ctx, rows); err != nil {
			return err
		}
		return tx.AddAlertEvents(ctx, events)
	})
	if err != nil {
		return fmt.Errorf("alerts: record deliveries to %s: %w", ch.Name, err)
	}
	return nil
}

// Redeliver delivers what is due to one channel for one community now; key is the retry-queue
// key "<channel>|<community>" of RetryKind. It is the retry queue's worker for failed deliveries:
// it returns a *DeliveryError (Temporary reports whether another attempt may help) when the
// delivery fails again, and does not queue anything itself.
func (c *Checker) Redeliver(ctx context.Context, key string) error {
	name, community, ok := strings.Cut(key, "|")
	var ch *Channel
	for i := range c.channels {
		if c.channels[i].Name == name {
			ch = &c.channels[i]
		}
	}
	if !ok || ch == nil {
		// The channel is gone from the configuration: nothing to retry.
		return &DeliveryError{Channel: name, Community: community, Err: errors.New("no such channel configured")}
	}
	var families []string
	for _, f := range rules.Families() {
		families = append(families, f.Code)
	}
	now := c.store.now()
	_, derr := c.deliver(ctx, deliveryScope{families: families, channel: ch, community: &community, now: now, run: newRunID()})
	var de *DeliveryError
	if derr != nil && !errors.As(derr, &de) {
		return derr
	}
	if err := c.finalize(ctx, families, now); err != nil {
		return err
	}
	return derr
}
