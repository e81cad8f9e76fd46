package adapters

import (
	"github.com/larder-cache/larder"
)

// larder is configured with its defaults apart from the sizing hints a user
// who knows the workload would give: larder.New(larder.Config{MaxBytes:
// budget, AvgEntrySize: key+value size}). Shards is left at 0 so the cache
// picks its own shard count. (Peers get the equivalent hints: bigcache its
// MaxEntrySize and MaxEntriesInWindow, ristretto its NumCounters, otter its
// InitialCapacity.)
func newLarder(s Spec) (*larder.Cache, error) {
	return larder.New(larder.Config{MaxBytes: s.MaxBytes, AvgEntrySize: s.KeySize + s.ValueSize})
}

func init() {
	register(Factory{
		Name:       "larder",
		ByteBudget: true,
		Config:     "larder.New(Config{MaxBytes: budget, AvgEntrySize: k+v}); reads via AppendGet into a reused buffer",
		New: func(s Spec) (Cache, error) {
			c, err := newLarder(s)
			if err != nil {
				return nil, err
			}
			return larderAppend{c}, nil
		},
	})
	register(Factory{
		Name:       "larder-get",
		ByteBudget: true,
		Config:     "larder.New(Config{MaxBytes: budget, AvgEntrySize: k+v}); reads via Get (allocates a copy per hit)",
		New: func(s Spec) (Cache, error) {
			c, err := newLarder(s)
			if err != nil {
				return nil, err
			}
			return larderGet{larderAppend{c}}, nil
		},
	})
}

// larderAppend reads with AppendGet, larder's non-allocating read: the value
// is copied out of the arena into dst.
type larderAppend struct{ c *larder.Cache }

func (a larderAppend) Get(dst, key []byte) ([]byte, bool) { return a.c.AppendGet(dst, key) }
func (a larderAppend) Set(key, value []byte) error        { return a.c.Set(key, value) }
func (a larderAppend) Len() int                           { return a.c.Len() }
func (a larderAppend) Close()                             { _ = a.c.Close() }

// larderGet reads with Get, which allocates a fresh copy for the caller on
// every hit: the convenient API, measured so the cost of convenience shows.
type larderGet struct{ larderAppend }

func (a larderGet) Get(_, key []byte) ([]byte, bool) { return a.c.Get(key) }
