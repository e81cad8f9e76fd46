package hitratio

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEveryCacheReplays drives every adapter with a synthetic prefix, byte
// caches at a generous fixed budget (calibration is tested separately), so a
// broken adapter or a changed library API fails here even without traces.
func TestEveryCacheReplays(t *testing.T) {
	keys := zipfTrace(true, 30_000)
	const n = 2000
	for _, c := range cacheCatalogue(larderConf{}) {
		t.Run(c.name, func(t *testing.T) {
			var hits int64
			switch {
			case c.offline:
				hits = int64(beladyHits(keys, nextUses(keys), n))
			case c.count != nil:
				p, err := c.count(n)
				require.NoError(t, err)
				hits = replayHits(p, keys)
				require.NoError(t, p.Err())
				p.Close()
			default:
				p, err := c.bytes.open(max(c.bytes.min, 4<<20))
				require.NoError(t, err)
				hits = replayHits(p, keys)
				require.NoError(t, p.Err())
				// A key just stored must be found (the replay's model
				// relies on it), and the cache must report entries.
				p.Set(1 << 60)
				assert.True(t, p.Get(1<<60))
				assert.True(t, p.Peek(1<<60))
				assert.Positive(t, p.Entries())
				p.Close()
			}
			assert.Positive(t, hits, "a Zipf stream must produce hits")
			assert.Less(t, hits, int64(len(keys)))
		})
	}
}

// TestRunQuick runs the whole pipeline (load, calibrate, replay, tables) on
// glimpse at its quick sizes through every cache but fastcache (whose
// smallest budget takes seconds to fill; its adapter is covered above), and
// checks invariants that hold for any correct harness.
func TestRunQuick(t *testing.T) {
	tracesDir(t, "lirs-gli.trace.gz")
	var caches []string
	for _, c := range CacheNames() {
		if c != CacheFastcache {
			caches = append(caches, c)
		}
	}
	rs, err := Run(context.Background(), Options{Traces: []string{"glimpse", "zipf"}, Caches: caches, Quick: true, QuickRequests: 20_000}, nil)
	require.NoError(t, err)
	require.NotEmpty(t, rs)

	type cell struct {
		trace string
		size  int
	}
	byCell := map[cell]map[string]Result{}
	for _, r := range rs {
		c := cell{r.Trace, r.Size}
		if byCell[c] == nil {
			byCell[c] = map[string]Result{}
		}
		byCell[c][r.Cache] = r
	}
	for c, m := range byCell {
		require.Len(t, m, len(caches), "%v", c)
		opt := m[CacheBelady]
		ceiling := 1 - float64(opt.Distinct)/float64(opt.Requests)
		assert.LessOrEqual(t, opt.HitRatio, ceiling+1e-9)
		assert.Equal(t, m[CacheExactLRU].Hits, m[CacheLRU].Hits, "%v: both are exact LRU", c)
		for name, r := range m {
			if r.NA != "" {
				assert.Zero(t, r.Runs)
				continue
			}
			assert.GreaterOrEqual(t, r.HitRatio, r.MinHitRatio)
			assert.LessOrEqual(t, r.HitRatio, r.MaxHitRatio)
			assert.Positive(t, r.Requests)
			// Belady is the optimum for n entries; byte caches may hold
			// up to 2% more, so only count-based caches are held to it.
			if r.Budget == 0 {
				assert.LessOrEqual(t, r.MaxHitRatio, opt.HitRatio, "%v %s beat Belady", c, name)
			} else {
				assert.InDelta(t, c.size, r.Entries, 0.02*float64(c.size)+1)
			}
		}
	}

	var buf bytes.Buffer
	WriteTables(&buf, rs)
	out := buf.String()
	for _, want := range []string{"## glimpse", "## zipf", "hit ratio %", "÷ Belady", "## Summary", CacheOtter, CacheLarder} {
		assert.Contains(t, out, want)
	}
	if testing.Verbose() {
		t.Log("\n" + out)
	}
}

