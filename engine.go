package larder

import (
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zeebo/xxh3"

	"github.com/larder-cache/larder/arena"
	"github.com/larder-cache/larder/eviction"
	"github.com/larder-cache/larder/stats"
	"github.com/larder-cache/larder/ttl"
)

// engine is the cache behind the public Cache: the shards, the region they
// live in, the hash seed and the counters.
type engine struct {
	shards    []shard
	shardBits uint // log2(len(shards))
	region    *arena.Region
	seed      uint64
	// hashHook replaces xxh3 in tests (a degenerate hash); nil otherwise.
	hashHook func([]byte) uint64

	maxEntry   int // longest key+value accepted
	defaultTTL time.Duration
	clock      Clock
	epoch      time.Time

	pol       *policy
	loads     loaderGroup // GetOrLoad's in-flight loads
	janitorMu sync.Mutex
	janitor   *ttl.Janitor // started by the first store with a TTL
	// janitorOn is set once the janitor started. Why atomic: every store
	// with a TTL checks it without taking janitorMu.
	janitorOn atomic.Bool
	closed    atomic.Bool
	lookups   stats.Lookups
	budget    int64
	allocated int64
}

// engineOverhead and perShardOverhead bound the memory the engine holds
// besides the region and the policy, charged to the budget: the engine and
// one shard struct per shard (at most these figures; TestShardLayout
// checks the shard's), plus one page
// for the region's last partial page, which the kernel maps whole.
const (
	engineOverhead   = 512 + pageSize + stats.Size + ttl.JanitorSize
	perShardOverhead = 256
)

func newEngine(cfg Config, hashHook func([]byte) uint64) (*engine, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	n := cfg.shardCount()
	e := &engine{
		shardBits:  uint(bits.TrailingZeros(uint(n))),
		seed:       rand.Uint64(),
		hashHook:   hashHook,
		maxEntry:   cfg.entryLimit(n),
		defaultTTL: cfg.DefaultTTL,
		clock:      cfg.Clock,
		epoch:      time.Now(),
		budget:     cfg.MaxBytes,
	}
	if e.clock != nil {
		e.epoch = e.clock.Now()
	}
	// The policy is sized for the entries the budget holds at the expected
	// entry size. The estimate leaves the policy's own bytes out, so it is
	// about 13% above what the shards can index; sizing the sketch (and its
	// 10·capacity aging period) to the exact count instead lowered the
	// full hit-ratio replay's mean from 54.26 to 54.00, so the estimate
	// stays.
	capacity := int(cfg.MaxBytes / int64(hdrSize+cfg.avgEntrySize()+4+8*maxLoadDen/maxLoadNum))
	if capacity > 64 && int64(filterSize(capacity)) > cfg.MaxBytes/4 {
		// Tiny budgets with tiny entries: keep the policy a minority of
		// the budget, at the largest capacity that does. (Not by halving:
		// the entries a budget holds must grow smoothly with the budget,
		// not jump where the policy halves.)
		capacity = 64 + sort.Search(capacity-64, func(c int) bool {
			return int64(filterSize(64+c+1)) > cfg.MaxBytes/4
		})
	}
	// The region starts with the admission filter's tables (the part of
	// the policy that grows with the capacity; see newPolicy), then the
	// shards. The region's start is page-aligned, so the sketch's
	// cache-line blocks, which come first, are line-aligned. overhead is
	// what stays on the Go heap.
	tableSpace := eviction.TinyLFUTableWords(capacity) * arena.WordSize
	overhead := int64(engineOverhead+n*perShardOverhead) + int64(policySize(capacity)-tableSpace)
	regionBytes := (cfg.MaxBytes - overhead - int64(tableSpace)) &^ 7
	perShard := int(regionBytes/int64(n)) &^ 7
	// The largest record: key and value are padded to 8 bytes separately,
	// which costs at most 8 bytes more than padding their sum once.
	maxRecord := recordSize(0, e.maxEntry, true) + 8
	if perShard < 2*maxRecord+16*8 {
		return nil, fmt.Errorf("%w: %d shards of %d bytes cannot hold two entries of the largest size (%d bytes); use fewer shards or a larger MaxBytes",
			ErrBudgetTooSmall, n, perShard, e.maxEntry)
	}
	region, err := arena.Map(tableSpace + perShard*n)
	if err != nil {
		return nil, fmt.Errorf("larder: %w", err)
	}
	e.region = region
	// Fresh pages are zero, as the filter requires; e holds the region for
	// as long as the policy lives.
	e.pol = newPolicy(capacity, region.Words(0, tableSpace/arena.WordSize))
	e.allocated = overhead + int64(region.Len())
	e.shards = make([]shard, n)
	for i := range e.shards {
		e.shards[i].init(region, tableSpace+i*perShard, perShard, cfg.avgEntrySize(), maxRecord)
	}
	return e, nil
}

