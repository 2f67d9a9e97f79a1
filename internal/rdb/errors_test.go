package rdb

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// A Redis that is not there is one error naming the address and the cause in Chinese; go-redis's
// own complaints go to streetsync's log at debug level, not to stderr as raw lines.
func TestUnreachableRedisIsOneChineseError(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now

	core, logs := observer.New(zapcore.DebugLevel)
	_, err = Open(context.Background(), Options{Addr: addr, Prefix: "t:"}, zap.New(core))
	var ue *UnreachableError
	if !errors.As(err, &ue) {
		t.Fatalf("Open = %v, want an *UnreachableError", err)
	}
	msg := err.Error()
	for _, want := range []string{"无法连接 Redis", addr, "连接被拒绝"} {
		if !strings.Contains(msg, want) {
			t.Errorf("%q lacks %q", msg, want)
		}
	}
	if logs.FilterLoggerName("go-redis").Len() == 0 {
		t.Errorf("go-redis logged nothing through zap: its lines went elsewhere (stderr)")
	}
}

// An address carrying a password never shows it, whatever the cause.
func TestUnreachableRedisMasksAPasswordInTheAddress(t *testing.T) {
	_, err := Open(context.Background(), Options{Addr: "user:pw-secret-1@127.0.0.1:1", Prefix: "t:"}, zap.NewNop())
	var ue *UnreachableError
	if !errors.As(err, &ue) || strings.Contains(err.Error(), "pw-secret-1") || !strings.Contains(err.Error(), "******@127.0.0.1:1") {
		t.Errorf("Open = %v, want an *UnreachableError with the password masked", err)
	}
}
