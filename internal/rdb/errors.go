package rdb

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
)

// UnreachableError is a Redis that did not answer the first PING: not running, another address,
// a firewall, a wrong password. It names the address and says in Chinese what went wrong, so
// that the CLI can print one line a person acts on.
type UnreachableError struct {
	Addrs []string
	Err   error
}

func (e *UnreachableError) Error() string {
	addrs := make([]string, len(e.Addrs))
	for i, a := range e.Addrs {
		addrs[i] = maskUserinfo(a) // an address may carry a password
	}
	return fmt.Sprintf("无法连接 Redis %s（%s）", strings.Join(addrs, ", "), e.Cause())
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// Cause says in Chinese why the connection failed.
func (e *UnreachableError) Cause() string {
	msg := e.Err.Error()
	var dns *net.DNSError
	switch {
	case strings.Contains(msg, "connection refused"):
		return "连接被拒绝：该地址上没有 Redis 在运行"
	case errors.As(e.Err, &dns):
		return "找不到主机 " + dns.Name
	case errors.Is(e.Err, context.DeadlineExceeded) || strings.Contains(msg, "i/o timeout"):
		return "连接超时：地址不通或被防火墙挡住"
	case strings.Contains(msg, "NOAUTH") || strings.Contains(msg, "WRONGPASS") || strings.Contains(msg, "invalid password"):
		return "密码不对或没有给出密码：请检查 redis.password（环境变量 REDIS_PASSWORD）"
	}
	for _, a := range e.Addrs {
		msg = strings.ReplaceAll(msg, a, maskUserinfo(a))
	}
	return msg
}

// maskUserinfo hides what an address carries before its last @ (user:password@host:6379).
func maskUserinfo(addr string) string {
	if i := strings.LastIndex(addr, "@"); i >= 0 {
		return "******" + addr[i:]
	}
	return addr
}

// quietLogger takes go-redis's own log lines (a failed dial is logged once per retry, on stderr)
// into streetsync's log at debug level: the error returned says the same once, and in Chinese.
type quietLogger struct{ log *zap.Logger }

func (l quietLogger) Printf(_ context.Context, format string, v ...any) {
	l.log.Debug(fmt.Sprintf(format, v...))
}

// quietRedisLog routes go-redis's process-wide logger to log; the latest connection's logger
// wins (they are all streetsync's).
func quietRedisLog(log *zap.Logger) { redis.SetLogger(quietLogger{log.Named("go-redis")}) }
