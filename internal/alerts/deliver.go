package alerts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.uber.org/zap"

	"streetsync/internal/alerts/notify"
	"streetsync/internal/alerts/rules"
	"streetsync/internal/ledger"
	"streetsync/internal/logging"
)

// Delivery: one message per community per channel per run. The due deliveries are read back
// from the ledger one community at a time (only that community's open alerts are in memory),
// decided and claimed in one transaction, sent, and their outcome recorded in another.

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

// dueItem is one alert claimed for one channel.
type dueItem struct {
	alert  ledger.AlertRow
	notice string
	claim  ledger.DeliveryRow
	body   string
}

// systemChannel reports whether a channel hears the system alerts: the escalation channels (the
// street office's), or — when no channel takes escalations — those serving every community.
func (c *Checker) systemChannel(ch *Channel) bool {
	return ch.Escalations || (c.systemOnlyAll && len(ch.Communities) == 0)
}

// due says which notice of alert a, if any, channel ch should get now, given its delivery record
// d for that channel (the zero record: never delivered there).
func (c *Checker) due(a *ledger.AlertRow, d *ledger.DeliveryRow, ch *Channel, now time.Time, silenced bool) string {
	if d.ClaimUntil.After(now) || silenced {
		return "" // another run is delivering it, or it is muted
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
	firingSent, resolvedSent := map[uint64]struct{}{}, map[uint64]struct{}{}
	delivered := func() Delivered { return Delivered{len(firingSent), len(resolvedSent)} }
	var firstErr error
	for ci := range c.channels {
		ch := &c.channels[ci]
		if sc.channel != nil && sc.channel != ch {
			continue
		}
		for _, comm := range comms {
			if ctx.Err() != nil {
				return delivered(), ctx.Err()
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
			won, err := c.claim(ctx, ch, q, sc, sls)
			if err != nil {
				return delivered(), err
			}
			if len(won) == 0 {
				continue
			}
			derr, err := c.send(ctx, ch, comm, won, sc)
			if err != nil {
				return delivered(), err
			}
			if derr != nil {
				if firstErr == nil {
					firstErr = derr
				}
				continue
			}
			for i := range won {
				if won[i].notice == notify.NoticeResolved {
					resolvedSent[keyBits(won[i].alert.Key)] = struct{}{}
				} else {
					firingSent[keyBits(won[i].alert.Key)] = struct{}{}
				}
			}
		}
	}
	return delivered(), firstErr
}

// claim decides and claims, in one transaction, the deliveries of one community's alerts due to
// ch, and reads what to send.
func (c *Checker) claim(ctx context.Context, ch *Channel, q ledger.DeliveryScope, sc deliveryScope, sls []Silence) ([]dueItem, error) {
	var won []dueItem
	err := c.store.st.AlertTx(ctx, func(tx ledger.AlertTx) error {
		won = won[:0]
		cands, err := tx.DeliveryCandidates(ctx, q)
		if err != nil {
			return err
		}
		var claims []ledger.DeliveryRow
		for i := range cands {
			a, d := &cands[i].Alert, cands[i].Delivery
			n := c.due(a, &d, ch, sc.now, silencedBy(sls, a) != nil)
			if n == "" {
				continue
			}
			d.Key, d.Channel = a.Key, ch.Name
			d.ClaimRun, d.ClaimNotice, d.ClaimUntil = sc.run, n, sc.now.Add(claimLease)
			claims = append(claims, d)
			won = append(won, dueItem{alert: *a, notice: n, claim: d})
		}
		if len(won) == 0 {
			return nil
		}
		if err := tx.PutDeliveries(ctx, claims); err != nil {
			return err
		}
		keys := make([]string, len(won))
		for i := range won {
			keys[i] = won[i].alert.Key
		}
		bodies, err := tx.AlertBodies(ctx, keys)
		if err != nil {
			return err
		}
		for i := range won {
			won[i].body = bodies[won[i].alert.Key]
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("alerts: claim deliveries to %s: %w", ch.Name, err)
	}
	return won, nil
}

// send delivers the claimed alerts of one community to ch and records the outcome. derr is the
// delivery's failure (already logged, and queued when transient); err is a failure to record it.
func (c *Checker) send(ctx context.Context, ch *Channel, community string, won []dueItem, sc deliveryScope) (derr *DeliveryError, err error) {
	loc := c.store.loc
	alerts := make([]Alert, 0, len(won))
	for i := range won {
		var a Alert
		if err := json.Unmarshal([]byte(won[i].body), &a); err != nil {
			return nil, fmt.Errorf("alert %s: stored alert: %w", won[i].alert.Key, err)
		}
		a.Key = won[i].alert.Key
		if a.Alarm != nil {
			a.Alarm.RaisedAt = a.Alarm.RaisedAt.In(loc)
		}
		stateInto(&a, &won[i].alert, loc)
		a.Notice = won[i].notice
		alerts = append(alerts, a)
		won[i].body = "" // sent from alerts now
	}
	retry, nerr := ch.Notifier.Notify(ctx, notify.NewMessage(community, alerts))
	if err := c.record(ctx, ch, won, sc, nerr); err != nil {
		return nil, err
	}
	if nerr == nil {
		c.log.Info("alerts delivered", zap.String("channel", ch.Name), zap.String("community", community),
			zap.Int("alerts", len(won)))
		return nil, nil
	}
	derr = &DeliveryError{Channel: ch.Name, Community: community, Retry: retry, Err: nerr}
	c.log.Warn("alert delivery failed", zap.String("channel", ch.Name), zap.String("community", community),
		zap.Int("alerts", len(won)), zap.Bool("retry", retry), zap.Error(nerr))
	if sc.enqueue && retry && c.enq != nil {
		if _, err := c.enq.Enqueue(ctx, RetryKind, ch.Name+"|"+community, derr); err != nil {
			c.log.Error("cannot queue alert delivery for retry", zap.String("channel", ch.Name), zap.Error(err))
		}
	}
	return derr, nil
}

// record writes the outcome of the claimed deliveries, where the claim still stands (a claim that
// outlived its lease may have passed to another run).
func (c *Checker) record(ctx context.Context, ch *Channel, won []dueItem, sc deliveryScope, nerr error) error {
	errText := ""
	if nerr != nil {
		errText = logging.MaskIDsInText(nerr.Error())
	}
	keys := make([]string, len(won))
	for i := range won {
		keys[i] = won[i].alert.Key
	}
	// The outcome is recorded even when the run is being cancelled: the message went out (or not).
	ctx = context.WithoutCancel(ctx)
	err := c.store.st.AlertTx(ctx, func(tx ledger.AlertTx) error {
		cur, err := tx.Deliveries(ctx, ch.Name, keys)
		if err != nil {
			return err
		}
		var rows []ledger.DeliveryRow
		var events []ledger.AlertEvent
		for i := range won {
			it := &won[i]
			d, ok := cur[it.alert.Key]
			if !ok || d.ClaimRun != sc.run {
				continue
			}
			d.ClaimRun, d.ClaimNotice, d.ClaimUntil = "", "", time.Time{}
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
