package eviction

import (
	"math/bits"
	"sync"
	"sync/atomic"
)

// Sketch geometry and aging parameters.
const (
	// blockWords is the number of uint64 words in one block: 64 bytes, one
	// cache line, 128 four-bit counters. All four counters of a key live in
	// one block, so an Increment or Estimate touches one cache line.
	blockWords = 8

	// sketchMaxCapacity bounds the capacity a Sketch is sized for (2^40
	// entries, an 8 TiB table); larger requests are clamped.
	sketchMaxCapacity = 1 << (28 + 12*(^uint(0)>>63)) // 2^40 on 64-bit, 2^28 where int is 32 bits

	// sampleFactor is the length of an aging period in recorded increments,
	// as a multiple of the capacity (the TinyLFU paper's W = 10·C).
	// Shorter periods forget too soon: 5·C and 3·C lowered the replay mean
	// by 0.73 and 2.33 points (P3@25000 -5 and -7, loop -7 and -12).
	sampleFactor = 10

	// maxSampleStripes is the number of sample-count stripes (2 KiB).
	maxSampleStripes = 32

	// sampleLagDivisor bounds the increments that may sit in stripes not
	// yet added to the shared total: at most sampleSize/sampleLagDivisor.
	sampleLagDivisor = 16

	// counterMax is the saturation value of a 4-bit counter.
	counterMax = 15

	// halveMask clears the bit each counter receives from its neighbour
	// when a word is shifted right by one.
	halveMask = 0x7777777777777777
)

// Sketch is a count-min sketch of 4-bit saturating counters that estimates
// how often a hash was seen in the recent past. It is safe for concurrent
// use without locks: every counter word is read with an atomic load and
// changed with a compare-and-swap.
//
// Layout: the table holds one uint64 (sixteen counters) per entry of
// capacity, grouped into 64-byte blocks of eight words. A key selects one
// block from the high bits of its (re-mixed) hash and, from its low 20
// bits, one counter in each of the word pairs {0,1}, {2,3}, {4,5} and
// {6,7}: 1 bit picks the word of the pair and 4 bits the nibble. The four
// counters are therefore always distinct, independent in position, and on
// one cache line.
//
// Aging: after sampleFactor·capacity increments every counter is halved
// (see Increment and doc.go).
type Sketch struct {
	table  []uint64 // len = blocks*blockWords; pointer-free
	blocks uint64

	sampleSize int64  // increments per aging period
	batch      uint64 // power of two: stripe increments per shared add
	stripeMask uint64
	stripes    []paddedCounter // pointer-free

	// onAge, if set, runs after each halving while mu is held. TinyLFU
	// uses it to clear its doorkeeper.
	onAge func()

	_       [cacheLine]byte
	samples atomic.Int64 // shared total, advanced batch at a time
	_       [cacheLine - 8]byte

	mu    sync.Mutex // serialises halving and Clear
	aging uint64     // number of completed halvings, guarded by mu
}

// sketchGeometry returns the block and stripe counts NewSketch(capacity)
// uses, and the clamped capacity.
func sketchGeometry(capacity int) (capped, blocks, stripes int) {
	capped = min(max(capacity, 1), sketchMaxCapacity)
	blocks = (capped + blockWords - 1) / blockWords
	// Always maxSampleStripes stripes, whatever the size: a stripe count
	// that grew with the table (it once was min(blocks, 32) rounded to a
	// power of two) made the sketch jump by a kilobyte where a small
	// table's block count reached a power of two, and with it the entries
	// a small budget holds (TestCapacityGrowsSmoothlyWithBudget).
	stripes = maxSampleStripes
	return capped, blocks, stripes
}

// SketchSizeFor returns the number of bytes NewSketch(capacity) allocates,
// the same value its Bytes method reports, so the engine can budget for
// the sketch before creating it. It is 8 bytes per entry of capacity
// (rounded up to whole 64-byte blocks) plus a fixed part of about 2 KiB
// for the sample-count stripes and the struct.
func SketchSizeFor(capacity int) int {
	_, blocks, stripes := sketchGeometry(capacity)
	return blocks*blockWords*8 + stripes*cacheLine + sizeOf[Sketch]()
}

// sketchTableWords returns the length of NewSketch(capacity)'s counter
// table.
func sketchTableWords(capacity int) int {
	_, blocks, _ := sketchGeometry(capacity)
	return blocks * blockWords
}

// NewSketch returns a sketch sized for a cache of capacity entries. A
// capacity below 1 is treated as 1.
func NewSketch(capacity int) *Sketch {
	return newSketchOn(capacity, make([]uint64, sketchTableWords(capacity)))
}

