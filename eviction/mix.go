package eviction

import (
	"reflect"
	"sync/atomic"
)

// spread re-mixes a caller's hash so that every output bit depends on every
// input bit. The engine hands the policy a hash that is already well mixed,
// but it also uses some of that hash's bits itself (to pick a shard or a
// bucket), so inside one shard those bits are constant. The structures here
// take their block index from the high bits of spread's result and their
// counter or bit positions from its low bits; after this finalizer neither
// is correlated with the bits the engine consumed.
//
// The function is the SplitMix64 output finalizer (xor-shift, multiply,
// twice): a bijection, two multiplies, about a nanosecond.
func spread(h uint64) uint64 {
	h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9
	h = (h ^ (h >> 27)) * 0x94d049bb133111eb
	return h ^ (h >> 31)
}

// cacheLine is the padding unit that keeps independently written counters
// on different cache lines.
const cacheLine = 64

// paddedCounter is an atomic counter alone on its cache line.
type paddedCounter struct {
	n atomic.Uint64
	_ [cacheLine - 8]byte
}

// floorPow2 returns the largest power of two ≤ n, or 1 when n < 1.
func floorPow2(n int) int {
	p := 1
	for p*2 <= n {
		p *= 2
	}
	return p
}

// sizeOf returns the in-memory size of a T (its header, not what it points
// to), for the Bytes/SizeFor accounting.
func sizeOf[T any]() int {
	return int(reflect.TypeFor[T]().Size())
}
