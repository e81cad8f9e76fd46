// Package stats holds larder's counters and the Snapshot callers read.
//
// Lookup counters (hits, misses, expirations seen by readers) are written
// by lock-free readers on every call, so they are striped: each call adds
// to one of 32 cache-line padded stripes picked from the calling
// goroutine's stack address (arena.GoroutineHint). A goroutine keeps
// writing the same stripe, so two cores meet on a line only when their
// goroutines' stripes collide (1/32 per pair), however skewed the keys.
// Striping by key hash, the previous scheme, put both cores on one line
// whenever they read the same hot key: with 4096 Zipf-distributed keys
// that counter was 58% of a Get's profile. Writer-side counters (sets,
// evictions, ...) are kept per shard by the engine, under the shard lock,
// and need no striping.
package stats

import (
	"sync/atomic"

	"github.com/larder-cache/larder/arena"
)

// Snapshot is a point-in-time copy of a cache's counters. The counters are
// read one by one without stopping writers, so a snapshot taken under load
// is consistent per field, not across fields.
type Snapshot struct {
	Hits        uint64 // lookups (Get, AppendGet, Has) that found the key
	Misses      uint64 // lookups that did not: absent, evicted, rejected or expired
	Sets        uint64 // successful stores (Set, SetWithTTL, SetIfAbsent, Add creating a key)
	Evictions   uint64 // live entries removed to make room
	Rejections  uint64 // new entries declined by the admission policy
	Expirations uint64 // expired entries found by a lookup or reclaimed by the sweep
	Deletes     uint64 // Delete calls that removed an entry

	Loads         uint64 // GetOrLoad calls that ran the loader
	LoadErrors    uint64 // loader calls that returned an error or panicked
	LoadTimeNanos uint64 // total time spent in loaders

	Entries        uint64 // entries held (an expired entry counts until reclaimed)
	BytesInUse     uint64 // arena bytes held by records not yet reclaimed
	BudgetBytes    uint64 // Config.MaxBytes
	AllocatedBytes uint64 // memory the cache allocated: arenas, index, policy, fixed structures (≤ BudgetBytes)
}

// HitRatio returns Hits/(Hits+Misses), or 0 before the first lookup.
func (s Snapshot) HitRatio() float64 {
	total := s.Hits + s.Misses
	if total == 0 {
		return 0
	}
	return float64(s.Hits) / float64(total)
}

// stripes is the number of padded stripes of Lookups, 1<<stripeBits.
const (
	stripeBits = 5
	stripes    = 1 << stripeBits
)

// cacheLine is the padding unit (64 bytes on the platforms we target).
const cacheLine = 64

type lookupStripe struct {
	hits, misses, expired atomic.Uint64
	_                     [cacheLine - 24]byte
}

// Lookups counts reader-side events. The zero value is ready to use.
type Lookups struct {
	_ [cacheLine]byte // keep the first stripe off its neighbours' line
	s [stripes]lookupStripe
}

// Size is the memory a Lookups holds, for budget accounting.
const Size = (stripes + 1) * cacheLine

// stripe picks the calling goroutine's stripe: the top bits of a
// multiplicative (Fibonacci) hash of its stack address. Goroutine stacks
// differ in the address bits above the frame offset, and the product's top
// bits depend on all of them.
func (l *Lookups) stripe() *lookupStripe {
	return &l.s[arena.GoroutineHint()*0x9E3779B97F4A7C15>>(64-stripeBits)]
}

// Why atomic in the three methods below: goroutines on different cores
// may pick the same stripe at the same time.

// Hit counts a lookup that found its key and returns its stripe's count
// of hits so far (which callers may use as a cheap sampling clock).
func (l *Lookups) Hit() uint64 { return l.stripe().hits.Add(1) }

// Miss counts a lookup that did not.
func (l *Lookups) Miss() { l.stripe().misses.Add(1) }

// Expired counts a lookup that found its key expired (also a miss).
func (l *Lookups) Expired() {
	st := l.stripe()
	st.misses.Add(1)
	st.expired.Add(1)
}

// Load returns the sums over all stripes.
func (l *Lookups) Load() (hits, misses, expired uint64) {
	for i := range l.s {
		hits += l.s[i].hits.Load()
		misses += l.s[i].misses.Load()
		expired += l.s[i].expired.Load()
	}
	return
}