// newSketchOn is NewSketch with the counter table in table, which must be
// zeroed and sketchTableWords(capacity) long.
func newSketchOn(capacity int, table []uint64) *Sketch {
	capped, blocks, stripes := sketchGeometry(capacity)
	sampleSize := int64(sampleFactor) * int64(capped)
	batch := floorPow2(int(sampleSize / int64(stripes*sampleLagDivisor)))
	n := blocks * blockWords
	return &Sketch{
		table:      table[:n:n],
		blocks:     uint64(blocks),
		sampleSize: sampleSize,
		batch:      uint64(batch),
		stripeMask: uint64(stripes - 1),
		stripes:    make([]paddedCounter, stripes),
	}
}

// Bytes returns the memory the sketch holds: its counter table, its
// sample-count stripes and its struct. It equals SketchSizeFor(capacity).
func (s *Sketch) Bytes() int {
	return len(s.table)*8 + len(s.stripes)*cacheLine + sizeOf[Sketch]()
}

// block returns the block that the re-mixed hash m selects. The index is
// the high word of m·blocks (multiply-shift range reduction), which maps
// the hash uniformly onto any block count, so the table need not be a
// power of two.
func (s *Sketch) block(m uint64) *[blockWords]uint64 {
	hi, _ := bits.Mul64(m, s.blocks)
	i := hi * blockWords
	return (*[blockWords]uint64)(s.table[i : i+blockWords])
}

// touch loads the first word of h's block. Why an atomic load: the
// compiler keeps it although its value is unused (it carries the memory
// state), and it reads a word writers CAS.
func (s *Sketch) touch(h uint64) { atomic.LoadUint64(&s.block(spread(h))[0]) }

// slot returns the word (within its block) and the bit shift of counter
// i ∈ [0,4) of the re-mixed hash m. Counter i uses bits [5i, 5i+5) of m.
func slot(m uint64, i uint) (word uint64, shift uint) {
	b := m >> (5 * i)
	return uint64(2*i) | b&1, uint(b>>1&15) << 2
}

// Increment records one occurrence of the hash h. It adds one to each of
// the key's four counters that is below 15. When all four are saturated it
// returns without writing anything — no compare-and-swap and no sample
// count — so the hottest keys cost four atomic loads from one cache line
// and never make cores fight over a line.
//
// Each increment that changes at least one counter counts towards the
// sample; the increment that completes a sample of 10·capacity halves the
// sketch (on the calling goroutine; see Reset).
func (s *Sketch) Increment(h uint64) { s.increment(h, false) }

// incrementCounted is Increment for a key already counted: it increments
// h's counters only if its estimate is above zero, and reports whether it
// was (the access is then recorded, or the counters were saturated). One
// hash and one read of the block serve both the check and the increment.
func (s *Sketch) incrementCounted(h uint64) bool { return s.increment(h, true) }

// increment implements Increment and incrementCounted: with onlyCounted
// it changes nothing and reports false for a key whose estimate is zero.
func (s *Sketch) increment(h uint64, onlyCounted bool) bool {
	m := spread(h)
	blk := s.block(m)
	w0, sh0 := slot(m, 0)
	w1, sh1 := slot(m, 1)
	w2, sh2 := slot(m, 2)
	w3, sh3 := slot(m, 3)
	p0, p1, p2, p3 := &blk[w0&7], &blk[w1&7], &blk[w2&7], &blk[w3&7]
	v0 := atomic.LoadUint64(p0)
	v1 := atomic.LoadUint64(p1)
	v2 := atomic.LoadUint64(p2)
	v3 := atomic.LoadUint64(p3)
	if (v0>>sh0)&(v1>>sh1)&(v2>>sh2)&(v3>>sh3)&counterMax == counterMax {
		return true // all four saturated: no write at all
	}
	if onlyCounted && min(v0>>sh0&counterMax, v1>>sh1&counterMax, v2>>sh2&counterMax, v3>>sh3&counterMax) == 0 {
		return false
	}
	changed := incrementAt(p0, v0, sh0)
	changed = incrementAt(p1, v1, sh1) || changed
	changed = incrementAt(p2, v2, sh2) || changed
	changed = incrementAt(p3, v3, sh3) || changed
	if changed {
		s.countSample(m)
	}
	return true
}

// incrementAt adds one to the counter at bit shift sh of *p unless it is
// saturated, retrying the compare-and-swap if another goroutine changed the
// word meanwhile (v is the caller's last load of *p). It reports whether it
// incremented. A counter below 15 never carries into its neighbour.
func incrementAt(p *uint64, v uint64, sh uint) bool {
	for {
		if (v>>sh)&counterMax == counterMax {
			return false
		}
		if atomic.CompareAndSwapUint64(p, v, v+1<<sh) {
			return true
		}
		v = atomic.LoadUint64(p)
	}
}

// Estimate returns the estimated number of occurrences of h in the recent
// past, 0..15: the minimum of its four counters. Without halving in
// between (and without hash collisions in the caller's h), the estimate is
// never below min(true count, 15); collisions can only raise it.
func (s *Sketch) Estimate(h uint64) int {
	m := spread(h)
	blk := s.block(m)
	est := uint64(counterMax)
	for i := range uint(4) {
		w, sh := slot(m, i)
		est = min(est, atomic.LoadUint64(&blk[w&7])>>sh&counterMax)
	}
	return int(est)
}

