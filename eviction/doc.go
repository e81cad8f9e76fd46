// Package eviction provides the pieces of larder's W-TinyLFU admission
// policy: a frequency Sketch, a Doorkeeper in front of it, the TinyLFU
// filter that combines them, a hill Climber that tunes the size of the
// admission window, and a Judge that audits the filter's duels and biases
// it where frequency misjudges the workload. The engine owns the window
// and main regions and their eviction order; this package only answers
// "how often was this hash seen lately?", "should this candidate replace
// that victim?", "how big should the window be?" and "did the last duels
// keep the right keys?". All structures work on a 64-bit hash that the
// engine has already computed, and all are safe for lock-free concurrent
// use, because the cache's read path takes no lock.
//
// # Why 4-bit counters
//
// Admission only compares frequencies, and only recent ones matter, so
// counts need not be large: with aging (below) a key's count is bounded by
// the accesses it can collect in a sample period, and any key seen fifteen
// times in a period is simply "hot". Four bits give sixteen counters per
// word. The sketch holds one word — sixteen counters — per entry of
// capacity, 8 bytes per entry, which keeps the collision rate low while
// the memory stays small next to the entries themselves.
//
// # Why blocking
//
// A count-min sketch reads d counters per key, normally scattered over the
// whole table: d cache misses per Get. Here a key's four counters all lie
// in one 64-byte block (one cache line) chosen by the hash's high bits,
// one counter in each pair of words, chosen by independent low bits. A
// lookup is one cache miss and four loads. The cost is a little accuracy
// (keys collide only with keys of the same block), which the generous
// table more than pays for. The table is a pointer-free []uint64 that the
// garbage collector never scans, and blocks are selected by multiply-shift
// range reduction, so the table needs no power-of-two rounding and costs
// exactly 8 bytes per entry.
//
// Increments use a compare-and-swap per counter word, so concurrent
// increments are never lost and never tear a word. A key whose four
// counters are all saturated is not written at all, so the hottest keys —
// the ones every core reads — do not bounce a cache line between cores.
// The sketch increments all four counters rather than only the smallest
// ("conservative update"): conservative update overestimates less, but
// with concurrent increments of one key it can lose counts (each goroutine
// sees a different minimum), whereas plain increments keep the estimate an
// upper bound of the true count.
//
// # Aging
//
// Frequencies must reflect the recent past, or yesterday's hot keys would
// never leave. Every 10·capacity increments (the sample period of the
// TinyLFU paper) every counter is halved, exactly: floor(c/2), one word at
// a time with a compare-and-swap. The sample count then restarts from zero
// (increments that arrived while halving are kept), so every period has
// the same length in accesses and the sketch approximates a frequency that
// decays by half per period. Caffeine instead halves the sample count too,
// minus a correction for the half-counts lost by truncating odd counters,
// so that the count tracks the mass left in the sketch; with fixed-length
// periods that bookkeeping is unnecessary, and the truncation is a known,
// bounded bias (at most one half per counter per halving). Increments that
// find the key saturated do not count towards the sample, so a few hot
// keys cannot age the sketch by themselves.
//
// The sample count is not one shared atomic (which every core would write
// on every increment): increments go to cache-line padded stripes chosen
// by hash bits, and a stripe adds to the shared total only every batch-th
// increment, with batch chosen so that at most 1/16 of a sample is pending
// in stripes. The goroutine whose add completes the sample halves the
// sketch. Halving is O(table) on that goroutine: about 1.6 ms per million
// entries of capacity (8 MiB) on a small VM, once per 10·capacity counted
// increments, i.e. well under a nanosecond per increment amortised.
//
// # Doorkeeper
//
// Most keys in real traces are seen once. Counting them in the sketch
// would fill it with noise that raises everyone's estimate. The TinyLFU
// doorkeeper is a small Bloom filter consulted first: a key's first
// sighting in a period only sets its doorkeeper bits; the sketch counts
// from the second sighting on, and an estimate adds one if the doorkeeper
// holds the key. The doorkeeper is cleared whenever the sketch ages. It is
// register-blocked (all of a key's bits in one word) so that a lookup is
// one load and an insertion at most one atomic OR, and it too writes
// nothing when the bits are already set.
//
// # Admission and hash flooding
//
// A candidate is admitted when its estimate beats the victim's, by two
// once the victim's estimate is ClearLeadFrom (2) or more, since a lead
// of one between keys seen more than once is within the noise. Because
// an attacker can make a victim look popular by flooding colliding keys,
// a warm candidate (estimate ≥ WarmThreshold) that does not beat the
// victim is still admitted with probability 1/128, as Caffeine does.
//
// # Hill climbing
//
// The best window size depends on the workload: recency-biased traces
// want a large window, frequency-biased ones a small one. The Climber
// measures the hit rate over sample periods of 20·capacity requests and
// moves the window fraction by a step in the direction that last improved
// the hit rate, reversing when it got worse (when the window sat at a
// bound, only a fall beyond sampling noise counts; after a move that grew
// the window, anything short of a rise beyond three standard errors of
// the noise counts as worse, so where the window's size does not matter
// the window stays small instead of drifting). The step decays by 2% per
// period, so the fraction settles near the optimum, and is reset to its
// initial size when the hit rate jumps by five points, which signals a
// changed workload. Hits and requests are counted in striped packed
// counters so readers can record lock-free; the Record call that completes
// a period does the adjustment. The fraction ranges from 0 (the engine
// keeps at least one record's worth) to 80%; the engine feeds the Climber
// only once the cache is full, since the window's size changes nothing
// while it fills.
package eviction
