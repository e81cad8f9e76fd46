package larder

import (
	"fmt"
	"sync"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOverheadBounds checks that the budget's fixed charges cover the
// structures they stand for.
func TestOverheadBounds(t *testing.T) {
	require.LessOrEqual(t, int(unsafe.Sizeof(engine{})), engineOverhead-pageSize) // stats.Lookups is inline
	require.LessOrEqual(t, int(unsafe.Sizeof(shard{})), perShardOverhead)
	for _, budget := range []int64{MinMaxBytes, 100 << 10, 1 << 20, 64 << 20} {
		c, err := New(Config{MaxBytes: budget})
		require.NoError(t, err)
		st := c.Stats()
		require.LessOrEqual(t, st.AllocatedBytes, st.BudgetBytes)
		require.Greater(t, st.AllocatedBytes, st.BudgetBytes*9/10, "most of the budget is put to use")
		require.NoError(t, c.Close())
	}
}

// TestShardLayout checks the cache-line layout shard's comment relies on:
// the read-only geometry alone in the first line, head/tail/shiftSeq alone
// in the second, and a whole number of lines per shard.
func TestShardLayout(t *testing.T) {
	var s shard
	require.Zero(t, unsafe.Sizeof(s)%64, "shard size %d", unsafe.Sizeof(s))
	require.Less(t, unsafe.Offsetof(s.maxCount), uintptr(64))
	require.Less(t, unsafe.Offsetof(s.maxRecord), uintptr(64))
	require.Equal(t, uintptr(64), unsafe.Offsetof(s.head))
	require.Less(t, unsafe.Offsetof(s.shiftSeq), uintptr(128))
	require.Equal(t, uintptr(128), unsafe.Offsetof(s.mu))
	require.LessOrEqual(t, unsafe.Sizeof(s), uintptr(perShardOverhead), "the budget charges perShardOverhead per shard struct")
}

// TestCapacityGrowsSmoothlyWithBudget checks that the entries a budget can
// index never jump between neighbouring budgets, also where small budgets
// shrink the policy to keep it a minority: a byte more must not buy a tenth
// more entries (which also made equal-entries calibration impossible at
// some sizes when the policy shrank by halving).
func TestCapacityGrowsSmoothlyWithBudget(t *testing.T) {
	maxCount := func(budget int64, avg int) int64 {
		c, err := New(Config{MaxBytes: budget, AvgEntrySize: avg})
		require.NoError(t, err)
		defer c.Close()
		n := int64(0)
		for i := range c.e.shards {
			n += c.e.shards[i].maxCount
		}
		return n
	}
	for _, avg := range []int{0, 8, 24} {
		prev := maxCount(MinMaxBytes, avg)
		for b := int64(MinMaxBytes) + 64; b <= 192<<10; b += 64 {
			n := maxCount(b, avg)
			require.LessOrEqual(t, n, prev+max(3, prev/50), "budget %d, AvgEntrySize %d: %d entries after %d", b, avg, n, prev)
			require.GreaterOrEqual(t, n, prev-max(3, prev/50), "budget %d, AvgEntrySize %d: %d entries after %d", b, avg, n, prev)
			prev = n
		}
	}
}

// TestStatsCountEveryLookup: lookups from many goroutines at once, which
// land on shared counter stripes whenever their goroutines' stripes
// collide, are each counted exactly once, as a hit or a miss.
func TestStatsCountEveryLookup(t *testing.T) {
	c, err := New(Config{MaxBytes: 4 << 20})
	require.NoError(t, err)
	defer c.Close()
	const present = 64
	for i := range present {
		require.NoError(t, c.Set([]byte(fmt.Sprintf("key-%d", i)), []byte("value")))
	}
	const goroutines, rounds = 8, 2000
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			buf := make([]byte, 0, 16)
			for i := range rounds {
				var ok bool
				buf, ok = c.AppendGet(buf[:0], []byte(fmt.Sprintf("key-%d", (g+i)%present)))
				assert.True(t, ok)
				assert.False(t, c.Has([]byte(fmt.Sprintf("absent-%d-%d", g, i))))
			}
		})
	}
	wg.Wait()
	st := c.Stats()
	require.EqualValues(t, goroutines*rounds, st.Hits)
	require.EqualValues(t, goroutines*rounds, st.Misses)
}

// TestMaxRecordBound checks that the largest record bound readers enforce
// covers every split of the largest entry between key and value (they are
// padded separately), with and without an expiry.
func TestMaxRecordBound(t *testing.T) {
	for _, cfg := range []Config{{MaxBytes: MinMaxBytes}, {MaxBytes: 64 << 10, Shards: 4}, {MaxBytes: 1 << 20}} {
		c := newTestCache(t, cfg, nil)
		m := c.e.maxEntry
		for k := 0; k <= min(m, MaxKeyLen); k++ {
			for _, exp := range []bool{false, true} {
				require.LessOrEqual(t, uint64(recordSize(k, m-k, exp)), c.e.shards[0].maxRecord, "key %d value %d", k, m-k)
			}
		}
	}
}
