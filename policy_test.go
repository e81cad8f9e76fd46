package larder

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/larder-cache/larder/eviction"
	"github.com/stretchr/testify/require"
)

// TestScanResistance runs a zipf workload, then one scan of 10x the
// cache's capacity of keys never seen again, then the zipf workload again.
// The hot set must survive: the hit ratio in the window after the scan is
// within 5% of the window before it.
func TestScanResistance(t *testing.T) {
	c := newTestCache(t, Config{MaxBytes: 256 << 10}, nil)
	capacity := int(c.e.shards[0].maxCount) * len(c.e.shards)
	rng := rand.New(rand.NewPCG(42, 1))
	z := rand.NewZipf(rng, 1.1, 1, uint64(capacity*20))
	val := make([]byte, 16)
	access := func(k uint64) bool { return getOrSet(t, c, k, val) }
	window := func(n int) float64 {
		hits := 0
		for i := 0; i < n; i++ {
			if access(z.Uint64()) {
				hits++
			}
		}
		return float64(hits) / float64(n)
	}
	window(50 * capacity) // warm up
	before := window(10 * capacity)
	for i := 0; i < 10*capacity; i++ {
		access(1<<62 + uint64(i)) // the scan: one-hit keys
	}
	after := window(10 * capacity)
	t.Logf("capacity %d entries: hit ratio %.2f%% before the scan, %.2f%% after", capacity, 100*before, 100*after)
	require.GreaterOrEqual(t, after, before*0.95)
}

// TestPolicyExactSequence replays a small deterministic trace through a
// one-shard cache and checks the exact hit/miss sequence: a hot key that
// is read keeps its place while one-hit keys pass through the window.
func TestPolicyExactSequence(t *testing.T) {
	c := newTestCache(t, Config{MaxBytes: MinMaxBytes, Shards: 1, AvgEntrySize: 8}, nil)
	val := make([]byte, 8)
	capacity := int(c.e.shards[0].maxCount)
	var got []bool
	access := func(k int) { got = append(got, getOrSet(t, c, uint64(k), val)) }
	// 0 is read 20 times, then 5*capacity one-hit keys flow through,
	// re-reading 0 after each: it must hit every time.
	for i := 0; i < 20; i++ {
		access(0)
	}
	for i := 1; i <= 5*capacity; i++ {
		access(i)
		access(0)
	}
	want := []bool{false}
	for i := 1; i < 20; i++ {
		want = append(want, true)
	}
	for i := 1; i <= 5*capacity; i++ {
		want = append(want, false, true)
	}
	require.Equal(t, want, got)
}

// TestWindowSecondChance checks the window's CLOCK order: the window hand
// passes over a record read since it entered the window (moving it to the
// head, its reference bit cleared, its value intact) and offers the next
// unread one as the admission candidate.
func TestWindowSecondChance(t *testing.T) {
	c := newTestCache(t, Config{MaxBytes: MinMaxBytes, Shards: 1, AvgEntrySize: 8}, nil)
	// A window as large as the cache, so no Set promotes a record to main
	// and all three stay in the window.
	forceWindow(c, 1)
	s := &c.e.shards[0]
	key := func(k int) []byte { return binary.BigEndian.AppendUint64(nil, uint64(k)) }
	for k := 1; k <= 3; k++ {
		require.NoError(t, c.Set(key(k), []byte{byte(k)}))
	}
	_, ok := c.Get(key(1)) // sets 1's reference bit
	require.True(t, ok)

	s.mu.Lock()
	_, _, before, found := s.find(c.e, c.e.hash(key(1)), key(1))
	require.True(t, found)
	off, h, ok := s.nextCandidate(c.e)
	_, sl, after, found := s.find(c.e, c.e.hash(key(1)), key(1))
	s.mu.Unlock()

	require.True(t, ok)
	require.Equal(t, c.e.hash(key(2)), h, "the candidate is the oldest unread window record")
	require.True(t, found)
	require.Greater(t, after, off, "the read record moved past the candidate, to the head")
	require.Greater(t, after, before)
	require.False(t, sl.ref(), "its reference bit is spent")
	for k := 1; k <= 3; k++ {
		v, ok := c.Get(key(k))
		require.True(t, ok)
		require.Equal(t, []byte{byte(k)}, v)
	}
	require.Equal(t, 3, c.Len())
}

