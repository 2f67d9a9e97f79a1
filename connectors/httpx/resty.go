package httpx

import (
	"fmt"

	"github.com/go-resty/resty/v2"
	"go.uber.org/zap"
)

// RestyLogger routes resty's own messages to zap at debug level (resty's default writes to
// stderr). Debug mode, which would dump headers, is never switched on.
func RestyLogger(log *zap.Logger) resty.Logger { return restyLogger{log.Sugar()} }

type restyLogger struct{ s *zap.SugaredLogger }

func (l restyLogger) Errorf(format string, v ...any) {
	l.s.Debug("resty: " + fmt.Sprintf(format, v...))
}
func (l restyLogger) Warnf(format string, v ...any) { l.s.Debug("resty: " + fmt.Sprintf(format, v...)) }
func (l restyLogger) Debugf(format string, v ...any) {
	l.s.Debug("resty: " + fmt.Sprintf(format, v...))
}
