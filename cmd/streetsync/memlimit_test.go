package main

import (
	"math"
	"runtime/debug"
	"testing"
)

// TestTheMemoryLimitDefaultsUnlessTheEnvironmentSetsOne: without GOMEMLIMIT the process collects
// garbage as its heap nears defaultMemoryLimit; with it, the runtime's reading of it stands.
func TestTheMemoryLimitDefaultsUnlessTheEnvironmentSetsOne(t *testing.T) {
	was := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(was) })

	debug.SetMemoryLimit(math.MaxInt64)
	setMemoryLimit(func(string) (string, bool) { return "", false })
	if got := debug.SetMemoryLimit(-1); got != defaultMemoryLimit {
		t.Errorf("without GOMEMLIMIT the limit is %d, want %d", got, int64(defaultMemoryLimit))
	}

	debug.SetMemoryLimit(512 << 20) // as the runtime applies GOMEMLIMIT=512MiB at start
	setMemoryLimit(func(k string) (string, bool) { return "512MiB", k == "GOMEMLIMIT" })
	if got := debug.SetMemoryLimit(-1); got != 512<<20 {
		t.Errorf("with GOMEMLIMIT=512MiB the limit is %d, want it left as the environment set it", got)
	}
}

// The mock platforms hold their generated city whole: the default limit comes off for them, and
// a limit the environment sets stays.
func TestTheMockLiftsTheDefaultLimit(t *testing.T) {
	was := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(was) })

	debug.SetMemoryLimit(defaultMemoryLimit)
	liftMemoryLimit(func(string) (string, bool) { return "", false })
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Errorf("without GOMEMLIMIT the mock's limit is %d, want none", got)
	}
	debug.SetMemoryLimit(512 << 20)
	liftMemoryLimit(func(k string) (string, bool) { return "512MiB", k == "GOMEMLIMIT" })
	if got := debug.SetMemoryLimit(-1); got != 512<<20 {
		t.Errorf("with GOMEMLIMIT=512MiB the mock's limit is %d, want it left as the environment set it", got)
	}
}
