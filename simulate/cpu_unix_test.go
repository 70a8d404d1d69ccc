//go:build unix

package simulate

import "syscall"

// processCPU returns the CPU seconds (user + system) the process has used:
// on a machine shared with busy processes it measures the generator's work
// better than wall time.
func processCPU() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
}
