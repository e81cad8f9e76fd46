package eviction

// Clock is the second-chance decision of larder's log-structured CLOCK.
// The shard's ring is the clock face and its tail is the hand: the record
// under the hand is either given a second chance (its reference bit was
// set since it was written; it is copied to the head with the bit
// cleared) or becomes the eviction victim.
//
// An unbounded hand could circle forever while readers keep setting bits,
// so a sweep gives at most MaxSecondChances second chances before it must
// take a victim. With every record referenced the hand then evicts the
// oldest one, as FIFO would.
type Clock struct {
	chances int // second chances given in the current sweep
}

// MaxSecondChances bounds the records a single eviction may copy forward.
// CLOCK only works if the hand can pass every referenced record of a lap
// (a bound of 32 measured 10 points worse on loop-like traces, turning
// CLOCK into FIFO); the bound exists for the pathological case of readers
// re-referencing records as fast as the hand clears them, and caps the
// worst-case work of one Set.
const MaxSecondChances = 4096

// Decision is what the hand does with the record under it.
type Decision uint8

const (
	// Evict drops the record.
	Evict Decision = iota
	// Reinsert copies the record to the head with its reference bit
	// cleared.
	Reinsert
)

// Decide returns the decision for a live record whose reference bit is
// referenced. Call Done once a victim has been taken.
func (c *Clock) Decide(referenced bool) Decision {
	if referenced && c.chances < MaxSecondChances {
		c.chances++
		return Reinsert
	}
	return Evict
}

// Done ends a sweep: the next one may again give MaxSecondChances.
func (c *Clock) Done() { c.chances = 0 }
