package recommend

import (
	"syscall"
	"unsafe"
)

// adviseHugePages asks the kernel to back the 2 MiB-aligned interior of a
// large, not yet written allocation with huge pages (MADV_HUGEPAGE, for
// systems where transparent huge pages are on "madvise"). Lookups of items
// scattered over a catalogue of a million items otherwise miss the TLB on
// nearly every vector. Advice only: errors and small slices are ignored.
func adviseHugePages[T any](s []T) {
	const huge = 2 << 20
	var zero T
	size := uintptr(cap(s)) * unsafe.Sizeof(zero)
	if size < 4*huge {
		return
	}
	all := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), size)
	start := uintptr(unsafe.Pointer(&all[0]))
	lo := (start+huge-1)&^(huge-1) - start
	hi := (start+size)&^(huge-1) - start
	if hi <= lo {
		return
	}
	_ = syscall.Madvise(all[lo:hi], 14) // MADV_HUGEPAGE
}
