package adapters

import (
	"context"
	"time"

	"github.com/VictoriaMetrics/fastcache"
	"github.com/allegro/bigcache/v3"
	"github.com/coocood/freecache"
)

// The byte-slice caches below keep their data in large []byte buffers the GC
// does not scan, which is the closest family to larder. Each is bounded by a
// byte budget that the harness sizes to hold the whole prepopulated set and
// then verifies (see Fill).

func init() {
	register(Factory{
		Name:       "freecache",
		ByteBudget: true,
		Config:     "freecache.NewCache(budget); reads via GetWithBuf into a reused buffer; no expiry",
		New: func(s Spec) (Cache, error) {
			// NewCache(size) is freecache's only constructor knob; GetWithBuf
			// is its non-allocating read.
			return freeCache{freecache.NewCache(int(s.MaxBytes))}, nil
		},
	})
	register(Factory{
		Name:       "fastcache",
		ByteBudget: true,
		Config:     "fastcache.New(budget); reads via HasGet into a reused buffer",
		New: func(s Spec) (Cache, error) {
			return fastCache{fastcache.New(int(s.MaxBytes))}, nil
		},
	})
	register(Factory{
		Name:       "bigcache",
		ByteBudget: true,
		Config:     "bigcache.DefaultConfig(1h) with Verbose=false, MaxEntriesInWindow=n, MaxEntrySize=k+v, HardMaxCacheSize=budget MiB; Get allocates a copy (its only read)",
		New: func(s Spec) (Cache, error) {
			// DefaultConfig is bigcache's recommended starting point; its docs
			// ask to set MaxEntriesInWindow and MaxEntrySize to the expected
			// load so shards are allocated up front, and HardMaxCacheSize
			// bounds the memory. The one-hour life window keeps entries from
			// expiring during a benchmark. Verbose off so that shard growth
			// does not log into the timed loop.
			cfg := bigcache.DefaultConfig(time.Hour)
			cfg.Verbose = false
			if s.MaxEntries > 0 {
				cfg.MaxEntriesInWindow = s.MaxEntries
			}
			if s.KeySize+s.ValueSize > 0 {
				cfg.MaxEntrySize = s.KeySize + s.ValueSize
			}
			cfg.HardMaxCacheSize = int((s.MaxBytes + 1<<20 - 1) >> 20)
			c, err := bigcache.New(context.Background(), cfg)
			if err != nil {
				return nil, err
			}
			return bigCache{c}, nil
		},
	})
}

type freeCache struct{ c *freecache.Cache }

func (a freeCache) Get(dst, key []byte) ([]byte, bool) {
	v, err := a.c.GetWithBuf(key, dst)
	return v, err == nil
}

func (a freeCache) Set(key, value []byte) error { return a.c.Set(key, value, 0) }
func (a freeCache) Len() int                    { return int(a.c.EntryCount()) }
func (a freeCache) Close()                      {}

type fastCache struct{ c *fastcache.Cache }

func (a fastCache) Get(dst, key []byte) ([]byte, bool) { return a.c.HasGet(dst, key) }
func (a fastCache) Set(key, value []byte) error {
	a.c.Set(key, value)
	return nil
}

// Len reports fastcache's EntriesCount statistic, which counts entries still
// indexed; entries overwritten in its ring buckets drop out of it.
func (a fastCache) Len() int {
	var s fastcache.Stats
	a.c.UpdateStats(&s)
	return int(s.EntriesCount)
}
func (a fastCache) Close() { a.c.Reset() }

type bigCache struct{ c *bigcache.BigCache }

func (a bigCache) Get(_, key []byte) ([]byte, bool) {
	v, err := a.c.Get(lookupKey(key))
	if err != nil {
		return nil, false
	}
	return v, true
}

func (a bigCache) Set(key, value []byte) error {
	return a.c.Set(string(key), value)
}
func (a bigCache) Len() int { return a.c.Len() }
func (a bigCache) Close()   { _ = a.c.Close() }
