package larder_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/larder-cache/larder"
)

// manualClock is a larder.Clock that moves only when told to, so that the
// examples' output does not depend on timing. Real code leaves
// Config.Clock nil.
type manualClock struct {
	mu  sync.Mutex
	now time.Time
}

func newManualClock() *manualClock {
	return &manualClock{now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func Example() {
	c, err := larder.New(larder.Config{MaxBytes: 1 << 20}) // 1 MiB, everything included
	if err != nil {
		panic(err)
	}
	defer c.Close()

	if err := c.Set([]byte("user:42"), []byte(`{"name":"Ada"}`)); err != nil {
		panic(err)
	}
	v, ok := c.Get([]byte("user:42")) // v is a copy the caller owns
	fmt.Println(string(v), ok)
	_, ok = c.Get([]byte("user:43"))
	fmt.Println(ok)

	buf := make([]byte, 0, 64)
	buf, ok = c.AppendGet(buf[:0], []byte("user:42")) // no allocation: buf has room
	fmt.Println(len(buf), ok)
	// Output:
	// {"name":"Ada"} true
	// false
	// 14 true
}

// Memoizing a slow function: concurrent misses on a key share one call,
// and the result is cached for the ttl the loader returns.
func ExampleCache_GetOrLoad() {
	c, err := larder.New(larder.Config{MaxBytes: 1 << 20})
	if err != nil {
		panic(err)
	}
	defer c.Close()

	var calls atomic.Int32
	exchangeRate := func(ctx context.Context) ([]byte, time.Duration, error) {
		calls.Add(1)
		// ... a slow call to a remote service, bounded by its own timeout ...
		return []byte("1.0842"), time.Minute, nil
	}
	ctx := context.Background()
	for range 3 {
		v, err := c.GetOrLoad(ctx, []byte("rate:EUR:USD"), exchangeRate)
		if err != nil {
			panic(err)
		}
		fmt.Printf("EUR/USD %s (loads so far: %d)\n", v, calls.Load())
	}
	st := c.Stats()
	fmt.Println("loads:", st.Loads, "hits:", st.Hits, "misses:", st.Misses)
	// Output:
	// EUR/USD 1.0842 (loads so far: 1)
	// EUR/USD 1.0842 (loads so far: 1)
	// EUR/USD 1.0842 (loads so far: 1)
	// loads: 1 hits: 2 misses: 1
}

// A fixed-window rate limiter: at most limit requests per user per window.
// The first request creates the counter with the window as its ttl and
// later ones only add to it (like Redis INCRBY + EXPIRE NX), so the window
// starts at a user's first request and the count starts over when it
// expires. Denied requests count too, so a client that keeps hammering
// stays limited.
func Example_fixedWindowRateLimiter() {
	clock := newManualClock()
	c, err := larder.New(larder.Config{MaxBytes: 1 << 20, Clock: clock})
	if err != nil {
		panic(err)
	}
	defer c.Close()

	const limit, window = 3, time.Minute
	allow := func(user string) bool {
		n, err := c.Add([]byte("ratelimit:"+user), 1, window)
		if err != nil {
			return false // fail closed
		}
		return n <= limit
	}

	for i := 1; i <= 4; i++ {
		fmt.Printf("ada request %d: %v\n", i, allow("ada"))
	}
	fmt.Println("bob request 1:", allow("bob"))
	clock.Advance(window - time.Nanosecond)
	fmt.Println("ada, 1ns before the window ends:", allow("ada"))
	clock.Advance(time.Nanosecond)
	fmt.Println("ada, new window:", allow("ada"))
	// Output:
	// ada request 1: true
	// ada request 2: true
	// ada request 3: true
	// ada request 4: false
	// bob request 1: true
	// ada, 1ns before the window ends: false
	// ada, new window: true
}

// A sliding-window rate limiter built from two fixed windows aligned on
// the clock: the requests of the last minute are estimated as the current
// window's count plus the previous window's count weighted by the part of
// it still inside the sliding minute. This smooths the double burst a
// fixed window allows around its boundary, with two counters per user.
// Here only allowed requests count: a denied one is taken back with a
// negative delta.
func Example_slidingWindowRateLimiter() {
	clock := newManualClock() // starts on a whole minute
	c, err := larder.New(larder.Config{MaxBytes: 1 << 20, Clock: clock})
	if err != nil {
		panic(err)
	}
	defer c.Close()

	const limit, window = 5, time.Minute
	allow := func(user string) bool {
		now := clock.Now().UnixNano() // time.Now() in real code
		n, elapsed := now/int64(window), now%int64(window)
		key := fmt.Appendf(nil, "rl:%s:%d", user, n)
		// The counter must outlive the next window, where it is the
		// previous one.
		cur, err := c.Add(key, 1, 2*window)
		if err != nil {
			return false // fail closed
		}
		var prev int64
		if v, ok := c.Get(fmt.Appendf(nil, "rl:%s:%d", user, n-1)); ok {
			prev, _ = larder.CounterValue(v)
		}
		weight := 1 - float64(elapsed)/float64(window)
		if float64(prev)*weight+float64(cur) > limit {
			_, _ = c.Add(key, -1, 2*window)
			return false
		}
		return true
	}

	burst := func(at string, requests int) {
		allowed := 0
		for range requests {
			if allow("ada") {
				allowed++
			}
		}
		fmt.Printf("%s: %d of %d allowed\n", at, allowed, requests)
	}
	clock.Advance(50 * time.Second)
	burst("0:50", 6) // window 0 allows 5
	clock.Advance(25 * time.Second)
	burst("1:15", 4) // 5×0.75 = 3.75 carried over from window 0: 1 more
	clock.Advance(30 * time.Second)
	burst("1:45", 4) // 5×0.25 = 1.25, plus 1 earlier in window 1: 2 more
	clock.Advance(60 * time.Second)
	burst("2:45", 6) // 3×0.25 = 0.75 from window 1: 4 more
	// Output:
	// 0:50: 5 of 6 allowed
	// 1:15: 1 of 4 allowed
	// 1:45: 2 of 4 allowed
	// 2:45: 4 of 6 allowed
}

// Sessions: SetIfAbsent creates a session once (a second create with the
// same token fails instead of overwriting it), SetWithTTL extends it on
// activity, and it expires after a period of inactivity.
func Example_sessions() {
	clock := newManualClock()
	c, err := larder.New(larder.Config{MaxBytes: 1 << 20, Clock: clock})
	if err != nil {
		panic(err)
	}
	defer c.Close()

	const idle = 30 * time.Minute
	token := []byte("session:7f3a9c")

	created, _ := c.SetIfAbsent(token, []byte("user=ada"), idle)
	fmt.Println("created:", created)
	created, _ = c.SetIfAbsent(token, []byte("user=eve"), idle)
	fmt.Println("created again:", created)

	clock.Advance(20 * time.Minute)
	left, _ := c.TTL(token)
	fmt.Println("left:", left)

	// Activity: store the session again with a fresh ttl.
	if v, ok := c.Get(token); ok {
		_ = c.SetWithTTL(token, v, idle)
	}
	clock.Advance(20 * time.Minute)
	v, ok := c.Get(token)
	fmt.Println(string(v), ok)

	clock.Advance(idle)
	_, ok = c.Get(token)
	fmt.Println("after 30 idle minutes:", ok)
	created, _ = c.SetIfAbsent(token, []byte("user=eve"), idle) // expired counts as absent
	fmt.Println("created after expiry:", created)
	// Output:
	// created: true
	// created again: false
	// left: 10m0s
	// user=ada true
	// after 30 idle minutes: false
	// created after expiry: true
}

// Clear empties the cache, for instance when the data it caches has been
// replaced wholesale; the cache stays usable.
func ExampleCache_Clear() {
	c, err := larder.New(larder.Config{MaxBytes: 1 << 20})
	if err != nil {
		panic(err)
	}
	defer c.Close()

	_ = c.Set([]byte("flag:dark-mode"), []byte("on"))
	_ = c.Set([]byte("flag:beta"), []byte("off"))
	fmt.Println("entries:", c.Len())

	if err := c.Clear(); err != nil {
		panic(err)
	}
	_, ok := c.Get([]byte("flag:dark-mode"))
	fmt.Println("after Clear:", c.Len(), ok)

	_ = c.Set([]byte("flag:dark-mode"), []byte("off"))
	v, _ := c.Get([]byte("flag:dark-mode"))
	fmt.Println("stored again:", string(v))
	// Output:
	// entries: 2
	// after Clear: 0 false
	// stored again: off
}
