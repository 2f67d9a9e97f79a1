// Package testutil gives tests the real services they need: a real redis-server (REDIS_CLUSTER
// when set — the comma-separated seed addresses of a Redis Cluster —, else REDIS_ADDR when set,
// else one started on a free port in a temp dir, else miniredis with a logged notice) and a
// real PostgreSQL (PG_DSN when set, else a throwaway cluster started with the installed binaries,
// else the test is skipped with a clear message). Each test gets its own key prefix or database.
package testutil

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"streetsync/internal/rdb"
)

// RedisKind says which Redis a test got.
type RedisKind string

const (
	RedisEnv        RedisKind = "REDIS_ADDR"
	RedisClusterEnv RedisKind = "REDIS_CLUSTER"
	RedisStarted    RedisKind = "redis-server"
	RedisMiniredis  RedisKind = "miniredis"
)

var (
	sharedOnce  sync.Once
	sharedAddr  string
	sharedAddrs []string // a cluster's seed addresses
	sharedKind  RedisKind
	sharedErr   error
)

// clients are the raw clients under the connections testutil made (rdb does not export its own):
// tests seed and inspect keys through RedisClient.
var clients sync.Map // *rdb.Conn → redis.UniversalClient

// newConn is a connection over client under prefix, remembered for RedisClient and closed at the
// end of the test.
func newConn(t testing.TB, client redis.UniversalClient, prefix string) *rdb.Conn {
	conn := rdb.NewConn(client, prefix)
	clients.Store(conn, client)
	t.Cleanup(func() { clients.Delete(conn); _ = conn.Close() })
	return conn
}

// RedisClient is the raw client under a connection testutil made, for a test that seeds or
// inspects keys as another version of streetsync (or a person with redis-cli) would.
func RedisClient(t testing.TB, conn *rdb.Conn) redis.UniversalClient {
	t.Helper()
	c, ok := clients.Load(conn)
	if !ok {
		t.Fatal("testutil: not a connection testutil made")
	}
	return c.(redis.UniversalClient)
}

func rawClient(conn *rdb.Conn) redis.UniversalClient {
	c, _ := clients.Load(conn)
	rc, _ := c.(redis.UniversalClient)
	return rc
}

// Redis returns a connection to a real Redis isolated by a unique key prefix, and which kind it
// is. The connection is closed and the test's keys deleted when the test ends.
func Redis(t testing.TB) (*rdb.Conn, RedisKind) {
	t.Helper()
	sharedOnce.Do(func() {
		if addrs := os.Getenv("REDIS_CLUSTER"); addrs != "" {
			sharedAddrs, sharedKind = strings.Split(addrs, ","), RedisClusterEnv
			return
		}
		if addr := os.Getenv("REDIS_ADDR"); addr != "" {
			sharedAddr, sharedKind = addr, RedisEnv
			return
		}
		if _, err := exec.LookPath("redis-server"); err == nil {
			srv, err := startRedisServer(os.TempDir(), false)
			if err != nil {
				sharedErr = err
				return
			}
			sharedAddr, sharedKind = srv.Addr, RedisStarted
			return
		}
		mr, err := miniredis.Run()
		if err != nil {
			sharedErr = err
			return
		}
		fmt.Fprintln(os.Stderr, "testutil: no REDIS_ADDR and no redis-server binary: using miniredis (install redis-server for the real thing)")
		sharedAddr, sharedKind = mr.Addr(), RedisMiniredis
	})
	if sharedErr != nil {
		t.Fatalf("redis for tests: %v", sharedErr)
	}
	var client redis.UniversalClient
	if sharedKind == RedisClusterEnv {
		client = redis.NewClusterClient(clusterOptions(sharedAddrs))
	} else {
		client = redis.NewClient(&redis.Options{Addr: sharedAddr})
	}
	conn := newConn(t, client, "test:"+sanitize(t.Name())+":"+randomHex(4)+":")
	t.Cleanup(func() {
		ctx := context.Background()
		del := func(ctx context.Context, c *redis.Client) error {
			iter := c.Scan(ctx, 0, conn.Prefix+"*", 1000).Iterator()
			for iter.Next(ctx) {
				c.Del(ctx, iter.Val())
			}
			return nil
		}
		if cc, ok := client.(*redis.ClusterClient); ok {
			_ = cc.ForEachMaster(ctx, del)
		} else {
			_ = del(ctx, client.(*redis.Client))
		}
	})
	return conn, sharedKind
}

