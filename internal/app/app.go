// Package app is the one place that builds streetsync's dependencies from the configuration — the
// Redis connection, the ledger, the catalog, the two platform clients, the retry queue and its
// workers, the sync runner, the alert checker and its channels, the metrics — and closes them in
// the reverse order. Commands and the daemon ask it for what they need and pass that down; nothing
// below builds its own dependencies or reaches for a global.
//
// Parts are built on first use, so a command fails only on the parts it uses: `import` opens the
// ledger and never dials Redis, `queue stats` dials Redis and never opens the ledger. Each part is
// built once per App and shared (one rate limiter per set of credentials, one ledger pool).
package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"go.uber.org/zap"

	"streetsync/connectors/httpx"
	"streetsync/connectors/quanzhou"
	"streetsync/connectors/specialops"
	"streetsync/internal/alerts"
	"streetsync/internal/config"
	"streetsync/internal/jobs"
	"streetsync/internal/ledger"
	"streetsync/internal/metrics"
	"streetsync/internal/rdb"
	"streetsync/mapping"
	"streetsync/scheduler"
	"streetsync/scheduler/clock"
	"streetsync/scheduler/retry"
)

// App holds the configuration and what has been built from it.
type App struct {
	cfg     *config.Config
	log     *zap.Logger
	clock   clock.Clock
	metrics *metrics.Metrics
	calls   *platformCalls // the platforms' health, gathered between flushes (history.go)

	mu      sync.Mutex
	closers []closer // in build order; Close runs them backwards

	redis   *rdb.Conn
	store   ledger.Store
	catalog *mapping.Catalog
	qz      *quanzhou.Client
	tz      *specialops.Client
	queue   *retry.Queue

	runner     *jobs.Runner
	sched      *scheduler.Scheduler
	alertStore *alerts.Store
	checker    *alerts.Checker

	progress jobs.Progress
}

type closer struct {
	name string
	fn   func() error
}

// Option adjusts New.
type Option func(*App)

// WithClock sets the clock of the retry queue, the ledger's stamps and the alert state (tests).
func WithClock(c clock.Clock) Option { return func(a *App) { a.clock = c } }

// WithProgress shows the sync jobs' progress (the CLI at a terminal); default none.
func WithProgress(p jobs.Progress) Option { return func(a *App) { a.progress = p } }

// New returns an App for cfg; it builds nothing yet.
func New(cfg *config.Config, log *zap.Logger, opts ...Option) *App {
	if log == nil {
		log = zap.NewNop()
	}
	a := &App{cfg: cfg, log: log, clock: clock.Real()}
	for _, o := range opts {
		o(a)
	}
	a.metrics = metrics.New()
	a.calls = newPlatformCalls(a.clock.Now)
	return a
}

// Config returns the configuration.
func (a *App) Config() *config.Config { return a.cfg }

// Logger returns the root logger.
func (a *App) Logger() *zap.Logger { return a.log }

// Metrics returns the Prometheus series.
func (a *App) Metrics() *metrics.Metrics { return a.metrics }

// Clock returns the clock every part is built with.
func (a *App) Clock() clock.Clock { return a.clock }

func (a *App) onClose(name string, fn func() error) {
	a.closers = append(a.closers, closer{name, fn})
}

// Close closes what was built, last built first, and reports every failure. The platforms'
// health gathered since the last flush is written to the ledger first.
func (a *App) Close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	var errs []error
	if a.store != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := a.calls.flush(ctx, a.store); err != nil {
			errs = append(errs, fmt.Errorf("record platform health: %w", err))
		}
		cancel()
	}
	for i := len(a.closers) - 1; i >= 0; i-- {
		if err := a.closers[i].fn(); err != nil {
			errs = append(errs, fmt.Errorf("close %s: %w", a.closers[i].name, err))
		}
	}
	a.closers = nil
	a.redis, a.store, a.qz, a.tz, a.queue = nil, nil, nil, nil, nil
	a.runner, a.sched, a.alertStore, a.checker = nil, nil, nil, nil
	return errors.Join(errs...)
}

// Redis connects to Redis (or starts the embedded one).
func (a *App) Redis(ctx context.Context) (*rdb.Conn, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.redisLocked(ctx)
}

func (a *App) redisLocked(ctx context.Context) (*rdb.Conn, error) {
	if a.redis != nil {
		return a.redis, nil
	}
	r := a.cfg.Redis
	conn, err := rdb.Open(ctx, rdb.Options{Addr: r.Addr, Addrs: r.Addrs, MasterName: r.MasterName, Username: r.Username,
		Password: r.Password.Reveal(), DB: r.DB, Prefix: r.Prefix}, a.log.Named("redis"))
	if err != nil {
		return nil, err
	}
	a.redis = conn
	a.onClose("redis", conn.Close)
	return conn, nil
}

// Ledger opens the ledger and brings its schema up to date.
func (a *App) Ledger(ctx context.Context) (ledger.Store, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.ledgerLocked(ctx)
}

func (a *App) ledgerLocked(ctx context.Context) (ledger.Store, error) {
	if a.store != nil {
		return a.store, nil
	}
	st, err := ledger.Open(ctx, a.cfg.Ledger, ledger.WithClock(a.clock.Now), ledger.WithLogger(a.log.Named("ledger")))
	if err != nil {
		return nil, fmt.Errorf("open ledger (%s): %w", a.cfg.Ledger.Driver, err)
	}
	a.store = st
	a.onClose("ledger", st.Close)
	return st, nil
}

// Catalog is the built-in 特种作业目录 extended by the configuration's catalog.items.
func (a *App) Catalog() (*mapping.Catalog, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.catalogLocked()
}

