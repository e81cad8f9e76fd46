package hitratio

import (
	"container/list"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/VictoriaMetrics/fastcache"
	"github.com/Yiling-J/theine-go"
	"github.com/allegro/bigcache/v3"
	"github.com/coocood/freecache"
	"github.com/dgraph-io/ristretto/v2"
	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/maypok86/otter/v2"

	"github.com/larder-cache/larder"
)

// Cache names, as -only style lists and the tables use them.
const (
	CacheBelady    = "belady"
	CacheExactLRU  = "exact-lru"
	CacheLarder    = "larder"
	CacheOtter     = "otter"
	CacheTheine    = "theine"
	CacheRistretto = "ristretto"
	CacheLRU       = "golang-lru"
	Cache2Q        = "golang-2q"
	CacheFreecache = "freecache"
	CacheFastcache = "fastcache"
	CacheBigcache  = "bigcache"
)

// Every cache stores the same entry: an 8-byte big-endian key (byte caches)
// or the uint64 itself (generic caches), and this 16-byte value. Byte-budget
// caches are calibrated with exactly these sizes, so "n entries" means the
// same thing for all of them.
const (
	keyLen   = 8
	valueLen = 16
)

var payload = []byte("larder-hitratio!")

func init() {
	if len(payload) != valueLen {
		panic("hitratio: payload must be valueLen bytes")
	}
}

// policy is what a replay drives: on each request Get, and on a miss Set,
// the access model of a look-aside cache in front of a loader.
type policy interface {
	Get(k uint64) bool
	Set(k uint64)
	// Err returns the first error a Set reported (nil for caches whose Set
	// cannot fail); a replay that saw one is reported as failed, not
	// silently scored with missing entries.
	Err() error
	Close()
}

// sized is a byte-budget cache that can say how many entries it holds, for
// calibration.
type sized interface {
	policy
	// Entries is the cache's own entry count (Stats().Entries, EntryCount,
	// EntriesCount, Len).
	Entries() int
	// Peek reports whether k is present, touching as little policy state
	// as the cache allows (calibration calls it only on a cache it is
	// about to discard).
	Peek(k uint64) bool
}

// byteCache describes a cache sized in bytes. Its entry capacity for our
// 24-byte entries is found by calibrate.
type byteCache struct {
	// open returns the cache at budget. It must depend on nothing else:
	// calibration memoises probes per budget.
	open func(budget int64) (sized, error)
	// min is the smallest budget the cache honours; below it the cache
	// silently uses min (freecache, fastcache) or refuses (larder).
	min int64
	// round maps a budget to the next one the cache can represent
	// (bigcache counts whole MiB); nil means any byte count.
	round func(b int64) int64
	// tooSmall reports errors from open meaning "raise the budget".
	tooSmall func(err error) bool
}

// cacheSpec is one column of the tables.
type cacheSpec struct {
	name string
	// count opens a cache holding n entries; nil for byte caches and Belady.
	count func(n int) (policy, error)
	bytes *byteCache
	// offline marks Belady's optimum, computed from the whole trace.
	offline bool
	// randomized marks caches whose hit ratio varies from run to run of
	// the same trace (randomly seeded hashing and sketches, random
	// admission jitter, lossy read buffers, wall-clock timestamps): Run
	// repeats them and reports the mean. The others are deterministic for
	// a given trace.
	randomized bool
}

// cacheCatalogue lists the caches in column order: the ceiling and the
// baseline first, then larder and its peers.
func cacheCatalogue(lc larderConf) []cacheSpec {
	return []cacheSpec{
		{name: CacheBelady, offline: true},
		{name: CacheExactLRU, count: func(n int) (policy, error) { return newExactLRU(n), nil }},
		{name: CacheLarder, bytes: &byteCache{
			open: func(b int64) (sized, error) { return newLarder(b, lc) },
			min:  larder.MinMaxBytes,
			tooSmall: func(err error) bool {
				return errors.Is(err, larder.ErrBudgetTooSmall)
			},
		}, randomized: true}, // each cache hashes with its own random seed
		{name: CacheOtter, count: newOtter, randomized: true},
		{name: CacheTheine, count: newTheine, randomized: true},
		{name: CacheRistretto, count: newRistretto, randomized: true},
		{name: CacheLRU, count: newGolangLRU},
		{name: Cache2Q, count: newGolang2Q},
		{name: CacheFreecache, bytes: &byteCache{
			open: func(b int64) (sized, error) { return newFreecache(b), nil },
			// freecache.NewCache raises anything smaller to 512 KiB.
			min: 512 << 10,
			// It evicts by wall-clock access times (whole seconds), so its
			// hit ratio depends on how fast the replay runs: P3@400k gave
			// 73.30 and 74.40 in two full runs at the same budget.
		}, randomized: true},
		{name: CacheFastcache, bytes: &byteCache{
			open: func(b int64) (sized, error) { return newFastcache(b), nil },
			// fastcache gives each of its 512 buckets at least one 64 KiB
			// chunk, so 32 MiB is the least it ever allocates.
			min: 512 * 64 << 10,
		}},
		{name: CacheBigcache, bytes: &byteCache{
			open: newBigcache,
			min:  1 << 20,
			// HardMaxCacheSize is a whole number of MiB.
			round: func(b int64) int64 { return (b + 1<<20 - 1) >> 20 << 20 },
		}},
	}
}

