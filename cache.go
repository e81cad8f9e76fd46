package larder

import (
	"encoding/binary"
	"runtime"
	"time"

	"github.com/larder-cache/larder/stats"
)

// Cache is a concurrent key-value cache that keeps keys and values off the
// Go heap under a hard byte budget. All methods are safe for concurrent use.
// Get, AppendGet and Has take no lock; Set and Delete lock one shard.
type Cache struct {
	e *engine
}

// New returns a cache configured by cfg, or an error wrapping
// ErrInvalidConfig or ErrBudgetTooSmall when cfg is not usable.
func New(cfg Config) (*Cache, error) {
	e, err := newEngine(cfg, nil)
	if err != nil {
		return nil, err
	}
	c := &Cache{e: e}
	// A cache dropped without Close still stops its expiry sweeper and
	// frees its memory (the engine does not point back at c).
	runtime.AddCleanup(c, func(e *engine) { e.close() }, e)
	return c, nil
}

// Get returns a copy of the value stored for key, which the caller owns, and
// whether it was found. An empty value is reported as found with length 0.
func (c *Cache) Get(key []byte) ([]byte, bool) {
	v, ok := c.e.get(nil, key)
	if ok && v == nil {
		v = []byte{}
	}
	return v, ok
}

// AppendGet appends the value stored for key to dst and returns the extended
// slice and whether the key was found. It does not allocate when dst has
// room for the value. On a miss dst is returned unchanged. The spare
// capacity of dst must not hold key: a lookup that retries after a
// concurrent write may have copied bytes there already.
func (c *Cache) AppendGet(dst, key []byte) ([]byte, bool) {
	return c.e.get(dst, key)
}

// Has reports whether key is present, without copying its value.
func (c *Cache) Has(key []byte) bool {
	return c.e.has(key)
}

// Set stores value for key, replacing any previous value. When the cache is
// full it evicts to make room; the admission policy may decline a new key
// (counted in Stats().Rejections), which is not an error. Errors:
// ErrKeyTooLarge, ErrEntryTooLarge, ErrClosed.
func (c *Cache) Set(key, value []byte) error {
	return c.e.set(key, value, c.e.defaultTTL)
}

// Delete removes key and reports whether it was present.
func (c *Cache) Delete(key []byte) bool {
	return c.e.del(key)
}

// Clear removes every entry and returns the pages that held them to the
// operating system; the cache stays usable with the same budget. The
// admission policy keeps its frequency history, so keys that were popular
// before are admitted readily again. Clear takes each shard's lock in
// turn and is not atomic across shards: a concurrent reader may find some
// keys gone and others not yet, but a lookup that starts after Clear
// returns misses every key stored before it (until it is stored again; a
// GetOrLoad whose loader is running during Clear stores its value after).
// Errors: ErrClosed.
func (c *Cache) Clear() error {
	return c.e.clear()
}

// Len returns the number of entries held, including expired entries whose
// space has not been reclaimed yet. It takes each shard's lock in turn,
// briefly, so it waits for a Set in progress.
func (c *Cache) Len() int {
	return c.e.len()
}

// Stats returns a snapshot of the cache's counters. Like Len it takes
// each shard's lock in turn, briefly.
func (c *Cache) Stats() stats.Snapshot {
	return c.e.snapshot()
}

// Close releases the cache's memory to the operating system. It is
// idempotent and safe to call while other goroutines use the cache: they
// observe misses or ErrClosed, never a crash. Close always returns nil.
func (c *Cache) Close() error {
	c.e.close()
	return nil
}

// SetWithTTL stores value for key with a time to live: the entry is a miss
// from the moment ttl has passed. ttl 0 means the entry never expires;
// negative is ErrInvalidTTL.
func (c *Cache) SetWithTTL(key, value []byte, ttl time.Duration) error {
	return c.e.set(key, value, ttl)
}

// SetIfAbsent stores value for key only if key is absent (or expired), and
// reports whether it stored. It is atomic with respect to other writers of
// the key, so it can create sessions or take a lock-by-key. ttl is as for
// SetWithTTL. A newly stored entry may still be evicted later.
func (c *Cache) SetIfAbsent(key, value []byte, ttl time.Duration) (stored bool, err error) {
	return c.e.setIfAbsent(key, value, ttl)
}

// TTL returns the time key has left to live (0 for an entry that does not
// expire) and whether key is present.
func (c *Cache) TTL(key []byte) (time.Duration, bool) {
	return c.e.ttl(key)
}

// Add atomically adds delta to the counter stored at key and returns the
// new value. When key is absent or expired it is created holding delta,
// expiring after ttl (0: never); later Adds do not extend the ttl (a fixed
// window, like INCRBY then EXPIRE ... NX). A counter's value is 8 bytes, a
// native-endian int64 (read it with CounterValue); an existing 8-byte value
// stored by Set is taken as a counter. Any other existing value gets
// ErrNotCounter. A sum beyond the int64 range gets ErrCounterOverflow and
// leaves the counter unchanged (it never wraps). Adding to an existing
// counter takes no lock and does not allocate.
func (c *Cache) Add(key []byte, delta int64, ttl time.Duration) (int64, error) {
	return c.e.add(key, delta, ttl)
}

// CounterValue decodes a counter's value as returned by Get.
func CounterValue(b []byte) (int64, bool) {
	if len(b) != counterSize {
		return 0, false
	}
	return int64(binary.NativeEndian.Uint64(b)), true
}
