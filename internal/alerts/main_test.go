package alerts

import (
	"testing"

	"go.uber.org/goleak"
)

// The check run owns one goroutine (the lock's renewal): none may outlive a test.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
