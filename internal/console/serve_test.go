package console

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	"testing"
)

// TestServeForScreenshots serves the test world's console until interrupted, for looking at it
// in a browser: CONSOLE_SERVE=1 go test -run TestServeForScreenshots ./internal/console/
func TestServeForScreenshots(t *testing.T) {
	if os.Getenv("CONSOLE_SERVE") == "" {
		t.Skip("set CONSOLE_SERVE=1 to serve the test world's console")
	}
	w := newWorld(t, worldOptions{enterprises: 120})
	t.Logf("console at %s (token %s)", w.ts.URL, testToken)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
}