// CacheNames returns the names of every cache Run knows, in column order.
func CacheNames() []string {
	var names []string
	for _, c := range cacheCatalogue(larderConf{}) {
		names = append(names, c.name)
	}
	return names
}

// ---- exact LRU -------------------------------------------------------------

// exactLRU is a textbook LRU (map + doubly linked list), the reference the
// published OLTP and glimpse figures are checked against; it has no
// sharding, sampling or buffering that could blur those figures.
type exactLRU struct {
	cap int
	ll  *list.List
	m   map[uint64]*list.Element
}

func newExactLRU(n int) *exactLRU {
	return &exactLRU{cap: n, ll: list.New(), m: make(map[uint64]*list.Element, n)}
}

func (c *exactLRU) Get(k uint64) bool {
	e, ok := c.m[k]
	if ok {
		c.ll.MoveToFront(e)
	}
	return ok
}

func (c *exactLRU) Set(k uint64) {
	if e, ok := c.m[k]; ok {
		c.ll.MoveToFront(e)
		return
	}
	if c.ll.Len() >= c.cap {
		last := c.ll.Back()
		delete(c.m, last.Value.(uint64))
		c.ll.Remove(last)
	}
	c.m[k] = c.ll.PushFront(k)
}

func (c *exactLRU) Err() error { return nil }
func (c *exactLRU) Close()     {}

// ---- larder ----------------------------------------------------------------

type larderPolicy struct {
	c   *larder.Cache
	key [keyLen]byte
	buf []byte
	err error
}

// larderConf carries the larder settings Options exposes; zero values are
// larder's defaults. Note that the default shard count depends on
// GOMAXPROCS for budgets of 4 MiB and more, so pin Shards to compare
// machines.
type larderConf struct {
	shards, avgEntrySize int
}

func (lc larderConf) String() string {
	return fmt.Sprintf("shards=%d,avg=%d", lc.shards, lc.avgEntrySize)
}

func newLarder(budget int64, lc larderConf) (*larderPolicy, error) {
	c, err := larder.New(larder.Config{MaxBytes: budget, Shards: lc.shards, AvgEntrySize: lc.avgEntrySize})
	if err != nil {
		return nil, err
	}
	return &larderPolicy{c: c, buf: make([]byte, 0, valueLen)}, nil
}

func (p *larderPolicy) Get(k uint64) bool {
	binary.BigEndian.PutUint64(p.key[:], k)
	// AppendGet into a reused buffer: a real lookup (the value is copied
	// out) without an allocation per request.
	var ok bool
	p.buf, ok = p.c.AppendGet(p.buf[:0], p.key[:])
	return ok
}

func (p *larderPolicy) Set(k uint64) {
	binary.BigEndian.PutUint64(p.key[:], k)
	if err := p.c.Set(p.key[:], payload); err != nil && p.err == nil {
		p.err = fmt.Errorf("larder Set: %w", err)
	}
}

func (p *larderPolicy) Entries() int { return int(p.c.Stats().Entries) }
func (p *larderPolicy) Peek(k uint64) bool {
	binary.BigEndian.PutUint64(p.key[:], k)
	return p.c.Has(p.key[:])
}
func (p *larderPolicy) Err() error { return p.err }
func (p *larderPolicy) Close()     { p.c.Close() }

// ---- otter -----------------------------------------------------------------

type otterPolicy struct{ c *otter.Cache[uint64, []byte] }

func newOtter(n int) (policy, error) {
	c, err := otter.New(&otter.Options[uint64, []byte]{
		MaximumSize: n,
		// Otter applies reads and writes to its policy from buffers, in
		// maintenance that its default executor runs on another goroutine.
		// Running that maintenance synchronously on the caller (the mode
		// otter documents for tests) makes the policy see every access in
		// trace order and the replay deterministic, while keeping the
		// policy itself unchanged.
		Executor: func(fn func()) { fn() },
	})
	if err != nil {
		return nil, err
	}
	return &otterPolicy{c: c}, nil
}

