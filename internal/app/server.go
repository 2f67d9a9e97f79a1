package app

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"go.uber.org/zap"
)

// HTTPLimits bound what one client can hold of the daemon's HTTP server (the console, the API,
// /metrics, the health checks), so that idle keep-alive connections and bodies sent a byte a
// minute are closed instead of piling up. A zero field takes its default.
type HTTPLimits struct {
	// ReadHeaderTimeout bounds reading a request's headers (default 10s).
	ReadHeaderTimeout time.Duration
	// ReadTimeout bounds reading a whole request, headers and body (default 5m). The largest
	// body is a workbook upload at the console's limit, 20 MiB: about 170 s over a 1 Mbit/s line,
	// the slowest uplink a community office is expected to have.
	ReadTimeout time.Duration
	// WriteTimeout bounds a request from the end of its headers to the end of its answer
	// (default 10m): the upload's 5 minutes, the import, and the answer — the ledger's export is a
	// few MiB, under a minute at 1 Mbit/s. The API calls that wait for a sync or a reconciliation
	// lift it themselves once the token is checked (a whole sync may take longer).
	WriteTimeout time.Duration
	// IdleTimeout closes a keep-alive connection that carries no request for this long
	// (default 2m; browsers keep theirs for one to five minutes).
	IdleTimeout time.Duration
	// ConnsPerClient bounds the connections open at once from one client address (default 64:
	// a browser opens up to six per site, and an office's computers may share one address behind
	// its NAT). Connections from console.trustedProxies are not counted: a reverse proxy carries
	// every client, and limits them itself. One more is answered 429 and closed at once.
	ConnsPerClient int
}

// Default HTTP limits.
const (
	defaultReadHeaderTimeout = 10 * time.Second
	defaultReadTimeout       = 5 * time.Minute
	defaultWriteTimeout      = 10 * time.Minute
	defaultIdleTimeout       = 2 * time.Minute
	defaultConnsPerClient    = 64
)

func (l HTTPLimits) withDefaults() HTTPLimits {
	if l.ReadHeaderTimeout <= 0 {
		l.ReadHeaderTimeout = defaultReadHeaderTimeout
	}
	if l.ReadTimeout <= 0 {
		l.ReadTimeout = defaultReadTimeout
	}
	if l.WriteTimeout <= 0 {
		l.WriteTimeout = defaultWriteTimeout
	}
	if l.IdleTimeout <= 0 {
		l.IdleTimeout = defaultIdleTimeout
	}
	if l.ConnsPerClient <= 0 {
		l.ConnsPerClient = defaultConnsPerClient
	}
	return l
}

// newHTTPServer is the daemon's http.Server with limits' timeouts.
func newHTTPServer(handler http.Handler, limits HTTPLimits, log *zap.Logger) *http.Server {
	return &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: limits.ReadHeaderTimeout,
		ReadTimeout:       limits.ReadTimeout,
		WriteTimeout:      limits.WriteTimeout,
		IdleTimeout:       limits.IdleTimeout,
		ErrorLog:          zap.NewStdLog(log),
	}
}

// clientLimit is a listener that lets at most perClient connections from one client address be
// open at once; exempt addresses (trusted proxies) are not counted.
type clientLimit struct {
	net.Listener
	perClient int
	exempt    func(netip.Addr) bool
	log       *zap.Logger

	mu   sync.Mutex
	open map[netip.Addr]int
}

func limitClients(l net.Listener, perClient int, exempt func(netip.Addr) bool, log *zap.Logger) *clientLimit {
	return &clientLimit{Listener: l, perClient: perClient, exempt: exempt, log: log, open: map[netip.Addr]int{}}
}

// tooManyConns is the whole answer to a connection over the limit: the client has not been read,
// so it cannot be told in its own protocol version, and HTTP/1.1 is what every browser reads.
var tooManyConns = "HTTP/1.1 429 Too Many Requests\r\nContent-Type: text/plain; charset=utf-8\r\nRetry-After: 10\r\n" +
	"Connection: close\r\nContent-Length: %d\r\n\r\n%s"

// msgTooManyConns is what the person behind the refused connection reads.
const msgTooManyConns = "同一地址打开的连接过多（上限 %d 个），请关闭多余的页面或稍后再试\n"

// Accept returns the next connection within its client's limit. A connection over the limit is
// answered 429 and closed here, without a goroutine: the answer is a few hundred bytes into a
// fresh socket's empty send buffer, and the write deadline bounds it anyway.
func (l *clientLimit) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		addr, ok := remoteAddr(c)
		if !ok || l.exempt(addr) {
			return c, nil
		}
		l.mu.Lock()
		if l.open[addr] >= l.perClient {
			l.mu.Unlock()
			l.refuse(c, addr)
			continue
		}
		l.open[addr]++
		l.mu.Unlock()
		return &countedConn{Conn: c, release: func() { l.release(addr) }}, nil
	}
}

func (l *clientLimit) refuse(c net.Conn, addr netip.Addr) {
	body := fmt.Sprintf(msgTooManyConns, l.perClient)
	_ = c.SetWriteDeadline(time.Now().Add(time.Second))
	_, _ = io.WriteString(c, fmt.Sprintf(tooManyConns, len(body), body))
	_ = c.Close()
	l.log.Warn("connection refused: too many from one address", zap.String("client", addr.String()), zap.Int("limit", l.perClient))
}

func (l *clientLimit) release(addr netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[addr]--; l.open[addr] <= 0 {
		delete(l.open, addr)
	}
}

// openFrom is how many connections from addr are open (tests).
func (l *clientLimit) openFrom(addr netip.Addr) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.open[addr]
}

func remoteAddr(c net.Conn) (netip.Addr, bool) {
	ap, err := netip.ParseAddrPort(c.RemoteAddr().String())
	if err != nil {
		return netip.Addr{}, false
	}
	return ap.Addr().Unmap(), true
}

// countedConn gives its place back once, however often it is closed.
type countedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *countedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
