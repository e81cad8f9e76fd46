package eviction

import "math/rand/v2"

// TinyLFU parameters.
const (
	// doorkeeperLoad sizes the doorkeeper for this many distinct keys per
	// entry of capacity. A sample period is 10·capacity accesses; with a
	// skewed workload one to a few times capacity of them are distinct.
	// At 2·C keys (8 bits each, 2 bytes per entry of capacity) the filter
	// is at its design false-positive rate (~2.4%) for 2·C distinct keys
	// and near 16% for 4·C; a pure scan (10·C distinct keys) overloads it
	// to ~60% by the end of the period. That only costs precision: a false
	// positive makes a first sighting count once in the sketch. Measured
	// on the full hit-ratio replay, 4·C and 2·C give the same mean (54.26
	// and 54.26/54.27 in two runs each); 2·C leaves more of the budget to
	// entries and less resident memory to the policy.
	doorkeeperLoad = 2

	// ClearLeadFrom is the victim's estimate from which a candidate must
	// lead it by two, not one, to be admitted (see Admit).
	ClearLeadFrom = 2

	// WarmThreshold is the estimate from which a candidate that is not
	// more frequent than the victim may still be admitted at random.
	WarmThreshold = 6

	// randomAdmitMask: a warm candidate is admitted when the low 7 bits
	// of a random number are zero, with probability 1/128.
	randomAdmitMask = 127
)

// TinyLFU is the W-TinyLFU admission filter: a doorkeeper (Bloom filter)
// in front of a 4-bit count-min sketch. It estimates each key's recent
// access frequency from its hash and decides whether a candidate entry is
// worth evicting a victim for. All methods are safe for concurrent use
// without locks.
type TinyLFU struct {
	sketch *Sketch
	door   *Doorkeeper
	// random returns uniformly random bits; nil means math/rand/v2's
	// lock-free global generator. Tests install a seeded one.
	random func() uint64
}

// TinyLFUSizeFor returns the number of bytes NewTinyLFU(capacity)
// allocates, the same value its Bytes method reports.
func TinyLFUSizeFor(capacity int) int {
	return SketchSizeFor(capacity) + DoorkeeperSizeFor(doorkeeperCapacity(capacity)) +
		sizeOf[TinyLFU]()
}

func doorkeeperCapacity(capacity int) int {
	return min(max(capacity, 1), sketchMaxCapacity) * doorkeeperLoad
}

// TinyLFUTableWords returns the length of the table NewTinyLFUOn(capacity,
// table) takes: the sketch's counters and the doorkeeper's bits, all of
// TinyLFUSizeFor(capacity) but a fixed ~2 KiB.
func TinyLFUTableWords(capacity int) int {
	return sketchTableWords(capacity) + doorkeeperWords(doorkeeperCapacity(capacity))
}

// NewTinyLFU returns a filter sized for a cache of capacity entries: a
// Sketch(capacity) and a Doorkeeper for 2·capacity keys, about 10 bytes
// per entry in all. The doorkeeper is cleared each time the sketch ages.
func NewTinyLFU(capacity int) *TinyLFU {
	return NewTinyLFUOn(capacity, make([]uint64, TinyLFUTableWords(capacity)))
}

// NewTinyLFUOn is NewTinyLFU with the sketch's counters and the
// doorkeeper's bits in table, memory the caller owns (larder: its arena
// region, so the part of the filter that grows with the capacity is off
// the Go heap and inside the budget). The filter only ever accesses table
// with atomic word operations. Preconditions: table is zeroed and
// TinyLFUTableWords(capacity) long; the caller keeps it valid for the
// filter's lifetime.
func NewTinyLFUOn(capacity int, table []uint64) *TinyLFU {
	if len(table) != TinyLFUTableWords(capacity) {
		panic("eviction: NewTinyLFUOn table of the wrong length")
	}
	sw := sketchTableWords(capacity)
	t := &TinyLFU{
		sketch: newSketchOn(capacity, table[:sw:sw]),
		door:   newDoorkeeperOn(doorkeeperCapacity(capacity), table[sw:]),
	}
	t.sketch.onAge = t.door.Clear
	return t
}

// Bytes returns the memory the filter holds; it equals
// TinyLFUSizeFor(capacity).
func (t *TinyLFU) Bytes() int {
	return t.sketch.Bytes() + t.door.Bytes() + sizeOf[TinyLFU]()
}

// Record records one access to the key with hash h. The first access
// since the last aging only sets the key's doorkeeper bits; later ones
// increment the sketch. A first sighting counts towards the sketch's
// aging sample like an increment does, but an access that changes nothing
// (doorkeeper bits set, counters saturated) writes nothing at all.
//
// The sketch is read first, so that most accesses touch one random cache
// line rather than two (the doorkeeper's is the other):
//
//   - counters all saturated (the hot keys): nothing to record.
//   - an estimate above zero: the key is no one-hit wonder (it has been
//     counted since the last aging, or kept a count through it), so the
//     doorkeeper, whose only job is to keep first sightings out of the
//     sketch, is skipped and the sketch incremented. After n such
//     accesses the estimate is the same as through the doorkeeper (one
//     for its bit plus n-1 increments, or n increments).
//   - an estimate of zero: the doorkeeper decides, as described above.
//
// Hash collisions can make a first sighting read above zero and skip the
// doorkeeper; that costs a little precision, as a doorkeeper false
// positive does.
func (t *TinyLFU) Record(h uint64) {
	if t.sketch.incrementCounted(h) {
		return
	}
	if t.door.Add(h) {
		t.sketch.Increment(h)
		return
	}
	t.sketch.countSample(spread(h))
}

