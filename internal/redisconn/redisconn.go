// Package redisconn connects streetsync to the Redis that holds all state shared between daemon
// instances (retry queue, cursors, locks, run history, alert state): a single server, Sentinel or
// Cluster through go-redis's UniversalClient, or — for the demo only — an embedded in-memory Redis.
//
// Every key streetsync writes starts with the configured prefix; Conn.Key builds them, and the
// packages that own a key family build theirs on top of it.
package redisconn

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
	"go.uber.org/zap"

	"streetsync/internal/config"
)

// Conn is a Redis client with streetsync's key prefix.
type Conn struct {
	Client redis.UniversalClient
	Prefix string

	embedded *miniredis.Miniredis
}

// ClusterReloadInterval is how often a cluster client refreshes its slot map in the background.
const ClusterReloadInterval = 2 * time.Second

// Open connects as cfg says and checks the connection with a PING. With an empty address it
// starts an embedded in-memory Redis and warns that its state is lost at exit.
func Open(ctx context.Context, cfg config.Redis, log *zap.Logger) (*Conn, error) {
	if cfg.Embedded() {
		mr, err := miniredis.Run()
		if err != nil {
			return nil, fmt.Errorf("start embedded redis: %w", err)
		}
		log.Warn("using the embedded in-memory Redis: the retry queue, cursors and alert state are lost when streetsync exits (demo only; set redis.addr for production)",
			zap.String("addr", mr.Addr()))
		c := &Conn{
			Client:   redis.NewClient(&redis.Options{Addr: mr.Addr()}),
			Prefix:   cfg.Prefix,
			embedded: mr,
		}
		return c, nil
	}
	quietRedisLog(log)
	addrs := cfg.Addrs
	if len(addrs) == 0 {
		addrs = []string{cfg.Addr}
	}
	opts := &redis.UniversalOptions{
		Addrs:        addrs,
		MasterName:   cfg.MasterName,
		Username:     cfg.Username,
		Password:     cfg.Password.Reveal(),
		DB:           cfg.DB,
		DialTimeout:  5 * time.Second,
		ReadTimeout:  5 * time.Second,
		WriteTimeout: 5 * time.Second,
		// Maintenance notifications are a Redis Enterprise / Redis Cloud handshake; open-source
		// servers and clusters refuse it, and a cluster client would keep goroutines per node
		// for it.
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
	}
	var client redis.UniversalClient
	if cfg.MasterName == "" && len(addrs) > 1 {
		co := opts.Cluster()
		// After a master dies and its replica takes over, go-redis learns the new slot map only
		// on a MOVED answer or a periodic reload (default every 60 s); a dead master answers
		// nothing, so without a short interval the client would keep dialling it for a minute.
		co.ClusterStateReloadInterval = ClusterReloadInterval
		client = redis.NewClusterClient(co)
	} else {
		client = redis.NewUniversalClient(opts)
	}
	c := &Conn{Client: client, Prefix: cfg.Prefix}
	pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := client.Ping(pingCtx).Err(); err != nil {
		_ = client.Close()
		return nil, &UnreachableError{Addrs: addrs, Err: err}
	}
	return c, nil
}

// Key joins parts under the prefix: Key("cursor", "enterprises") = "streetsync:cursor:enterprises".
func (c *Conn) Key(parts ...string) string {
	n := len(c.Prefix)
	for _, p := range parts {
		n += len(p) + 1
	}
	b := make([]byte, 0, n)
	b = append(b, c.Prefix...)
	for i, p := range parts {
		if i > 0 {
			b = append(b, ':')
		}
		b = append(b, p...)
	}
	return string(b)
}

// Embedded reports whether this is the in-memory demo Redis.
func (c *Conn) Embedded() bool { return c.embedded != nil }

// Ping checks that Redis answers (readiness).
func (c *Conn) Ping(ctx context.Context) error { return c.Client.Ping(ctx).Err() }

// Close closes the client and stops the embedded server, if any.
func (c *Conn) Close() error {
	err := c.Client.Close()
	if c.embedded != nil {
		c.embedded.Close()
	}
	if errors.Is(err, redis.ErrClosed) {
		return nil
	}
	return err
}
