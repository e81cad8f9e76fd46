package larder

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/larder-cache/larder/stats"
)

// ErrLoaderPanic is wrapped by the error GetOrLoad returns when the loader
// panicked (the error is then a *LoaderPanicError) or called
// runtime.Goexit.
var ErrLoaderPanic = errors.New("larder: loader panicked")

// LoaderPanicError is the error every caller waiting on a GetOrLoad load
// receives when the loader panicked. errors.Is(err, ErrLoaderPanic) holds,
// and when the panic value is itself an error, errors.Is and errors.As see
// it too.
type LoaderPanicError struct {
	Value any    // the value passed to panic
	Stack []byte // the loader goroutine's stack where the panic was recovered
}

func (e *LoaderPanicError) Error() string {
	return fmt.Sprintf("larder: loader panicked: %v", e.Value)
}

// Unwrap returns ErrLoaderPanic and, when the panic value is an error, that
// error.
func (e *LoaderPanicError) Unwrap() []error {
	if err, ok := e.Value.(error); ok {
		return []error{ErrLoaderPanic, err}
	}
	return []error{ErrLoaderPanic}
}

// errLoaderGoexit is what waiters get when the loader called
// runtime.Goexit (t.FailNow in a test's loader, for instance).
var errLoaderGoexit = fmt.Errorf("%w: it called runtime.Goexit", ErrLoaderPanic)

// GetOrLoad returns a copy of the value stored for key. On a miss it calls
// load, stores what load returns with SetWithTTL (ttl 0: the entry never
// expires) and returns a copy of it.
//
// Concurrent callers that miss on the same key share one call of load:
// the first starts it, the others wait for its result, and each gets its
// own copy of the value. Loads of different keys run in parallel.
//
// load runs in a goroutine of its own, with a context that carries the
// values of the ctx of the caller that started it but not its
// cancellation or deadline: a caller whose ctx is done returns ctx.Err()
// at once, and the load goes on for the other callers and is stored for
// later ones. A loader that may hang must therefore bound itself (with
// context.WithTimeout, for instance); until it returns, callers of its
// key can only wait on it or leave through their ctx. For the same reason
// load must not call GetOrLoad for its own key: that call would wait for
// the load it is part of. A miss with a ctx
// that is already done returns ctx.Err() without starting a load; a hit
// returns the value whatever the state of ctx.
//
// These errors reach every caller waiting on the load, and none is
// cached (the next miss loads again):
//   - an error from load, returned as is;
//   - a panic in load, recovered and returned as a *LoaderPanicError
//     (wrapping ErrLoaderPanic); a runtime.Goexit in load also yields an
//     error wrapping ErrLoaderPanic;
//   - a negative ttl from load: ErrInvalidTTL, and nothing is stored;
//   - a failure to store: ErrEntryTooLarge (the value is not returned, so
//     that a value too large for the cache does not turn every call into
//     a silent load), or ErrClosed when the cache was closed meanwhile.
//
// A key too large to store is rejected with ErrKeyTooLarge or
// ErrEntryTooLarge before load is called, and GetOrLoad on a closed cache
// returns ErrClosed. A stored value may be declined by the admission
// policy or evicted like any other entry: callers of that load still get
// the value, and a later miss loads again.
//
// Stats counts each load in Loads and LoadTimeNanos (wall time spent in
// load), and in LoadErrors when load returned an error, panicked or
// returned a negative ttl. A GetOrLoad counts as one lookup (a hit or a
// miss), like Get.
//
// The cache keeps no Go object per key for this: only loads in flight
// hold memory (a map entry, a small record and a goroutine each), which is
// released when they finish and is not charged to MaxBytes.
func (c *Cache) GetOrLoad(ctx context.Context, key []byte, load func(ctx context.Context) (value []byte, ttl time.Duration, err error)) ([]byte, error) {
	if v, ok := c.Get(key); ok {
		return v, nil
	}
	e := c.e
	if e.closed.Load() {
		return nil, ErrClosed
	}
	if err := e.checkEntry(key, nil); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	v, err := e.loads.do(ctx, e, key, load)
	// c's cleanup closes the engine once c is unreachable: keep c alive
	// while this caller waits, or the store could fail with ErrClosed.
	runtime.KeepAlive(c)
	return v, err
}

// loaderFunc is the type of GetOrLoad's load.
type loaderFunc = func(ctx context.Context) (value []byte, ttl time.Duration, err error)

// loaderStripes is the number of independently locked parts of the
// in-flight table (a power of two).
const loaderStripes = 8

// loaderGroup deduplicates concurrent GetOrLoad loads of a key. Its zero
// value is ready to use. It holds only loads in flight: a load's entry is
// removed when the load finishes, and a stripe's map is dropped when it
// empties, so a burst of loads leaves no memory behind.
type loaderGroup struct {
	stripes [loaderStripes]loaderStripe

	// Why atomic: loads finishing in parallel update them, Stats reads them.
	loads, loadErrors, loadTimeNanos atomic.Uint64

	// joinHook, when set (by tests, before any use), is called by a caller
	// that found a load of its key in flight, before it waits.
	joinHook func()
}

