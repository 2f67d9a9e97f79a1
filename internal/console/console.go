// Package console is streetsync's operator surface over HTTP: a web console in Chinese for the
// street office and the community grid workers under /, and a JSON API under /api/ for everything
// an operator triggers from the CLI.
//
// It is arranged by screen, as asynqmon arranges its pages: each file holds one screen's page
// handler, its API endpoints, its view model and the small interfaces it needs of the rest of
// streetsync — 概览 (overview.go), 同步任务 (jobs.go), 重试队列 (queue.go), 对账 (reconcile.go),
// 持证预警 and its silences (alerts.go), 监测报警 (alarms.go), 台账 (ledger.go), 隐患 (hazards.go). What every screen
// shares is apart: the server and its routes (this file), the session, login and forms
// (auth.go, forms.go), rendering (render.go, svg.go), JSON answers and errors (respond.go), the
// services' health (health.go) and every text a person reads (messages.go).
//
// The console is honest on a bad day: each page asks Redis and the ledger whether they answer
// before reading them, names what is down in a red banner with what still works and what to do,
// and says in place which panel cannot be read — every page still answers 200. /readyz (package
// app) stays the machine-readable truth.
//
// Every list is a page of an indexed query with its total, and every front-page number is the
// total of the list it links to: an answer stays a page long at a city's 100 000 enterprises.
//
// The API takes "Authorization: Bearer <console.token>". The console logs in with the same token
// into a server-side session (HttpOnly, SameSite=Strict cookie); every form that changes
// something carries a synchronizer CSRF token and is checked for its Origin. Pages are
// server-rendered html/template with plain forms, embedded CSS and a few lines of vanilla JS; the
// overview's charts are inline SVG drawn here. Nothing is fetched from the internet: the office
// network may have none.
//
// The console owns no data. It masks every ID number on the way out, explicitly where it shows
// one and again as a safety net over every JSON and HTML body; the workbook export, which the
// operator contract calls the ledger's own copy, is the one thing that leaves whole.
package console

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"streetsync/internal/config"
	"streetsync/mapping"
	"streetsync/mapping/mask"
)

// Options configure the console.
type Options struct {
	// Token is console.token, required: the API's bearer token and the console's login.
	Token config.Secret
	// Region is the street's name shown in the header (region.name).
	Region string
	// Location is schedule.timezone: times are shown and days counted in it (default Beijing).
	Location *time.Location
	// Catalog names the operation items (default: the built-in catalog).
	Catalog *mapping.Catalog
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Logger receives the console's logs (default: none).
	Logger *zap.Logger
	// SessionTTL is how long a login lasts (default 12h).
	SessionTTL time.Duration
	// SecureCookie marks the session cookie Secure; set it when the console is served over
	// HTTPS directly. Behind a trusted proxy, X-Forwarded-Proto: https does the same.
	SecureCookie bool
	// TrustedProxies are console.trustedProxies: requests from them are taken to come from the
	// client their X-Forwarded-For names (for the login throttle), over the scheme and host their
	// X-Forwarded-Proto and X-Forwarded-Host name. Requests from anywhere else are taken as
	// they come, whatever they claim.
	TrustedProxies []netip.Prefix
	// Metrics, when set, is served at GET /metrics to holders of the token, like the API: its
	// series name channels and communities. The wiring leaves it nil when console.metricsPublic
	// has the daemon serve /metrics to anyone.
	Metrics http.Handler
	// MaxJSONBytes bounds JSON and form bodies (default 1 MiB).
	MaxJSONBytes int64
	// MaxUploadBytes bounds an uploaded workbook (default 20 MiB).
	MaxUploadBytes int64
	// FormWait is how long a form that starts a task waits for it before showing its progress
	// (default 3s).
	FormWait time.Duration
	// HealthTimeout bounds the ping a page sends Redis and the ledger before reading them
	// (default 1s): a service that does not answer within it is shown as down.
	HealthTimeout time.Duration
}

// Defaults.
const (
	defaultSessionTTL    = 12 * time.Hour
	defaultMaxJSON       = 1 << 20
	defaultMaxUpload     = 20 << 20
	defaultFormWait      = 3 * time.Second
	defaultHealthTimeout = time.Second
)

// Server is the console: call Handler to mount it, Close at shutdown. Its methods are what every
// screen shares; each screen is a type of its own over it.
type Server struct {
	deps     Deps
	opt      Options
	log      *zap.Logger
	loc      *time.Location
	now      func() time.Time
	catalog  *mapping.Catalog
	token    tokenChecker
	sessions *sessionStore
	failures *failureLimiter
	tasks    *taskRunner
	comms    *communityCache
	tallies  *tallier
	pages    map[string]*template.Template
	static   http.Handler
	staticFS fs.FS
	assetVer string
	handler  http.Handler

	reportMu sync.Mutex
	report   *reportState // the last reconciliation

	healthMu   sync.Mutex
	healthDown [2]bool // by service: down when last logged
}