// recencyTrace is a recency-skewed workload: a stream of new keys, each
// used again reuse times at random gaps averaging gap requests, and never
// after that. The keys that proved frequent are dead by the time they
// meet a newcomer in a duel, so plain TinyLFU keeps the wrong ones; LRU,
// which keeps the most recent, is optimal here once the cache spans the
// reuse gaps.
func recencyTrace(n, reuse, gap int, rng *rand.Rand) []uint64 {
	keys := make([]uint64, 0, n)
	future := map[int][]uint64{}
	next := uint64(1)
	for i := 0; len(keys) < n; i++ {
		if q := future[i]; len(q) > 0 {
			keys = append(keys, q...)
			delete(future, i)
			continue
		}
		keys = append(keys, next)
		at := i
		for range reuse {
			at += 1 + rng.IntN(2*gap)
			future[at] = append(future[at], next)
		}
		next++
	}
	return keys[:n]
}

// lruHits replays keys through an exact LRU of capacity entries: the
// access log is the recency order, and an entry whose latest access is
// not the one at the log's oldest end is skipped there (it was used since).
func lruHits(keys []uint64, capacity int) int {
	last := map[uint64]int{} // key -> index of its latest access
	hits, oldest := 0, 0
	for i, k := range keys {
		if _, ok := last[k]; ok {
			hits++
		} else if len(last) == capacity {
			for ; ; oldest++ {
				if o := keys[oldest]; last[o] == oldest {
					delete(last, o)
					oldest++
					break
				}
			}
		}
		last[k] = i
	}
	return hits
}

// getOrSet is one request of a replay: it reads key k (8 bytes, big
// endian) and, on a miss, stores val under it. It reports whether the
// read hit.
func getOrSet(t *testing.T, c *Cache, k uint64, val []byte) bool {
	key := binary.BigEndian.AppendUint64(nil, k)
	if _, ok := c.Get(key); ok {
		return true
	}
	require.NoError(t, c.Set(key, val))
	return false
}

// TestRecencyWorkloadNearLRU replays a recency-skewed trace: the judge
// (eviction.Judge) must see that rejected candidates come back while kept
// victims go unused and let newcomers in, so the cache comes close to LRU:
// 72.3% against LRU's 74.7% when written (72.2% since the window fixes
// cb0d4c6 and 0187048); with the bias forced to zero (plain TinyLFU and
// the hill-climbed window) 53.8%, and this test fails.
func TestRecencyWorkloadNearLRU(t *testing.T) {
	c := newTestCache(t, Config{MaxBytes: 512 << 10, AvgEntrySize: 8}, nil)
	keys := recencyTrace(200_000, 3, 1000, rand.New(rand.NewPCG(7, 8)))
	val := make([]byte, 8)
	hits := 0
	for _, k := range keys {
		if getOrSet(t, c, k, val) {
			hits++
		}
	}
	capacity := c.Len() // full by now
	lru := lruHits(keys, capacity)
	t.Logf("capacity %d: larder %.2f%%, LRU %.2f%%, admission bias %.2f", capacity,
		100*float64(hits)/float64(len(keys)), 100*float64(lru)/float64(len(keys)), c.e.pol.judge.Bias())
	require.GreaterOrEqual(t, float64(hits), 0.85*float64(lru))
}

