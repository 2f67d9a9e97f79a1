package scheduler

import (
	"testing"

	"github.com/redis/go-redis/v9"

	"streetsync/internal/redisconn"
)

// secondConn is another client on the same Redis and prefix: another instance's view.
func secondConn(t *testing.T, c *redisconn.Conn) *redisconn.Conn {
	t.Helper()
	opts := c.Client.(*redis.Client).Options()
	c2 := &redisconn.Conn{Client: redis.NewClient(&redis.Options{Addr: opts.Addr}), Prefix: c.Prefix}
	t.Cleanup(func() { c2.Client.Close() })
	return c2
}