type loaderStripe struct {
	mu    sync.Mutex
	calls map[string]*loadCall // loads in flight, by key; nil when none
}

// loadCall is one load in flight. val and err are written by the load's
// goroutine before done is closed, and only read after.
type loadCall struct {
	done chan struct{}
	val  []byte
	err  error
}

// fill copies the group's counters into s.
func (g *loaderGroup) fill(s *stats.Snapshot) {
	s.Loads = g.loads.Load()
	s.LoadErrors = g.loadErrors.Load()
	s.LoadTimeNanos = g.loadTimeNanos.Load()
}

// do joins the load of key in flight or starts one, and waits for it or
// for ctx. The caller has checked that key may be stored and missed it.
func (g *loaderGroup) do(ctx context.Context, e *engine, key []byte, load loaderFunc) ([]byte, error) {
	h := e.hash(key)
	st := &g.stripes[h>>16&(loaderStripes-1)]
	st.mu.Lock()
	call := st.calls[string(key)]
	if call != nil {
		st.mu.Unlock()
		if g.joinHook != nil {
			g.joinHook()
		}
		return call.wait(ctx)
	}
	// A load of key may have finished between the caller's miss and now:
	// it stored before it left the table (under st.mu), so this look sees
	// its value unless the value was declined or evicted since.
	if v, ok := e.peek(h, key); ok {
		st.mu.Unlock()
		return v, nil
	}
	sk := string(key)
	call = &loadCall{done: make(chan struct{})}
	if st.calls == nil {
		st.calls = make(map[string]*loadCall)
	}
	st.calls[sk] = call
	st.mu.Unlock()
	g.loads.Add(1)
	go g.run(context.WithoutCancel(ctx), e, st, sk, call, load)
	return call.wait(ctx)
}

// run calls load, stores its value, publishes the outcome to call's
// waiters and removes call from the table, whatever load does.
func (g *loaderGroup) run(ctx context.Context, e *engine, st *loaderStripe, sk string, call *loadCall, load loaderFunc) {
	finished := false
	defer func() {
		if !finished { // load called runtime.Goexit
			call.val, call.err = nil, errLoaderGoexit
			g.loadErrors.Add(1)
		}
		st.mu.Lock()
		delete(st.calls, sk)
		if len(st.calls) == 0 {
			st.calls = nil // a map never shrinks: drop it with its buckets
		}
		st.mu.Unlock()
		close(call.done)
	}()
	start := time.Now()
	val, ttl, err := callLoader(ctx, load)
	g.loadTimeNanos.Add(uint64(time.Since(start)))
	switch {
	case err != nil:
		g.loadErrors.Add(1)
	case ttl < 0:
		g.loadErrors.Add(1)
		err = fmt.Errorf("%w: the loader returned ttl %v", ErrInvalidTTL, ttl)
	default:
		err = e.set([]byte(sk), val, ttl)
	}
	if err == nil {
		// A copy: the loader's slice is not retained.
		call.val = append(make([]byte, 0, len(val)), val...)
	}
	call.err = err
	finished = true
}

// callLoader calls load and turns a panic into a *LoaderPanicError. It
// does not return when load calls runtime.Goexit.
func callLoader(ctx context.Context, load loaderFunc) (val []byte, ttl time.Duration, err error) {
	returned := false
	defer func() {
		if !returned {
			// A panic, or runtime.Goexit, which recover does not stop
			// (and then nothing reads the results). recover returns nil
			// for panic(nil) only under GODEBUG=panicnil=1.
			r := recover()
			val, ttl, err = nil, 0, &LoaderPanicError{Value: r, Stack: debug.Stack()}
		}
	}()
	val, ttl, err = load(ctx)
	returned = true
	return val, ttl, err
}

// wait returns a copy of the call's value or its error once it is done, or
// ctx.Err() if ctx is done first (a result already there wins).
func (call *loadCall) wait(ctx context.Context) ([]byte, error) {
	select {
	case <-call.done:
	case <-ctx.Done():
		select {
		case <-call.done:
		default:
			return nil, ctx.Err()
		}
	}
	if call.err != nil {
		return nil, call.err
	}
	return append(make([]byte, 0, len(call.val)), call.val...), nil
}

// peek is get without counting the lookup or recording it in the policy
// (GetOrLoad's re-check of a key its caller already looked up).
func (e *engine) peek(h uint64, key []byte) ([]byte, bool) {
	if e.closed.Load() {
		return nil, false
	}
	v, st := e.shardFor(h).lookup(e, h, key, nil, lookupValue)
	if !st.hit() {
		return nil, false
	}
	if v == nil {
		v = []byte{}
	}
	return v, true
}