// clusterOptions are the tests' cluster client options, rdb's: maintenance notifications (a
// Redis Enterprise feature) off — the open-source cluster does not send them, and their per-node
// goroutines would outlive a test's leak check — and a short slot-map reload.
func clusterOptions(addrs []string) *redis.ClusterOptions { return rdb.ClusterOptions(addrs, nil) }

// RedisAddrs are the addresses a configuration names for conn's Redis: one for a single server,
// the seed addresses for a cluster (config redis.addrs).
func RedisAddrs(conn *rdb.Conn) []string {
	switch c := rawClient(conn).(type) {
	case *redis.ClusterClient:
		return c.Options().Addrs
	case *redis.Client:
		return []string{c.Options().Addr}
	}
	return nil
}

// SecondConn is another connection to conn's Redis (server or cluster) under the same prefix, as
// a second process would open; closed at the end of the test.
func SecondConn(t testing.TB, conn *rdb.Conn) *rdb.Conn {
	t.Helper()
	var client redis.UniversalClient
	switch c := rawClient(conn).(type) {
	case *redis.ClusterClient:
		client = redis.NewClusterClient(clusterOptions(c.Options().Addrs))
	case *redis.Client:
		client = redis.NewClient(&redis.Options{Addr: c.Options().Addr, Password: c.Options().Password})
	default:
		t.Fatalf("testutil: not a connection testutil made (%T)", rawClient(conn))
	}
	return newConn(t, client, conn.Prefix)
}

// Keys lists the keys matching pattern on every master (a cluster spreads them over its nodes).
func Keys(ctx context.Context, conn *rdb.Conn, pattern string) ([]string, error) {
	client := rawClient(conn)
	if client == nil {
		return nil, fmt.Errorf("testutil: not a connection testutil made")
	}
	cc, ok := client.(*redis.ClusterClient)
	if !ok {
		return client.Keys(ctx, pattern).Result()
	}
	var mu sync.Mutex
	var out []string
	err := cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
		ks, err := c.Keys(ctx, pattern).Result()
		mu.Lock()
		out = append(out, ks...)
		mu.Unlock()
		return err
	})
	return out, err
}

// RedisConfig is the YAML flow mapping of a configuration's redis section for conn's Redis
// under prefix: {addr: …} for a single server, {addrs: […]} for a cluster.
func RedisConfig(conn *rdb.Conn, prefix string) string {
	addrs := RedisAddrs(conn)
	if _, ok := rawClient(conn).(*redis.ClusterClient); ok {
		quoted := make([]string, len(addrs))
		for i, a := range addrs {
			quoted[i] = fmt.Sprintf("%q", a)
		}
		return fmt.Sprintf(`{addrs: [%s], password: "", prefix: %q}`, strings.Join(quoted, ", "), prefix)
	}
	return fmt.Sprintf(`{addr: %q, password: "", prefix: %q}`, addrs[0], prefix)
}

// RequireRealRedis skips unless the test runs against a real redis-server (Lua semantics,
// persistence and restarts need one); in CI (CI=true) it fails instead of skipping.
func RequireRealRedis(t testing.TB, kind RedisKind) {
	t.Helper()
	if kind == RedisMiniredis {
		if os.Getenv("CI") != "" {
			t.Fatal("CI must provide a real redis-server")
		}
		t.Skip("needs a real redis-server")
	}
}

