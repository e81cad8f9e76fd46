package larder

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"

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
	key := make([]byte, 8)
	val := make([]byte, 16)
	access := func(k uint64) bool {
		binary.BigEndian.PutUint64(key, k)
		if _, ok := c.Get(key); ok {
			return true
		}
		require.NoError(t, c.Set(key, val))
		return false
	}
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
	key := func(k int) []byte { return binary.BigEndian.AppendUint64(nil, uint64(k)) }
	capacity := int(c.e.shards[0].maxCount)
	var got []bool
	access := func(k int) {
		_, ok := c.Get(key(k))
		if !ok {
			require.NoError(t, c.Set(key(k), val))
		}
		got = append(got, ok)
	}
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
