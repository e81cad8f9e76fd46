//go:build unix && !larder_heaparena

package arena

import (
	"fmt"
	"runtime"

	"golang.org/x/sys/unix"
)

// Map returns a Region of size bytes (rounded up to whole pages by the
// kernel; Len reports size) backed by an anonymous private mapping. Pages
// cost no RSS until touched.
func Map(size int) (*Region, error) {
	if size <= 0 {
		return nil, fmt.Errorf("arena: size %d", size)
	}
	mem, err := unix.Mmap(-1, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	if err != nil {
		return nil, fmt.Errorf("arena: mmap %d bytes: %w", size, err)
	}
	// No MADV_HUGEPAGE. Measured on the 2-core CI VM (THP in "madvise"
	// mode), six interleaved rounds of the bench/ throughput suite at 2^20
	// entries: reads-only 264 -> 238 ns/op and 75% reads 378 -> 340 with
	// huge pages, but a partly filled cache becomes resident in 2 MiB units:
	// bench/cmd/compare's memory probe (1M entries of 16+64 bytes in a
	// 171.7 MiB budget) went from 112.7 to 180.8 bytes of RSS per entry,
	// the whole budget. Within the budget either way; we keep RSS
	// proportional to use.
	r := &Region{mem: mem[:size:size], rel: mmapReleaser{}}
	// The mapping outlives Release (late readers must not fault); it is
	// removed once nothing can reach the Region.
	runtime.AddCleanup(r, func(m []byte) { _ = unix.Munmap(m) }, mem)
	return r, nil
}

type mmapReleaser struct{}

// release drops the pages with MADV_DONTNEED: on a private anonymous
// mapping the kernel frees them at once and later reads fault in zero
// pages, so RSS returns to the OS while racing readers stay safe.
func (mmapReleaser) release(mem []byte) { _ = unix.Madvise(mem, unix.MADV_DONTNEED) }

// writeBytes is a plain copy: the race detector does not track mmap'd
// memory, and ordering against readers is provided by the engine's atomic
// publish points.
func writeBytes(dst, src []byte) { copy(dst, src) }

func clearBytes(b []byte) { clear(b) }

// OffHeap reports whether Regions live outside the Go heap.
const OffHeap = true

// putWord is a plain 8-byte store, for the same reasons as writeBytes; an
// aligned word store is single-copy atomic on every CPU Go supports, so a
// racing reader's Load64 sees the old word or the new, never a mix.
func putWord(p *uint64, v uint64) { *p = v }
