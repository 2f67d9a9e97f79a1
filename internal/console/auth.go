package console

import (
	"container/list"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// sessionCookie names the console's session cookie.
const sessionCookie = "streetsync_session"

// maxSessions bounds the in-memory session table; the oldest are dropped first.
const maxSessions = 1000

// person is who a form names in its field (a handler, a verifier, a finder), or else the operator
// logged in: every recorded action has a person.
func (s *session) person(form url.Values, field string) string {
	if p := strings.TrimSpace(form.Get(field)); p != "" {
		return p
	}
	return s.operator
}

// session is one logged-in browser. The ID and the CSRF token are 128-bit random values; the
// table lives in memory, so a restart logs everyone out (the token logs them in again).
type session struct {
	id       string
	csrf     string
	operator string
	created  time.Time
	expires  time.Time

	// Guarded by the store's mutex.
	flashes    []flash
	lastImport *ImportResult
}

// flash is a one-time message shown on the next page.
type flash struct {
	Kind string // ok, error
	Text string
}

type sessionStore struct {
	mu  sync.Mutex
	m   map[string]*session
	ttl time.Duration
	now func() time.Time
}

func newSessionStore(ttl time.Duration, now func() time.Time) *sessionStore {
	return &sessionStore{m: map[string]*session{}, ttl: ttl, now: now}
}

// randomToken is a 128-bit random value (crypto/rand.Text), for session IDs and CSRF tokens.
func randomToken() string { return rand.Text() }

// create starts a session for operator, dropping expired sessions and, past maxSessions, the
// oldest.
func (s *sessionStore) create(operator string) *session {
	now := s.now()
	sess := &session{id: randomToken(), csrf: randomToken(), operator: operator, created: now, expires: now.Add(s.ttl)}
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, o := range s.m {
		if !now.Before(o.expires) {
			delete(s.m, id)
		}
	}
	for len(s.m) >= maxSessions {
		var oldest *session
		for _, o := range s.m {
			if oldest == nil || o.created.Before(oldest.created) {
				oldest = o
			}
		}
		delete(s.m, oldest.id)
	}
	s.m[sess.id] = sess
	return sess
}

// get returns the live session with this ID.
func (s *sessionStore) get(id string) (*session, bool) {
	if id == "" {
		return nil, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.m[id]
	if !ok {
		return nil, false
	}
	if !s.now().Before(sess.expires) {
		delete(s.m, id)
		return nil, false
	}
	return sess, true
}

func (s *sessionStore) delete(id string) {
	s.mu.Lock()
	delete(s.m, id)
	s.mu.Unlock()
}

func (s *sessionStore) addFlash(sess *session, kind, text string) {
	s.mu.Lock()
	sess.flashes = append(sess.flashes, flash{Kind: kind, Text: text})
	s.mu.Unlock()
}

func (s *sessionStore) takeFlashes(sess *session) []flash {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := sess.flashes
	sess.flashes = nil
	return f
}

func (s *sessionStore) setImport(sess *session, r *ImportResult) {
	s.mu.Lock()
	sess.lastImport = r
	s.mu.Unlock()
}

func (s *sessionStore) takeImport(sess *session) *ImportResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := sess.lastImport
	sess.lastImport = nil
	return r
}

// tokenChecker compares presented tokens with console.token in constant time: both sides are
// hashed first, so neither the content nor the length of the token leaks through timing.
type tokenChecker struct{ sum [32]byte }

func newTokenChecker(token string) tokenChecker { return tokenChecker{sha256.Sum256([]byte(token))} }

func (t tokenChecker) ok(presented string) bool {
	got := sha256.Sum256([]byte(presented))
	return subtle.ConstantTimeCompare(got[:], t.sum[:]) == 1
}

// bearer returns the token of an "Authorization: Bearer …" header.
func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

// failureLimiter answers clients that keep presenting wrong tokens (login form and API alike)
// with 429 instead of 401: every client address has a budget of failed attempts that refills
// slowly. The token is always compared first and a right one is always let in, whatever the
// address failed before: the budget is per address, and an address is often shared (the office's
// NAT, a proxy not listed in console.trustedProxies), so a budget that locked out the right token
// would let anyone behind it lock the office out. Guessing is kept out by the token itself (at
// least 16 characters, compared in constant time), not by the budget. Behind a reverse proxy the
// client is the one the proxy names, when the proxy is among console.trustedProxies.
//
// The table of addresses is a fixed-size LRU: an address that fails pushes out the one that
// failed least recently, so clients from many addresses cannot grow it.
type failureLimiter struct {
	mu      sync.Mutex
	clients map[string]*list.Element // of *failingClient, in order of their last failure
	order   *list.List               // front: most recent failure
	size    int
	every   time.Duration
	burst   int
	now     func() time.Time
}

// failingClient is one address's budget of failures.
type failingClient struct {
	addr string
	lim  *rate.Limiter
}

const (
	failureBurst  = 10               // failed attempts allowed at once
	failureRefill = 30 * time.Second // one more allowed per this long
	maxClients    = 10000            // addresses remembered; the least recently failing is forgotten first
)

func newFailureLimiter(now func() time.Time) *failureLimiter {
	return newFailureLimiterSize(maxClients, now)
}

func newFailureLimiterSize(size int, now func() time.Time) *failureLimiter {
	return &failureLimiter{clients: map[string]*list.Element{}, order: list.New(), size: size,
		every: failureRefill, burst: failureBurst, now: now}
}

// blocked reports whether client has used up its failures.
func (l *failureLimiter) blocked(client string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.clients[client]
	return ok && e.Value.(*failingClient).lim.TokensAt(l.now()) < 1
}

// fail records a failed attempt.
func (l *failureLimiter) fail(client string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.clients[client]
	if ok {
		l.order.MoveToFront(e)
	} else {
		if l.order.Len() >= l.size {
			oldest := l.order.Back()
			l.order.Remove(oldest)
			delete(l.clients, oldest.Value.(*failingClient).addr)
		}
		e = l.order.PushFront(&failingClient{addr: client, lim: rate.NewLimiter(rate.Every(l.every), l.burst)})
		l.clients[client] = e
	}
	e.Value.(*failingClient).lim.AllowN(l.now(), 1)
}

// tracked is how many addresses the table holds.
func (l *failureLimiter) tracked() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.order.Len()
}

