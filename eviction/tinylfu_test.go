package eviction

import (
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// seeded installs a deterministic random source in t.
func seeded(f *TinyLFU, seed uint64) *TinyLFU {
	f.random = rand.New(rand.NewPCG(seed, seed)).Uint64
	return f
}

// recordN records h n times.
func recordN(f *TinyLFU, h uint64, n int) {
	for range n {
		f.Record(h)
	}
}

func TestTinyLFUSizeFor(t *testing.T) {
	for _, c := range []int{0, 1, 100, 10_000, 1 << 20} {
		f := NewTinyLFU(c)
		assert.Equal(t, TinyLFUSizeFor(c), f.Bytes(), "capacity %d", c)
	}
	perEntry := float64(TinyLFUSizeFor(1<<20)) / (1 << 20)
	assert.InDelta(t, 10.0, perEntry, 0.01, "bytes per entry of capacity")
}

// TestTinyLFUOnCallerTable checks that a filter built on a caller's table
// keeps all of its counters and doorkeeper bits there (larder places the
// table in its off-heap region), behaves as one that allocated its own,
// and rejects a table of the wrong length.
func TestTinyLFUOnCallerTable(t *testing.T) {
	const c = 10_000
	n := TinyLFUTableWords(c)
	assert.Less(t, TinyLFUSizeFor(c)-n*8, 4096, "what stays outside the table is fixed and small")

	table := make([]uint64, n)
	on := NewTinyLFUOn(c, table)
	own := NewTinyLFU(c)
	assert.Equal(t, own.Bytes(), on.Bytes())
	rng := rand.New(rand.NewPCG(1, 2))
	for range 50_000 {
		h := rng.Uint64N(3000) * 0x9e3779b97f4a7c15
		on.Record(h)
		own.Record(h)
	}
	for h := range uint64(3000) {
		h *= 0x9e3779b97f4a7c15
		require.Equal(t, own.Estimate(h), on.Estimate(h), "hash %#x", h)
	}
	sw := sketchTableWords(c)
	assert.True(t, slices.ContainsFunc(table[:sw], func(w uint64) bool { return w != 0 }), "counters live in the table")
	assert.True(t, slices.ContainsFunc(table[sw:], func(w uint64) bool { return w != 0 }), "doorkeeper bits live in the table")
	on.Clear()
	assert.False(t, slices.ContainsFunc(table, func(w uint64) bool { return w != 0 }), "Clear zeroes the table")

	assert.Panics(t, func() { NewTinyLFUOn(c, make([]uint64, n-1)) })
	assert.Panics(t, func() { NewTinyLFUOn(c, make([]uint64, n+1)) })
}

func TestTinyLFUDoorkeeperFirst(t *testing.T) {
	f := NewTinyLFU(1000)
	h := uint64(0xdeadbeef)
	assert.Zero(t, f.Estimate(h))

	f.Record(h)
	assert.Equal(t, 1, f.Estimate(h), "first sighting: doorkeeper only")
	assert.Zero(t, f.sketch.Estimate(h), "sketch untouched by the first sighting")
	assert.EqualValues(t, 1, f.sketch.pendingSamples(), "first sighting counts as a sample")

	f.Record(h)
	assert.Equal(t, 2, f.Estimate(h))
	assert.Equal(t, 1, f.sketch.Estimate(h))

	recordN(f, h, 100)
	assert.Equal(t, 16, f.Estimate(h), "15 in the sketch + 1 in the doorkeeper")
}

// TestTinyLFUCountedKeySkipsDoorkeeper: a key whose count survived aging
// is no one-hit wonder; Record increments the sketch directly and leaves
// the doorkeeper alone, and the estimate grows exactly as it would have
// through the doorkeeper (one per access).
func TestTinyLFUCountedKeySkipsDoorkeeper(t *testing.T) {
	f := NewTinyLFU(1000)
	h := uint64(0xfeedface)
	recordN(f, h, 5)
	assert.Equal(t, 5, f.Estimate(h), "1 in the doorkeeper + 4 in the sketch")
	f.Reset() // halve: sketch 4 -> 2, doorkeeper cleared
	assert.Equal(t, 2, f.Estimate(h))
	door := slices.Clone(f.door.bits)
	f.Record(h)
	assert.Equal(t, 3, f.Estimate(h))
	assert.Equal(t, 3, f.sketch.Estimate(h), "counted in the sketch")
	assert.Equal(t, door, f.door.bits, "doorkeeper untouched")
	assert.False(t, f.door.Has(h))
}

func TestTinyLFUHotKeyWritesNothing(t *testing.T) {
	f := NewTinyLFU(1000)
	h := uint64(42)
	recordN(f, h, 20)
	table := slices.Clone(f.sketch.table)
	door := slices.Clone(f.door.bits)
	pending := f.sketch.pendingSamples()
	recordN(f, h, 1000)
	assert.Equal(t, table, f.sketch.table)
	assert.Equal(t, door, f.door.bits)
	assert.Equal(t, pending, f.sketch.pendingSamples())
}

func TestTinyLFUAgingClearsDoorkeeper(t *testing.T) {
	f := NewTinyLFU(100)
	once, twice, hot := uint64(1), uint64(2), uint64(3)
	f.Record(once)
	recordN(f, twice, 2)
	recordN(f, hot, 30)
	require.Equal(t, []int{1, 2, 16}, []int{f.Estimate(once), f.Estimate(twice), f.Estimate(hot)})

	f.Reset()
	assert.Zero(t, f.Estimate(once), "doorkeeper cleared")
	assert.Zero(t, f.Estimate(twice), "sketch count 1 halved to 0")
	assert.Equal(t, 7, f.Estimate(hot), "sketch count 15 halved to 7")

	// Automatic aging after 10·capacity recorded accesses (distinct keys:
	// each one is a first sighting) clears the doorkeeper as well.
	f.Clear()
	f.Record(once)
	before := f.sketch.agings()
	for _, h := range testHashes(30, 2*f.sketch.SampleSize()) {
		f.Record(h)
		if f.sketch.agings() > before {
			break
		}
	}
	require.Greater(t, f.sketch.agings(), before)
	assert.False(t, f.door.Has(once))
}

func TestTinyLFUAdmit(t *testing.T) {
	f := seeded(NewTinyLFU(1000), 1)
	cand, victim := uint64(100), uint64(200)

	// Both unknown: equal, cold → rejected.
	assert.False(t, f.Admit(cand, victim, 0))

	recordN(f, cand, 3)
	assert.True(t, f.Admit(cand, victim, 0), "3 > 0")
	assert.False(t, f.Admit(victim, cand, 0), "0 < 3")

	recordN(f, victim, 3)
	assert.False(t, f.Admit(cand, victim, 0), "cold tie rejected")

	recordN(f, victim, 2)
	assert.False(t, f.Admit(cand, victim, 0), "3 < 5, cold")
	for range 10_000 {
		require.False(t, f.Admit(cand, victim, 0), "a cold candidate is never admitted at random")
	}
}

// TestTinyLFUClearLead checks the margin: a lead of one admits over a
// victim estimated below ClearLeadFrom, not over one at or above it
// (where only a lead of two does, or the rare random admission of a warm
// candidate, which needs an estimate of WarmThreshold and is not reached
// here).
func TestTinyLFUClearLead(t *testing.T) {
	f := seeded(NewTinyLFU(1000), 3)
	cand, victim := uint64(100), uint64(200)
	recordN(f, victim, ClearLeadFrom-1)
	recordN(f, cand, ClearLeadFrom)
	require.Equal(t, ClearLeadFrom-1, f.Estimate(victim))
	assert.True(t, f.Admit(cand, victim, 0), "a lead of one over a victim below ClearLeadFrom")

	recordN(f, victim, 1) // victim at ClearLeadFrom, candidate too
	recordN(f, cand, 1)   // candidate leads by one
	require.Equal(t, ClearLeadFrom, f.Estimate(victim))
	require.Equal(t, ClearLeadFrom+1, f.Estimate(cand))
	require.Less(t, f.Estimate(cand), WarmThreshold, "the test needs a candidate below the random-admission threshold")
	for range 1000 {
		require.False(t, f.Admit(cand, victim, 0), "a lead of one over an established victim")
	}
	recordN(f, cand, 1) // a lead of two
	assert.True(t, f.Admit(cand, victim, 0))
}

func TestTinyLFURandomAdmission(t *testing.T) {
	f := seeded(NewTinyLFU(1000), 7)
	cand, victim := uint64(100), uint64(200)
	recordN(f, cand, WarmThreshold) // estimate exactly 6: warm
	recordN(f, victim, 12)
	require.Equal(t, WarmThreshold, f.Estimate(cand))
	require.Greater(t, f.Estimate(victim), f.Estimate(cand))

	const trials = 128 * 1000
	admitted := 0
	for range trials {
		if f.Admit(cand, victim, 0) {
			admitted++
		}
	}
	// Expected 1000, standard deviation ~31.5.
	t.Logf("admitted %d of %d (expected %d)", admitted, trials, trials/128)
	assert.InDelta(t, trials/128, admitted, 120)

	// The global generator (no seeded source) admits at the same rate.
	f.random = nil
	admitted = 0
	for range trials {
		if f.Admit(cand, victim, 0) {
			admitted++
		}
	}
	assert.InDelta(t, trials/128, admitted, 200)
}

func TestTinyLFUConcurrent(t *testing.T) {
	f := NewTinyLFU(256)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), 31))
			for i := range 20000 {
				h := r.Uint64() & 0xfff
				if i%2 == 0 {
					h &= 0xf // hot set
				}
				f.Record(h)
				_ = f.Admit(h, r.Uint64()&0xfff, 0)
				if w == 0 && i == 10000 {
					f.Reset()
				}
			}
		})
	}
	wg.Wait()
	assert.Greater(t, f.sketch.agings(), uint64(1))
}
