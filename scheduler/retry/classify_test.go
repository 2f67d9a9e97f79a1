package retry

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"syscall"
	"testing"
	"time"
)

func TestClassifyReadsConnectorErrorsWithoutImports(t *testing.T) {
	refused := &url.Error{Op: "Post", URL: "https://qz.example", Err: &net.OpError{Op: "dial", Net: "tcp",
		Err: fmt.Errorf("connect: %w", syscall.ECONNREFUSED)}}
	tests := []struct {
		name  string
		err   error
		class Class
		after time.Duration
	}{
		{"temporary API error is transient", fmt.Errorf("push 91350582MA: %w", errDown), ClassTransient, 0},
		{"Retry-After is read through wrapping", fmt.Errorf("push: %w", &apiError{msg: "429", temporary: true, retryAfter: 90 * time.Second}), ClassTransient, 90 * time.Second},
		{"non-temporary API error is unknown, not permanent", errRejected, ClassUnknown, 0},
		{"refused connection is transient though Temporary() is false", refused, ClassTransient, 0},
		{"reset connection is transient", fmt.Errorf("read: %w", syscall.ECONNRESET), ClassTransient, 0},
		{"deadline exceeded is transient", fmt.Errorf("call: %w", context.DeadlineExceeded), ClassTransient, 0},
		{"plain error is unknown", errStrange, ClassUnknown, 0},
		{"Transient wrapper", Transient(errStrange, time.Minute), ClassTransient, time.Minute},
		{"Transient wrapper keeps the inner Retry-After", Transient(&apiError{msg: "x", retryAfter: time.Hour}, 0), ClassTransient, time.Hour},
		{"Permanent wrapper", Permanent(errors.New("凭证无效")), ClassPermanent, 0},
		{"Quarantined wrapper beats the inner class", fmt.Errorf("enterprise: %w", Quarantined(errDown)), ClassQuarantined, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			class, after := Classify(tc.err)
			if class != tc.class || after != tc.after {
				t.Errorf("Classify(%v) = %s, %s; want %s, %s", tc.err, class, after, tc.class, tc.after)
			}
		})
	}
}

func TestWrappersKeepTheConnectorsMessage(t *testing.T) {
	for _, err := range []error{Transient(errDown, 0), Permanent(errDown), Quarantined(errDown)} {
		if got := err.Error(); got != errDown.Error() {
			t.Errorf("wrapped message = %q, want %q", got, errDown.Error())
		}
		if !errors.Is(err, errDown) {
			t.Errorf("%T does not unwrap to the connector's error", err)
		}
	}
}