// Estimate returns the estimated recent access frequency of h, 0..16: the
// sketch's estimate plus one if the doorkeeper holds h.
func (t *TinyLFU) Estimate(h uint64) int {
	n := t.sketch.Estimate(h)
	if t.door.Has(h) {
		n++
	}
	return n
}

// Admit reports whether the candidate (a new key) should be admitted in
// place of the victim (the entry eviction would remove). It admits when
// the candidate's estimate is higher than the victim's, by at least two
// once the victim's estimate is ClearLeadFrom or more.
//
// Why a margin for established victims: between two keys seen more than
// once, a lead of one is within the estimate's noise. Count-min
// collisions add counts, halving truncates odd ones, and for keys used at
// the same rate the phase of their uses decides which was counted last: a
// candidate counted on this round of a cyclic pattern leads a victim not
// yet counted by exactly one. Admitting on such a lead swaps equals back
// and forth, and in a loop larger than the cache each swap evicts the key
// needed soonest. Measured on the shared traces (`bench/cmd/hitratio`,
// larder alone, three runs against two): loop@250 18.8 → 23.8 and
// loop@500 44.2 → 48.0 (otter: 23.3, 48.6), mixed@250 22.4 → 25.5, and
// the mean over 115 cells 54.00 → 54.07. A margin at every estimate (the
// classic c > v+1) also fixed loop but lowered the mean (53.90), because
// among rarely seen keys one more sighting is real evidence. The rule is
// a principle, not a fit: thresholds 3 to 5 gave the same picture.
//
// The threshold was 4 until the judge and the climber's growth rule came;
// re-measured with them (larder-only replays, rounds interleaved with 9
// of the unchanged code; Δ of the mean over the 115 replay cells, then
// over the 21 cells of the generalization workloads, bench/README.md):
//
//	threshold  rounds  replay  generalization
//	0          6       +0.02   +0.19
//	1          3       -0.03   +0.14
//	2          6       +0.08   +0.05
//	3          3       +0.02   +0.04
//
// 2 raised both means in each of its rounds against the round run beside
// it (multi2@700-1400 +1.1 to +1.3, P3@400k +0.4); a victim seen once or
// never may still lose to a candidate seen once more. 0, the classic
// margin everywhere, gains most on flat Zipf streams (+0.5 to +0.6 at
// their small sizes, where half of all admissions evict a more popular
// key than they admit: a scratch duel log of Zipf 0.7 at 1,000 entries;
// the margin cuts admissions from 40,000 to 12,000), but it rejects more
// newcomers before the judge has evidence and costs the largest caches
// of short traces (scarab@125k -0.45, P3@200k below LRU), cells already
// below LRU.
//
// bias (from a Judge; 0 is plain TinyLFU) is added to the candidate's
// estimate before the comparison: a workload whose rejected candidates
// come back sooner than kept victims are used gets its newcomers in on a
// smaller lead, or none.
//
// Otherwise a warm candidate (estimate ≥ WarmThreshold) is still admitted
// with probability 1/128. Without this an attacker who can make a victim
// look frequent — by flooding keys that collide with it in the sketch —
// could pin it and keep every new key out; the small random chance lets
// genuinely popular candidates in eventually, while cold ones (the common
// case of one-hit wonders) are never admitted over a warmer victim.
func (t *TinyLFU) Admit(candidate, victim uint64, bias float64) bool {
	c := t.Estimate(candidate)
	v := t.Estimate(victim)
	if cb, vf := float64(c)+bias, float64(v); cb > vf+1 || (cb > vf && v < ClearLeadFrom) {
		return true
	}
	if c < WarmThreshold {
		return false
	}
	var r uint64
	if t.random != nil {
		r = t.random()
	} else {
		r = rand.Uint64()
	}
	return r&randomAdmitMask == 0
}

// Reset ages the filter now: halves the sketch and clears the doorkeeper,
// as happens automatically every 10·capacity recorded accesses.
func (t *TinyLFU) Reset() {
	t.sketch.Reset()
}

// Clear forgets everything: zeroes the sketch and clears the doorkeeper.
func (t *TinyLFU) Clear() {
	t.sketch.Clear()
	t.door.Clear()
}

// Touch loads the sketch line that Record(h) will update, and nothing else.
// A reader calls it before its index probe: the sketch is too large to
// stay in cache, so the line is usually a miss, and issued first it
// overlaps the probe's own misses instead of following them.
func (t *TinyLFU) Touch(h uint64) { t.sketch.touch(h) }
