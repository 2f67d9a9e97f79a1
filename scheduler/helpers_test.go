package scheduler

import (
	"testing"

	"streetsync/internal/redisconn"
	"streetsync/internal/testutil"
)

// secondConn is another client on the same Redis and prefix: another instance's view.
func secondConn(t *testing.T, c *redisconn.Conn) *redisconn.Conn {
	t.Helper()
	return testutil.SecondConn(t, c)
}
