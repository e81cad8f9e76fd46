//go:build !unix || larder_heaparena

package arena

import (
	"encoding/binary"
	"fmt"
	"sync/atomic"
	"unsafe"
)

// Map returns a Region of size bytes allocated as a pointer-free []uint64
// on the Go heap (the GC does not scan it). Used where mmap is absent.
func Map(size int) (*Region, error) {
	if size <= 0 {
		return nil, fmt.Errorf("arena: size %d", size)
	}
	words := make([]uint64, (size+WordSize-1)/WordSize)
	mem := unsafe.Slice((*byte)(unsafe.Pointer(&words[0])), size)
	return &Region{mem: mem, rel: heapReleaser{}}, nil
}

type heapReleaser struct{}

// release zeroes the memory; the GC frees it once the Region is
// unreachable (racing readers keep it alive meanwhile).
func (heapReleaser) release(mem []byte) { clearBytes(mem) }

// writeBytes stores through atomic words only: this memory is on the Go
// heap, where the race detector would flag a plain write racing a reader's
// atomic load. Preconditions: dst starts on a word boundary (the engine
// only writes at aligned offsets). A trailing partial word is merged with
// the bytes already there; Move's overlap is handled by direction.
func writeBytes(dst, src []byte) {
	n := len(src)
	if n == 0 {
		return
	}
	dp := uintptr(unsafe.Pointer(&dst[0]))
	sp := uintptr(unsafe.Pointer(&src[0]))
	full := n &^ (WordSize - 1)
	if dp <= sp || dp >= sp+uintptr(n) {
		for i := 0; i < full; i += WordSize {
			storeWord(dst[i:], binary.NativeEndian.Uint64(src[i:]))
		}
		storePartial(dst[full:], src[full:])
		return
	}
	storePartial(dst[full:], src[full:])
	for i := full - WordSize; i >= 0; i -= WordSize {
		storeWord(dst[i:], binary.NativeEndian.Uint64(src[i:]))
	}
}

func storeWord(dst []byte, v uint64) {
	atomic.StoreUint64((*uint64)(unsafe.Pointer(&dst[0])), v)
}

// storePartial writes len(src) < 8 bytes at the start of an aligned word,
// keeping the word's other bytes.
func storePartial(dst, src []byte) {
	if len(src) == 0 {
		return
	}
	w := (*uint64)(unsafe.Pointer(&dst[0]))
	var b [WordSize]byte
	binary.NativeEndian.PutUint64(b[:], atomic.LoadUint64(w))
	copy(b[:], src)
	atomic.StoreUint64(w, binary.NativeEndian.Uint64(b[:]))
}

func clearBytes(b []byte) {
	var zero [WordSize]byte
	full := len(b) &^ (WordSize - 1)
	for i := 0; i < full; i += WordSize {
		storeWord(b[i:], 0)
	}
	storePartial(b[full:], zero[:len(b)-full])
}

// OffHeap reports whether Regions live outside the Go heap.
const OffHeap = false

// putWord stores through an atomic word, as writeBytes does.
func putWord(p *uint64, v uint64) { atomic.StoreUint64(p, v) }