// TestCalibrateModel checks the search on modelled caches: a linear one
// (must land within 2%), one whose budget comes in coarse steps (bigcache's
// whole MiB: n/a with both neighbours named) and one whose minimum is too
// big (n/a).
func TestCalibrateModel(t *testing.T) {
	linear := func(b int64) (int, int, error) { return int(b / 48), int(b / 48), nil }
	c, err := calibrate(&byteCache{min: 1024}, 10_000, 0.02, linear)
	require.NoError(t, err)
	assert.Empty(t, c.na)
	assert.InDelta(t, 10_000, c.entries, 200)

	mib := &byteCache{min: 1 << 20, round: func(b int64) int64 { return (b + 1<<20 - 1) >> 20 << 20 }}
	steps := func(b int64) (int, int, error) { return int(b>>20) * 24_000, int(b>>20) * 24_000, nil }
	c, err = calibrate(mib, 48_000, 0.02, steps)
	require.NoError(t, err)
	assert.Equal(t, int64(2<<20), c.budget)
	c, err = calibrate(mib, 100_000, 0.02, steps)
	require.NoError(t, err)
	assert.Contains(t, c.na, "96000")
	assert.Contains(t, c.na, "120000")

	c, err = calibrate(&byteCache{min: 32 << 20}, 1000, 0.02, linear)
	require.NoError(t, err)
	assert.Contains(t, c.na, "smallest budget")

	// Counts in steps of 10: 1005 is not reachable, and of 1000 and 1010
	// (equally near) the one not above n is kept, even when the search
	// meets the other first.
	coarse := func(b int64) (int, int, error) { return int(b/480) * 10, int(b/480) * 10, nil }
	c, err = calibrate(&byteCache{min: 1024}, 1005, 0.02, coarse)
	require.NoError(t, err)
	assert.Equal(t, 1000, c.entries)
	// A first hit inside the tolerance but not at n is refined.
	c, err = calibrate(&byteCache{min: 1024}, 1000, 0.02, func(b int64) (int, int, error) { return int(b / 48), int(b / 48), nil })
	require.NoError(t, err)
	assert.Equal(t, 1000, c.entries, "budget %d", c.budget)
}

// TestCalibrateRealCaches sizes the real byte caches for 30,000 entries
// (a w106 size): each must either hold 30,000±2% at the budget found or
// say why not.
func TestCalibrateRealCaches(t *testing.T) {
	for _, c := range cacheCatalogue(larderConf{}) {
		if c.bytes == nil || c.name == CacheFastcache {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			cal, err := calibrated(context.Background(), c.name, "test", c.bytes, 30_000, defaultTolerance)
			require.NoError(t, err)
			if cal.na != "" {
				t.Logf("%s: n/a: %s", c.name, cal.na)
				return
			}
			t.Logf("%s: %s holds %d", c.name, fmtBytes(cal.budget), cal.entries)
			assert.InDelta(t, 30_000, cal.entries, 600)
			p, err := c.bytes.open(cal.budget)
			require.NoError(t, err)
			defer p.Close()
			res, _, err := steadyEntries(context.Background(), c.bytes, cal.budget)
			require.NoError(t, err)
			assert.InDelta(t, 30_000, res, 600, "re-measuring gives the same answer")
		})
	}
}

func TestRunErrors(t *testing.T) {
	_, err := Run(context.Background(), Options{TracesDir: "/nonexistent/traces", Traces: []string{"OLTP"}}, nil)
	assert.ErrorIs(t, err, ErrNoTraces)
	_, err = Run(context.Background(), Options{Traces: []string{"nope"}}, nil)
	assert.ErrorContains(t, err, "unknown trace")
	_, err = Run(context.Background(), Options{Traces: []string{"zipf"}, Caches: []string{"nope"}}, nil)
	assert.ErrorContains(t, err, "unknown cache")
	// Synthetic workloads need no traces folder.
	rs, err := Run(context.Background(), Options{TracesDir: "/nonexistent/traces", Traces: []string{"zipf"},
		Caches: []string{CacheExactLRU}, Quick: true, QuickRequests: 5000}, nil)
	require.NoError(t, err)
	assert.NotEmpty(t, rs)
}

func TestWatchdog(t *testing.T) {
	ctx := context.Background()
	// Silent past the stall: abandoned.
	release := make(chan struct{})
	defer close(release)
	_, stuck, err := watch(ctx, 100*time.Millisecond, func(context.Context) (Result, error) {
		<-release
		return Result{}, nil
	})
	assert.True(t, stuck)
	assert.NoError(t, err)
	// Slower than the stall in total, but beating: waited for. (The
	// margins are wide so a loaded CI machine does not flake.)
	r, stuck, err := watch(ctx, time.Second, func(ctx context.Context) (Result, error) {
		for range 30 {
			time.Sleep(50 * time.Millisecond)
			heartbeat(ctx)
		}
		return Result{Cache: "done"}, nil
	})
	assert.False(t, stuck)
	require.NoError(t, err)
	assert.Equal(t, "done", r.Cache)
}
