package scheduler

import (
	"errors"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

func TestCronLoggerWritesZapFields(t *testing.T) {
	core, logs := observer.New(zapcore.InfoLevel)
	l := CronLogger(zap.New(core))
	l.Info("wake", "now", "01:30", "entries", 5)
	l.Error(errors.New("boom"), "panic", "job", "alarms")

	all := logs.AllUntimed()
	if len(all) != 2 {
		t.Fatalf("got %d entries, want 2", len(all))
	}
	info := all[0].ContextMap()
	if all[0].Message != "wake" || info["now"] != "01:30" || info["entries"] != int64(5) {
		t.Errorf("info entry = %q %v", all[0].Message, info)
	}
	errEntry := all[1].ContextMap()
	if all[1].Level != zapcore.ErrorLevel || errEntry["error"] != "boom" || errEntry["job"] != "alarms" {
		t.Errorf("error entry = %s %v", all[1].Level, errEntry)
	}
}
