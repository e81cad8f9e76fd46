package larder

// newWithHash builds a cache whose keys hash with h instead of seeded xxh3
// (a degenerate hash for collision tests).
func newWithHash(cfg Config, h func([]byte) uint64) (*Cache, error) {
	e, err := newEngine(cfg, h)
	if err != nil {
		return nil, err
	}
	return &Cache{e: e}, nil
}

// degenerateHash sends every key to the same shard, home slot and tag.
func degenerateHash([]byte) uint64 { return 0x9e3779b97f4a7c15 }

// entryLimit returns the longest key+value c accepts.
func entryLimit(c *Cache) int { return c.e.maxEntry }
