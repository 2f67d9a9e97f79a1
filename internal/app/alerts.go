package app

import (
	"context"
	"slices"
	"time"

	"streetsync/internal/alerts"
	"streetsync/internal/alerts/notify"
	"streetsync/internal/config"
	"streetsync/internal/metrics"
)

// alertsRetryKind is the retry-queue kind of failed alert deliveries.
const alertsRetryKind = alerts.RetryKind

// Alerts is the alert checker over the ledger (roster, certificates, alarms), its state in Redis
// and the configured channels; failed deliveries go to the retry queue.
func (a *App) Alerts(ctx context.Context) (*alerts.Checker, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.alertsLocked(ctx)
}

func (a *App) alertsLocked(ctx context.Context) (*alerts.Checker, error) {
	if a.checker != nil {
		return a.checker, nil
	}
	st, err := a.alertStoreLocked(ctx)
	if err != nil {
		return nil, err
	}
	store, err := a.ledgerLocked(ctx)
	if err != nil {
		return nil, err
	}
	cat, err := a.catalogLocked()
	if err != nil {
		return nil, err
	}
	q, err := a.queueLocked(ctx)
	if err != nil {
		return nil, err
	}
	nopts := []notify.Option{notify.WithLogger(a.log.Named("notify"))}
	if !slices.ContainsFunc(a.cfg.Alerts.Channels, func(ch config.Channel) bool { return ch.CAFile != "" }) {
		// One client for every HTTP channel, owned here so that Close releases its connections
		// (a channel with its own CA file builds its own).
		hc, err := notify.NewHTTPClient("", 15*time.Second)
		if err != nil {
			return nil, err
		}
		a.onClose("alert channel connections", func() error { hc.CloseIdleConnections(); return nil })
		nopts = append(nopts, notify.WithHTTPClient(hc))
	}
	chans, err := alerts.BuildChannels(a.cfg.Alerts.Channels, nopts...)
	if err != nil {
		return nil, err
	}
	for i := range chans {
		chans[i].Notifier = countingNotifier{next: chans[i].Notifier, channel: chans[i].Name, m: a.metrics}
	}
	src := alertSources{store: store, catalog: cat}
	c, err := alerts.NewChecker(st, alerts.Sources{Roster: src, Certificates: src, Alarms: src}, chans, a.cfg.Alerts,
		alerts.WithEnqueuer(q), alerts.WithLogger(a.log))
	if err != nil {
		return nil, err
	}
	a.checker = c
	return c, nil
}

// AlertStore is the alert state (list, ack, silence, history) without the checker's channels.
func (a *App) AlertStore(ctx context.Context) (*alerts.Store, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.alertStoreLocked(ctx)
}

func (a *App) alertStoreLocked(ctx context.Context) (*alerts.Store, error) {
	if a.alertStore != nil {
		return a.alertStore, nil
	}
	conn, err := a.redisLocked(ctx)
	if err != nil {
		return nil, err
	}
	st, err := alerts.NewStore(conn, a.cfg.Schedule.Location(), alerts.WithClock(a.clock), alerts.WithLogger(a.log))
	if err != nil {
		return nil, err
	}
	a.alertStore = st
	return st, nil
}

// CheckAlerts evaluates the rules now and delivers what is due (nothing with dryRun); the
// firing-alert gauges follow the result.
func (a *App) CheckAlerts(ctx context.Context, dryRun bool) (*alerts.Result, error) {
	c, err := a.Alerts(ctx)
	if err != nil {
		return nil, err
	}
	return a.check(ctx, c, dryRun)
}

func (a *App) check(ctx context.Context, c *alerts.Checker, dryRun bool) (*alerts.Result, error) {
	res, err := c.Check(ctx, dryRun)
	if res != nil {
		counts := map[[2]string]int{}
		for _, al := range res.Firing {
			counts[[2]string{al.Rule, al.Severity}]++
		}
		a.metrics.AlertsFiring(counts)
	}
	return res, err
}

// countingNotifier counts each message a channel is sent, by outcome, for /metrics.
type countingNotifier struct {
	next    notify.Notifier
	channel string
	m       *metrics.Metrics
}

func (n countingNotifier) Notify(ctx context.Context, msg *notify.Message) (bool, error) {
	retry, err := n.next.Notify(ctx, msg)
	status := msg.Status
	if err != nil {
		status = "failed"
	}
	n.m.AlertDelivery(n.channel, status)
	return retry, err
}
