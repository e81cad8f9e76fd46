package larder

import (
	"bufio"
	"encoding/binary"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/larder-cache/larder/arena"
)

// rssBytes reads VmRSS from /proc/self/status; ok is false where absent.
func rssBytes(t *testing.T) (int64, bool) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, found := strings.CutPrefix(sc.Text(), "VmRSS:"); found {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			require.NoError(t, err)
			return kb << 10, true
		}
	}
	return 0, false
}

// TestBudgetRSS fills caches with random-sized entries well past capacity
// and checks that the process RSS grows by no more than MaxBytes + 5%.
func TestBudgetRSS(t *testing.T) {
	if _, ok := rssBytes(t); !ok {
		t.Skip("no /proc/self/status")
	}
	if raceEnabled {
		t.Skip("the race detector's shadow memory inflates RSS")
	}
	for _, budget := range []int64{64 << 20, 256 << 20} {
		// Settle the Go heap so its growth is not charged to the cache.
		runtime.GC()
		debug.FreeOSMemory()
		before, _ := rssBytes(t)

		c, err := New(Config{MaxBytes: budget})
		require.NoError(t, err)
		key := make([]byte, 24)
		val := make([]byte, entryLimit(c)-24)
		for i := range val {
			val[i] = byte(i)
		}
		rng := rand.New(rand.NewPCG(uint64(budget), 1))
		var written int64
		for written < 3*budget {
			binary.LittleEndian.PutUint64(key, rng.Uint64())
			// Mostly small entries, some up to the largest accepted.
			n := 16 + rng.IntN(512)
			if rng.IntN(64) == 0 {
				n = rng.IntN(len(val))
			}
			require.NoError(t, c.Set(key[:8+rng.IntN(16)], val[:n]))
			written += int64(n)
		}
		after, _ := rssBytes(t)
		growth := after - before
		t.Logf("MaxBytes %d MiB: RSS grew %.1f MiB (%.3f of budget), %d entries, %d evictions",
			budget>>20, float64(growth)/(1<<20), float64(growth)/float64(budget), c.Len(), c.Stats().Evictions)
		require.LessOrEqual(t, growth, budget+budget/20, "RSS growth over budget")
		require.NoError(t, c.Close())
		if !arena.OffHeap {
			// The heap fallback's region is Go memory: Close zeroes it,
			// and the GC frees it once the cache is unreachable.
			c = nil
			runtime.GC()
			debug.FreeOSMemory()
		}
		closed, _ := rssBytes(t)
		t.Logf("after Close: RSS %.1f MiB above the start", float64(closed-before)/(1<<20))
		require.Less(t, closed-before, budget/4, "Close did not return memory")
	}
}

// heapObjects returns the live Go heap object count after a full GC.
func heapObjects() uint64 {
	runtime.GC()
	s := []metrics.Sample{{Name: "/gc/heap/objects:objects"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// TestHeapObjectsFlat checks that the cache's Go heap cost does not grow
// with the number of entries: objects after 2,000,000 inserts differ from
// those after 100,000 by fewer than 1,000.
func TestHeapObjectsFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("inserts 2M entries")
	}
	c, err := New(Config{MaxBytes: 160 << 20, AvgEntrySize: 16})
	require.NoError(t, err)
	defer c.Close()
	key := make([]byte, 8)
	val := make([]byte, 8)
	insert := func(from, to int) {
		for i := from; i < to; i++ {
			binary.LittleEndian.PutUint64(key, uint64(i))
			binary.LittleEndian.PutUint64(val, uint64(i)*3)
			require.NoError(t, c.Set(key, val))
		}
	}
	insert(0, 100_000)
	at100k := heapObjects()
	insert(100_000, 2_000_000)
	at2m := heapObjects()
	t.Logf("heap objects: %d after 100k entries, %d after 2M (%d entries held)", at100k, at2m, c.Len())
	require.Equal(t, 2_000_000, c.Len(), "the budget should hold every entry")
	diff := int64(at2m) - int64(at100k)
	require.Less(t, max(diff, -diff), int64(1000))
	runtime.KeepAlive(c)
}

// heapLive returns the live Go heap after a full GC: bytes in objects and
// the object count.
func heapLive() (bytes, objects uint64) {
	runtime.GC()
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/heap/objects:objects"}}
	metrics.Read(s)
	return s[0].Value.Uint64(), s[1].Value.Uint64()
}

// TestHeapFlatAcrossSizes checks that a cache's Go heap cost does not
// depend on its size either: a cache holding 10,000,000 entries costs the
// Go heap about what one holding 1,000 does, because the part of the
// policy that grows with the capacity (the sketch and the doorkeeper, ~10
// bytes per entry) lives in the region with the records. The Go heap
// holds fixed structures and one struct per shard.
func TestHeapFlatAcrossSizes(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("inserts 10M entries")
	}
	const big = 10_000_000
	grown := func(n int) (bytes, objects int64) {
		b0, o0 := heapLive()
		c, err := New(Config{MaxBytes: int64(n)*64 + 1<<20, AvgEntrySize: 16})
		require.NoError(t, err)
		defer c.Close()
		key := make([]byte, 8)
		val := make([]byte, 8)
		for i := range n {
			binary.LittleEndian.PutUint64(key, uint64(i))
			binary.LittleEndian.PutUint64(val, uint64(i)*3)
			require.NoError(t, c.Set(key, val))
		}
		require.Equal(t, n, c.Len(), "the budget should hold every entry")
		b1, o1 := heapLive()
		runtime.KeepAlive(c)
		return int64(b1) - int64(b0), int64(o1) - int64(o0)
	}
	smallBytes, smallObjects := grown(1_000)
	bigBytes, bigObjects := grown(big)
	t.Logf("Go heap of the cache: %d bytes in %d objects at 1,000 entries, %d bytes in %d objects at %d", smallBytes, smallObjects, bigBytes, bigObjects, big)
	// The shard count grows with the budget (Config.Shards), and with it
	// the shard structs: 32 shards of 256 bytes are far below these
	// bounds; 10 bytes per entry would be 95 MiB.
	require.Less(t, bigBytes-smallBytes, int64(256<<10))
	require.Less(t, bigObjects-smallObjects, int64(1000))
}
