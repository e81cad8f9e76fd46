package hitratio

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNextUses(t *testing.T) {
	keys := []uint64{1, 2, 1, 3, 2, 1}
	assert.Equal(t, []int32{2, 4, 5, never, never, never}, nextUses(keys))
}

// TestBeladyHandChecked replays 1 2 3 1 2 3 1 2 3 with room for 2.
//
//	i key  next  cached before        decision                  hit
//	0  1    3    {}                   insert                     -
//	1  2    4    {1:3}                insert                     -
//	2  3    5    {1:3, 2:4}           3 is needed last: bypass   -
//	3  1    6    {1:3, 2:4}                                      hit
//	4  2    7    {1:6, 2:4}                                      hit
//	5  3    8    {1:6, 2:7}           3 needed last again: bypass -
//	6  1    -    {1:6, 2:7}                                      hit
//	7  2    -    {1:-, 2:7}                                      hit
//	8  3    -    {1:-, 2:-}           all never again: keep      -
//
// 4 hits. MIN without bypass (always admit, evict the farthest cached key)
// gets 3 here, LRU 0: the check also pins down that we implement the
// variant that may decline a key.
func TestBeladyHandChecked(t *testing.T) {
	keys := []uint64{1, 2, 3, 1, 2, 3, 1, 2, 3}
	next := nextUses(keys)
	assert.Equal(t, 4, beladyHits(keys, next, 2))
	assert.Equal(t, 0, beladyHits(keys, next, 0))
	// Room for every key: only the 3 compulsory misses.
	assert.Equal(t, 6, beladyHits(keys, next, 3))
	assert.Equal(t, 0, int(replayHits(newExactLRU(2), keys)))
}

// bruteOptimal tries every admission and eviction choice: the true optimum
// for a cache of n entries that may decline a key, for tiny traces.
func bruteOptimal(keys []uint64, n int) int {
	var best func(i int, cached map[uint64]bool) int
	best = func(i int, cached map[uint64]bool) int {
		if i == len(keys) {
			return 0
		}
		k := keys[i]
		if cached[k] {
			return 1 + best(i+1, cached)
		}
		// Decline.
		r := best(i+1, cached)
		if len(cached) < n {
			cached[k] = true
			r = max(r, best(i+1, cached))
			delete(cached, k)
			return r
		}
		var victims []uint64
		for v := range cached {
			victims = append(victims, v)
		}
		for _, v := range victims {
			delete(cached, v)
			cached[k] = true
			r = max(r, best(i+1, cached))
			delete(cached, k)
			cached[v] = true
		}
		return r
	}
	return best(0, map[uint64]bool{})
}

func TestBeladyMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 300; trial++ {
		keys := make([]uint64, 4+rng.IntN(9))
		universe := 2 + rng.IntN(4)
		for i := range keys {
			keys[i] = uint64(rng.IntN(universe))
		}
		n := 1 + rng.IntN(3)
		require.Equal(t, bruteOptimal(keys, n), beladyHits(keys, nextUses(keys), n), "keys %v n %d", keys, n)
	}
}

// TestBeladyHeapCompaction runs long enough to rebuild the heap many times
// and checks the optimum still dominates LRU and stays below the ceiling.
func TestBeladyHeapCompaction(t *testing.T) {
	keys := zipfTrace(false, 200_000)
	next := nextUses(keys)
	d := (&Trace{Keys: keys}).Distinct()
	for _, n := range []int{10, 1000} {
		b := beladyHits(keys, next, n)
		l := int(replayHits(newExactLRU(n), keys))
		assert.GreaterOrEqual(t, b, l)
		assert.LessOrEqual(t, b, len(keys)-d)
	}
}

func replayHits(p policy, keys []uint64) int64 {
	var h int64
	for _, k := range keys {
		if p.Get(k) {
			h++
		} else {
			p.Set(k)
		}
	}
	return h
}