// RedisServer is a redis-server process of a test's own, for tests that restart Redis.
type RedisServer struct {
	Addr string
	Dir  string
	AOF  bool
	cmd  *exec.Cmd
	// busPort is the cluster bus port of a RedisCluster's node (0: not a cluster node)
	busPort int
	port    int
}

// StartRedisServer starts a dedicated redis-server in a temp dir (with AOF persistence when aof
// is true); it is stopped when the test ends. The test is skipped when there is no binary.
func StartRedisServer(t testing.TB, aof bool) *RedisServer {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("CI must provide redis-server")
		}
		t.Skip("needs the redis-server binary")
	}
	srv, err := startRedisServer(t.TempDir(), aof)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	return srv
}

func startRedisServer(dir string, aof bool) (*RedisServer, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	srv := &RedisServer{Dir: dir, AOF: aof, port: port, Addr: fmt.Sprintf("127.0.0.1:%d", port)}
	return srv, srv.start()
}

func (s *RedisServer) start() error {
	args := []string{
		"--port", fmt.Sprint(s.port), "--bind", "127.0.0.1", "--dir", s.Dir,
		"--save", "", "--protected-mode", "yes", "--loglevel", "warning",
		"--dbfilename", fmt.Sprintf("dump-%d.rdb", s.port),
	}
	if s.busPort != 0 {
		args = append(args, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
			"--cluster-port", fmt.Sprint(s.busPort), "--cluster-node-timeout", "1000", "--appendonly", "no")
	}
	if s.AOF {
		args = append(args, "--appendonly", "yes", "--appendfsync", "always",
			"--appendfilename", fmt.Sprintf("aof-%d.aof", s.port), "--appenddirname", fmt.Sprintf("aof-%d", s.port))
	}
	cmd := exec.Command("redis-server", args...)
	// The server dies with the test binary, whatever way the binary ends.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start redis-server: %w", err)
	}
	s.cmd = cmd
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", s.Addr, 200*time.Millisecond)
		if err == nil {
			fmt.Fprintf(c, "PING\r\n")
			line, _ := bufio.NewReader(c).ReadString('\n')
			c.Close()
			if strings.HasPrefix(line, "+PONG") {
				return nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.Stop()
	return fmt.Errorf("redis-server on %s did not answer within 10s", s.Addr)
}

// Stop kills the server (SIGKILL: like a crash; with AOF always-fsync nothing acknowledged is lost).
func (s *RedisServer) Stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Kill()
		_ = s.cmd.Wait()
		s.cmd = nil
	}
}

// Restart kills the server and starts it again on the same port and directory.
func (s *RedisServer) Restart(t testing.TB) {
	t.Helper()
	s.Stop()
	if err := s.start(); err != nil {
		t.Fatal(err)
	}
}

// Conn returns a connection to this server under a fresh prefix, closed at the end of the test.
func (s *RedisServer) Conn(t testing.TB) *rdb.Conn {
	return newConn(t, redis.NewClient(&redis.Options{Addr: s.Addr, MaxRetries: 5, MinRetryBackoff: 50 * time.Millisecond}),
		"test:"+sanitize(t.Name())+":")
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func sanitize(name string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '{' || r == '}' || r == ':' {
			return '_'
		}
		return r
	}, filepath.ToSlash(name))
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// DeleteKeys deletes every key under conn's prefix, as a Redis restart without persistence or an
// operator's FLUSHDB would, one by one (on a cluster the keys live in several slots); it returns
// how many it deleted.
func DeleteKeys(t testing.TB, conn *rdb.Conn) int {
	t.Helper()
	ctx := context.Background()
	keys, err := Keys(ctx, conn, conn.Prefix+"*")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if err := RedisClient(t, conn).Del(ctx, k).Err(); err != nil {
			t.Fatal(err)
		}
	}
	return len(keys)
}

// IsCluster reports whether conn (made by testutil) speaks to a Redis Cluster.
func IsCluster(conn *rdb.Conn) bool {
	_, ok := rawClient(conn).(*redis.ClusterClient)
	return ok
}
