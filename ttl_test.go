package larder

import (
	"encoding/binary"
	"math"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestTTLSemantics(t *testing.T) {
	clk := &fakeClock{t: time.Unix(5000, 0)}
	c := newTestCache(t, Config{MaxBytes: 1 << 20, Clock: clk, DefaultTTL: time.Minute}, nil)
	require.NoError(t, c.Set([]byte("default"), []byte("v")))
	require.NoError(t, c.SetWithTTL([]byte("short"), []byte("v"), time.Millisecond))
	require.NoError(t, c.SetWithTTL([]byte("forever"), []byte("v"), 0))
	left, ok := c.TTL([]byte("default"))
	require.True(t, ok)
	require.Equal(t, time.Minute, left)
	left, ok = c.TTL([]byte("forever"))
	require.True(t, ok)
	require.Zero(t, left)

	clk.Advance(time.Millisecond - time.Nanosecond)
	require.True(t, c.Has([]byte("short")), "alive until its expiry")
	clk.Advance(time.Nanosecond)
	_, ok = c.Get([]byte("short"))
	require.False(t, ok, "a miss from the moment it expires")
	_, ok = c.TTL([]byte("short"))
	require.False(t, ok)
	require.Positive(t, c.Stats().Expirations)

	// SetIfAbsent treats an expired key as absent.
	stored, err := c.SetIfAbsent([]byte("short"), []byte("new"), 0)
	require.NoError(t, err)
	require.True(t, stored)
	stored, err = c.SetIfAbsent([]byte("short"), []byte("other"), 0)
	require.NoError(t, err)
	require.False(t, stored)
	v, _ := c.Get([]byte("short"))
	require.Equal(t, "new", string(v))

	clk.Advance(time.Hour)
	require.False(t, c.Has([]byte("default")))
	require.True(t, c.Has([]byte("forever")))
	require.ErrorIs(t, c.SetWithTTL([]byte("x"), nil, -time.Second), ErrInvalidTTL)
	_, err = c.SetIfAbsent([]byte("x"), nil, -1)
	require.ErrorIs(t, err, ErrInvalidTTL)
}

// TestExpiredMemoryReclaimed fills a cache that is not full with entries
// of a 1 s TTL, lets them expire, and checks the sweep gives the bytes back.
func TestExpiredMemoryReclaimed(t *testing.T) {
	n := 1_000_000
	if testing.Short() || raceEnabled {
		n = 100_000
	}
	clk := &fakeClock{t: time.Unix(0, 0)}
	c := newTestCache(t, Config{MaxBytes: int64(n) * 200, Clock: clk}, nil)
	key := make([]byte, 16)
	val := make([]byte, 64)
	for i := 0; i < n; i++ {
		binary.LittleEndian.PutUint64(key, uint64(i))
		require.NoError(t, c.SetWithTTL(key, val, time.Second))
	}
	before := c.Stats()
	require.Equal(t, uint64(n), before.Entries, "the cache is not full")
	clk.Advance(2 * time.Second)
	c.e.sweep() // what the janitor does every ttl.Period
	after := c.Stats()
	t.Logf("%d entries with a 1 s TTL: %d bytes in use before expiry, %d after one sweep; %d expirations",
		n, before.BytesInUse, after.BytesInUse, after.Expirations)
	require.Zero(t, after.Entries)
	require.Zero(t, after.BytesInUse)
	require.Equal(t, uint64(n), after.Expirations)
}

// TestTTLClockBehindEpoch steps a configured Clock back past the time it
// read at New: expiry arithmetic must not overflow into "never".
func TestTTLClockBehindEpoch(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1_000_000, 0)}
	c := newTestCache(t, Config{MaxBytes: 1 << 20, Clock: clk}, nil)
	require.NoError(t, c.SetWithTTL([]byte("forever-ish"), []byte("v"), time.Duration(math.MaxInt64)))
	clk.Advance(-time.Hour)
	require.NoError(t, c.SetWithTTL([]byte("k"), []byte("v"), time.Minute))
	left, ok := c.TTL([]byte("k"))
	require.True(t, ok)
	require.Equal(t, time.Minute, left)
	left, ok = c.TTL([]byte("forever-ish"))
	require.True(t, ok)
	require.Greater(t, left, 100*365*24*time.Hour, "a saturated expiry seen from behind the epoch")
	clk.Advance(time.Minute - time.Nanosecond)
	require.True(t, c.Has([]byte("k")), "alive until its expiry")
	clk.Advance(time.Nanosecond)
	require.False(t, c.Has([]byte("k")), "a miss from the moment it expires")
	// An expiry that lands exactly on the epoch (0, which means "none" in
	// a record) is moved 1ns later, not turned into "never".
	clk.Advance(-time.Minute)
	require.NoError(t, c.SetWithTTL([]byte("zero"), []byte("v"), time.Hour))
	clk.Advance(time.Hour + time.Nanosecond)
	require.False(t, c.Has([]byte("zero")))
}

// TestJanitorsShareOneGoroutine stores TTL entries in many caches: their
// sweeps share one goroutine (a goroutine per cache would cost each a
// stack outside its budget), and sweeping still reclaims.
func TestJanitorsShareOneGoroutine(t *testing.T) {
	before := runtime.NumGoroutine()
	for range 50 {
		c := newTestCache(t, Config{MaxBytes: MinMaxBytes}, nil)
		require.NoError(t, c.SetWithTTL([]byte("k"), []byte("v"), time.Hour))
	}
	require.LessOrEqual(t, runtime.NumGoroutine(), before+1)
}
