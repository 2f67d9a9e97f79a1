package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"go.uber.org/zap"

	"streetsync/internal/alerts"
	"streetsync/internal/alerts/notify"
	"streetsync/internal/config"
	"streetsync/internal/jobs"
	"streetsync/internal/outfile"
	"streetsync/internal/reconcile"
	"streetsync/internal/workbook"
	"streetsync/mocks"
	"streetsync/mocks/dataset"
	"streetsync/scheduler/retry"
)

// DemoOptions size the demo.
type DemoOptions struct {
	Seed        int64 // the generator's seed
	Enterprises int   // generated enterprises (0: the generator's default, 200)
	Listen      string
	// Workbook, when set, also receives the street's workbook, kept after the demo ends: the
	// newcomer's file to try `import` and the daemon with.
	Workbook string
}

// Demo is `streetsync demo`: everything embedded and in-process — an in-memory Redis, a fresh
// SQLite ledger in a temp dir, both mock platforms seeded by the generator, and a webhook
// receiver standing in for the community's alert robot. Its configuration is built here, in
// code; no file or environment variable is needed.
type Demo struct {
	App   *App
	Token string // the console token, generated for this run

	dir      string
	workbook string
	mocks    *mocks.Server
	stop     context.CancelFunc
	wg       sync.WaitGroup
	sink     *webhookSink
	sinkSrv  *http.Server
}

// NewDemo starts the embedded parts and returns the demo with its App built over them.
func NewDemo(ctx context.Context, opts DemoOptions, log *zap.Logger) (d *Demo, err error) {
	d = &Demo{sink: &webhookSink{}}
	defer func() {
		if err != nil {
			d.Close()
		}
	}()
	if d.dir, err = os.MkdirTemp("", "streetsync-demo-*"); err != nil {
		return nil, err
	}
	if d.mocks, err = mocks.NewServer(mocks.Options{Seed: opts.Seed, Enterprises: opts.Enterprises, Unlimited: true}); err != nil {
		return nil, err
	}
	// The street's workbook, as the office keeps it by hand.
	d.workbook = filepath.Join(d.dir, "企业台账.xlsx")
	for _, path := range []string{d.workbook, opts.Workbook} {
		if path == "" {
			continue
		}
		if err := WriteWorkbook(d.mocks.Dataset, path); err != nil {
			return nil, err
		}
	}

	bg, stop := context.WithCancel(context.WithoutCancel(ctx))
	d.stop = stop
	ml, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	eps := make(chan mocks.Endpoints, 1)
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		if err := d.mocks.Start(bg, ml, func(ep mocks.Endpoints) { eps <- ep }); err != nil {
			log.Warn("mock platforms stopped", zap.Error(err))
		}
	}()
	ep := <-eps

	sl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	d.sinkSrv = &http.Server{Handler: d.sink, ReadHeaderTimeout: 5 * time.Second}
	d.wg.Add(1)
	go func() { defer d.wg.Done(); _ = d.sinkSrv.Serve(sl) }()

	tok := make([]byte, 18)
	if _, err := rand.Read(tok); err != nil {
		return nil, err
	}
	d.Token = hex.EncodeToString(tok)

	cfg := config.Default()
	cfg.Redis.Addr = "" // embedded
	cfg.Ledger = config.Ledger{Driver: "sqlite", DSN: config.Secret(filepath.Join(d.dir, "ledger.db"))}
	cfg.Quanzhou.BaseURL, cfg.Quanzhou.AppKey, cfg.Quanzhou.AppSecret = ep.QuanzhouBaseURL, ep.AppKey, config.Secret(ep.AppSecret)
	cfg.SpecialOps.BaseURL, cfg.SpecialOps.ClientID, cfg.SpecialOps.ClientSecret = ep.SpecialOpsBaseURL, ep.ClientID, config.Secret(ep.ClientSecret)
	// The mocks run without rate limits here: the demo shows a day's work in seconds.
	cfg.Quanzhou.RateLimit, cfg.Quanzhou.Burst = 500, 100
	cfg.SpecialOps.RateLimit, cfg.SpecialOps.Burst = 500, 100
	cfg.Retry.BaseDelay, cfg.Retry.MaxDelay = config.Duration(2*time.Second), config.Duration(time.Minute)
	cfg.Alerts.Channels = []config.Channel{{Type: "webhook", Name: "演示接收端",
		URL: config.Secret("http://" + sl.Addr().String() + "/hook"), Escalations: true}}
	// The hazard rules, all of them shown: drill records tracked since three years before the
	// generated drills' day (DRILL_OVERDUE is judged only with drills.trackSince), and the
	// quarterly check warned all quarter long, since the demo runs on any day of a quarter and the
	// generator leaves some key enterprises without this quarter's principal-led check.
	cfg.Drills.TrackSince = d.mocks.Dataset.Params.Reference.Time(0).AddDate(-3, 0, 0).Format(time.DateOnly)
	cfg.Inspections.WarnDaysBeforeQuarterEnd = 92
	cfg.Console = config.Console{Listen: opts.Listen, Token: config.Secret(d.Token)}
	if cfg.Console.Listen == "" {
		cfg.Console.Listen = "127.0.0.1:8080"
	}
	d.App = New(&cfg, log)
	return d, nil
}

