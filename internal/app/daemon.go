package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"go.uber.org/zap"

	"streetsync/scheduler"
	"streetsync/scheduler/clock"
	"streetsync/scheduler/retry"
)

// DaemonOptions adjust Serve.
type DaemonOptions struct {
	// Console is the operator console and API, mounted at "/" (it checks its own token).
	Console http.Handler
	// Listener, when set, is served instead of listening on console.listen (tests, the demo).
	Listener net.Listener
	// Ready is called once the HTTP server listens, with its address.
	Ready func(addr net.Addr)
	// StopGrace is how long running jobs and retry items may finish after the stop (default
	// 30s); then they are cancelled, and the retry items handed back to the queue.
	StopGrace time.Duration
	// QueueDepthEvery is how often /metrics' queue depth is refreshed (default 15s).
	QueueDepthEvery time.Duration
	// HealthEvery is how often the platforms' health observed by the retry workers is written
	// to the ledger (default 30s; the jobs write theirs at the end of each run).
	HealthEvery time.Duration
	// HTTP bounds what one client can hold of the HTTP server (zero fields: the defaults).
	HTTP HTTPLimits
}

// Serve is the daemon (`streetsync run`): it serves /healthz, /readyz, /metrics and the console,
// starts the scheduler (sync jobs and alert checks on their cron specs, catching up missed ticks
// one after another in dependency order, watching for a loss of Redis data) and one retry worker
// per job kind, and keeps the queue-depth gauges and the platforms' health fresh. Everything is
// built before anything starts, so a broken part fails at start, not at 01:30.
//
// When ctx ends it stops in order: no new runs start; running jobs and the workers' items get
// StopGrace to finish, then are cancelled (the workers hand back what they hold); the HTTP server
// shuts down. It returns nil after a clean stop.
func (a *App) Serve(ctx context.Context, opts DaemonOptions) error {
	if opts.StopGrace <= 0 {
		opts.StopGrace = 30 * time.Second
	}
	if opts.QueueDepthEvery <= 0 {
		opts.QueueDepthEvery = 15 * time.Second
	}
	if opts.HealthEvery <= 0 {
		opts.HealthEvery = 30 * time.Second
	}
	handler, q, workers, sched, err := a.daemonParts(ctx, opts.Console)
	if err != nil {
		if opts.Listener != nil {
			opts.Listener.Close()
		}
		return err
	}
	l := opts.Listener
	if l == nil {
		if l, err = net.Listen("tcp", a.cfg.Console.Listen); err != nil {
			return fmt.Errorf("listen on console.listen %s: %w", a.cfg.Console.Listen, err)
		}
	}
	log := a.log.Named("daemon")
	limits := opts.HTTP.withDefaults()
	srv := newHTTPServer(handler, limits, log.Named("http"))
	proxies := a.cfg.Console.Proxies()
	trusted := func(addr netip.Addr) bool {
		for _, p := range proxies {
			if p.Contains(addr) {
				return true
			}
		}
		return false
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(limitClients(l, limits.ConnsPerClient, trusted, log.Named("http"))) }()
	log.Info("listening", zap.String("addr", l.Addr().String()))
	if opts.Ready != nil {
		opts.Ready(l.Addr())
	}

	// Workers and the depth gauge stop on their own context, cancelled in the stop sequence
	// below, so that the order of the stop is decided here.
	bg, stopBackground := context.WithCancel(context.WithoutCancel(ctx))
	defer stopBackground()
	var wg sync.WaitGroup
	for _, w := range workers {
		w.StopGrace = opts.StopGrace
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := q.Run(bg, w); err != nil {
				log.Error("retry worker could not start", zap.String("kind", w.Kind), zap.Error(err))
			}
		}()
	}
	wg.Add(2)
	go func() { defer wg.Done(); a.refreshQueueDepth(bg, opts.QueueDepthEvery, log) }()
	go func() { defer wg.Done(); a.flushHealth(bg, opts.HealthEvery, log) }()

	var runErr error
	if err := sched.Start(ctx); err != nil {
		if ctx.Err() == nil { // a stop during the start is a stop, not a failure
			runErr = fmt.Errorf("start scheduler: %w", err)
		}
	} else {
		log.Info("daemon started", zap.Int("workers", len(workers)), zap.Any("schedule", sched.Entries()))
		select {
		case <-ctx.Done():
			log.Info("stopping: no new runs; running jobs get a deadline", zap.Duration("grace", opts.StopGrace))
		case err := <-served:
			runErr = fmt.Errorf("http server: %w", err)
			served <- err
		}
	}

	stopCtx, cancel := context.WithTimeout(context.Background(), opts.StopGrace)
	defer cancel()
	var stopWG sync.WaitGroup
	stopWG.Add(1)
	go func() {
		defer stopWG.Done()
		if err := sched.Stop(stopCtx); err != nil {
			log.Warn("jobs still running at the deadline were cancelled", zap.Error(err))
		}
	}()
	stopBackground() // workers: claim nothing more, finish within StopGrace, hand back the rest
	wg.Wait()
	stopWG.Wait()

	hctx, hcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer hcancel()
	if err := srv.Shutdown(hctx); err != nil {
		runErr = errors.Join(runErr, fmt.Errorf("http shutdown: %w", err))
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) && runErr == nil {
		runErr = fmt.Errorf("http server: %w", err)
	}
	if runErr == nil {
		log.Info("stopped cleanly")
	}
	return runErr
}

func (a *App) daemonParts(ctx context.Context, console http.Handler) (http.Handler, *retry.Queue, []retry.Worker, *scheduler.Scheduler, error) {
	handler, err := a.Handler(ctx, console)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	q, err := a.Queue(ctx)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	workers, err := a.Workers(ctx)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	sched, err := a.Scheduler(ctx)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	return handler, q, workers, sched, nil
}

// refreshQueueDepth keeps streetsync_queue_items current until ctx ends.
func (a *App) refreshQueueDepth(ctx context.Context, every time.Duration, log *zap.Logger) {
	for {
		if err := a.RefreshQueueDepth(ctx); err != nil && ctx.Err() == nil {
			log.Warn("reading the retry queue's depth failed", zap.Error(err))
		}
		if clock.Sleep(ctx, a.clock, every) != nil {
			return
		}
	}
}

// flushHealth writes the platforms' health every so often until ctx ends.
func (a *App) flushHealth(ctx context.Context, every time.Duration, log *zap.Logger) {
	for {
		if clock.Sleep(ctx, a.clock, every) != nil {
			return
		}
		if err := a.FlushPlatformHealth(ctx); err != nil && ctx.Err() == nil {
			log.Warn("recording the platforms' health failed; kept for the next flush", zap.Error(err))
		}
		// The system alerts (a platform down for alerts.platformDownAfter, data too old to judge)
		// are raised and resolved here, between the daily checks, as soon as they are true.
		if _, err := a.CheckSystemAlerts(ctx); err != nil && ctx.Err() == nil {
			log.Warn("checking the system alerts failed; trying again at the next round", zap.Error(err))
		}
	}
}

// RefreshQueueDepth sets the queue-depth gauges from the queue's stats now.
func (a *App) RefreshQueueDepth(ctx context.Context) error {
	q, err := a.Queue(ctx)
	if err != nil {
		return err
	}
	st, err := q.Stats(ctx)
	if err != nil {
		return err
	}
	a.metrics.QueueDepth(int64(st.Pending), int64(st.Scheduled), int64(st.Dead))
	return nil
}
