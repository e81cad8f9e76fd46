package eviction

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestKeepCredit checks the chance that a quiet lap keeps a record's
// credits: CreditKeep·trust, never with no trust, and exact at the edges
// of the random range.
func TestKeepCredit(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	const n = 100_000
	for _, trust := range []float64{0, 0.5, 1} {
		kept := 0
		for range n {
			if KeepCredit(trust, r.Uint64()) {
				kept++
			}
		}
		want := CreditKeep * trust
		// Four standard errors of a binomial share at n draws.
		assert.InDelta(t, want, float64(kept)/n, 4*0.5/math.Sqrt(n), "trust %v", trust)
	}
	assert.False(t, KeepCredit(0, 0), "no trust: a credit is always spent")
	assert.True(t, KeepCredit(1, 0))
	assert.False(t, KeepCredit(1, ^uint64(0)))
}

// TestClockSecondChances checks the hand's bound: referenced records get
// a second chance until MaxSecondChances in one sweep, and Done resets it.
func TestClockSecondChances(t *testing.T) {
	var c Clock
	assert.Equal(t, Evict, c.Decide(false))
	for range MaxSecondChances {
		assert.Equal(t, Reinsert, c.Decide(true))
	}
	assert.Equal(t, Evict, c.Decide(true), "the bound forces a victim")
	c.Done()
	assert.Equal(t, Reinsert, c.Decide(true))
}
