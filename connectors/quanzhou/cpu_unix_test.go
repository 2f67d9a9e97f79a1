//go:build unix

package quanzhou_test

import (
	"syscall"
	"time"
)

// processCPU is the CPU time the test process (client and mock platform) has used, so that a
// benchmark on a busy machine can report a figure that other processes do not distort.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
