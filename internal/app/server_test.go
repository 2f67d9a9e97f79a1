package app

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
)

// The daemon's HTTP server against real sockets, with short limits injected: idle keep-alive
// connections are closed, a body that never arrives is cut, and one address cannot hold more
// than its share of connections. No test waits on a default value; each waits at most guard for
// what must happen within a fraction of it.

const guard = 10 * time.Second

// serveLimited serves h on 127.0.0.1 with limits, like Serve does, and returns its address and
// the listener that counts connections.
func serveLimited(t *testing.T, h http.Handler, limits HTTPLimits, exempt func(netip.Addr) bool) (string, *clientLimit) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if exempt == nil {
		exempt = func(netip.Addr) bool { return false }
	}
	limits = limits.withDefaults()
	cl := limitClients(l, limits.ConnsPerClient, exempt, zap.NewNop())
	srv := newHTTPServer(h, limits, zap.NewNop())
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(cl) }()
	t.Cleanup(func() { srv.Close(); <-done })
	return l.Addr().String(), cl
}

// dialFrom opens a connection to addr from the loopback address from (127.0.0.x: Linux routes
// all of 127/8 to the loopback interface).
func dialFrom(t *testing.T, from, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: guard}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial from %s: %v", from, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// get sends GET path on c and reads the answer, keeping the connection open.
func get(t *testing.T, c net.Conn, r *bufio.Reader, path string) (int, string) {
	t.Helper()
	_ = c.SetDeadline(time.Now().Add(guard))
	if _, err := io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: streetsync\r\n\r\n"); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// closedByServer reports whether the server closes c within guard: a read ends with EOF (or a
// reset), not with the guard's timeout.
func closedByServer(c net.Conn, r io.Reader) bool {
	_ = c.SetReadDeadline(time.Now().Add(guard))
	_, err := io.Copy(io.Discard, r)
	var ne net.Error
	return !(errors.As(err, &ne) && ne.Timeout())
}

var okHandler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") })

func TestHTTPServerClosesIdleKeepAliveConnections(t *testing.T) {
	addr, cl := serveLimited(t, okHandler, HTTPLimits{IdleTimeout: 150 * time.Millisecond}, nil)
	const n = 20
	conns := make([]net.Conn, n)
	readers := make([]*bufio.Reader, n)
	for i := range conns {
		conns[i] = dialFrom(t, "127.0.0.1", addr)
		readers[i] = bufio.NewReader(conns[i])
		if code, _ := get(t, conns[i], readers[i], "/healthz"); code != http.StatusOK {
			t.Fatalf("connection %d: status %d", i, code)
		}
	}
	for i := range conns {
		if !closedByServer(conns[i], readers[i]) {
			t.Fatalf("idle keep-alive connection %d still open after %v", i, guard)
		}
	}
	waitUntil(t, "the closed connections to be given back", func() bool { return cl.openFrom(netip.MustParseAddr("127.0.0.1")) == 0 })
}

// A login form whose body never arrives is cut by the read timeout instead of holding its
// connection and goroutine.
func TestHTTPServerCutsASlowBody(t *testing.T) {
	bodyErr := make(chan error, 1)
	login := http.NewServeMux()
	login.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		err := r.ParseForm()
		bodyErr <- err
		if err != nil {
			http.Error(w, "bad form", http.StatusBadRequest)
		}
	})
	addr, _ := serveLimited(t, login, HTTPLimits{ReadTimeout: 200 * time.Millisecond}, nil)
	c := dialFrom(t, "127.0.0.1", addr)
	_, err := io.WriteString(c, "POST /login HTTP/1.1\r\nHost: streetsync\r\nContent-Type: application/x-www-form-urlencoded\r\n"+
		"Content-Length: 1000\r\n\r\ntoken=abc")
	if err != nil {
		t.Fatal(err)
	}
	if !closedByServer(c, c) {
		t.Fatalf("a POST /login whose body stalls is still open after %v", guard)
	}
	select {
	case err := <-bodyErr:
		if err == nil {
			t.Errorf("the handler read a whole form from a body that never arrived")
		}
	case <-time.After(guard):
		t.Errorf("the handler never returned")
	}
}

func TestHTTPServerLimitsConnectionsPerClientAddress(t *testing.T) {
	proxy := netip.MustParseAddr("127.0.0.3")
	addr, cl := serveLimited(t, okHandler, HTTPLimits{ConnsPerClient: 3}, func(a netip.Addr) bool { return a == proxy })
	var held []net.Conn
	for i := 0; i < 3; i++ {
		c := dialFrom(t, "127.0.0.1", addr)
		if code, _ := get(t, c, bufio.NewReader(c), "/healthz"); code != http.StatusOK {
			t.Fatalf("connection %d of 3: status %d", i+1, code)
		}
		held = append(held, c)
	}
	// The fourth is answered 429 at once, before it says anything, and closed.
	c := dialFrom(t, "127.0.0.1", addr)
	_ = c.SetReadDeadline(time.Now().Add(guard))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("the fourth connection from one address: %v, want a 429 answer", err)
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(string(b), "连接过多（上限 3 个）") || resp.Header.Get("Retry-After") == "" {
		t.Errorf("the fourth connection from one address: %d %q, want 429 with the limit and Retry-After", resp.StatusCode, b)
	}
	if !closedByServer(c, c) {
		t.Errorf("the refused connection is still open")
	}
	// Another address is served meanwhile.
	other := dialFrom(t, "127.0.0.2", addr)
	if code, _ := get(t, other, bufio.NewReader(other), "/healthz"); code != http.StatusOK {
		t.Errorf("another address while the first is at its limit: status %d, want 200", code)
	}
	// A trusted proxy carries every client: it is not limited.
	for i := 0; i < 5; i++ {
		p := dialFrom(t, proxy.String(), addr)
		if code, _ := get(t, p, bufio.NewReader(p), "/healthz"); code != http.StatusOK {
			t.Errorf("trusted proxy connection %d: status %d, want 200", i+1, code)
		}
	}
	// Once one of the three closes, the address may open another.
	held[0].Close()
	waitUntil(t, "the closed connection to be given back", func() bool { return cl.openFrom(netip.MustParseAddr("127.0.0.1")) == 2 })
	again := dialFrom(t, "127.0.0.1", addr)
	if code, _ := get(t, again, bufio.NewReader(again), "/healthz"); code != http.StatusOK {
		t.Errorf("a new connection after one closed: status %d, want 200", code)
	}
}

func TestHTTPLimitsDefaults(t *testing.T) {
	got := HTTPLimits{}.withDefaults()
	want := HTTPLimits{ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 5 * time.Minute, WriteTimeout: 10 * time.Minute,
		IdleTimeout: 2 * time.Minute, ConnsPerClient: 64}
	if got != want {
		t.Errorf("default limits %+v, want %+v", got, want)
	}
	srv := newHTTPServer(okHandler, got, zap.NewNop())
	if srv.ReadTimeout == 0 || srv.WriteTimeout == 0 || srv.IdleTimeout == 0 || srv.ReadHeaderTimeout == 0 {
		t.Errorf("server timeouts %v %v %v %v: want every one set", srv.ReadHeaderTimeout, srv.ReadTimeout, srv.WriteTimeout, srv.IdleTimeout)
	}
}

// waitUntil polls cond (the server gives a connection back on its own goroutine) for at most
// guard.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(guard)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s", guard, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