// TestWindowGrowsIntoBusyMain checks that a larger window share is
// realized even when every main record is in use: on a loop over 1% more
// keys than the cache holds, no main record is ever idle, so the window could
// only grow if the hand moves in-use main records into it (as Caffeine's
// window takes entries from main). Without that the window stayed at its
// starting size whatever the climber asked for, and the climber, seeing
// no cost, wandered.
func TestWindowGrowsIntoBusyMain(t *testing.T) {
	c := newTestCache(t, Config{MaxBytes: 128 << 10, Shards: 1}, nil)
	s := &c.e.shards[0]
	capacity := int(s.maxCount)
	val := make([]byte, 16)
	// Ten laps with the smallest share fill the cache; then the share
	// rises.
	const want = 0.3
	for lap := 0; lap < 30; lap++ {
		share := want
		if lap < 10 {
			share = eviction.MinWindowFrac
		}
		for k := 0; k < capacity+capacity/100; k++ {
			// Pin the share before each request (adapt would otherwise
			// publish the climber's).
			c.e.pol.window.Store(math.Float64bits(share))
			getOrSet(t, c, uint64(k), val)
		}
	}
	got := float64(s.windowBytes) / float64(s.liveBytes)
	t.Logf("window %.3f of live bytes, share %.2f", got, want)
	require.InDelta(t, want, got, 0.02)
}

// TestClimberWaitsForFullCache checks that the window's hill climber sees
// no requests until the cache is full (making room first meets a live
// record): while it fills, the window's size changes nothing, and a first
// sample taken then (compulsory misses) made the second look better
// whatever the first move was. Clear starts the wait again.
func TestClimberWaitsForFullCache(t *testing.T) {
	c := newTestCache(t, Config{MaxBytes: 128 << 10, Shards: 1}, nil)
	s := &c.e.shards[0]
	capacity := int(s.maxCount)
	val := make([]byte, 16)
	// Four of the climber's sample periods: enough for several moves.
	lookups := 4 * int(c.e.pol.climber.SamplePeriod())
	// Half full, then lookups, all hits.
	for k := range capacity / 2 {
		getOrSet(t, c, uint64(k), val)
	}
	for i := range lookups {
		require.True(t, getOrSet(t, c, uint64(i%(capacity/2)), val))
		if i%capacity == 0 {
			c.e.pol.adapt(c.e)
		}
	}
	require.Zero(t, c.Stats().Evictions)
	require.Equal(t, initialWindow, c.e.pol.windowFrac(), "the climber moved before the cache was full")

	// Once the cache is full, lookups reach the climber: its first sample
	// makes its first move.
	for i := range lookups {
		getOrSet(t, c, uint64(i%(2*capacity)), val)
		if i%capacity == 0 {
			c.e.pol.adapt(c.e)
		}
	}
	require.NotZero(t, c.Stats().Evictions)
	require.NotEqual(t, initialWindow, c.e.pol.windowFrac(), "the climber never moved after the cache filled")

	require.NoError(t, c.Clear())
	require.False(t, c.e.pol.evicting.Load(), "Clear left the climber running on an empty cache")
}

// TestLoopSlightlyLargerThanCache replays a loop over 1% more keys than
// the cache holds, whose best window is none at all: every key is as
// frequent as every other, so TinyLFU keeps main's keys and only keys
// passing through the window miss. The climber must find the smallest
// window and stay there, so that nearly the whole cache hits lap after
// lap. (With a smallest window of 1% of the cache, a lap of 1,010 keys
// in 1,000 entries hit 990 at best; at one record, 999.)
func TestLoopSlightlyLargerThanCache(t *testing.T) {
	c := newTestCache(t, Config{MaxBytes: 128 << 10, Shards: 1}, nil)
	capacity := int(c.e.shards[0].maxCount)
	val := make([]byte, 16)
	n := capacity + capacity/100
	var hits int
	for lap := range 150 {
		if lap == 100 {
			hits = 0 // the last 50 laps
		}
		for k := range n {
			if getOrSet(t, c, uint64(k), val) {
				hits++
			}
		}
	}
	perLap := float64(hits) / 50
	t.Logf("capacity %d, loop of %d: %.1f hits per lap, window %.3f", capacity, n, perLap, c.e.pol.windowFrac())
	require.GreaterOrEqual(t, perLap, 0.995*float64(capacity))
}