func (p *otterPolicy) Get(k uint64) bool {
	_, ok := p.c.GetIfPresent(k)
	return ok
}
func (p *otterPolicy) Set(k uint64) { p.c.Set(k, payload) }
func (p *otterPolicy) Err() error   { return nil }
func (p *otterPolicy) Close()       { p.c.StopAllGoroutines() }

// ---- theine ----------------------------------------------------------------

type theinePolicy struct{ c *theine.Cache[uint64, []byte] }

func newTheine(n int) (policy, error) {
	c, err := theine.NewBuilder[uint64, []byte](int64(n)).Build()
	if err != nil {
		return nil, err
	}
	return &theinePolicy{c: c}, nil
}

func (p *theinePolicy) Get(k uint64) bool {
	_, ok := p.c.Get(k)
	return ok
}

func (p *theinePolicy) Set(k uint64) {
	p.c.Set(k, payload, 1)
	// Theine hands writes to its policy through a channel drained by a
	// maintenance goroutine; Wait returns once that channel is drained, so
	// the next Get sees the admission/eviction this Set caused, as it would
	// in a synchronous replay. (Reads are recorded in striped buffers that
	// are drained on the caller when full, so no read is lost.)
	p.c.Wait()
}
func (p *theinePolicy) Err() error { return nil }
func (p *theinePolicy) Close()     { p.c.Close() }

// ---- ristretto -------------------------------------------------------------

type ristrettoPolicy struct {
	c *ristretto.Cache[uint64, []byte]
}

func newRistretto(n int) (policy, error) {
	c, err := ristretto.NewCache(&ristretto.Config[uint64, []byte]{
		NumCounters: 10 * int64(n), // ristretto's advice: 10x the items held
		MaxCost:     int64(n),
		BufferItems: 64,
		// Cost 1 per entry must mean one entry: without this ristretto adds
		// its own per-item overhead to every cost and would hold far fewer
		// than n entries.
		IgnoreInternalCost: true,
	})
	if err != nil {
		return nil, err
	}
	return &ristrettoPolicy{c: c}, nil
}

func (p *ristrettoPolicy) Get(k uint64) bool {
	_, ok := p.c.Get(k)
	return ok
}

func (p *ristrettoPolicy) Set(k uint64) {
	p.c.Set(k, payload, 1)
	// Ristretto admits asynchronously: Set only enqueues. Wait blocks until
	// the queue is processed, so the entry is in (or rejected) before the
	// next request, and sets are never dropped for a full buffer. Gets are
	// still recorded in ristretto's lossy batched buffers, by design: that
	// part stays as in production. Together with its randomly seeded
	// sketch this makes results vary between runs (by up to 15 points on
	// the 6k-request glimpse trace), hence randomized and repeated.
	p.c.Wait()
}
func (p *ristrettoPolicy) Err() error { return nil }
func (p *ristrettoPolicy) Close()     { p.c.Close() }

// ---- golang-lru ------------------------------------------------------------

type golangLRU struct{ c *lru.Cache[uint64, []byte] }

func newGolangLRU(n int) (policy, error) {
	c, err := lru.New[uint64, []byte](n)
	if err != nil {
		return nil, err
	}
	return &golangLRU{c: c}, nil
}

func (p *golangLRU) Get(k uint64) bool {
	_, ok := p.c.Get(k)
	return ok
}
func (p *golangLRU) Set(k uint64) { p.c.Add(k, payload) }
func (p *golangLRU) Err() error   { return nil }
func (p *golangLRU) Close()       {}

type golang2Q struct {
	c *lru.TwoQueueCache[uint64, []byte]
}

func newGolang2Q(n int) (policy, error) {
	c, err := lru.New2Q[uint64, []byte](n)
	if err != nil {
		return nil, err
	}
	return &golang2Q{c: c}, nil
}

func (p *golang2Q) Get(k uint64) bool {
	_, ok := p.c.Get(k)
	return ok
}
func (p *golang2Q) Set(k uint64) { p.c.Add(k, payload) }
func (p *golang2Q) Err() error   { return nil }
func (p *golang2Q) Close()       {}

// ---- freecache -------------------------------------------------------------

type freecachePolicy struct {
	c   *freecache.Cache
	key [keyLen]byte
	err error
}

