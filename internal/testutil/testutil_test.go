package testutil

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
)

func TestRedisIsRealAndIsolated(t *testing.T) {
	a, kind := Redis(t)
	t.Logf("redis kind: %s", kind)
	RequireRealRedis(t, kind)
	ctx := context.Background()
	info, err := RedisClient(t, a).Info(ctx, "server").Result()
	if err != nil || len(info) == 0 {
		t.Fatalf("INFO server: %v", err)
	}
	if err := RedisClient(t, a).Set(ctx, a.Prefix+"x", "1", 0).Err(); err != nil {
		t.Fatal(err)
	}
	var b = struct{ prefix string }{}
	t.Run("other", func(t *testing.T) {
		c, _ := Redis(t)
		b.prefix = c.Prefix
		if n, _ := RedisClient(t, c).Exists(ctx, c.Prefix+"x").Result(); n != 0 {
			t.Errorf("another test sees key x")
		}
	})
	if b.prefix == a.Prefix {
		t.Errorf("two tests share prefix %q", a.Prefix)
	}
}

func TestRedisServerRestartKeepsAOFData(t *testing.T) {
	srv := StartRedisServer(t, true)
	c := srv.Conn(t)
	ctx := context.Background()
	if err := RedisClient(t, c).Set(ctx, c.Prefix+"k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	srv.Restart(t)
	got, err := RedisClient(t, c).Get(ctx, c.Prefix+"k").Result()
	if err != nil || got != "v" {
		t.Fatalf("after restart got %q, %v; want v", got, err)
	}
}

func TestPostgresGivesAFreshDatabase(t *testing.T) {
	dsn := Postgres(t)
	ctx := context.Background()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var n int
	if err := c.QueryRow(ctx, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("fresh database has %d tables", n)
	}
}

func TestRedisClusterFailsOverWhenAMasterDies(t *testing.T) {
	rc := StartRedisCluster(t)
	conn := rc.Conn(t)
	ctx := context.Background()
	key := conn.Prefix + "{probe}:k"
	// Replication is asynchronous: a master stopped right after a write may take it along, and
	// its replica takes over without the key. The write goes to the key's master on one
	// connection, and WAIT holds until its replica has it.
	master := rc.MasterOf(t, key)
	direct := redis.NewClient(&redis.Options{Addr: master.Addr, PoolSize: 1})
	defer direct.Close()
	one := direct.Conn()
	if err := one.Set(ctx, key, "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if n, err := one.Do(ctx, "WAIT", 1, 10000).Int(); err != nil || n < 1 {
		t.Fatalf("WAIT for the replica: %d replicas have the write, %v", n, err)
	}
	one.Close()
	master.Stop()
	deadline := time.Now().Add(60 * time.Second)
	for {
		actx, cancel := context.WithTimeout(ctx, 2*time.Second)
		got, err := RedisClient(t, conn).Get(actx, key).Result()
		cancel()
		if err == nil {
			if got != "v" {
				t.Fatalf("after failover got %q, want v", got)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the replica did not take over within 60s: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
