package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"streetsync/internal/rdb"
	"streetsync/internal/testutil"
	"streetsync/mocks"
)

// syncBuffer is a bytes.Buffer safe for a command writing while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// started is a command running in the background: its exit status arrives on done.
type started struct {
	cancel context.CancelFunc
	done   chan int
	out    *syncBuffer
	err    *syncBuffer
}

// startCLI runs a long command (run, demo, mock serve) in-process until stop.
func startCLI(t *testing.T, args ...string) *started {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &started{cancel: cancel, done: make(chan int, 1), out: &syncBuffer{}, err: &syncBuffer{}}
	go func() { s.done <- runContext(ctx, args, strings.NewReader(""), s.out, s.err) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-s.done:
		case <-time.After(30 * time.Second):
			t.Error("command did not stop within 30s of its cancel")
		}
	})
	return s
}

// stop cancels the command (as SIGTERM does) and returns its exit status.
func (s *started) stop(t *testing.T, within time.Duration) int {
	t.Helper()
	s.cancel()
	select {
	case code := <-s.done:
		s.done <- code // for the cleanup
		return code
	case <-time.After(within):
		t.Fatalf("did not exit within %s of the cancel; stderr:\n%s", within, s.err.String())
		return -1
	}
}

// waitFor polls cond until it holds or the deadline passes (the command's own progress, not the
// wall clock, decides: cond looks at its output).
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// env is a test installation: a real Redis under the test's own prefix, a SQLite ledger in a
// temp dir, both mock platforms over loopback, and a config file naming them.
type env struct {
	dir    string
	config string
	redis  *rdb.Conn
	// redisAddr overrides the Redis address written to the config ("": the test Redis).
	redisAddr string
	mocks     *mocks.Server
	ep        mocks.Endpoints
}

// newEnv starts the mocks (size enterprises, seed 1) and writes the config; extra is appended to
// the YAML (top-level sections not written here).
func newEnv(t *testing.T, size int, extra string) *env {
	t.Helper()
	conn, _ := testutil.Redis(t)
	srv, err := mocks.NewServer(mocks.Options{Seed: 1, Enterprises: size})
	if err != nil {
		t.Fatal(err)
	}
	ts, ep := srv.StartTest()
	t.Cleanup(func() { srv.Close(); ts.Close() })
	e := &env{dir: t.TempDir(), redis: conn, mocks: srv, ep: ep}
	e.config = filepath.Join(e.dir, "config.yaml")
	e.writeConfig(t, extra)
	return e
}

func (e *env) writeConfig(t *testing.T, extra string) {
	t.Helper()
	rcfg := testutil.RedisConfig(e.redis, e.redis.Prefix)
	if e.redisAddr != "" {
		rcfg = fmt.Sprintf(`{addr: %q, password: "", prefix: %q}`, e.redisAddr, e.redis.Prefix)
	}
	cfg := fmt.Sprintf(`region: {code: "350582006", name: 灵源街道}
redis: %s
ledger: {driver: sqlite, dsn: %q}
quanzhou: {baseURL: %q, appKey: %q, appSecret: %q, rateLimit: 200, burst: 50, timeout: 10s}
specialOps: {baseURL: %q, clientID: %q, clientSecret: %q, rateLimit: 200, burst: 50, timeout: 10s}
retry: {baseDelay: 1s, maxDelay: 2s}
console: {listen: "127.0.0.1:0", token: "test-console-token-0123"}
log: {level: info, format: json}
%s`, rcfg, filepath.Join(e.dir, "ledger.db"),
		e.ep.QuanzhouBaseURL, e.ep.AppKey, e.ep.AppSecret, e.ep.SpecialOpsBaseURL, e.ep.ClientID, e.ep.ClientSecret, extra)
	if err := os.WriteFile(e.config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
}

// cli runs a command against the env's config.
func (e *env) cli(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	return runCLI(t, append([]string{"--config", e.config}, args...)...)
}

// jsonCLI runs a command with --format json, requires the exit status and decodes stdout.
func (e *env) jsonCLI(t *testing.T, want int, v any, args ...string) string {
	t.Helper()
	code, out, errOut := e.cli(t, append([]string{"--format", "json"}, args...)...)
	if code != want {
		t.Fatalf("%v: exit %d, want %d\nstdout: %s\nstderr: %s", args, code, want, out, errOut)
	}
	if v != nil {
		dec := json.NewDecoder(strings.NewReader(out))
		dec.DisallowUnknownFields()
		if err := dec.Decode(v); err != nil {
			t.Fatalf("%v: stdout is not the expected JSON document: %v\n%s", args, err, out)
		}
		if dec.More() {
			t.Fatalf("%v: stdout holds more than one JSON document:\n%s", args, out)
		}
	}
	return out
}

// workbookOf writes the env's generated street workbook (企业台账.xlsx) and returns its path.
func workbookOf(t *testing.T, e *env) string {
	t.Helper()
	path := filepath.Join(e.dir, "企业台账.xlsx")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.mocks.Dataset.WriteWorkbook(f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