func newFreecache(budget int64) *freecachePolicy {
	return &freecachePolicy{c: freecache.NewCache(int(budget))}
}

func (p *freecachePolicy) Get(k uint64) bool {
	binary.BigEndian.PutUint64(p.key[:], k)
	// GetFn reads in place: a real lookup (it updates freecache's access
	// time, which its eviction uses) without copying the value.
	return p.c.GetFn(p.key[:], func([]byte) error { return nil }) == nil
}

func (p *freecachePolicy) Set(k uint64) {
	binary.BigEndian.PutUint64(p.key[:], k)
	if err := p.c.Set(p.key[:], payload, 0); err != nil && p.err == nil {
		p.err = fmt.Errorf("freecache Set: %w", err)
	}
}

func (p *freecachePolicy) Entries() int { return int(p.c.EntryCount()) }
func (p *freecachePolicy) Peek(k uint64) bool {
	binary.BigEndian.PutUint64(p.key[:], k)
	return p.c.PeekFn(p.key[:], func([]byte) error { return nil }) == nil
}
func (p *freecachePolicy) Err() error { return p.err }
func (p *freecachePolicy) Close()     { p.c.Clear() }

// ---- fastcache -------------------------------------------------------------

type fastcachePolicy struct {
	c   *fastcache.Cache
	key [keyLen]byte
	buf []byte
}

func newFastcache(budget int64) *fastcachePolicy {
	return &fastcachePolicy{c: fastcache.New(int(budget)), buf: make([]byte, 0, valueLen)}
}

func (p *fastcachePolicy) Get(k uint64) bool {
	binary.BigEndian.PutUint64(p.key[:], k)
	var ok bool
	p.buf, ok = p.c.HasGet(p.buf[:0], p.key[:])
	return ok
}

func (p *fastcachePolicy) Set(k uint64) {
	binary.BigEndian.PutUint64(p.key[:], k)
	p.c.Set(p.key[:], payload)
}

func (p *fastcachePolicy) Entries() int {
	var s fastcache.Stats
	p.c.UpdateStats(&s)
	return int(s.EntriesCount)
}
func (p *fastcachePolicy) Peek(k uint64) bool {
	binary.BigEndian.PutUint64(p.key[:], k)
	return p.c.Has(p.key[:])
}
func (p *fastcachePolicy) Err() error { return nil }
func (p *fastcachePolicy) Close()     { p.c.Reset() }

// ---- bigcache --------------------------------------------------------------

type bigcachePolicy struct {
	c   *bigcache.BigCache
	key [keyLen]byte
	err error
}

// newBigcache opens bigcache with a budget of whole MiB. Shards: bigcache
// evicts FIFO per shard, so we keep room for at least ~256 of our entries
// per shard (about 11 KiB; a power of two, at most bigcache's default
// 1024) so that shard imbalance does not dominate small budgets. It depends
// on the budget only, so calibration probes can be memoised per budget.
func newBigcache(budget int64) (sized, error) {
	const perShard = 256 * 43 // ~43 B per entry: 18 B header + key + value + length
	shards := 1
	for shards*2 <= 1024 && int64(shards*2*perShard) <= budget {
		shards *= 2
	}
	c, err := bigcache.New(context.Background(), bigcache.Config{
		Shards: shards,
		// No expiry: entries leave only when their shard's queue is full.
		LifeWindow:  100 * 365 * 24 * time.Hour,
		CleanWindow: 0,
		// These two only size the initial queues and maps.
		MaxEntriesInWindow: int(budget / 64),
		MaxEntrySize:       64,
		HardMaxCacheSize:   int(budget >> 20),
	})
	if err != nil {
		return nil, err
	}
	return &bigcachePolicy{c: c}, nil
}

func (p *bigcachePolicy) Get(k uint64) bool {
	binary.BigEndian.PutUint64(p.key[:], k)
	_, err := p.c.Get(string(p.key[:]))
	return err == nil
}

func (p *bigcachePolicy) Set(k uint64) {
	binary.BigEndian.PutUint64(p.key[:], k)
	if err := p.c.Set(string(p.key[:]), payload); err != nil && p.err == nil {
		p.err = fmt.Errorf("bigcache Set: %w", err)
	}
}

func (p *bigcachePolicy) Entries() int { return p.c.Len() }
func (p *bigcachePolicy) Peek(k uint64) bool {
	binary.BigEndian.PutUint64(p.key[:], k)
	_, err := p.c.Get(string(p.key[:]))
	return err == nil
}
func (p *bigcachePolicy) Err() error { return p.err }
func (p *bigcachePolicy) Close()     { p.c.Close() }
