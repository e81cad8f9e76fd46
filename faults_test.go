package larder

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// waitOrDump waits for wg, failing with every goroutine's stack when that
// takes longer than limit (a hang).
func waitOrDump(t *testing.T, wg *sync.WaitGroup, limit time.Duration) {
	t.Helper()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(limit):
		buf := make([]byte, 1<<20)
		t.Fatalf("goroutines still running after %v:\n%s", limit, buf[:runtime.Stack(buf, true)])
	}
}

// TestCloseDuringEveryOperation closes caches while goroutines run every
// method. Nothing may crash or hang, no read may return a malformed value,
// and every call that starts after Close returned reports ErrClosed or a
// miss.
func TestCloseDuringEveryOperation(t *testing.T) {
	rounds := 60
	if testing.Short() {
		rounds = 15
	}
	const goroutines = 6
	for round := 0; round < rounds; round++ {
		c, err := New(Config{MaxBytes: 128 << 10, Shards: 2})
		require.NoError(t, err)
		var closed atomic.Bool // set after Close returned
		var started, wg sync.WaitGroup
		var wrong atomic.Int64
		var firstErr atomic.Value
		report := func(format string, args ...any) {
			wrong.Add(1)
			firstErr.CompareAndSwap(nil, fmt.Sprintf(format, args...))
		}
		for g := 0; g < goroutines; g++ {
			started.Add(1)
			wg.Go(func() {
				rng := rand.New(rand.NewPCG(uint64(round), uint64(g)))
				key := make([]byte, 8)
				ctr := []byte("counter-0")
				buf := make([]byte, 0, 128)
				afterClose := 0
				for i := 0; afterClose < 300; i++ {
					if i == 300 {
						started.Done()
					}
					after := closed.Load() // Close has returned: this call must see it
					if after {
						afterClose++
					}
					binary.LittleEndian.PutUint64(key, uint64(rng.IntN(200)))
					ctr[len(ctr)-1] = '0' + byte(rng.IntN(4))
					val := selfValue(key, uint64(i), 16+rng.IntN(200))
					op := rng.IntN(14)
					var err error
					switch op {
					case 0:
						err = c.Set(key, val)
					case 1:
						err = c.SetWithTTL(key, val, time.Duration(1+rng.IntN(50))*time.Millisecond)
					case 2:
						var stored bool
						stored, err = c.SetIfAbsent(key, val, 0)
						if after && stored {
							report("SetIfAbsent stored after Close")
						}
					case 3:
						if v, ok := c.Get(key); ok {
							if _, cerr := checkSelfValue(key, v); cerr != nil || after {
								report("Get: %v (after close %v)", cerr, after)
							}
						}
					case 4:
						v, ok := c.AppendGet(buf[:0], key)
						if ok {
							if _, cerr := checkSelfValue(key, v); cerr != nil || after {
								report("AppendGet: %v (after close %v)", cerr, after)
							}
						} else if len(v) != 0 {
							report("AppendGet miss returned %d bytes", len(v))
						}
					case 5:
						if c.Has(key) && after {
							report("Has true after Close")
						}
					case 6:
						if d, ok := c.TTL(key); ok && (after || d < 0 || d > 50*time.Millisecond) {
							report("TTL = %v, %v (after close %v)", d, ok, after)
						}
					case 7:
						if c.Delete(key) && after {
							report("Delete true after Close")
						}
					case 8:
						if n := c.Len(); n < 0 {
							report("Len %d", n)
						}
					case 9:
						if st := c.Stats(); st.AllocatedBytes > st.BudgetBytes {
							report("allocated %d > budget %d", st.AllocatedBytes, st.BudgetBytes)
						}
					case 10, 11:
						var n int64
						n, err = c.Add(ctr, 1, 0)
						if err == nil && n < 1 {
							report("Add returned %d", n)
						}
					case 12:
						if v, ok := c.Get(ctr); ok && (len(v) != 8 || after) {
							report("Get(counter) = %x (after close %v)", v, after)
						}
					case 13:
						var v []byte
						ttl := time.Duration(rng.IntN(2)) * 50 * time.Millisecond
						v, err = c.GetOrLoad(context.Background(), key, func(context.Context) ([]byte, time.Duration, error) {
							return val, ttl, nil
						})
						if err == nil {
							if _, cerr := checkSelfValue(key, v); cerr != nil {
								report("GetOrLoad: %v", cerr)
							}
						}
					}
					if err != nil && !errors.Is(err, ErrClosed) {
						report("op %d: %v", op, err)
					}
					if after && err == nil && (op <= 2 || op == 10 || op == 11 || op == 13) {
						report("op %d after Close returned no error", op)
					}
					if i%64 == 0 {
						runtime.Gosched()
					}
				}
			})
		}
		started.Wait()
		require.NoError(t, c.Close())
		closed.Store(true)
		require.NoError(t, c.Close(), "Close is idempotent")
		waitOrDump(t, &wg, time.Minute)
		if msg := firstErr.Load(); msg != nil {
			t.Errorf("round %d: first wrong answer: %s", round, msg)
		}
		require.Zero(t, wrong.Load(), "round %d: wrong answers", round)
	}
}