// WriteWorkbook writes the generated street's workbook (企业台账.xlsx, as the office keeps it by
// hand, its deliberate mistakes included) to path, readable by its owner only.
func WriteWorkbook(ds *dataset.Dataset, path string) error {
	f, err := outfile.Create(path)
	if err != nil {
		return err
	}
	if err := ds.WriteWorkbook(f, dataset.WithHazardSheets()); err != nil {
		f.Close()
		return fmt.Errorf("write the street's workbook %s: %w", path, err)
	}
	return f.Close()
}

// Close stops everything the demo started and removes its temp dir.
func (d *Demo) Close() error {
	var errs []error
	if d.App != nil {
		errs = append(errs, d.App.Close())
	}
	if d.stop != nil {
		d.stop()
	}
	if d.sinkSrv != nil {
		_ = d.sinkSrv.Close()
	}
	d.wg.Wait()
	if d.dir != "" {
		errs = append(errs, os.RemoveAll(d.dir))
	}
	return errors.Join(errs...)
}

// DemoSummary is what the demo did, as `demo --format json` prints it.
type DemoSummary struct {
	Seed        int64            `json:"seed"`
	Enterprises int              `json:"enterprises"` // ledger enterprises generated
	Operators   int              `json:"operators"`   // roster entries generated
	Import      workbook.Report  `json:"import"`
	Sync        []jobs.Summary   `json:"sync"`
	Reconcile   reconcile.Counts `json:"reconcile"`
	Alerts      AlertCounts      `json:"alerts"`
	Webhook     WebhookCounts    `json:"webhook"`
	Queue       retry.Stats      `json:"queue"`
}

// AlertCounts summarize the alert check.
type AlertCounts struct {
	Evaluated int              `json:"evaluated"`
	Firing    int              `json:"firing"`
	ByRule    map[string]int   `json:"byRule"`
	Delivered alerts.Delivered `json:"delivered"`
}

// WebhookCounts is what the demo's webhook receiver got.
type WebhookCounts struct {
	Messages int `json:"messages"`
	Alerts   int `json:"alerts"`
}

// Prepare does what a first day does: import the street's workbook, one full sync of every job,
// a reconciliation and an alert check (delivered to the demo's webhook receiver).
func (d *Demo) Prepare(ctx context.Context) (*DemoSummary, error) {
	ds := d.mocks.Dataset
	sum := &DemoSummary{Seed: ds.Params.Seed, Enterprises: len(ds.Ledger), Operators: len(ds.Roster)}
	st, err := d.App.Ledger(ctx)
	if err != nil {
		return nil, err
	}
	cat, err := d.App.Catalog()
	if err != nil {
		return nil, err
	}
	opts := workbook.Options{Catalog: cat, Communities: d.App.Config().Region.Communities}
	if sum.Import, err = workbook.Import(ctx, st, d.workbook, opts); err != nil {
		return nil, fmt.Errorf("import the demo workbook: %w", err)
	}
	if sum.Sync, err = d.App.Sync(ctx, jobs.All, true); err != nil {
		return nil, err
	}
	r, err := d.App.Reconciler(ctx)
	if err != nil {
		return nil, err
	}
	rep, err := r.Compare(ctx, reconcile.ScopeAll)
	if err != nil {
		return nil, err
	}
	sum.Reconcile = rep.Counts()
	res, err := d.App.CheckAlerts(ctx, false, nil)
	if err != nil {
		return nil, err
	}
	sum.Alerts = AlertCounts{Evaluated: res.Evaluated, Firing: res.Firing, ByRule: res.ByRule, Delivered: res.Delivered}
	sum.Webhook = d.sink.counts()
	if err := d.App.RefreshQueueDepth(ctx); err != nil {
		return nil, err
	}
	q, err := d.App.Queue(ctx)
	if err != nil {
		return nil, err
	}
	if sum.Queue, err = q.Stats(ctx); err != nil {
		return nil, err
	}
	return sum, nil
}

// webhookSink is the demo's stand-in for a community's alert robot: it accepts the generic
// webhook's messages and counts them.
type webhookSink struct {
	mu       sync.Mutex
	messages int
	alerts   int
}

func (s *webhookSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var msg notify.Message
	if err := json.NewDecoder(io.LimitReader(r.Body, 32<<20)).Decode(&msg); err != nil {
		http.Error(w, "bad message", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.messages++
	s.alerts += len(msg.Alerts)
	s.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

func (s *webhookSink) counts() WebhookCounts {
	s.mu.Lock()
	defer s.mu.Unlock()
	return WebhookCounts{Messages: s.messages, Alerts: s.alerts}
}
