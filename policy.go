package larder

import (
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"

	"github.com/larder-cache/larder/eviction"
)

// policy is the cache-wide admission state: a TinyLFU frequency filter
// shared by all shards (one sketch sees every key, so small shards do not
// each estimate from a sliver of the traffic), and an adaptive bypass.
//
// The ring's tail is a CLOCK hand; when it stops at a victim for a new
// key, TinyLFU decides: the newcomer is stored only if it is estimated
// more frequent than the victim. Pure TinyLFU starves recency-skewed
// workloads (every newcomer is a one-hit wonder to the sketch until it has
// been missed a few times), which a W-TinyLFU cache fixes with an admission
// window. larder's equivalent is the bypass: a fraction of newcomers that
// lose the duel are admitted anyway, as if they had come through a window.
// The fraction is tuned by hill climbing on the hit ratio (eviction.Climber,
// the same search Caffeine uses for its window size), so recency-heavy
// workloads drift towards CLOCK and frequency-heavy ones towards TinyLFU.
type policy struct {
	filter  *eviction.TinyLFU
	climber *eviction.Climber

	// bypass is the float64 bits of the probability that a newcomer that
	// lost its duel is admitted anyway. Read by writers, stored by the
	// adapter. Why atomic: writers of all shards read it without a lock.
	bypass atomic.Uint64

	mu         sync.Mutex // serializes adapt
	lastHits   uint64
	lastTotal  uint64
	sampleHint int // a small fraction of the climber's sample period
}

// policySize is the memory newPolicy(capacity) allocates.
func policySize(capacity int) int {
	return eviction.TinyLFUSizeFor(capacity) + (&eviction.Climber{}).Bytes() + 128
}

func newPolicy(capacity int) *policy {
	p := &policy{
		filter:  eviction.NewTinyLFU(capacity),
		climber: eviction.NewClimber(capacity, initialBypass),
	}
	p.sampleHint = max(capacity/8, 64)
	p.bypass.Store(math.Float64bits(initialBypass))
	return p
}

// initialBypass starts the search in the middle-low range, where a window
// of a few percent would sit.
const initialBypass = 0.1

// adaptEvery is how many stores a shard makes between calls to adapt.
const adaptEvery = 64

// adapt feeds the climber the lookups counted since the last call and
// publishes its new bypass fraction. Writers call it every adaptEvery
// stores; TryLock keeps it off the other shards' critical paths.
func (p *policy) adapt(e *engine) {
	if !p.mu.TryLock() {
		return
	}
	defer p.mu.Unlock()
	hits, misses, _ := e.lookups.Load()
	total := hits + misses
	dh, dt := hits-p.lastHits, total-p.lastTotal
	if dt < 1<<12 && dt < uint64(p.sampleHint) {
		return // batch small deltas: fewer, cheaper climber updates
	}
	p.lastHits, p.lastTotal = hits, total
	p.climber.Observe(min(dh, 1<<30), min(dt, 1<<30))
	p.bypass.Store(math.Float64bits(p.climber.WindowFrac()))
}

// record counts one access to the key with hash h.
func (p *policy) record(h uint64) { p.filter.Record(h) }

// admit decides whether a newcomer with hash cand may evict the victim
// with hash victim.
func (p *policy) admit(cand, victim uint64) bool {
	if p.filter.Admit(cand, victim) {
		return true
	}
	return rand.Float64() < math.Float64frombits(p.bypass.Load())
}