// TestBudgetUnderMaximumEntries writes entries of exactly the largest
// accepted size (the cache's entry limit) alternating with tiny ones, many
// times over the budget: every Set succeeds and process RSS grows by no
// more than MaxBytes + 5%.
func TestBudgetUnderMaximumEntries(t *testing.T) {
	if _, ok := rssBytes(t); !ok {
		t.Skip("no /proc/self/status")
	}
	if raceEnabled {
		t.Skip("the race runtime's own memory is charged to RSS")
	}
	const budget = 64 << 20
	runtime.GC()
	debug.FreeOSMemory()
	before, _ := rssBytes(t)
	peak := before

	c, err := New(Config{MaxBytes: budget})
	require.NoError(t, err)
	defer c.Close()
	limit := entryLimit(c)
	rounds := 4 * budget / limit // four budgets' worth of maximum entries
	if testing.Short() {
		rounds /= 2
	}
	key := make([]byte, 16)
	val := make([]byte, limit)
	for i := range val {
		val[i] = byte(i)
	}
	rng := rand.New(rand.NewPCG(11, 12))
	for r := 0; r < rounds; r++ {
		binary.LittleEndian.PutUint64(key, uint64(r))
		// A maximum entry: the key length varies so the record's padding
		// does too (a record may be up to 7 bytes over the limit's size).
		kl := 1 + r%16
		require.NoError(t, c.Set(key[:kl], val[:limit-kl]), "round %d", r)
		if r%3 == 0 {
			require.NoError(t, c.SetWithTTL(key[:kl], val[:limit-kl], time.Hour), "round %d", r)
		}
		for i := 0; i < 64; i++ {
			binary.LittleEndian.PutUint64(key[8:], rng.Uint64())
			require.NoError(t, c.Set(key, val[:rng.IntN(24)]))
		}
		if r%16 == 0 {
			now, _ := rssBytes(t)
			peak = max(peak, now)
		}
	}
	after, _ := rssBytes(t)
	peak = max(peak, after)
	st := c.Stats()
	t.Logf("RSS peak growth %.1f MiB of a %d MiB budget; %d entries, %d evictions, %d rejections",
		float64(peak-before)/(1<<20), budget>>20, c.Len(), st.Evictions, st.Rejections)
	require.LessOrEqual(t, st.AllocatedBytes, st.BudgetBytes)
	require.LessOrEqual(t, peak-before, int64(budget+budget/20), "RSS growth over budget")
	require.Positive(t, st.Evictions)
}

// TestSeedsDiffer checks that two caches hash the same keys differently, so
// colliding keys found against one cache do not collide in another.
func TestSeedsDiffer(t *testing.T) {
	a := newTestCache(t, Config{MaxBytes: 1 << 20}, nil)
	b := newTestCache(t, Config{MaxBytes: 1 << 20}, nil)
	require.NotEqual(t, a.e.seed, b.e.seed)
	same := 0
	for i := 0; i < 1000; i++ {
		k := fmt.Appendf(nil, "key-%d", i)
		if a.e.hash(k) == b.e.hash(k) {
			same++
		}
		require.Equal(t, a.e.hash(k), a.e.hash(k), "a cache's hash is stable")
	}
	require.Zero(t, same, "keys hashing alike in two caches")
}

// maxProbe returns the largest slot distance from home in c's index.
func maxProbe(c *Cache) uint64 {
	worst := uint64(0)
	for i := range c.e.shards {
		s := &c.e.shards[i]
		for j := uint64(0); j < s.nslots; j++ {
			if sl := s.loadSlot(j); sl.live() {
				worst = max(worst, sl.dist())
			}
		}
	}
	return worst
}

// TestHashFlooding stores keys that all hash alike (one shard, one home
// slot, one tag: the worst an attacker could do without the seed). Lookups
// must stay exact — a key is found iff it was admitted, with its value —
// and no entry may sit further than maxDist from its home, so every probe
// is bounded.
func TestHashFlooding(t *testing.T) {
	c := newTestCache(t, Config{MaxBytes: 8 << 20, Shards: 1}, degenerateHash)
	rng := rand.New(rand.NewPCG(5, 6))
	model := map[string][]byte{}
	keyOf := func(i int) []byte { return fmt.Appendf(nil, "flood-%d", i) }
	rejected := 0
	worst := uint64(0)
	const keys = 1500
	for round := 0; round < 6; round++ {
		for i := 0; i < keys; i++ {
			k := keyOf(i)
			if round > 0 && rng.IntN(3) == 0 {
				_, had := model[string(k)]
				require.Equal(t, had, c.Delete(k), "Delete(%s)", k)
				delete(model, string(k))
				continue
			}
			v := selfValue(k, uint64(round), 16+rng.IntN(64))
			r0 := c.Stats().Rejections
			require.NoError(t, c.Set(k, v))
			if c.Stats().Rejections != r0 {
				rejected++
				_, had := model[string(k)]
				require.False(t, had, "an update of a present key was rejected")
				continue
			}
			model[string(k)] = v
		}
		worst = max(worst, maxProbe(c))
		for i := 0; i < keys; i++ {
			k := keyOf(i)
			want, had := model[string(k)]
			got, ok := c.Get(k)
			require.Equal(t, had, ok, "Get(%s)", k)
			require.Equal(t, want, got, "Get(%s)", k)
		}
		require.Equal(t, len(model), c.Len())
	}
	st := c.Stats()
	require.Zero(t, st.Evictions, "the budget holds everything: misses only from a full probe window")
	t.Logf("flooding: %d keys held, %d Sets declined (probe window full), worst probe length %d (maxDist %d)",
		len(model), rejected, worst, maxDist)
	require.LessOrEqual(t, worst, uint64(maxDist))
	require.Positive(t, rejected, "the flood should have filled the probe window")
}

