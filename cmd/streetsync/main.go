// Command streetsync is the integration adapter of 灵源街道's safety office: it keeps the street's
// ledger of enterprises and special-operation workers in sync with the Quanzhou platform and the
// provincial special-operations system. This package is wiring only: one file per command group.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// signalContext stops on SIGINT/SIGTERM; the second signal kills the process the default way.
func notifySignals() (chan os.Signal, func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	return ch, func() { signal.Stop(ch) }
}
