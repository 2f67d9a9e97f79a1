package log

import (
	"context"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"streetsync/internal/alerts/notify"
	"streetsync/internal/alerts/notify/notifytest"
	"streetsync/internal/config"
)

func TestLogWritesOneLinePerAlert(t *testing.T) {
	core, logs := observer.New(zap.InfoLevel)
	n, err := New(config.Channel{Type: "log"}, notify.WithLogger(zap.New(core)))
	if err != nil {
		t.Fatal(err)
	}
	if retry, err := n.Notify(context.Background(), notifytest.Message()); err != nil || retry {
		t.Fatalf("Notify = %v, %v", retry, err)
	}
	entries := logs.All()
	if len(entries) != 2 {
		t.Fatalf("got %d lines, want 2", len(entries))
	}
	f := entries[0].ContextMap()
	if f["key"] != "0123456789abcdef" || f["rule"] != "CERT_EXPIRED" || f["community"] != "林格社区" || f["idNumber"] != "350582********123X" {
		t.Errorf("fields = %v", f)
	}
	if entries[0].LoggerName != "log" || entries[1].ContextMap()["status"] != "resolved" {
		t.Errorf("logger %q, second status %v", entries[0].LoggerName, entries[1].ContextMap()["status"])
	}
}
