package larder

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// soakWrite is what a writer publishes after a store of a key returned:
// the version stored and when the store returned, so a reader can tell a
// value served after its expiry.
type soakWrite struct {
	version  uint64
	ttl      time.Duration
	returned time.Time
}

// TestSoak runs every operation concurrently under eviction, with real
// short TTLs, and counts wrong reads: a value that is malformed or of
// another key, older than one whose store had returned before the read
// began, or served although its TTL had run out before the read began; a
// TTL longer than any given; a counter that is not one. By default it runs a
// fixed number of operations (deterministic operation sequences; -short
// runs fewer). LARDER_LONG=10m (any duration) runs it that long instead.
func TestSoak(t *testing.T) {
	opsEach := 60_000
	if testing.Short() {
		opsEach = 15_000
	}
	var deadline time.Time
	if s := os.Getenv("LARDER_LONG"); s != "" {
		d, err := time.ParseDuration(s)
		require.NoError(t, err, "LARDER_LONG")
		deadline = time.Now().Add(d)
	}
	const (
		writers  = 2
		readers  = 3
		keys     = 384
		counters = 16
		maxTTL   = 20 * time.Millisecond
	)
	c := newTestCache(t, Config{MaxBytes: 256 << 10, Shards: 4}, nil)
	keyOf := func(k int) []byte { return fmt.Appendf(nil, "soak-%04d", k) }
	counterOf := func(k int) []byte { return fmt.Appendf(nil, "count-%02d", k) }

	// written[k] is the newest version of key k whose store returned
	// (versions only grow: key k belongs to writer k%writers).
	written := make([]atomic.Uint64, keys)
	last := make([]atomic.Pointer[soakWrite], keys)
	var wrong, reads, hits, expiredChecks atomic.Int64
	var firstErr atomic.Value
	report := func(format string, args ...any) {
		wrong.Add(1)
		firstErr.CompareAndSwap(nil, fmt.Sprintf(format, args...))
	}
	more := func(i int) bool {
		if !deadline.IsZero() {
			return time.Now().Before(deadline)
		}
		return i < opsEach
	}

	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 21))
			for i := 0; more(i); i++ {
				k := rng.IntN(keys/writers)*writers + w
				key := keyOf(k)
				ver := written[k].Load() + 1
				var ttl time.Duration
				var err error
				stored := true
				switch r := rng.IntN(16); {
				case r < 5:
					err = c.Set(key, selfValue(key, ver, 16+rng.IntN(400)))
				case r < 10:
					ttl = time.Duration(1+rng.IntN(int(maxTTL/time.Millisecond))) * time.Millisecond
					err = c.SetWithTTL(key, selfValue(key, ver, 16+rng.IntN(400)), ttl)
				case r < 12:
					if rng.IntN(2) == 0 {
						ttl = maxTTL
					}
					stored, err = c.SetIfAbsent(key, selfValue(key, ver, 16+rng.IntN(100)), ttl)
				case r < 14:
					c.Delete(key)
					continue
				default:
					n, err := c.Add(counterOf(rng.IntN(counters)), 1, time.Duration(rng.IntN(2))*maxTTL)
					if err != nil || n < 1 {
						report("Add = %d, %v", n, err)
					}
					continue
				}
				if err != nil {
					report("store of %s: %v", key, err)
					continue
				}
				if stored {
					last[k].Store(&soakWrite{version: ver, ttl: ttl, returned: time.Now()})
					written[k].Store(ver)
				}
			}
		})
	}
	for r := 0; r < readers; r++ {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(r), 22))
			buf := make([]byte, 0, 512)
			for i := 0; more(i); i++ {
				if rng.IntN(8) == 0 {
					key := counterOf(rng.IntN(counters))
					if v, ok := c.Get(key); ok && (len(v) != 8 || int64(binary.NativeEndian.Uint64(v)) < 1) {
						report("counter %s = %x", key, v)
					}
					continue
				}
				k := rng.IntN(keys)
				key := keyOf(k)
				floor := written[k].Load()
				prev := last[k].Load()
				began := time.Now()
				var v []byte
				var ok bool
				switch rng.IntN(5) {
				case 0:
					v, ok = c.Get(key)
				case 1:
					v, ok = c.AppendGet(buf[:0], key)
				case 2:
					c.Has(key)
					continue
				case 3:
					if d, ok := c.TTL(key); ok && (d < 0 || d > maxTTL) {
						report("TTL(%s) = %v, longer than any given", key, d)
					}
					continue
				default:
					v, ok = c.Get(key)
				}
				reads.Add(1)
				if !ok {
					continue
				}
				hits.Add(1)
				ver, err := checkSelfValue(key, v)
				switch {
				case err != nil:
					report("key %s: %v", key, err)
				case ver < floor:
					report("key %s: version %d, but %d was stored before the read", key, ver, floor)
				case prev != nil && prev.version == ver && prev.ttl > 0:
					// The entry expired at most ttl after its store returned.
					expiredChecks.Add(1)
					if began.Sub(prev.returned) >= prev.ttl {
						report("key %s: version %d served %v after its store returned, ttl %v", key, ver, began.Sub(prev.returned), prev.ttl)
					}
				}
			}
		})
	}
	waitOrDump(t, &wg, max(10*time.Minute, time.Until(deadline)+10*time.Minute))
	st := c.Stats()
	t.Logf("soak: %d reads (%d hits, %d checked against their expiry), %d wrong; %d evictions, %d expirations, %d rejections",
		reads.Load(), hits.Load(), expiredChecks.Load(), wrong.Load(), st.Evictions, st.Expirations, st.Rejections)
	if msg := firstErr.Load(); msg != nil {
		t.Errorf("first wrong read: %s", msg)
	}
	require.Zero(t, wrong.Load(), "wrong reads")
	require.Positive(t, st.Evictions+st.Rejections, "the soak should run under eviction")
	require.Positive(t, st.Expirations)
	require.LessOrEqual(t, st.AllocatedBytes, st.BudgetBytes)
}
