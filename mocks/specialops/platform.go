package specialops

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jarcoal/httpmock"

	"streetsync/mocks/fault"
	"streetsync/mocks/internal/limit"
	"streetsync/mocks/internal/order"
)

// Demo credentials, the ones `streetsync mock serve` prints.
const (
	DemoClientID     = "demo-client"
	DemoClientSecret = "demo-client-secret"
)

// RetryAfterMode chooses how a 429 says when to come back (the contract allows both).
type RetryAfterMode int

const (
	// RetryAfterAlternate alternates seconds and HTTP-date, so clients meet both (default).
	RetryAfterAlternate RetryAfterMode = iota
	// RetryAfterSeconds always sends delta-seconds.
	RetryAfterSeconds
	// RetryAfterHTTPDate always sends an HTTP-date.
	RetryAfterHTTPDate
)

// Client is one set of OAuth2 client credentials.
type Client struct {
	ID     string
	Secret string
}

// Config configures a Platform. The zero value is a demo platform at the root path.
type Config struct {
	// BasePath is the path the handler is mounted under, e.g. "/tz/share".
	BasePath string
	// Clients are the accepted credentials (default demo-client / demo-client-secret).
	Clients []Client
	// Now is the platform clock (default time.Now).
	Now func() time.Time
	// Seed seeds the platform's own random source.
	Seed int64
	// TokenTTL is the access token lifetime (default 3600 s).
	TokenTTL time.Duration
	// CursorTTL is how long a change-feed cursor stays valid (default 24 h).
	CursorTTL time.Duration
	// RatePerSecond and RateBurst are the per-client limit (default 10 and 10); a negative
	// RatePerSecond disables it.
	RatePerSecond float64
	RateBurst     int
	// RetryAfter chooses the 429 Retry-After form (default alternate).
	RetryAfter RetryAfterMode
	// Faults are the initial faults.
	Faults fault.Faults
}

// Platform is the mock special-operations system. It is safe for concurrent use.
type Platform struct {
	cfg      Config
	now      func() time.Time
	done     chan struct{}
	closeOne sync.Once

	rngMu sync.Mutex
	rng   *rand.Rand

	mu         sync.Mutex
	faults     fault.Faults
	clients    map[string]*clientState
	tokens     map[string]*token
	authCount  int
	limited    int              // 429s answered, for the alternating Retry-After
	byKey      *order.Set[cert] // (certNo, itemCode), final x folded: lookups by identity
	byHolder   *order.Set[cert] // (idNumber, certNo, itemCode), final x folded: queries by ID number
	feed       *order.Set[cert] // (updatedAt, certNo, itemCode): the change feed
	lastChange int64            // Unix nanoseconds of the newest change: changes are strictly increasing
	emps       map[empKey]*employment
	requests   map[RequestKey]int
}

type clientState struct {
	Client
	bucket *limit.Bucket
}

type token struct {
	clientID string
	expires  time.Time
	revoked  bool
}

// RequestKey counts requests by endpoint, HTTP status (fault.StatusDropped / StatusHung when no
// answer came) and error string.
type RequestKey struct {
	Endpoint string
	Status   int
	Error    string
}

