package larder

import (
	"encoding/binary"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestClear(t *testing.T) {
	for _, tc := range []struct {
		name string
		hash func([]byte) uint64
	}{{"xxh3", nil}, {"degenerate", degenerateHash}} {
		t.Run(tc.name, func(t *testing.T) {
			c := newTestCache(t, Config{MaxBytes: 1 << 20, Shards: 4}, tc.hash)
			keys := 200
			if tc.hash != nil {
				keys = 40 // one probe window holds every key
			}
			keyOf := func(i int) []byte { return fmt.Appendf(nil, "clear-%03d", i) }
			for i := range keys {
				require.NoError(t, c.SetWithTTL(keyOf(i), selfValue(keyOf(i), 1, 30), time.Duration(i%3)*time.Hour))
			}
			_, err := c.Add([]byte("counter"), 5, 0)
			require.NoError(t, err)
			require.Positive(t, c.Len())
			sets := c.Stats().Sets

			require.NoError(t, c.Clear())
			assert.Zero(t, c.Len())
			st := c.Stats()
			assert.Zero(t, st.Entries)
			assert.Zero(t, st.BytesInUse)
			assert.Equal(t, sets, st.Sets, "Clear is not a store")
			for i := range keys {
				_, ok := c.Get(keyOf(i))
				require.False(t, ok, "Get(%s) after Clear", keyOf(i))
				require.False(t, c.Has(keyOf(i)))
				_, ok = c.TTL(keyOf(i))
				require.False(t, ok)
				require.False(t, c.Delete(keyOf(i)))
			}

			// The cache works as before: stores, overwrites, counters.
			n, err := c.Add([]byte("counter"), 2, 0)
			require.NoError(t, err)
			assert.Equal(t, int64(2), n, "a counter restarts after Clear")
			for i := range keys {
				require.NoError(t, c.Set(keyOf(i), selfValue(keyOf(i), 2, 30)))
			}
			for i := range keys {
				v, ok := c.Get(keyOf(i))
				require.True(t, ok)
				ver, err := checkSelfValue(keyOf(i), v)
				require.NoError(t, err)
				require.Equal(t, uint64(2), ver)
			}
			assert.Equal(t, keys+1, c.Len())
			require.NoError(t, c.Clear())
			require.NoError(t, c.Clear(), "Clear of an empty cache")
			assert.Zero(t, c.Len())
		})
	}
}

// TestClearRacingOps clears a cache again and again while writers store
// versioned values and bump counters and readers check what they get: every
// hit must be a well-formed value of its key, and per key a reader never
// sees a version older than one it has seen (a Clear may only turn values
// into misses, never bring an old one back). After the last Clear, with
// writers stopped, every key misses.
func TestClearRacingOps(t *testing.T) {
	c := newTestCache(t, Config{MaxBytes: 512 << 10, Shards: 4}, nil)
	const writers, readers, keysPer = 2, 2, 150
	ops := 40_000
	if testing.Short() {
		ops = 10_000
	}
	keyOf := func(k int) []byte { return fmt.Appendf(nil, "race-%04d", k) }
	var wrong atomic.Int64
	var firstErr atomic.Value
	report := func(err error) {
		wrong.Add(1)
		firstErr.CompareAndSwap(nil, err)
	}
	var stop atomic.Bool
	var clears atomic.Int64
	var wg, writing sync.WaitGroup
	for w := range writers {
		writing.Go(func() {
			for i := range ops {
				k := w*keysPer + i%keysPer
				if err := c.Set(keyOf(k), selfValue(keyOf(k), uint64(i+1), 24+i%40)); err != nil {
					report(err)
				}
				if w == 0 && i%997 == 500 {
					// Clears between stores even where the clearing
					// goroutine gets no time (GOMAXPROCS=1).
					if err := c.Clear(); err != nil {
						report(err)
					}
					clears.Add(1)
				}
				if i%5 == 0 {
					var ctr [16]byte
					binary.LittleEndian.PutUint64(ctr[:], uint64(w))
					if _, err := c.Add(ctr[:], 1, 0); err != nil {
						report(err)
					}
				}
			}
		})
	}
	for range readers {
		wg.Go(func() {
			seen := make([]uint64, writers*keysPer)
			buf := make([]byte, 0, 128)
			for i := 0; !stop.Load(); i++ {
				k := (i * 7) % (writers * keysPer)
				v, ok := c.AppendGet(buf[:0], keyOf(k))
				if !ok {
					continue
				}
				ver, err := checkSelfValue(keyOf(k), v)
				switch {
				case err != nil:
					report(fmt.Errorf("key %d: %w", k, err))
				case ver < seen[k]:
					report(fmt.Errorf("key %d: version %d after %d", k, ver, seen[k]))
				default:
					seen[k] = ver
				}
			}
		})
	}
	clearDone := make(chan struct{})
	go func() {
		defer close(clearDone)
		for !stop.Load() {
			if err := c.Clear(); err != nil {
				report(err)
			}
			clears.Add(1)
			runtime.Gosched()
		}
	}()
	// Writers finish their ops; then readers and the clearer stop.
	writing.Wait()
	stop.Store(true)
	wg.Wait()
	<-clearDone
	require.Zero(t, wrong.Load(), "first: %v", firstErr.Load())
	require.Positive(t, clears.Load())

	require.NoError(t, c.Clear())
	for k := range writers * keysPer {
		_, ok := c.Get(keyOf(k))
		require.False(t, ok, "key %d after the last Clear", k)
	}
	assert.Zero(t, c.Len())
	assert.Zero(t, c.Stats().BytesInUse)
}
