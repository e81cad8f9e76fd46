package eviction

// Observe counts a batch of requests, of which hits hit, measured by the
// caller (larder feeds the deltas of its own striped hit/miss counters, so
// the read path pays nothing for the climber). It ends a sample period
// when one is complete, like Record. Preconditions: requests and hits
// below 2^31 per call.
func (c *Climber) Observe(hits, requests uint64) {
	if requests == 0 {
		return
	}
	if uint32(c.total.n.Add(hits<<32|requests)) >= uint32(c.sample) {
		c.adjust()
	}
}
