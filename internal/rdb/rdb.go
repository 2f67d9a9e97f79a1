// Package rdb is streetsync's one Redis layer: it connects to the Redis that holds the state
// shared between daemon instances — the retry queue, the scheduler's tick markers and running
// locks, the jobs' cursors, the Redis-loss marker — and owns every key of it (keys.go: one-line
// key builders under the configured prefix, with the hash tags that keep each multi-key script
// in one Redis Cluster slot), every Lua script (scripts.go, each with its KEYS and ARGV), and the
// running lock that names its holder (lock.go). Nothing else in streetsync talks to Redis: the
// raw client is not exported; the scheduler, the retry queue, the jobs' cursors and the wiring
// see the small interfaces they declare, which Conn, Locks and Cursors satisfy. It follows
// hibiken/asynq's internal/rdb.
//
// A single server, Sentinel or Cluster is reached through go-redis's UniversalClient, or — for
// the demo only — an embedded in-memory Redis.
package rdb

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
	"go.uber.org/zap"
)

// Conn is a Redis client with streetsync's key prefix.
type Conn struct {
	client redis.UniversalClient
	// Prefix starts every key streetsync writes, so that several systems can share one Redis.
	Prefix string

	embedded *miniredis.Miniredis
}

// Options locate the Redis (internal/app fills them from the configuration's redis section).
type Options struct {
	// Addr is host:port of a single server; with Addrs empty too, an embedded in-memory Redis
	// is started (demo only).
	Addr string
	// Addrs lists cluster nodes, or Sentinels when MasterName is set.
	Addrs      []string
	MasterName string
	Username   string
	Password   string
	DB         int
	Prefix     string
}

// ClusterReloadInterval is how often a cluster client refreshes its slot map in the background.
const ClusterReloadInterval = 2 * time.Second

// Open connects as o says and checks the connection with a PING. With no address it starts an
// embedded in-memory Redis and warns that its state is lost at exit.
func Open(ctx context.Context, o Options, log *zap.Logger) (*Conn, error) {
	if o.Addr == "" && len(o.Addrs) == 0 {
		mr, err := miniredis.Run()
		if err != nil {
			return nil, fmt.Errorf("start embedded redis: %w", err)
		}
		log.Warn("using the embedded in-memory Redis: the retry queue, cursors and locks are lost when streetsync exits (demo only; set redis.addr for production)",
			zap.String("addr", mr.Addr()))
		return &Conn{client: redis.NewClient(&redis.Options{Addr: mr.Addr()}), Prefix: o.Prefix, embedded: mr}, nil
	}
	quietRedisLog(log)
	addrs := o.Addrs
	if len(addrs) == 0 {
		addrs = []string{o.Addr}
	}
	opts := &redis.UniversalOptions{
		Addrs:        addrs,
		MasterName:   o.MasterName,
		Username:     o.Username,
		Password:     o.Password,
		DB:           o.DB,
		DialTimeout:  5 * time.Second,
		ReadTimeout:  5 * time.Second,
		WriteTimeout: 5 * time.Second,
		// Maintenance notifications are a Redis Enterprise / Redis Cloud handshake; open-source
		// servers and clusters refuse it, and a cluster client would keep goroutines per node
		// for it.
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
	}
	var client redis.UniversalClient
	if o.MasterName == "" && len(addrs) > 1 {
		client = redis.NewClusterClient(ClusterOptions(addrs, opts))
	} else {
		client = redis.NewUniversalClient(opts)
	}
	c := &Conn{client: client, Prefix: o.Prefix}
	pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := client.Ping(pingCtx).Err(); err != nil {
		_ = client.Close()
		return nil, &UnreachableError{Addrs: addrs, Err: err}
	}
	return c, nil
}

// ClusterOptions are the cluster client options streetsync uses for seed addresses addrs (opts:
// the connection's own settings; nil for none — the tests' clients).
func ClusterOptions(addrs []string, opts *redis.UniversalOptions) *redis.ClusterOptions {
	if opts == nil {
		opts = &redis.UniversalOptions{MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}}
	}
	opts.Addrs = addrs
	co := opts.Cluster()
	// After a master dies and its replica takes over, go-redis learns the new slot map only on a
	// MOVED answer or a periodic reload (default every 60 s); a dead master answers nothing, so
	// without a short interval the client would keep dialling it for a minute.
	co.ClusterStateReloadInterval = ClusterReloadInterval
	return co
}

// NewConn is a Conn over a client made elsewhere (internal/testutil's); the Conn owns it from
// now on and closes it with Close.
func NewConn(client redis.UniversalClient, prefix string) *Conn {
	return &Conn{client: client, Prefix: prefix}
}

// CheckPrefix refuses a prefix with braces: the keys' hash tags follow the prefix, and a brace
// in it would become the tag instead.
func (c *Conn) CheckPrefix() error {
	if strings.ContainsAny(c.Prefix, "{}") {
		return fmt.Errorf("redis prefix %q must not contain braces (the keys' hash tags follow it)", c.Prefix)
	}
	return nil
}

// Embedded reports whether this is the in-memory demo Redis.
func (c *Conn) Embedded() bool { return c.embedded != nil }

// Ping checks that Redis answers (readiness).
func (c *Conn) Ping(ctx context.Context) error { return c.client.Ping(ctx).Err() }

// Close closes the client and stops the embedded server, if any.
func (c *Conn) Close() error {
	err := c.client.Close()
	if c.embedded != nil {
		c.embedded.Close()
	}
	if errors.Is(err, redis.ErrClosed) {
		return nil
	}
	return err
}