// pageSize is the unit the region is rounded to (the smallest common page).
const pageSize = 4096

func (e *engine) hash(key []byte) uint64 {
	if e.hashHook != nil {
		return e.hashHook(key)
	}
	return xxh3.HashSeed(key, e.seed)
}

// shardFor picks the shard from the top bits of the hash.
func (e *engine) shardFor(h uint64) *shard {
	return &e.shards[h>>(64-e.shardBits)&(uint64(len(e.shards))-1)]
}

// now returns the time since the engine's epoch (New) in nanoseconds
// (monotonic unless a Clock is configured). It is negative when a
// configured Clock reads earlier than it did at New: expiry arithmetic
// (expiryFor, ttl) must not assume it is positive.
func (e *engine) now() int64 {
	if e.clock != nil {
		return int64(e.clock.Now().Sub(e.epoch))
	}
	return int64(time.Since(e.epoch))
}

// startJanitor starts the expiry sweeper once.
func (e *engine) startJanitor() {
	e.janitorMu.Lock()
	defer e.janitorMu.Unlock()
	if e.janitor != nil || e.closed.Load() {
		return
	}
	e.janitor = ttl.Start(e.sweep)
	e.janitorOn.Store(true)
}

// sweep visits every shard once.
func (e *engine) sweep() {
	for i := range e.shards {
		e.shards[i].sweep(e)
	}
}

// expiryFor converts a TTL into an absolute expiry (0 = none).
func (e *engine) expiryFor(ttl time.Duration) int64 {
	if ttl <= 0 {
		return 0
	}
	if !e.janitorOn.Load() {
		e.startJanitor()
	}
	now := e.now()
	if now > 0 && int64(ttl) > math.MaxInt64-now {
		return math.MaxInt64 // saturate: a TTL of centuries is "never" in practice
	}
	// With now <= 0 the sum cannot overflow. It may be negative (a Clock
	// behind the epoch), which is a valid expiry; only 0 means "none".
	if exp := now + int64(ttl); exp != 0 {
		return exp
	}
	return 1
}

func (e *engine) get(dst, key []byte) ([]byte, bool) {
	if e.closed.Load() {
		return dst, false
	}
	h := e.hash(key)
	e.pol.touch(h)
	out, st := e.shardFor(h).lookup(e, h, key, dst, lookupValue)
	e.countAccess(h, st)
	return out, st.hit()
}

func (e *engine) has(key []byte) bool {
	if e.closed.Load() {
		return false
	}
	h := e.hash(key)
	e.pol.touch(h)
	_, st := e.shardFor(h).lookup(e, h, key, nil, lookupPresence)
	e.countAccess(h, st)
	return st.hit()
}

// countAccess counts a lookup with status st of the key with hash h in the
// hit/miss counters and in the admission policy's frequency sketch.
//
// A hit on an entry already read since it was written or last moved
// (lookupHitAgain: its reference bit was set) is recorded in the sketch
// only one time in repeatSample, on the goroutine's hit-counter stripe's
// clock. Why: every sketch increment is a CAS on a line another core may
// be writing too, and a key re-read over and over is exactly the one
// whose counters everyone writes. Dropping all such re-reads made a Get
// 1.16-1.31x faster but cost sprite@600 4.5 points (hot keys' estimates
// grew too slowly); sampling one in four kept the hit ratios of the shared
// traces (replay mean 54.13 both ways; mixed@1000 over 40 seeds 71.6 ->
// 73.0) and made 100%-read Gets 1.15x (2^20 entries) to 1.21x (4,096)
// faster. Misses and first reads are always recorded.
func (e *engine) countAccess(h uint64, st lookupStatus) {
	if st == lookupHitAgain {
		if e.lookups.Hit()%repeatSample == 0 {
			e.pol.record(h)
		}
		return
	}
	e.count(st)
	e.pol.record(h)
}

// repeatSample: one in this many repeated hits is recorded (see
// countAccess).
const repeatSample = 4

func (e *engine) count(st lookupStatus) {
	switch st {
	case lookupHit, lookupHitAgain:
		e.lookups.Hit()
	case lookupExpired:
		e.lookups.Expired()
	default:
		e.lookups.Miss()
	}
}

// checkEntry validates sizes for a store.
func (e *engine) checkEntry(key, value []byte) error {
	if len(key) > MaxKeyLen {
		return fmt.Errorf("%w: key of %d bytes, the limit is %d", ErrKeyTooLarge, len(key), MaxKeyLen)
	}
	if len(key)+len(value) > e.maxEntry {
		return fmt.Errorf("%w: key+value of %d bytes, the limit is %d (MaxBytes/64, or MaxBytes/(16·Shards) when less)", ErrEntryTooLarge, len(key)+len(value), e.maxEntry)
	}
	return nil
}

