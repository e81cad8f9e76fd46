package larder

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// loadTestTimeout bounds every wait in these tests, so that a broken
// implementation fails instead of hanging; no test relies on it to order
// events.
const loadTestTimeout = 10 * time.Second

func newLoaderCache(t *testing.T, cfg Config) *Cache {
	t.Helper()
	if cfg.MaxBytes == 0 {
		cfg.MaxBytes = 1 << 20
	}
	c, err := New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// loadRecv waits for one value on ch, failing the test after loadTestTimeout.
func loadRecv[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(loadTestTimeout):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// loadJoins makes c's loader group report every caller that joins a load in
// flight on the returned channel.
func loadJoins(c *Cache, n int) <-chan struct{} {
	ch := make(chan struct{}, n)
	c.e.loads.joinHook = func() { ch <- struct{}{} }
	return ch
}

// loadsInFlight counts the loads in c's table; empty reports whether every
// stripe's map has been dropped.
func loadsInFlight(c *Cache) (n int, empty bool) {
	empty = true
	g := &c.e.loads
	for i := range g.stripes {
		st := &g.stripes[i]
		st.mu.Lock()
		n += len(st.calls)
		empty = empty && st.calls == nil
		st.mu.Unlock()
	}
	return n, empty
}

func requireNoneInFlight(t *testing.T, c *Cache) {
	t.Helper()
	n, empty := loadsInFlight(c)
	require.Zero(t, n, "loads left in the in-flight table")
	require.True(t, empty, "a stripe kept its map")
}

type loadResult struct {
	v   []byte
	err error
}

// loadAsync runs GetOrLoad in a goroutine and delivers its result.
func loadAsync(ctx context.Context, c *Cache, key string, load loaderFunc) <-chan loadResult {
	ch := make(chan loadResult, 1)
	go func() {
		v, err := c.GetOrLoad(ctx, []byte(key), load)
		ch <- loadResult{v, err}
	}()
	return ch
}

// TestGetOrLoadOneLoad: 100 goroutines miss on one key; exactly one load
// runs and every caller gets the value in a buffer of its own.
func TestGetOrLoadOneLoad(t *testing.T) {
	c := newLoaderCache(t, Config{})
	const n = 100
	joined := loadJoins(c, n)
	var calls atomic.Int32
	release := make(chan struct{})
	load := func(context.Context) ([]byte, time.Duration, error) {
		calls.Add(1)
		<-release
		return []byte("value"), 0, nil
	}
	results := make(chan loadResult, n)
	for range n {
		go func() {
			v, err := c.GetOrLoad(context.Background(), []byte("k"), load)
			results <- loadResult{v, err}
		}()
	}
	// The load cannot finish before release, so the 99 others all find it
	// in flight.
	for range n - 1 {
		loadRecv(t, joined, "a caller joining the load")
	}
	close(release)
	seen := map[*byte]bool{}
	for range n {
		r := loadRecv(t, results, "a result")
		require.NoError(t, r.err)
		require.Equal(t, "value", string(r.v))
		require.False(t, seen[&r.v[0]], "two callers share a buffer")
		seen[&r.v[0]] = true
	}
	require.EqualValues(t, 1, calls.Load())
	requireNoneInFlight(t, c)

	// Later callers hit.
	v, err := c.GetOrLoad(context.Background(), []byte("k"), load)
	require.NoError(t, err)
	require.Equal(t, "value", string(v))
	require.EqualValues(t, 1, calls.Load())
	st := c.Stats()
	require.EqualValues(t, 1, st.Loads)
	require.EqualValues(t, 0, st.LoadErrors)
	require.EqualValues(t, n, st.Misses, "one lookup per GetOrLoad")
	require.EqualValues(t, 1, st.Hits)
}

// TestGetOrLoadParallelKeys: loads of different keys run at the same time.
// Each load waits until both have started, which deadlocks (and times
// out) if they are serialized.
func TestGetOrLoadParallelKeys(t *testing.T) {
	c := newLoaderCache(t, Config{})
	var barrier sync.WaitGroup
	barrier.Add(2)
	bothStarted := make(chan struct{})
	go func() { barrier.Wait(); close(bothStarted) }()
	load := func(v string) loaderFunc {
		return func(context.Context) ([]byte, time.Duration, error) {
			barrier.Done()
			select {
			case <-bothStarted:
				return []byte(v), 0, nil
			case <-time.After(loadTestTimeout):
				return nil, 0, errors.New("the other load never started")
			}
		}
	}
	a := loadAsync(context.Background(), c, "a", load("A"))
	b := loadAsync(context.Background(), c, "b", load("B"))
	ra, rb := loadRecv(t, a, "load a"), loadRecv(t, b, "load b")
	require.NoError(t, ra.err)
	require.NoError(t, rb.err)
	require.Equal(t, "A", string(ra.v))
	require.Equal(t, "B", string(rb.v))
}

// TestGetOrLoadErrorNotCached: every waiter gets the loader's error, and
// the next call loads again.
func TestGetOrLoadErrorNotCached(t *testing.T) {
	c := newLoaderCache(t, Config{})
	joined := loadJoins(c, 1)
	boom := errors.New("boom")
	var calls atomic.Int32
	release := make(chan struct{})
	failing := func(context.Context) ([]byte, time.Duration, error) {
		calls.Add(1)
		<-release
		return nil, 0, boom
	}
	first := loadAsync(context.Background(), c, "k", failing)
	second := loadAsync(context.Background(), c, "k", failing)
	loadRecv(t, joined, "the second caller joining")
	close(release)
	for _, ch := range []<-chan loadResult{first, second} {
		r := loadRecv(t, ch, "a result")
		require.ErrorIs(t, r.err, boom)
		require.Nil(t, r.v)
	}
	require.EqualValues(t, 1, calls.Load())
	require.False(t, c.Has([]byte("k")))
	requireNoneInFlight(t, c)

	v, err := c.GetOrLoad(context.Background(), []byte("k"), func(context.Context) ([]byte, time.Duration, error) {
		calls.Add(1)
		return []byte("ok"), 0, nil
	})
	require.NoError(t, err)
	require.Equal(t, "ok", string(v))
	require.EqualValues(t, 2, calls.Load())
	st := c.Stats()
	require.EqualValues(t, 2, st.Loads)
	require.EqualValues(t, 1, st.LoadErrors)
}

// startShared starts n GetOrLoad calls of key sharing one run of load,
// which is held until the returned release is closed: the first call
// starts the load (it signals from inside load), then the n-1 others join
// it.
func startShared(t *testing.T, c *Cache, ctx context.Context, key string, n int, load loaderFunc) (release chan struct{}, results []<-chan loadResult) {
	t.Helper()
	joined := loadJoins(c, n)
	release = make(chan struct{})
	started := make(chan struct{}, 1)
	held := func(ctx context.Context) ([]byte, time.Duration, error) {
		started <- struct{}{}
		<-release
		return load(ctx)
	}
	results = append(results, loadAsync(ctx, c, key, held))
	loadRecv(t, started, "the load starting")
	for range n - 1 {
		results = append(results, loadAsync(ctx, c, key, held))
		loadRecv(t, joined, "a caller joining the load")
	}
	return release, results
}

// TestGetOrLoadPanic: a panic in the loader reaches every waiter as a
// *LoaderPanicError and does not wedge the key.
func TestGetOrLoadPanic(t *testing.T) {
	c := newLoaderCache(t, Config{})
	release, results := startShared(t, c, context.Background(), "k", 10, func(context.Context) ([]byte, time.Duration, error) {
		panic("kaboom")
	})
	close(release)
	for _, ch := range results {
		r := loadRecv(t, ch, "a result")
		require.ErrorIs(t, r.err, ErrLoaderPanic)
		var pe *LoaderPanicError
		require.ErrorAs(t, r.err, &pe)
		require.Equal(t, "kaboom", pe.Value)
		require.Contains(t, string(pe.Stack), "loader_test.go", "the stack shows the panic")
		require.Contains(t, r.err.Error(), "kaboom")
		require.Nil(t, r.v)
	}
	requireNoneInFlight(t, c)
	require.False(t, c.Has([]byte("k")))

	// The key is not wedged: the next call loads.
	v, err := c.GetOrLoad(context.Background(), []byte("k"), func(context.Context) ([]byte, time.Duration, error) {
		return []byte("ok"), 0, nil
	})
	require.NoError(t, err)
	require.Equal(t, "ok", string(v))
	st := c.Stats()
	require.EqualValues(t, 2, st.Loads)
	require.EqualValues(t, 1, st.LoadErrors)
}

// TestGetOrLoadPanicError: a panic with an error value is visible through
// errors.Is.
func TestGetOrLoadPanicError(t *testing.T) {
	c := newLoaderCache(t, Config{})
	boom := errors.New("boom")
	_, err := c.GetOrLoad(context.Background(), []byte("k"), func(context.Context) ([]byte, time.Duration, error) {
		panic(fmt.Errorf("wrapped: %w", boom))
	})
	require.ErrorIs(t, err, ErrLoaderPanic)
	require.ErrorIs(t, err, boom)

	// panic(nil) is a panic too (a *runtime.PanicNilError since Go 1.21).
	_, err = c.GetOrLoad(context.Background(), []byte("k"), func(context.Context) ([]byte, time.Duration, error) {
		panic(nil)
	})
	require.ErrorIs(t, err, ErrLoaderPanic)
	requireNoneInFlight(t, c)
	require.False(t, c.Has([]byte("k")))
}

// TestGetOrLoadGoexit: a loader that calls runtime.Goexit (t.FailNow in a
// loader does) fails its waiters instead of wedging the key.
func TestGetOrLoadGoexit(t *testing.T) {
	c := newLoaderCache(t, Config{})
	_, err := c.GetOrLoad(context.Background(), []byte("k"), func(context.Context) ([]byte, time.Duration, error) {
		runtime.Goexit()
		return nil, 0, nil
	})
	require.ErrorIs(t, err, ErrLoaderPanic)
	requireNoneInFlight(t, c)
	v, err := c.GetOrLoad(context.Background(), []byte("k"), func(context.Context) ([]byte, time.Duration, error) {
		return []byte("ok"), 0, nil
	})
	require.NoError(t, err)
	require.Equal(t, "ok", string(v))
	require.EqualValues(t, 1, c.Stats().LoadErrors)
}

type loadCtxKey struct{}

// TestGetOrLoadCancel: callers whose ctx is cancelled, the one that
// started the load included, return ctx.Err() at once; the load goes on
// with the starter's context values but no cancellation, and its value is
// stored for the callers still waiting and for later ones.
func TestGetOrLoadCancel(t *testing.T) {
	c := newLoaderCache(t, Config{})
	starterCtx, cancelStarter := context.WithCancel(context.WithValue(context.Background(), loadCtxKey{}, "from-starter"))
	defer cancelStarter()
	var calls atomic.Int32
	loadErr := make(chan error, 1)
	load := func(ctx context.Context) ([]byte, time.Duration, error) {
		calls.Add(1)
		// Reached only after release, when both cancellable callers left.
		if ctx.Err() != nil || ctx.Value(loadCtxKey{}) != "from-starter" {
			loadErr <- fmt.Errorf("load context: err %v, value %v", ctx.Err(), ctx.Value(loadCtxKey{}))
		} else {
			loadErr <- nil
		}
		return []byte("v"), 0, nil
	}
	release, results := startShared(t, c, starterCtx, "k", 1, load)
	starter := results[0]

	joined := loadJoins(c, 2)
	waiterCtx, cancelWaiter := context.WithCancel(context.Background())
	waiter := loadAsync(waiterCtx, c, "k", load)
	loadRecv(t, joined, "the waiter joining")
	patient := loadAsync(context.Background(), c, "k", load)
	loadRecv(t, joined, "the patient caller joining")

	cancelWaiter()
	r := loadRecv(t, waiter, "the cancelled waiter")
	require.ErrorIs(t, r.err, context.Canceled)
	require.Nil(t, r.v)
	cancelStarter()
	r = loadRecv(t, starter, "the cancelled starter")
	require.ErrorIs(t, r.err, context.Canceled)

	close(release)
	require.NoError(t, loadRecv(t, loadErr, "the load"))
	r = loadRecv(t, patient, "the patient caller")
	require.NoError(t, r.err)
	require.Equal(t, "v", string(r.v))
	v, ok := c.Get([]byte("k"))
	require.True(t, ok, "the load's value is stored")
	require.Equal(t, "v", string(v))
	require.EqualValues(t, 1, calls.Load())
	requireNoneInFlight(t, c)
}

// TestGetOrLoadCancelledBeforeMiss: a miss with a ctx already done starts
// no load; a hit returns the value whatever ctx says.
func TestGetOrLoadCancelledBeforeMiss(t *testing.T) {
	c := newLoaderCache(t, Config{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	called := false
	load := func(context.Context) ([]byte, time.Duration, error) {
		called = true
		return []byte("v"), 0, nil
	}
	_, err := c.GetOrLoad(ctx, []byte("k"), load)
	require.ErrorIs(t, err, context.Canceled)
	require.False(t, called)
	require.NoError(t, c.Set([]byte("k"), []byte("cached")))
	v, err := c.GetOrLoad(ctx, []byte("k"), load)
	require.NoError(t, err)
	require.Equal(t, "cached", string(v))
	require.False(t, called)
}

// TestGetOrLoadTTL: the ttl the loader returns is the entry's, measured on
// Config.Clock; 0 never expires; negative is ErrInvalidTTL and not stored.
func TestGetOrLoadTTL(t *testing.T) {
	clock := newFakeClock()
	c := newLoaderCache(t, Config{Clock: clock})
	var calls atomic.Int32
	loadTTL := func(ttl time.Duration) loaderFunc {
		return func(context.Context) ([]byte, time.Duration, error) {
			n := calls.Add(1)
			return fmt.Appendf(nil, "v%d", n), ttl, nil
		}
	}
	get := func(key string, ttl time.Duration) string {
		t.Helper()
		v, err := c.GetOrLoad(context.Background(), []byte(key), loadTTL(ttl))
		require.NoError(t, err)
		return string(v)
	}

	require.Equal(t, "v1", get("k", 10*time.Second))
	left, ok := c.TTL([]byte("k"))
	require.True(t, ok)
	require.Equal(t, 10*time.Second, left)
	clock.Advance(10*time.Second - 1)
	require.Equal(t, "v1", get("k", 10*time.Second), "alive 1ns before expiry")
	clock.Advance(1)
	require.False(t, c.Has([]byte("k")), "a miss from the moment it expires")
	require.Equal(t, "v2", get("k", 10*time.Second), "reloaded after expiry")
	require.EqualValues(t, 2, calls.Load())

	require.Equal(t, "v3", get("forever", 0))
	left, ok = c.TTL([]byte("forever"))
	require.True(t, ok)
	require.Zero(t, left, "ttl 0: no expiry")
	clock.Advance(1000 * time.Hour)
	require.Equal(t, "v3", get("forever", 0))

	_, err := c.GetOrLoad(context.Background(), []byte("neg"), loadTTL(-time.Second))
	require.ErrorIs(t, err, ErrInvalidTTL)
	require.False(t, c.Has([]byte("neg")))
	st := c.Stats()
	require.EqualValues(t, 4, st.Loads)
	require.EqualValues(t, 1, st.LoadErrors, "a negative ttl is the loader's error")
}

// TestGetOrLoadStats: Loads, LoadErrors and LoadTimeNanos, and one lookup
// per call.
func TestGetOrLoadStats(t *testing.T) {
	c := newLoaderCache(t, Config{})
	const spent = 50 * time.Microsecond
	slow := func(err error) loaderFunc {
		return func(context.Context) ([]byte, time.Duration, error) {
			// Spend measurable time (not a synchronization).
			for start := time.Now(); time.Since(start) < spent; {
			}
			return []byte("v"), 0, err
		}
	}
	for i := range 3 {
		_, err := c.GetOrLoad(context.Background(), fmt.Appendf(nil, "ok%d", i), slow(nil))
		require.NoError(t, err)
	}
	_, err := c.GetOrLoad(context.Background(), []byte("bad"), slow(errors.New("x")))
	require.Error(t, err)
	_, err = c.GetOrLoad(context.Background(), []byte("ok0"), slow(nil))
	require.NoError(t, err)
	st := c.Stats()
	require.EqualValues(t, 4, st.Loads)
	require.EqualValues(t, 1, st.LoadErrors)
	require.GreaterOrEqual(t, st.LoadTimeNanos, uint64(4*spent))
	require.EqualValues(t, 4, st.Misses)
	require.EqualValues(t, 1, st.Hits)
	require.EqualValues(t, 3, st.Sets)
}

// TestGetOrLoadCopies: callers own what they get, and the loader's slice
// is not retained.
func TestGetOrLoadCopies(t *testing.T) {
	c := newLoaderCache(t, Config{})
	buf := []byte("value")
	v, err := c.GetOrLoad(context.Background(), []byte("k"), func(context.Context) ([]byte, time.Duration, error) {
		return buf, 0, nil
	})
	require.NoError(t, err)
	buf[0], v[1] = 'X', 'Y'
	got, ok := c.Get([]byte("k"))
	require.True(t, ok)
	require.Equal(t, "value", string(got))

	// An empty value is a value: non-nil, stored, a hit later.
	v, err = c.GetOrLoad(context.Background(), []byte("empty"), func(context.Context) ([]byte, time.Duration, error) {
		return nil, 0, nil
	})
	require.NoError(t, err)
	require.NotNil(t, v)
	require.Empty(t, v)
	require.True(t, c.Has([]byte("empty")))
}

// TestGetOrLoadTooLarge: a key that cannot be stored fails before the
// load; a value that cannot be stored fails every waiter and is not
// cached.
func TestGetOrLoadTooLarge(t *testing.T) {
	c := newLoaderCache(t, Config{MaxBytes: 1 << 20})
	called := false
	_, err := c.GetOrLoad(context.Background(), make([]byte, MaxKeyLen+1), func(context.Context) ([]byte, time.Duration, error) {
		called = true
		return nil, 0, nil
	})
	require.ErrorIs(t, err, ErrKeyTooLarge)
	require.False(t, called)
	_, err = c.GetOrLoad(context.Background(), make([]byte, (1<<20)/64+1), func(context.Context) ([]byte, time.Duration, error) {
		called = true
		return nil, 0, nil
	})
	require.ErrorIs(t, err, ErrEntryTooLarge)
	require.False(t, called)

	release, results := startShared(t, c, context.Background(), "big", 3, func(context.Context) ([]byte, time.Duration, error) {
		return make([]byte, 1<<20), 0, nil
	})
	close(release)
	for _, ch := range results {
		r := loadRecv(t, ch, "a result")
		require.ErrorIs(t, r.err, ErrEntryTooLarge)
		require.Nil(t, r.v)
	}
	require.False(t, c.Has([]byte("big")))
	requireNoneInFlight(t, c)
	st := c.Stats()
	require.EqualValues(t, 1, st.Loads)
	require.EqualValues(t, 0, st.LoadErrors, "a store failure is not the loader's error")
}

// TestGetOrLoadClosed: after Close, ErrClosed without a load; a load in
// flight at Close fails its waiters with ErrClosed.
func TestGetOrLoadClosed(t *testing.T) {
	c := newLoaderCache(t, Config{})
	release, results := startShared(t, c, context.Background(), "k", 2, func(context.Context) ([]byte, time.Duration, error) {
		return []byte("v"), 0, nil
	})
	require.NoError(t, c.Close())
	close(release)
	for _, ch := range results {
		require.ErrorIs(t, loadRecv(t, ch, "a result").err, ErrClosed)
	}
	called := false
	_, err := c.GetOrLoad(context.Background(), []byte("k"), func(context.Context) ([]byte, time.Duration, error) {
		called = true
		return []byte("v"), 0, nil
	})
	require.ErrorIs(t, err, ErrClosed)
	require.False(t, called)
	requireNoneInFlight(t, c)
}

// TestGetOrLoadBurstLeavesNothing: thousands of concurrent loads of
// distinct keys leave no map or entry behind once done.
func TestGetOrLoadBurstLeavesNothing(t *testing.T) {
	c := newLoaderCache(t, Config{MaxBytes: 8 << 20})
	const n = 256
	release := make(chan struct{})
	var started sync.WaitGroup
	started.Add(n)
	var done sync.WaitGroup
	for i := range n {
		done.Go(func() {
			key := fmt.Appendf(nil, "key-%d", i)
			v, err := c.GetOrLoad(context.Background(), key, func(context.Context) ([]byte, time.Duration, error) {
				started.Done()
				<-release
				return key, 0, nil
			})
			if err != nil || string(v) != string(key) {
				t.Errorf("key %s: got %q, %v", key, v, err)
			}
		})
	}
	started.Wait()
	n0, _ := loadsInFlight(c)
	require.Equal(t, n, n0)
	close(release)
	done.Wait()
	requireNoneInFlight(t, c)
	require.EqualValues(t, n, c.Stats().Loads)
}

// TestGetOrLoadStress: many goroutines over a few keys, with loads that
// fail now and then and values that expire; every value returned must be
// one the key's loader produced, and nothing may stay in flight.
func TestGetOrLoadStress(t *testing.T) {
	clock := newFakeClock()
	c := newLoaderCache(t, Config{Clock: clock, MaxBytes: 256 << 10})
	rounds := 2000
	if testing.Short() {
		rounds = 300
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range rounds {
				key := fmt.Sprintf("k%d", (i*7+g)%13)
				v, err := c.GetOrLoad(context.Background(), []byte(key), func(context.Context) ([]byte, time.Duration, error) {
					switch i % 17 {
					case 3:
						return nil, 0, errors.New("transient")
					case 5:
						panic("transient")
					}
					return []byte("value of " + key), time.Duration(i%3) * time.Millisecond, nil
				})
				if err == nil && string(v) != "value of "+key {
					t.Errorf("key %s: got %q", key, v)
					return
				}
				if err != nil && !strings.Contains(err.Error(), "transient") {
					t.Errorf("key %s: %v", key, err)
					return
				}
				if g == 0 && i%50 == 0 {
					clock.Advance(time.Millisecond)
				}
			}
		})
	}
	wg.Wait()
	requireNoneInFlight(t, c)
	st := c.Stats()
	require.Positive(t, st.Loads)
	require.LessOrEqual(t, st.LoadErrors, st.Loads)
}
