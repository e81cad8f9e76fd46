package eviction

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

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
