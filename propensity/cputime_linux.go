//go:build linux

package propensity

import (
	"syscall"
	"time"
)

// threadCPU returns the CPU time (user + system) of the calling OS thread,
// so training throughput can be reported per CPU second on a shared
// machine. Callers lock the goroutine to its thread around the measurement.
func threadCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
