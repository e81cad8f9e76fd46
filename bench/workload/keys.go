// Package workload generates the data and access patterns the benchmarks
// replay: deterministic keys and values, Zipf-distributed key traces drawn
// before any timing starts, read/write mixes, and the worker loop that both
// the `go test` benchmarks and the compare runner execute, so that the two
// measure exactly the same work.
package workload

import (
	"encoding/binary"
	"math/bits"
)

// mix64 is splitmix64's finalizer: a bijection on uint64, so distinct
// indexes give distinct keys, and the key bytes look random, so hot keys land
// on unrelated shards of any cache.
func mix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// KeyAt writes key i into buf and returns buf. The first 8 bytes are
// mix64(i) (so keys of 8 bytes or more are distinct for distinct i); longer
// keys are padded with further mixed words, shorter ones truncated.
func KeyAt(i int, buf []byte) []byte {
	fillWords(buf, uint64(i), 0)
	return buf
}

// ValueAt writes a deterministic value for key i into buf and returns it.
// Values differ from keys (another stream) so a cache returning the key by
// mistake is caught by the smoke tests.
func ValueAt(i int, buf []byte) []byte {
	fillWords(buf, uint64(i), 0x5bd1e995)
	return buf
}

func fillWords(buf []byte, i, stream uint64) {
	var w [8]byte
	for off, n := 0, uint64(0); off < len(buf); off, n = off+8, n+1 {
		x := mix64(i ^ stream ^ bits.RotateLeft64(n, 32))
		if off+8 <= len(buf) {
			binary.LittleEndian.PutUint64(buf[off:], x)
			continue
		}
		binary.LittleEndian.PutUint64(w[:], x)
		copy(buf[off:], w[:])
	}
}

// Keys is a materialized key set: n keys of Size bytes in one flat slice,
// so that looking a key up inside a timed loop is a slice expression, not a
// computation, and costs every cache the same.
type Keys struct {
	Size int
	flat []byte
}

// NewKeys materializes n keys of size bytes (size >= 8).
func NewKeys(n, size int) *Keys {
	if size < 8 {
		panic("workload: keys shorter than 8 bytes are not guaranteed distinct")
	}
	k := &Keys{Size: size, flat: make([]byte, n*size)}
	for i := 0; i < n; i++ {
		KeyAt(i, k.flat[i*size:(i+1)*size])
	}
	return k
}

// Len returns the number of keys.
func (k *Keys) Len() int { return len(k.flat) / k.Size }

// Key returns key i. Its capacity is clipped so that an append by a cache
// cannot overwrite the next key.
func (k *Keys) Key(i int) []byte {
	o := i * k.Size
	return k.flat[o : o+k.Size : o+k.Size]
}
