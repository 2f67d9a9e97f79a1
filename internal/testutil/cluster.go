package testutil

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"streetsync/internal/rdb"
)

// RedisCluster is a Redis Cluster of a test's own: three masters and one replica each, six
// redis-server processes on free ports, for tests that kill a master and watch its replica take
// over. It is stopped when the test ends.
type RedisCluster struct {
	Nodes []*RedisServer // the six nodes; which are masters changes with failovers
}

// StartRedisCluster starts and creates a cluster with redis-cli --cluster create; the test is
// skipped (failed in CI) without the binaries.
func StartRedisCluster(t testing.TB) *RedisCluster {
	t.Helper()
	for _, bin := range []string{"redis-server", "redis-cli"} {
		if _, err := exec.LookPath(bin); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("CI must provide %s", bin)
			}
			t.Skipf("needs the %s binary", bin)
		}
	}
	rc := &RedisCluster{}
	t.Cleanup(rc.Stop)
	var addrs []string
	for i := 0; i < 6; i++ {
		// The bus port is chosen too: the default, port+10000, may be taken or out of range.
		port, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		bus, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		dir := filepath.Join(t.TempDir(), fmt.Sprint(port))
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		srv := &RedisServer{Dir: dir, port: port, busPort: bus, Addr: fmt.Sprintf("127.0.0.1:%d", port)}
		if err := srv.start(); err != nil {
			t.Fatal(err)
		}
		rc.Nodes = append(rc.Nodes, srv)
		addrs = append(addrs, srv.Addr)
	}
	args := append([]string{"--cluster", "create"}, addrs...)
	args = append(args, "--cluster-replicas", "1", "--cluster-yes")
	if out, err := exec.Command("redis-cli", args...).CombinedOutput(); err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	rc.WaitHealthy(t, 30*time.Second)
	rc.waitReplicas(t, 30*time.Second)
	return rc
}

// Addrs are the seed addresses of every node.
func (rc *RedisCluster) Addrs() []string {
	out := make([]string, len(rc.Nodes))
	for i, n := range rc.Nodes {
		out[i] = n.Addr
	}
	return out
}

// Conn is a cluster connection under a fresh prefix, closed at the end of the test.
func (rc *RedisCluster) Conn(t testing.TB) *rdb.Conn {
	return newConn(t, redis.NewClusterClient(clusterOptions(rc.Addrs())), "test:"+sanitize(t.Name())+":"+randomHex(4)+":")
}

// MasterOf is the node that serves key's slot now.
func (rc *RedisCluster) MasterOf(t testing.TB, key string) *RedisServer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c := redis.NewClient(&redis.Options{Addr: rc.alive().Addr})
	defer c.Close()
	slot, err := c.ClusterKeySlot(ctx, key).Result()
	if err != nil {
		t.Fatal(err)
	}
	slots, err := c.ClusterSlots(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range slots {
		if int64(s.Start) <= slot && slot <= int64(s.End) && len(s.Nodes) > 0 {
			for _, n := range rc.Nodes {
				if n.Addr == s.Nodes[0].Addr {
					return n
				}
			}
		}
	}
	t.Fatalf("no master serves slot %d of %q", slot, key)
	return nil
}

// WaitHealthy waits until every live node reports cluster_state:ok and every slot is served.
func (rc *RedisCluster) WaitHealthy(t testing.TB, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		ok := true
		for _, n := range rc.Nodes {
			if n.cmd == nil {
				continue
			}
			out, err := exec.Command("redis-cli", "-p", fmt.Sprint(n.port), "cluster", "info").Output()
			if err != nil || !strings.Contains(string(out), "cluster_state:ok") {
				ok = false
				break
			}
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis cluster not healthy within %s", within)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitReplicas waits until every master has a replica whose link to it is up: only then does
// killing a master fail over instead of losing its slots.
func (rc *RedisCluster) waitReplicas(t testing.TB, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		up := 0
		for _, n := range rc.Nodes {
			out, err := exec.Command("redis-cli", "-p", fmt.Sprint(n.port), "info", "replication").Output()
			if err == nil && strings.Contains(string(out), "role:slave") && strings.Contains(string(out), "master_link_status:up") {
				up++
			}
		}
		if up == len(rc.Nodes)/2 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis cluster: %d of %d replicas linked within %s", up, len(rc.Nodes)/2, within)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (rc *RedisCluster) alive() *RedisServer {
	for _, n := range rc.Nodes {
		if n.cmd != nil {
			return n
		}
	}
	return rc.Nodes[0]
}

// Stop kills every node.
func (rc *RedisCluster) Stop() {
	for _, n := range rc.Nodes {
		n.Stop()
	}
}
