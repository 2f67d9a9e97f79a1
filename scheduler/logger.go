package scheduler

import (
	"github.com/robfig/cron/v3"
	"go.uber.org/zap"
)

// CronLogger adapts a zap logger to cron.Logger, for anything in the daemon that runs a cron.Cron
// (cron.New(cron.WithLogger(scheduler.CronLogger(log)))) or wraps jobs with cron.Recover.
// cron's key/value pairs become zap fields.
func CronLogger(l *zap.Logger) cron.Logger {
	return cronLogger{l.WithOptions(zap.AddCallerSkip(1)).Sugar()}
}

type cronLogger struct{ s *zap.SugaredLogger }

func (c cronLogger) Info(msg string, keysAndValues ...any) { c.s.Infow(msg, keysAndValues...) }

func (c cronLogger) Error(err error, msg string, keysAndValues ...any) {
	c.s.Errorw(msg, append([]any{zap.Error(err)}, keysAndValues...)...)
}
