//go:build !linux

package recommend

// adviseHugePages is a no-op off Linux.
func adviseHugePages[T any](s []T) {}
