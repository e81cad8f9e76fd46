package larder

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestAddBasics(t *testing.T) {
	clk := newFakeClock()
	c := newTestCache(t, Config{MaxBytes: 1 << 20, Clock: clk}, nil)
	k := []byte("hits")
	v, err := c.Add(k, 5, time.Second)
	require.NoError(t, err)
	require.Equal(t, int64(5), v)
	v, err = c.Add(k, -2, time.Hour) // the ttl of a later Add is ignored
	require.NoError(t, err)
	require.Equal(t, int64(3), v)
	raw, ok := c.Get(k)
	require.True(t, ok)
	n, ok := CounterValue(raw)
	require.True(t, ok)
	require.Equal(t, int64(3), n)
	left, ok := c.TTL(k)
	require.True(t, ok)
	require.Equal(t, time.Second, left)

	clk.Advance(time.Second) // fixed window: expires one second after creation
	_, ok = c.Get(k)
	require.False(t, ok)
	v, err = c.Add(k, 1, 0)
	require.NoError(t, err)
	require.Equal(t, int64(1), v, "an expired counter starts again")

	require.NoError(t, c.Set([]byte("s"), []byte("not a counter")))
	_, err = c.Add([]byte("s"), 1, 0)
	require.ErrorIs(t, err, ErrNotCounter)

	eight := make([]byte, 8)
	binary.NativeEndian.PutUint64(eight, 40)
	require.NoError(t, c.Set([]byte("e"), eight))
	v, err = c.Add([]byte("e"), 2, 0)
	require.NoError(t, err)
	require.Equal(t, int64(42), v, "an 8-byte value is a counter")

	_, err = c.Add(k, 1, -time.Second)
	require.ErrorIs(t, err, ErrInvalidTTL)
	require.NoError(t, c.Close())
	_, err = c.Add(k, 1, 0)
	require.ErrorIs(t, err, ErrClosed)
}

func TestAddAllocs(t *testing.T) {
	c := newTestCache(t, Config{MaxBytes: 1 << 20}, nil)
	k := []byte("counter")
	_, err := c.Add(k, 1, 0)
	require.NoError(t, err)
	allocs := testing.AllocsPerRun(1000, func() { _, _ = c.Add(k, 1, 0) })
	require.Zero(t, allocs)
}

// TestAddNoLostUpdates has goroutines add to one counter while others
// churn the same shard; the total must be exact.
func TestAddNoLostUpdates(t *testing.T) {
	for _, window := range []float64{0, 0.05} {
		t.Run(fmt.Sprintf("window=%v", window), func(t *testing.T) { testAddNoLostUpdates(t, window) })
	}
}

// testAddNoLostUpdates is TestAddNoLostUpdates with the window pinned at
// window (0: the climber's own). With a small pinned window and the
// counter read every other Set, the window hand often finds it referenced
// and moves it to the head (shard.refresh; 46 times in a run I counted) while
// lock-free Adds run: no Add may land on a copy that was already moved.
func testAddNoLostUpdates(t *testing.T, window float64) {
	c := newTestCache(t, Config{MaxBytes: 128 << 10, Shards: 1}, nil)
	readEvery := 64
	if window > 0 {
		forceWindow(c, window)
		readEvery = 2
	}
	k := []byte("rate:client-1")
	const adders, perAdder = 4, 5000
	var wg sync.WaitGroup
	for a := 0; a < adders; a++ {
		wg.Go(func() {
			for i := 0; i < perAdder; i++ {
				_, err := c.Add(k, 1, 0)
				require.NoError(t, err)
			}
		})
	}
	for w := 0; w < 2; w++ {
		wg.Go(func() {
			val := make([]byte, 100)
			for i := 0; i < 20000; i++ {
				require.NoError(t, c.Set(fmt.Appendf(nil, "churn-%d-%d", w, i), val))
				if i%readEvery == 0 {
					c.Get(k) // keep the counter referenced, as a live limiter would
				}
			}
		})
	}
	wg.Wait()
	raw, ok := c.Get(k)
	require.True(t, ok, "the hot counter was evicted")
	n, _ := CounterValue(raw)
	require.Equal(t, int64(adders*perAdder), n)
	require.Positive(t, c.Stats().Evictions)
}

// TestAddOverflow: a sum beyond int64 is ErrCounterOverflow and leaves the
// counter unchanged, on the lock-free path (an existing counter) and the
// locked one (an 8-byte value stored by Set becoming a counter).
func TestAddOverflow(t *testing.T) {
	c := newTestCache(t, Config{MaxBytes: 1 << 20}, nil)
	k := []byte("k")
	n, err := c.Add(k, math.MaxInt64, 0)
	require.NoError(t, err)
	require.Equal(t, int64(math.MaxInt64), n)
	_, err = c.Add(k, 1, 0)
	require.ErrorIs(t, err, ErrCounterOverflow)
	require.True(t, strings.HasPrefix(err.Error(), "larder: "))
	v, ok := c.Get(k)
	require.True(t, ok)
	got, _ := CounterValue(v)
	require.Equal(t, int64(math.MaxInt64), got, "unchanged after an overflow")
	n, err = c.Add(k, math.MinInt64, 0)
	require.NoError(t, err)
	require.Equal(t, int64(-1), n)
	_, err = c.Add(k, math.MinInt64, 0)
	require.ErrorIs(t, err, ErrCounterOverflow)

	lowest := int64(math.MinInt64 + 1)
	seed := binary.NativeEndian.AppendUint64(nil, uint64(lowest))
	require.NoError(t, c.Set([]byte("seeded"), seed))
	_, err = c.Add([]byte("seeded"), -2, 0)
	require.ErrorIs(t, err, ErrCounterOverflow)
	n, err = c.Add([]byte("seeded"), -1, 0)
	require.NoError(t, err)
	require.Equal(t, int64(math.MinInt64), n)
}