// screen is one page of the console with its API: it mounts its routes on the console's mux
// (pages, behind the login) and the API's (behind the token).
type screen interface {
	routes(pages, api *http.ServeMux)
}

// New builds the console over deps. Every dependency but Status and Redis, and the token, are
// required.
func New(deps Deps, opts Options) (*Server, error) {
	if err := deps.missing(); err != nil {
		return nil, err
	}
	if strings.TrimSpace(opts.Token.Reveal()) == "" {
		return nil, errors.New("console: console.token is empty (the API and the console need a token)")
	}
	if opts.Location == nil {
		opts.Location = mapping.Beijing()
	}
	if opts.Catalog == nil {
		opts.Catalog = mapping.DefaultCatalog()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = zap.NewNop()
	}
	if opts.SessionTTL <= 0 {
		opts.SessionTTL = defaultSessionTTL
	}
	if opts.MaxJSONBytes <= 0 {
		opts.MaxJSONBytes = defaultMaxJSON
	}
	if opts.MaxUploadBytes <= 0 {
		opts.MaxUploadBytes = defaultMaxUpload
	}
	if opts.FormWait <= 0 {
		opts.FormWait = defaultFormWait
	}
	if opts.HealthTimeout <= 0 {
		opts.HealthTimeout = defaultHealthTimeout
	}
	if opts.Region == "" {
		opts.Region = "街道"
	}
	log := opts.Logger.Named("console")
	s := &Server{
		deps: deps, opt: opts, log: log, loc: opts.Location, now: opts.Now, catalog: opts.Catalog,
		token:    newTokenChecker(opts.Token.Reveal()),
		sessions: newSessionStore(opts.SessionTTL, opts.Now),
		failures: newFailureLimiter(opts.Now),
		tasks:    newTaskRunner(opts.Now, log),
		comms:    newCommunityCache(deps.Ledger, opts.Now),
	}
	s.tallies = newTallier(s)
	static, err := fs.Sub(assets, "assets/static")
	if err != nil {
		return nil, fmt.Errorf("console: assets: %w", err)
	}
	s.assetVer, err = assetVersion(static)
	if err != nil {
		return nil, fmt.Errorf("console: assets: %w", err)
	}
	s.staticFS = static
	s.static = http.StripPrefix("/static/", http.FileServerFS(static))
	if s.pages, err = s.parseTemplates(); err != nil {
		return nil, fmt.Errorf("console: templates: %w", err)
	}
	s.handler = s.routes()
	return s, nil
}

// Handler serves the console under / and the API under /api/.
func (s *Server) Handler() http.Handler { return s.handler }

// Close stops the tasks the console started (sync runs, reconciliations, a tally of the counts)
// and waits for them.
func (s *Server) Close() error {
	s.tasks.close()
	s.tallies.close()
	return nil
}

// routes mounts every screen, the login and the static files.
func (s *Server) routes() http.Handler {
	pages, api := http.NewServeMux(), http.NewServeMux()
	for _, sc := range []screen{
		overviewScreen{s}, jobsScreen{s}, queueScreen{s}, reconcileScreen{s}, alertsScreen{s}, alarmsScreen{s}, ledgerScreen{s},
		hazardsScreen{s},
	} {
		sc.routes(pages, api)
	}
	api.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		s.writeAPIError(w, http.StatusNotFound, msgPageNotFound)
	})
	pages.Handle("/api/", s.apiAuth(api))
	if s.opt.Metrics != nil {
		pages.Handle("GET /metrics", s.apiAuth(s.opt.Metrics))
	}
	pages.Handle("GET /static/", s.staticFiles())
	pages.HandleFunc("GET /login", s.loginPage)
	pages.HandleFunc("POST /login", s.login)
	pages.HandleFunc("POST /logout", s.action(s.logout))
	pages.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.errorPage(w, r, http.StatusNotFound, msgPageNotFound)
	})
	return s.recoverer(securityHeaders(pages))
}

// assetVersion hashes the static files, so that their URLs change when they do and they can be
// cached.
func assetVersion(static fs.FS) (string, error) {
	h := sha256.New()
	err := fs.WalkDir(static, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(static, path)
		if err != nil {
			return err
		}
		h.Write([]byte(path))
		h.Write(b)
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))[:12], err
}

// securityHeaders sets the headers every response carries: a CSP without inline scripts or
// styles, no framing, no sniffing, and no caching of anything but the static files.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
			"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if !strings.HasPrefix(r.URL.Path, "/static/") {
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

// recoverer turns a panic in a handler into a 500 and a log line instead of a dropped
// connection.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("console handler panicked", zap.String("path", r.URL.Path), zap.Any("panic", v), zap.Stack("stack"))
				http.Error(w, msgInternal, http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// maskBody is the last line of defence: any valid ID number in a JSON or HTML body is masked.
func maskBody(b []byte) []byte {
	masked := mask.IDsInText(string(b))
	if len(masked) == len(b) && masked == string(b) {
		return b
	}
	return []byte(masked)
}

func (s *Server) today() mapping.Date { return mapping.DateOf(s.now().In(s.loc)) }
