//go:build !unix

package simulate

// processCPU is unavailable here; benchmarks report 0 CPU seconds.
func processCPU() float64 { return 0 }