// countSample counts one sample increment for the re-mixed hash m.
//
// A single shared counter written by every increment would be one hot
// cache line for all cores. Instead the increment goes to one of up to 32
// cache-line padded stripes chosen by bits 20..24 of m (a key always uses
// the same stripe, different keys spread evenly), and only every batch-th
// increment of a stripe adds batch to the shared total. batch is chosen so
// that at most sampleSize/16 increments can be pending in stripes: aging
// is at most ~6% late, and nothing is lost (what is pending is carried
// into the next period). For small sketches batch is 1 and counting is
// exact. A stripe's counter only grows; its value modulo batch is what is
// pending.
func (s *Sketch) countSample(m uint64) {
	st := &s.stripes[(m>>20)&s.stripeMask]
	if st.n.Add(1)&(s.batch-1) != 0 {
		return
	}
	if s.samples.Add(int64(s.batch)) >= s.sampleSize {
		s.ageIfDue()
	}
}

// ageIfDue halves the sketch if the shared sample total has reached the
// sample size and no other goroutine is halving it already.
//
// Why the loop: an increment that crosses the sample size while another
// goroutine holds mu (halving, Reset or Clear) returns at TryLock without
// aging. So whoever holds mu re-checks the total after Unlock and ages
// if it is still due. That re-check sees every such add: the add precedes
// the failed TryLock, which read mu's state before the Unlock wrote it,
// and Go's atomics are sequentially consistent. Without it, a holder
// preempted on a busy machine left the total arbitrarily far past the
// sample size, with no one left to age.
func (s *Sketch) ageIfDue() {
	for s.samples.Load() >= s.sampleSize {
		if !s.mu.TryLock() {
			return // the holder re-checks after unlocking
		}
		if s.samples.Load() >= s.sampleSize {
			s.halve()
			s.endPeriod()
			s.aged()
		}
		s.mu.Unlock()
	}
}

// endPeriod starts the next sample period after a halving; mu must be
// held. Increments counted while halving, and any excess over the sample
// size, are carried over. A backlog of whole further periods (a halving
// goroutine descheduled while others kept counting) is dropped, not
// halved for once each: one halving per period that actually elapsed
// between halvings, never a burst that would erase every count at once.
func (s *Sketch) endPeriod() {
	for {
		n := s.samples.Load()
		if s.samples.CompareAndSwap(n, max(n-s.sampleSize, 0)%s.sampleSize) {
			return
		}
	}
}

// aged finishes a halving; mu must be held.
func (s *Sketch) aged() {
	s.aging++
	if s.onAge != nil {
		s.onAge()
	}
}

// halve replaces every counter c by floor(c/2), one word at a time with a
// compare-and-swap, so an increment racing with it is either halved or
// applied after, never torn. Zero words are skipped without a write.
func (s *Sketch) halve() {
	for i := range s.table {
		p := &s.table[i]
		for {
			v := atomic.LoadUint64(p)
			if v == 0 || atomic.CompareAndSwapUint64(p, v, (v>>1)&halveMask) {
				break
			}
		}
	}
}

// Reset ages the sketch now, as if a sample period had just ended: every
// counter c becomes floor(c/2) and the sample count restarts from zero.
// Automatic aging does this on its own; Reset is for tests and for an
// engine that wants to age on its own schedule. It may run concurrently
// with Increment and Estimate.
func (s *Sketch) Reset() {
	s.mu.Lock()
	s.halve()
	s.samples.Store(0)
	s.aged()
	s.mu.Unlock()
	s.ageIfDue() // re-check for increments that found mu held (see ageIfDue)
}

// Clear sets every counter and the sample count to zero.
func (s *Sketch) Clear() {
	s.mu.Lock()
	for i := range s.table {
		if atomic.LoadUint64(&s.table[i]) != 0 {
			atomic.StoreUint64(&s.table[i], 0)
		}
	}
	for i := range s.stripes {
		s.stripes[i].n.Store(0)
	}
	s.samples.Store(0)
	s.mu.Unlock()
	s.ageIfDue() // re-check for increments that found mu held (see ageIfDue)
}

// SampleSize returns the number of counted increments after which the
// sketch halves itself: 10·capacity.
func (s *Sketch) SampleSize() int {
	return int(s.sampleSize)
}

// pendingSamples returns the increments counted in the current period:
// the shared total plus what is pending in the stripes. Exact when no
// Increment runs concurrently.
func (s *Sketch) pendingSamples() int64 {
	n := s.samples.Load()
	for i := range s.stripes {
		n += int64(s.stripes[i].n.Load() & (s.batch - 1))
	}
	return n
}

// agings returns the number of halvings so far.
func (s *Sketch) agings() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.aging
}
