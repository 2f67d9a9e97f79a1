package app

import (
	"testing"

	"streetsync/internal/config"
	"streetsync/scheduler/retry"
)

// The retry queue keeps its own default policy (it does not import the configuration): the
// configuration's defaults must fill the same one.
func TestTheDefaultRetrySectionIsTheQueuesDefaultPolicy(t *testing.T) {
	if got, want := retryPolicy(config.Default().Retry), retry.DefaultPolicy(); got != want {
		t.Errorf("retryPolicy(defaults) = %+v, want retry.DefaultPolicy() %+v", got, want)
	}
}
