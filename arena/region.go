package arena

import (
	"sync/atomic"
	"unsafe"
)

// WordSize is the unit of alignment for everything in a Region.
const WordSize = 8

// Region is a fixed-size block of memory outside the Go heap (or, on the
// fallback, a pointer-free heap block). All offsets are byte offsets from
// the start of the Region; word operations require 8-byte aligned offsets.
// Out-of-range offsets panic with an index error, never fault.
type Region struct {
	mem []byte
	rel releaser
}

// releaser frees the pages of a Region; platform-specific.
type releaser interface {
	release(mem []byte)
}

// Len returns the Region's size in bytes.
func (r *Region) Len() int { return len(r.mem) }

// word returns a pointer to the aligned word at off. A bad offset panics
// instead of faulting. Why a comparison and not `_ = r.mem[off+7]`: under
// -race that expression is instrumented as a one-byte read, which the race
// detector then reports against concurrent atomics on the same word (with
// the heap-arena fallback, whose memory it sees).
func (r *Region) word(off int) *uint64 {
	if off < 0 || off > len(r.mem)-WordSize {
		panic("arena: word offset out of range")
	}
	return (*uint64)(unsafe.Pointer(&r.mem[off]))
}

// Words returns the n words at off (8-byte aligned) as a slice that
// aliases the Region, for a table another package owns and accesses only
// with atomic word operations (larder's admission filter: its sketch and
// doorkeeper). Such a table then lives outside the Go heap and inside the
// budget like the records do, and Release zeroes it with the rest. The
// slice does not keep the Region reachable (a mapping is removed once its
// Region is not): the caller must hold the Region as long as the slice.
func (r *Region) Words(off, n int) []uint64 {
	if n == 0 {
		return nil
	}
	if off%WordSize != 0 || n < 0 || off < 0 || off > len(r.mem)-n*WordSize {
		panic("arena: words out of range or unaligned")
	}
	return unsafe.Slice(r.word(off), n)
}

// Load64 atomically loads the word at off.
func (r *Region) Load64(off int) uint64 { return atomic.LoadUint64(r.word(off)) }

// Store64 atomically stores v at off.
func (r *Region) Store64(off int, v uint64) { atomic.StoreUint64(r.word(off), v) }

// Put64 stores v at off for the writer: a record word (header, expiry)
// that readers may load concurrently. Like Write it carries no ordering of
// its own; it becomes visible to readers with the writer's next publish
// point (StoreRelease64 of a slot, or Position.StoreRelease of the head).
func (r *Region) Put64(off int, v uint64) { putWord(r.word(off), v) }

// CompareAndSwap64 atomically replaces old with new at off.
func (r *Region) CompareAndSwap64(off int, old, new uint64) bool {
	return atomic.CompareAndSwapUint64(r.word(off), old, new)
}

// InRange reports whether [off, off+n) lies inside the Region.
func (r *Region) InRange(off, n int) bool {
	return off >= 0 && n >= 0 && off <= len(r.mem) && n <= len(r.mem)-off
}

// Bytes returns the n bytes at off as a slice aliasing the Region, for the
// writer's own reads of records it owns (see the package doc).
func (r *Region) Bytes(off, n int) []byte { return r.mem[off : off+n : off+n] }

// Write copies p to off. Only the shard writer calls it, and only on bytes
// no reader can trust (behind a published tail, or not yet published).
func (r *Region) Write(off int, p []byte) { writeBytes(r.mem[off:off+len(p)], p) }

// Move copies n bytes from src to dst; the ranges may overlap.
func (r *Region) Move(dst, src, n int) { writeBytes(r.mem[dst:dst+n], r.mem[src:src+n]) }

// Zero clears n bytes at off (the writer's own bytes, as for Write).
func (r *Region) Zero(off, n int) { clearBytes(r.mem[off : off+n]) }

// ReleaseRange returns the whole pages inside [off, off+n) to the OS; later
// reads of them see zeros. Preconditions: no reader trusts those bytes.
func (r *Region) ReleaseRange(off, n int) {
	const page = 4096
	start := (off + page - 1) &^ (page - 1)
	end := (off + n) &^ (page - 1)
	if end > start {
		r.rel.release(r.mem[start:end])
	}
}

// Release returns the Region's pages to the operating system. Later reads
// see zeros; the Region stays addressable (see the package doc).
// Preconditions: no writer is running; readers may be.
func (r *Region) Release() { r.rel.release(r.mem) }
