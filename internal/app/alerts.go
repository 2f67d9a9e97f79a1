package app

import (
	"context"
	"slices"
	"time"

	"go.uber.org/zap"

	"streetsync/internal/alerts"
	"streetsync/internal/alerts/notify"
	"streetsync/internal/config"
	"streetsync/internal/ledger"
	"streetsync/internal/metrics"
)

// alertsRetryKind is the retry-queue kind of failed alert deliveries.
const alertsRetryKind = alerts.RetryKind

// Alerts is the alert checker over the ledger (roster, certificates, alarms, hazards, inspections,
// drills, the alert state), the
// run history (how fresh the data is) and the configured channels; failed deliveries go to the
// retry queue.
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
	c, err := alerts.NewChecker(st, alerts.Sources{Roster: src, Runs: ledgerRuns{store}, Alarms: src,
		Health: appHealth{a}, Hazards: src}, chans, a.cfg.Alerts,
		alerts.WithEnqueuer(q), alerts.WithLogger(a.log),
		alerts.WithHazardRules(alerts.HazardRules(a.cfg.Hazards, a.cfg.Inspections, a.cfg.Drills)))
	if err != nil {
		return nil, err
	}
	a.checker = c
	return c, nil
}

// AlertStore is the alert state in the ledger (list, ack, silence, history) without the
// checker's channels; it needs no Redis.
func (a *App) AlertStore(ctx context.Context) (*alerts.Store, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.alertStoreLocked(ctx)
}

func (a *App) alertStoreLocked(ctx context.Context) (*alerts.Store, error) {
	if a.alertStore != nil {
		return a.alertStore, nil
	}
	store, err := a.ledgerLocked(ctx)
	if err != nil {
		return nil, err
	}
	st, err := alerts.NewStore(store, a.cfg.Schedule.Location(), alerts.WithClock(a.clock), alerts.WithLogger(a.log))
	if err != nil {
		return nil, err
	}
	a.alertStore = st
	return st, nil
}

// CheckAlerts judges the rules now and delivers what is due (nothing with dryRun), handing the
// firing alerts to out as they are recorded (nil: nowhere); the firing-alert gauges follow the
// state.
func (a *App) CheckAlerts(ctx context.Context, dryRun bool, out alerts.Output) (*alerts.Result, error) {
	c, err := a.Alerts(ctx)
	if err != nil {
		return nil, err
	}
	return a.check(ctx, c, dryRun, out)
}

// CheckSystemAlerts judges and delivers the system alerts only (stale data, platforms down): the
// daemon calls it after each job run.
func (a *App) CheckSystemAlerts(ctx context.Context) (*alerts.Result, error) {
	c, err := a.Alerts(ctx)
	if err != nil {
		return nil, err
	}
	res, err := c.CheckSystem(ctx)
	if err == nil {
		a.alertGauges(ctx, c.Store())
	}
	return res, err
}

func (a *App) check(ctx context.Context, c *alerts.Checker, dryRun bool, out alerts.Output) (*alerts.Result, error) {
	res, err := c.Check(ctx, dryRun, out)
	if err == nil && !dryRun {
		a.alertGauges(ctx, c.Store())
		a.settleAlertHazards(ctx, c.Store())
	}
	return res, err
}

// alertGauges sets the firing-alert gauges from the state (every family, the skipped ones too:
// what fires is what the office has open).
func (a *App) alertGauges(ctx context.Context, st *alerts.Store) {
	counts, err := st.Counts(ctx)
	if err != nil {
		a.log.Warn("cannot count firing alerts for the metrics", zap.Error(err))
		return
	}
	byRule := map[[2]string]int{}
	for _, c := range counts {
		byRule[[2]string{c.Rule, c.Severity}] += c.Count
	}
	a.metrics.AlertsFiring(byRule)
}

// ledgerRuns reads when a job last succeeded (success or partial: its data is that fresh) from
// the run history in the ledger, which a loss of Redis does not touch.
type ledgerRuns struct{ store ledger.Store }

func (r ledgerRuns) LastSuccess(ctx context.Context, job string) (time.Time, bool, error) {
	run, ok, err := r.store.LastSuccessfulRun(ctx, job)
	return run.End, ok, err
}

// appHealth gives the alert check the platforms' health as the ledger records it.
type appHealth struct{ a *App }

func (h appHealth) PlatformHealth(ctx context.Context) ([]alerts.Health, error) {
	hs, err := h.a.PlatformHealth(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]alerts.Health, 0, len(hs))
	for _, p := range hs {
		out = append(out, alerts.Health{System: p.Platform, FailingSince: p.FailingSince,
			LastSuccess: p.LastSuccess, LastError: p.LastError})
	}
	return out, nil
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