// New returns a Platform with no records.
func New(cfg Config) (*Platform, error) {
	if cfg.BasePath != "" && (!strings.HasPrefix(cfg.BasePath, "/") || strings.HasSuffix(cfg.BasePath, "/")) {
		return nil, fmt.Errorf("special-ops mock: base path %q must start and not end with /", cfg.BasePath)
	}
	if len(cfg.Clients) == 0 {
		cfg.Clients = []Client{{ID: DemoClientID, Secret: DemoClientSecret}}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.TokenTTL == 0 {
		cfg.TokenTTL = time.Hour
	}
	if cfg.CursorTTL == 0 {
		cfg.CursorTTL = 24 * time.Hour
	}
	if cfg.RatePerSecond == 0 {
		cfg.RatePerSecond = 10
	}
	if cfg.RateBurst == 0 {
		cfg.RateBurst = 10
	}
	p := &Platform{
		cfg:      cfg,
		now:      cfg.Now,
		done:     make(chan struct{}),
		rng:      rand.New(rand.NewPCG(uint64(cfg.Seed), 0x747a)),
		faults:   cfg.Faults,
		clients:  map[string]*clientState{},
		tokens:   map[string]*token{},
		byKey:    order.New(cmpKey, 0),
		byHolder: order.New(cmpHolder, 0),
		feed:     order.New(cmpCert, 0),
		emps:     map[empKey]*employment{},
		requests: map[RequestKey]int{},
	}
	for _, c := range cfg.Clients {
		if c.ID == "" || c.Secret == "" {
			return nil, errors.New("special-ops mock: client id and secret must not be empty")
		}
		p.clients[c.ID] = &clientState{Client: c, bucket: limit.New(cfg.RatePerSecond, cfg.RateBurst)}
	}
	return p, nil
}

// Close releases requests held by the Hang fault.
func (p *Platform) Close() { p.closeOne.Do(func() { close(p.done) }) }

// SetFaults replaces the faults.
func (p *Platform) SetFaults(f fault.Faults) {
	p.mu.Lock()
	p.setFaults(f)
	p.mu.Unlock()
}

// UpdateFaults changes the faults in place.
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
	p.requests[RequestKey{Endpoint: a.Endpoint, Status: a.Status, Error: a.Error}]++
	p.mu.Unlock()
}

// Responder answers httpmock requests with this very platform.
func (p *Platform) Responder() httpmock.Responder { return fault.Responder(p) }

// answer is a JSON answer under construction.
type answer struct {
	status int
	errStr string
	header http.Header
	body   []byte
}

func jsonAnswer(status int, v any) *answer {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only our own types are marshalled
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json; charset=utf-8")
	return &answer{status: status, header: h, body: b}
}