// clientAddr is the address of the client a request comes from: its remote host, or — when that
// is a trusted proxy — the nearest address in X-Forwarded-For that is not one (proxies append,
// so the entries to the left of the last untrusted one are the client's own claims).
func (s *Server) clientAddr(r *http.Request) string {
	host, proxied := s.peer(r)
	if !proxied {
		return host
	}
	var hops []string
	for _, h := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(h, ",")...)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return host // a hop that is no address: believe nothing further left
		}
		if !s.trustedAddr(a) {
			return a.Unmap().String()
		}
	}
	return host
}

// peer is the host the request came from, and whether it is a trusted proxy.
func (s *Server) peer(r *http.Request) (host string, proxy bool) {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, err := netip.ParseAddr(host)
	return host, err == nil && s.trustedAddr(a)
}

func (s *Server) trustedAddr(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range s.opt.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// forwarded returns a header a trusted proxy set ("" when the request does not come from one).
func (s *Server) forwarded(r *http.Request, name string) string {
	if _, proxied := s.peer(r); !proxied {
		return ""
	}
	v, _, _ := strings.Cut(r.Header.Get(name), ",") // the proxy nearest the client comes first
	return strings.TrimSpace(v)
}

// requestHost is the host the client sent the request to.
func (s *Server) requestHost(r *http.Request) string {
	if h := s.forwarded(r, "X-Forwarded-Host"); h != "" {
		return h
	}
	return r.Host
}

// secureRequest reports whether the client reached the console over HTTPS.
func (s *Server) secureRequest(r *http.Request) bool {
	return s.opt.SecureCookie || r.TLS != nil || strings.EqualFold(s.forwarded(r, "X-Forwarded-Proto"), "https")
}

// sameOrigin checks a state-changing browser request's Origin (or, without one, its Referer)
// against the host it was sent to. Browsers send Origin on every form POST; a request with
// neither header (some privacy proxies strip both) is left to the CSRF token.
func (s *Server) sameOrigin(r *http.Request) bool {
	host := s.requestHost(r)
	if o := r.Header.Get("Origin"); o != "" {
		if o == "null" {
			return false
		}
		u, err := url.Parse(o)
		return err == nil && strings.EqualFold(u.Host, host)
	}
	if ref := r.Header.Get("Referer"); ref != "" {
		u, err := url.Parse(ref)
		return err == nil && strings.EqualFold(u.Host, host)
	}
	return true
}

// csrfOK compares the form's synchronizer token with the session's in constant time.
func csrfOK(sess *session, presented string) bool {
	return presented != "" && subtle.ConstantTimeCompare([]byte(presented), []byte(sess.csrf)) == 1
}

// apiAuth checks the bearer token. The right token always passes; a client address that keeps
// presenting wrong ones is answered 429 (failureLimiter).
func (s *Server) apiAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, ok := bearer(r)
		if ok && s.token.ok(tok) {
			next.ServeHTTP(w, r)
			return
		}
		client := s.clientAddr(r)
		if s.failures.blocked(client) {
			w.Header().Set("Retry-After", strconv.Itoa(int(failureRefill/time.Second)))
			s.writeAPIError(w, http.StatusTooManyRequests, msgTooManyLogins)
			return
		}
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="streetsync"`)
			s.writeAPIError(w, http.StatusUnauthorized, msgNoToken)
			return
		}
		s.failures.fail(client)
		w.Header().Set("WWW-Authenticate", `Bearer realm="streetsync", error="invalid_token"`)
		s.writeAPIError(w, http.StatusUnauthorized, msgBadToken)
	})
}
