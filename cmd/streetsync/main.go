// Command streetsync is the integration adapter of 灵源街道's safety office: it keeps the street's
// ledger of enterprises and special-operation workers in sync with the Quanzhou platform and the
// provincial special-operations system. This package is wiring only: one file per command group.
package main

import (
	"math"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

// defaultMemoryLimit is the Go runtime's soft memory limit when the environment sets none
// (GOMEMLIMIT). Every command streams a city's records a batch at a time, but a garbage collector
// left to itself lets the heap grow to twice what is live before it collects: a city's first
// alert check held 90 MiB live and peaked at 160 MiB of heap, 260 MiB for the process. With the
// limit it collects sooner as the heap nears it (the check: 227 MiB for the process, and no
// slower). GOMEMLIMIT ("512MiB", or "off" for none) overrides it.
const defaultMemoryLimit = 128 << 20

func main() {
	setMemoryLimit(os.LookupEnv)
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// setMemoryLimit sets defaultMemoryLimit unless the environment (lookup) sets GOMEMLIMIT, which
// the runtime has applied already.
func setMemoryLimit(lookup func(string) (string, bool)) {
	if _, set := lookup("GOMEMLIMIT"); !set {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
}

// liftMemoryLimit takes defaultMemoryLimit off again unless the environment (lookup) set the
// limit: for a command that holds a large data set by design (the mock platforms' generated
// city is several hundred MiB live), where a limit below what is live has the collector run
// without pause.
func liftMemoryLimit(lookup func(string) (string, bool)) {
	if _, set := lookup("GOMEMLIMIT"); !set {
		debug.SetMemoryLimit(math.MaxInt64)
	}
}

// signalContext stops on SIGINT/SIGTERM; the second signal kills the process the default way.
func notifySignals() (chan os.Signal, func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	return ch, func() { signal.Stop(ch) }
}