// TestAppendGetWritesOnlyItsBytes checks AppendGet against append's
// contract: it writes dst[len(dst):len(result)] and nothing past it, and it
// does not allocate when dst has room for the value (its doc).
func TestAppendGetWritesOnlyItsBytes(t *testing.T) {
	c := newTestCache(t, Config{MaxBytes: MinMaxBytes, Shards: 1}, nil)
	for n := 0; n <= 17; n++ {
		key := fmt.Appendf(nil, "k%d", n)
		val := bytes.Repeat([]byte{'v'}, n)
		require.NoError(t, c.Set(key, val))
		backing := bytes.Repeat([]byte{0xEE}, 40)
		out, ok := c.AppendGet(backing[:2], key)
		require.True(t, ok)
		require.Equal(t, append([]byte{0xEE, 0xEE}, val...), out)
		require.Equal(t, bytes.Repeat([]byte{0xEE}, 40-2-n), backing[2+n:], "value of %d bytes: AppendGet wrote past the bytes it returned", n)

		exact := make([]byte, 0, n)
		allocs := testing.AllocsPerRun(20, func() { exact, _ = c.AppendGet(exact[:0], key) })
		require.Zero(t, allocs, "value of %d bytes: AppendGet allocated although dst had room", n)
	}
}

// TestGetExposesNoRingBytes checks that a value returned by Get carries no
// other bytes of the ring in its capacity: the padding after a short value
// may hold what an evicted entry (another key, another tenant) left there.
func TestGetExposesNoRingBytes(t *testing.T) {
	c := newTestCache(t, Config{MaxBytes: MinMaxBytes, Shards: 1}, nil)
	secret := bytes.Repeat([]byte("S"), 61)
	for i := 0; i < 2000; i++ {
		k := fmt.Appendf(nil, "k%d", i)
		v := []byte("abc")
		if i%2 == 0 {
			v = secret
		}
		require.NoError(t, c.Set(k, v))
	}
	for i := 1; i < 2000; i += 2 {
		v, ok := c.Get(fmt.Appendf(nil, "k%d", i))
		if ok {
			require.NotContains(t, string(v[:cap(v)]), "S", "Get(k%d) = %q has another entry's bytes past its length: %q", i, v, v[:cap(v)])
		}
	}
}

// TestAddRacingClose closes caches while goroutines add to a counter on
// Add's lock-free path. An Add that returns no error must return the
// counter's true value: here always above base. (Close releasing the pages
// under an Add in flight made it return 1, the add applied to a zeroed
// page.)
func TestAddRacingClose(t *testing.T) {
	rounds := 250
	if testing.Short() {
		rounds = 60
	}
	const base = 1 << 40
	key := []byte("counter")
	bad := 0
	lowest := int64(base)
	for round := 0; round < rounds; round++ {
		c, err := New(Config{MaxBytes: 64 << 10, Shards: 1})
		require.NoError(t, err)
		n, err := c.Add(key, base, 0)
		require.NoError(t, err)
		require.Equal(t, int64(base), n)
		var wg sync.WaitGroup
		var running atomic.Int32
		var roundBad atomic.Int64
		var roundLowest atomic.Int64
		roundLowest.Store(base)
		var otherErr atomic.Value
		for g := 0; g < 3; g++ {
			wg.Go(func() {
				running.Add(1)
				for i := 0; i < 5000; i++ {
					n, err := c.Add(key, 1, 0)
					if err != nil {
						if !errors.Is(err, ErrClosed) {
							otherErr.CompareAndSwap(nil, err.Error())
						}
						return
					}
					if n <= base {
						roundBad.Add(1)
						if n < roundLowest.Load() {
							roundLowest.Store(n)
						}
					}
				}
			})
		}
		for running.Load() < 3 {
			runtime.Gosched()
		}
		time.Sleep(time.Duration(round%40) * time.Microsecond)
		require.NoError(t, c.Close())
		waitOrDump(t, &wg, time.Minute)
		require.Nil(t, otherErr.Load(), "Add racing Close returned an error other than ErrClosed")
		if roundBad.Load() > 0 {
			bad++
			lowest = min(lowest, roundLowest.Load())
		}
	}
	require.Zero(t, bad, "rounds (of %d) where an Add racing Close returned a wrong count without error (lowest: %d)", rounds, lowest)
}
