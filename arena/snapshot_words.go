//go:build !amd64 || race

package arena

import (
	"encoding/binary"
	"slices"
	"sync/atomic"
)

// AppendSnapshot appends the n bytes at off (8-byte aligned) to dst; see
// snapshot.go for the contract. This build reads them with atomic word
// loads: on weakly ordered CPUs plain loads could be satisfied after the
// reader's validating load of the tail, and under the race detector a
// plain read racing the writer would be reported.
func (r *Region) AppendSnapshot(dst []byte, off, n int) []byte {
	start := len(dst)
	dst = slices.Grow(dst, n)[:start+n]
	out := dst[start:]
	full := n &^ (WordSize - 1)
	for i := 0; i < full; i += WordSize {
		binary.NativeEndian.PutUint64(out[i:], atomic.LoadUint64(r.word(off+i)))
	}
	if full < n {
		var last [WordSize]byte
		binary.NativeEndian.PutUint64(last[:], atomic.LoadUint64(r.word(off+full)))
		copy(out[full:], last[:])
	}
	return dst
}

// EqualSnapshot reports whether the len(key) bytes at off (8-byte aligned)
// equal key; see snapshot.go. This build reads them with atomic word loads.
func (r *Region) EqualSnapshot(off int, key []byte) bool {
	n := len(key)
	i := 0
	for ; i+WordSize <= n; i += WordSize {
		if atomic.LoadUint64(r.word(off+i)) != binary.NativeEndian.Uint64(key[i:]) {
			return false
		}
	}
	if i == n {
		return true
	}
	var tail [WordSize]byte
	binary.NativeEndian.PutUint64(tail[:], atomic.LoadUint64(r.word(off+i)))
	return string(tail[:n-i]) == string(key[i:])
}