// errorBody is the contract's error shape; fields only for 422.
type errorBody struct {
	Error   string            `json:"error"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
}

func fail(status int, code, msg string) *answer {
	a := jsonAnswer(status, errorBody{Error: code, Message: msg})
	a.errStr = code
	return a
}

func (a *answer) fault(endpoint string) fault.Answer {
	return fault.Answer{Endpoint: endpoint, Status: a.status, Error: a.errStr, Header: a.header, Body: a.body}
}

// request is a request that passed authentication.
type request struct {
	*http.Request
	route string
	body  []byte
	now   time.Time
}

type route struct {
	name  string
	auth  bool
	serve func(*request) *answer
}

func (p *Platform) match(method, sub string) (route, bool) {
	switch {
	case method == http.MethodPost && sub == "/oauth/token":
		return route{"POST /oauth/token", false, nil}, true
	case method == http.MethodPost && sub == "/api/v2/certificates:query":
		return route{"POST /api/v2/certificates:query", true, p.queryCertificates}, true
	case method == http.MethodGet && sub == "/api/v2/certificates/changes":
		return route{"GET /api/v2/certificates/changes", true, p.changes}, true
	case method == http.MethodPut && sub == "/api/v2/employments":
		return route{"PUT /api/v2/employments", true, p.putEmployment}, true
	}
	return route{}, false
}

func (p *Platform) handle(r *http.Request) fault.Answer {
	path := r.URL.Path
	if p.cfg.BasePath != "" && path != p.cfg.BasePath && !strings.HasPrefix(path, p.cfg.BasePath+"/") {
		return fail(http.StatusNotFound, errNotFound, msgNotFound).fault(fault.Gateway)
	}
	sub := strings.TrimPrefix(path, p.cfg.BasePath)
	rt, ok := p.match(r.Method, sub)
	if !ok {
		return fail(http.StatusNotFound, errNotFound, msgNotFound).fault("unknown")
	}
	f := p.Faults()
	if f.Maintenance {
		a := fail(http.StatusServiceUnavailable, errUnavailable, msgMaintenance)
		a.header.Set("Retry-After", strconv.Itoa(f.RetryAfter()))
		return a.fault(rt.name)
	}
	var body []byte
	if r.Body != nil {
		var err error
		if body, err = io.ReadAll(io.LimitReader(r.Body, 16<<20)); err != nil {
			return fail(http.StatusBadRequest, errInvalidRequest, msgBadBody).fault(rt.name)
		}
	}
	req := &request{Request: r, route: sub, body: body, now: p.now()}
	if !rt.auth {
		return p.issueToken(req).fault(rt.name)
	}
	if a := p.authenticate(req); a != nil {
		return a.fault(rt.name)
	}
	if p.draw(f.InternalError) {
		return fail(http.StatusInternalServerError, errInternal, msgInternal).fault(rt.name)
	}
	return rt.serve(req).fault(rt.name)
}

// authenticate checks the bearer token, the revocation knob and the rate limit.
func (p *Platform) authenticate(req *request) *answer {
	tokStr, ok := strings.CutPrefix(req.Header.Get("Authorization"), "Bearer ")
	p.mu.Lock()
	defer p.mu.Unlock()
	tok := p.tokens[strings.TrimSpace(tokStr)]
	if !ok || tok == nil || tok.revoked || !req.now.Before(tok.expires) {
		return invalidToken()
	}
	p.authCount++
	if n := p.faults.RevokeTokenEvery; n > 0 && p.authCount%n == 0 {
		tok.revoked = true
		return invalidToken()
	}
	return p.takeToken(p.clients[tok.clientID], req.now)
}

func invalidToken() *answer {
	a := fail(http.StatusUnauthorized, errInvalidToken, msgBadToken)
	a.header.Set("WWW-Authenticate", `Bearer error="invalid_token"`)
	return a
}

// takeToken applies the forced burst and the client's bucket; the caller holds p.mu.
func (p *Platform) takeToken(c *clientState, now time.Time) *answer {
	wait := time.Duration(0)
	if p.faults.RateLimitBurst > 0 {
		p.faults.RateLimitBurst--
		wait = time.Second
	} else if ok, w := c.bucket.Take(now); !ok {
		wait = w
	} else {
		return nil
	}
	p.limited++
	a := fail(http.StatusTooManyRequests, errRateLimited, msgRateLimited)
	secs := limit.Seconds(wait)
	useDate := p.cfg.RetryAfter == RetryAfterHTTPDate || (p.cfg.RetryAfter == RetryAfterAlternate && p.limited%2 == 0)
	if useDate {
		// An HTTP-date has whole seconds: round up so the client never comes back early.
		at := now.Add(time.Duration(secs) * time.Second)
		if at.Truncate(time.Second).Before(at) {
			at = at.Truncate(time.Second).Add(time.Second)
		}
		a.header.Set("Retry-After", at.UTC().Format(http.TimeFormat))
	} else {
		a.header.Set("Retry-After", strconv.Itoa(secs))
	}
	return a
}

// tokenAnswer is the OAuth2 token response.
type tokenAnswer struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
}

// issueToken is POST /oauth/token (RFC 6749 client credentials; form body or HTTP Basic).
func (p *Platform) issueToken(req *request) *answer {
	if ct := req.Header.Get("Content-Type"); !strings.HasPrefix(strings.ToLower(ct), "application/x-www-form-urlencoded") {
		return fail(http.StatusBadRequest, errInvalidRequest, msgFormRequired)
	}
	form, err := parseForm(req.body)
	if err != nil {
		return fail(http.StatusBadRequest, errInvalidRequest, msgBadBody)
	}
	switch form.Get("grant_type") {
	case "client_credentials":
	case "":
		return fail(http.StatusBadRequest, errInvalidRequest, msgGrantMissing)
	default:
		return fail(http.StatusBadRequest, errUnsupportedGrant, msgGrantType)
	}
	id, secret, basic := req.BasicAuth()
	if basic && (form.Has("client_id") && form.Get("client_id") != id || form.Has("client_secret")) {
		return fail(http.StatusBadRequest, errInvalidRequest, msgTwoAuthMethods)
	}
	if !basic {
		id, secret = form.Get("client_id"), form.Get("client_secret")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.clients[id]
	if c == nil || c.Secret != secret {
		a := fail(http.StatusUnauthorized, errInvalidClient, msgBadClient)
		if basic {
			a.header.Set("WWW-Authenticate", `Basic realm="share"`)
		}
		return a
	}
	if a := p.takeToken(c, req.now); a != nil {
		return a
	}
	tok := p.randomHex(24)
	p.tokens[tok] = &token{clientID: c.ID, expires: req.now.Add(p.cfg.TokenTTL)}
	a := jsonAnswer(http.StatusOK, tokenAnswer{AccessToken: tok, TokenType: "Bearer", ExpiresIn: int(p.cfg.TokenTTL / time.Second)})
	a.header.Set("Cache-Control", "no-store")
	return a
}
