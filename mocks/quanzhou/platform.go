package quanzhou

import (
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/jarcoal/httpmock"

	"streetsync/mocks/dataset"
	"streetsync/mocks/fault"
	"streetsync/mocks/internal/limit"
	"streetsync/mocks/internal/order"
)

// Demo credentials, the ones `streetsync mock serve` prints.
const (
	DemoAppKey    = "demo-app"
	DemoAppSecret = "demo-secret"
)

// Contract constants.
const (
	timestampWindow = 300 * time.Second
	nonceTTL        = 10 * time.Minute
	maxBatch        = 100
	maxPageSize     = 500
	defaultPageSize = 20
	timeLayout      = "2006-01-02 15:04:05"
)

// App is one set of credentials and the region its key is bound to.
type App struct {
	Key    string
	Secret string
	Region string // 行政区划代码; default the Config's Region
}

// Config configures a Platform. The zero value is a demo platform at the root path.
type Config struct {
	// BasePath is the path the handler is mounted under, e.g. "/gw/openapi/v1" or
	// "/qz/gw/openapi/v1". Signatures are verified over the full path as received.
	BasePath string
	// Region is the street's region code (default 350582006).
	Region string
	// Apps are the accepted credentials (default demo-app / demo-secret).
	Apps []App
	// Now is the platform clock (default time.Now).
	Now func() time.Time
	// Seed seeds the platform's own random source (tokens, request ids, fault draws).
	Seed int64
	// TokenTTL is the access token lifetime (default 7200 s).
	TokenTTL time.Duration
	// RatePerSecond and RateBurst are the per-app-key limit (default 20 and 40); a negative
	// RatePerSecond disables it (benchmarks).
	RatePerSecond float64
	RateBurst     int
	// Faults are the initial faults.
	Faults fault.Faults
	// DiscardPushes stops the platform from keeping every pushed payload (large benchmarks).
	DiscardPushes bool
}

// Platform is the mock Quanzhou platform. It is safe for concurrent use.
type Platform struct {
	cfg      Config
	now      func() time.Time
	done     chan struct{}
	closeOne sync.Once

	rngMu sync.Mutex
	rng   *rand.Rand

	mu        sync.Mutex
	faults    fault.Faults
	apps      map[string]*appState
	tokens    map[string]*token
	authCount int
	ents      *order.Set[enterprise]
	byUSCC    map[string]*enterprise
	alarms    *order.Set[alarm]
	byBjid    map[string]*alarm
	hz        hazardStore // hazards and inspections (hazards.go)
	qySeq     int
	pushes    map[string][]Push
	creates   map[string]int
	requests  map[RequestKey]int
}

type appState struct {
	App
	bucket    *limit.Bucket
	nonces    map[string]time.Time
	nonceFIFO []nonceSeen
}

type nonceSeen struct {
	nonce string
	at    time.Time
}

type token struct {
	appKey  string
	expires time.Time
	revoked bool
}

// New returns a Platform with no records.
func New(cfg Config) (*Platform, error) {
	if cfg.BasePath != "" && (!strings.HasPrefix(cfg.BasePath, "/") || strings.HasSuffix(cfg.BasePath, "/")) {
		return nil, fmt.Errorf("quanzhou mock: base path %q must start and not end with /", cfg.BasePath)
	}
	if cfg.Region == "" {
		cfg.Region = dataset.Region
	}
	if len(cfg.Apps) == 0 {
		cfg.Apps = []App{{Key: DemoAppKey, Secret: DemoAppSecret}}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.TokenTTL == 0 {
		cfg.TokenTTL = 7200 * time.Second
	}
	if cfg.RatePerSecond == 0 {
		cfg.RatePerSecond = 20
	}
	if cfg.RateBurst == 0 {
		cfg.RateBurst = 40
	}
	p := &Platform{
		cfg:      cfg,
		now:      cfg.Now,
		done:     make(chan struct{}),
		rng:      rand.New(rand.NewPCG(uint64(cfg.Seed), 0x717a)),
		faults:   cfg.Faults,
		apps:     make(map[string]*appState, len(cfg.Apps)),
		tokens:   make(map[string]*token),
		ents:     order.New(cmpEnterprise, 0),
		byUSCC:   make(map[string]*enterprise),
		alarms:   order.New(cmpAlarm, 0),
		byBjid:   make(map[string]*alarm),
		hz:       newHazardStore(),
		pushes:   make(map[string][]Push),
		creates:  make(map[string]int),
		requests: make(map[RequestKey]int),
	}
	for _, a := range cfg.Apps {
		if a.Key == "" || a.Secret == "" {
			return nil, errors.New("quanzhou mock: app key and secret must not be empty")
		}
		if a.Region == "" {
			a.Region = cfg.Region
		}
		p.apps[a.Key] = &appState{App: a, bucket: limit.New(cfg.RatePerSecond, cfg.RateBurst), nonces: map[string]time.Time{}}
	}
	return p, nil
}

// Close releases requests held by the Hang fault. The Platform keeps answering afterwards.
func (p *Platform) Close() { p.closeOne.Do(func() { close(p.done) }) }

// SetFaults replaces the faults.
func (p *Platform) SetFaults(f fault.Faults) {
	p.mu.Lock()
	p.setFaults(f)
	p.mu.Unlock()
}

// UpdateFaults changes the faults in place, e.g. p.UpdateFaults(func(f *fault.Faults) { f.RateLimitBurst = 3 }).
func (p *Platform) UpdateFaults(change func(*fault.Faults)) {
	p.mu.Lock()
	f := p.faults
	change(&f)
	p.setFaults(f)
	p.mu.Unlock()
}

// setFaults installs f; RevokeTokenEvery counts from when it is set. Caller holds p.mu.
func (p *Platform) setFaults(f fault.Faults) {
	if f.RevokeTokenEvery != p.faults.RevokeTokenEvery {
		p.authCount = 0
	}
	p.faults = f
}

// Faults returns the current faults.
func (p *Platform) Faults() fault.Faults {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.faults
}

func (p *Platform) draw(prob float64) bool {
	if prob <= 0 {
		return false
	}
	p.rngMu.Lock()
	defer p.rngMu.Unlock()
	return p.rng.Float64() < prob
}

func (p *Platform) intn(n int) int {
	p.rngMu.Lock()
	defer p.rngMu.Unlock()
	return p.rng.IntN(n)
}

func (p *Platform) randomHex(n int) string {
	b := make([]byte, n)
	p.rngMu.Lock()
	for i := range b {
		b[i] = byte(p.rng.Uint32())
	}
	p.rngMu.Unlock()
	return hex.EncodeToString(b)
}

// ServeHTTP runs a request through the injected faults and the platform.
func (p *Platform) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a := fault.Front(w, r, p.Faults(), p.draw, p.done, p.handle)
	p.mu.Lock()
	p.requests[RequestKey{Endpoint: a.Endpoint, Status: a.Status, Code: a.Code}]++
	p.mu.Unlock()
}

// Responder answers httpmock requests with this very platform, so that the connectors' unit
// tests and the integration tests never disagree. A dropped connection becomes fault.ErrDropped,
// a hung answer the request context's error.
func (p *Platform) Responder() httpmock.Responder {
	return fault.Responder(p)
}