func (a *App) catalogLocked() (*mapping.Catalog, error) {
	if a.catalog != nil {
		return a.catalog, nil
	}
	var items []mapping.CatalogItem
	for _, it := range a.cfg.Catalog.Items {
		if it.CategoryName != "" && it.Category != "" { // a new or renamed 作业类别 comes first
			items = append(items, mapping.CatalogItem{Code: it.Category, Name: it.CategoryName})
		}
		items = append(items, mapping.CatalogItem{Code: it.Code, Category: it.Category, Name: it.Name, Aliases: it.Aliases})
	}
	if len(items) == 0 {
		a.catalog = mapping.DefaultCatalog()
		return a.catalog, nil
	}
	cat, err := mapping.NewCatalog(items)
	if err != nil {
		return nil, err
	}
	a.catalog = cat
	return cat, nil
}

// Quanzhou is the Quanzhou platform's client; the sync jobs and the retry workers share it and
// its rate limiter.
func (a *App) Quanzhou() (*quanzhou.Client, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.quanzhouLocked()
}

func (a *App) quanzhouLocked() (*quanzhou.Client, error) {
	if a.qz != nil {
		return a.qz, nil
	}
	hc, err := a.httpClient("quanzhou", a.cfg.Quanzhou.CAFile, a.cfg.Quanzhou.Timeout.D())
	if err != nil {
		return nil, err
	}
	q := a.cfg.Quanzhou
	c, err := quanzhou.New(quanzhou.Config{BaseURL: q.BaseURL, AppKey: q.AppKey, AppSecret: q.AppSecret.Reveal(),
		RateLimit: q.RateLimit, Burst: q.Burst, Timeout: q.Timeout.D(), CAFile: q.CAFile}, a.cfg.Region.Code, a.log.Named("quanzhou"),
		quanzhou.WithObserver(httpObserver{a.metrics, a.calls}), quanzhou.WithHTTPClient(hc))
	if err != nil {
		return nil, err
	}
	a.qz = c
	return c, nil
}

// SpecialOps is the special-operations system's client.
func (a *App) SpecialOps() (*specialops.Client, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.specialOpsLocked()
}

func (a *App) specialOpsLocked() (*specialops.Client, error) {
	if a.tz != nil {
		return a.tz, nil
	}
	cat, err := a.catalogLocked()
	if err != nil {
		return nil, err
	}
	hc, err := a.httpClient("specialops", a.cfg.SpecialOps.CAFile, a.cfg.SpecialOps.Timeout.D())
	if err != nil {
		return nil, err
	}
	so := a.cfg.SpecialOps
	c, err := specialops.New(specialops.Config{BaseURL: so.BaseURL, ClientID: so.ClientID, ClientSecret: so.ClientSecret.Reveal(),
		RateLimit: so.RateLimit, Burst: so.Burst, Timeout: so.Timeout.D(), CAFile: so.CAFile}, a.log.Named("specialops"),
		specialops.WithObserver(httpObserver{a.metrics, a.calls}), specialops.WithCatalog(cat), specialops.WithHTTPClient(hc))
	if err != nil {
		return nil, err
	}
	a.tz = c
	return c, nil
}

// httpClient builds a platform client's HTTP client (TLS verification always on, the configured
// extra CA); the App owns its transport, so that Close releases its idle connections.
func (a *App) httpClient(name, caFile string, timeout time.Duration) (*http.Client, error) {
	t, err := httpx.NewTransport(caFile)
	if err != nil {
		return nil, fmt.Errorf("%s client: %w", name, err)
	}
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	a.onClose(name+" connections", func() error { t.CloseIdleConnections(); return nil })
	return &http.Client{Transport: t, Timeout: timeout}, nil
}

// Queue is the retry queue in Redis.
func (a *App) Queue(ctx context.Context) (*retry.Queue, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.queueLocked(ctx)
}

func (a *App) queueLocked(ctx context.Context) (*retry.Queue, error) {
	if a.queue != nil {
		return a.queue, nil
	}
	conn, err := a.redisLocked(ctx)
	if err != nil {
		return nil, err
	}
	q, err := retry.New(conn, retryPolicy(a.cfg.Retry),
		retry.WithClock(a.clock), retry.WithLogger(a.log), retry.WithObserver(a.metrics))
	if err != nil {
		return nil, err
	}
	a.queue = q
	return q, nil
}

// retryPolicy is the retry queue's policy from the configuration's retry section.
func retryPolicy(c config.Retry) retry.Policy {
	p := retry.DefaultPolicy()
	p.MaxAttempts, p.BaseDelay, p.MaxDelay = c.MaxAttempts, c.BaseDelay.D(), c.MaxDelay.D()
	p.Deadline, p.DeadRetention, p.Lease = c.Deadline.D(), c.DeadTTL.D(), c.Lease.D()
	p.Workers, p.UnknownAttempts = c.Workers, c.UnknownLimit
	return p
}

// httpObserver reports the connectors' requests and rate-limit waits to Prometheus, and the
// requests to the platforms' health (calls; nil: none).
type httpObserver struct {
	m     *metrics.Metrics
	calls *platformCalls
}

func (o httpObserver) ObserveRequest(ri httpx.RequestInfo) {
	if o.calls != nil {
		o.calls.observe(ri)
	}
	status := "error" // no answer: connection refused, timeout, dropped
	if ri.Status != 0 {
		status = strconv.Itoa(ri.Status)
		// An envelope code in a 200 answer is the real status on the Quanzhou platform; keep it
		// when it is one (a short number), never when it is an error text (unbounded labels).
		if c := ri.Code; c != "" && len(c) <= 6 && isDigits(c) {
			status += "/" + c
		}
	}
	o.m.Request(ri.System, ri.Endpoint, status)
}

func (o httpObserver) ObserveLimiterWait(system string, waited time.Duration) {
	o.m.RateLimitWait(system, waited)
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