func (e *engine) set(key, value []byte, ttl time.Duration) error {
	if ttl < 0 {
		return fmt.Errorf("%w: %v", ErrInvalidTTL, ttl)
	}
	if err := e.checkEntry(key, value); err != nil {
		return err
	}
	if e.closed.Load() {
		return ErrClosed
	}
	h := e.hash(key)
	_, err := e.shardFor(h).set(e, h, key, value, e.expiryFor(ttl), 0, false)
	return err
}

func (e *engine) add(key []byte, delta int64, ttl time.Duration) (int64, error) {
	if ttl < 0 {
		return 0, fmt.Errorf("%w: %v", ErrInvalidTTL, ttl)
	}
	if len(key) > MaxKeyLen {
		return 0, fmt.Errorf("%w: key of %d bytes, the limit is %d", ErrKeyTooLarge, len(key), MaxKeyLen)
	}
	if len(key)+counterSize > e.maxEntry {
		return 0, fmt.Errorf("%w: key+counter of %d bytes, the limit is %d", ErrEntryTooLarge, len(key)+counterSize, e.maxEntry)
	}
	if e.closed.Load() {
		return 0, ErrClosed
	}
	h := e.hash(key)
	e.pol.record(h)
	return e.shardFor(h).add(e, h, key, delta, e.expiryFor(ttl))
}

func (e *engine) setIfAbsent(key, value []byte, ttl time.Duration) (bool, error) {
	if ttl < 0 {
		return false, fmt.Errorf("%w: %v", ErrInvalidTTL, ttl)
	}
	if err := e.checkEntry(key, value); err != nil {
		return false, err
	}
	if e.closed.Load() {
		return false, ErrClosed
	}
	h := e.hash(key)
	e.pol.record(h)
	return e.shardFor(h).set(e, h, key, value, e.expiryFor(ttl), 0, true)
}

func (e *engine) ttl(key []byte) (time.Duration, bool) {
	if e.closed.Load() || len(key) > MaxKeyLen {
		return 0, false
	}
	h := e.hash(key)
	exp, st := e.shardFor(h).expiry(e, h, key)
	if !st.hit() {
		return 0, false
	}
	if exp == 0 {
		return 0, true
	}
	now := e.now()
	if now < 0 && exp > math.MaxInt64+now {
		return math.MaxInt64, true // exp-now would overflow: centuries left
	}
	return time.Duration(max(exp-now, 1)), true
}

func (e *engine) del(key []byte) bool {
	if e.closed.Load() || len(key) > MaxKeyLen {
		return false
	}
	h := e.hash(key)
	return e.shardFor(h).del(e, h, key)
}

func (e *engine) clear() error {
	if e.closed.Load() {
		return ErrClosed
	}
	for i := range e.shards {
		if err := e.shards[i].clear(e); err != nil {
			return err
		}
	}
	// The cache refills: until it is full again, its hit rate says nothing
	// about the window's size (see policy.adapt).
	e.pol.evicting.Store(false)
	return nil
}

func (e *engine) len() int {
	n := 0
	for i := range e.shards {
		sh := &e.shards[i]
		sh.mu.Lock()
		n += int(sh.count)
		sh.mu.Unlock()
	}
	return n
}

func (e *engine) snapshot() stats.Snapshot {
	var s stats.Snapshot
	var expiredSeen uint64
	s.Hits, s.Misses, expiredSeen = e.lookups.Load()
	s.Expirations = expiredSeen
	for i := range e.shards {
		sh := &e.shards[i]
		sh.mu.Lock()
		s.Sets += sh.sets
		s.Evictions += sh.evictions
		s.Rejections += sh.rejections
		s.Deletes += sh.deletes
		s.Expirations += sh.expirations
		s.Entries += uint64(sh.count)
		s.BytesInUse += uint64(sh.usedBytes)
		sh.mu.Unlock()
	}
	e.loads.fill(&s)
	s.BudgetBytes = uint64(e.budget)
	s.AllocatedBytes = uint64(e.allocated)
	return s
}

// close poisons every shard (so in-flight readers fail validation and
// writers see closed), then returns the region's pages to the OS.
func (e *engine) close() {
	if e.closed.Swap(true) {
		return
	}
	e.janitorMu.Lock()
	if e.janitor != nil {
		e.janitor.Stop()
	}
	e.janitorMu.Unlock()
	for i := range e.shards {
		e.shards[i].close()
	}
	// Every writer has left its critical section (close took each lock after
	// closed was set); readers only read, and now fail validation.
	e.region.Release()
}
