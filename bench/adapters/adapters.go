// Package adapters puts larder and the caches it is compared with behind one
// small interface over []byte keys and values, so that every benchmark in
// this module (throughput, latency, memory, compare) drives every cache
// through exactly the same calls.
//
// Fairness rules, applied to every adapter alike:
//
//   - Keys arrive as []byte. Caches whose API takes a string key (all the
//     generic ones, plus bigcache) look up with a zero-copy string view of
//     the key (lookupKey), so a read costs them no allocation the harness
//     imposed, and store with a plain string(key) copy, which they need
//     because they retain the key (one allocation per Set, reported in
//     allocs/op).
//   - Values arrive in a buffer the caller reuses. Caches that copy the value
//     into their own storage (larder, freecache, fastcache, bigcache) get it
//     as is; caches that retain the slice (the generic ones and the map
//     baseline) get a fresh copy, because storing the caller's buffer would
//     be a bug in a real program. Either way every cache ends up owning a
//     private copy of every value it holds.
//   - Reads pass a reused buffer with room for the value. Caches that can
//     copy into it (larder's AppendGet, freecache's GetWithBuf, fastcache's
//     HasGet) do; caches that hand out a reference to their stored value
//     (generic caches, the map baseline) return it without copying, which is
//     their idiomatic read and less work than a copy; bigcache's Get always
//     allocates a copy, which is its only read API.
package adapters

import (
	"fmt"
	"sort"
)

// Cache is the interface every benchmark drives.
type Cache interface {
	// Get looks key up. dst is a zero-length buffer with enough capacity for
	// the value; copying caches append into it, reference caches ignore it
	// and return their stored slice. The caller must not modify the result,
	// nor keep it past the next call with the same dst.
	Get(dst, key []byte) ([]byte, bool)
	// Set stores a copy of value under key. The caller may reuse both
	// buffers as soon as Set returns.
	Set(key, value []byte) error
	// Len returns the number of entries held, or -1 when the cache cannot
	// tell cheaply (callers then count by probing).
	Len() int
	// Close releases the cache's resources (background goroutines, off-heap
	// memory). The cache must not be used afterwards.
	Close()
}

// Spec sizes a cache. Entry-count caches read MaxEntries; byte-budget caches
// read MaxBytes. Both are always filled in by the callers in this module.
type Spec struct {
	MaxEntries int   // capacity in entries, for caches bounded by count
	MaxBytes   int64 // capacity in bytes, for caches bounded by a byte budget
	KeySize    int   // typical key length, for caches that size internals from it
	ValueSize  int   // typical value length, likewise
}

// Factory builds one kind of cache.
type Factory struct {
	// Name is the short name used in benchmark names, tables and flags.
	Name string
	// ByteBudget is true when the cache is bounded by bytes rather than by
	// entry count, so that its budget has to be sized to hold the data set.
	ByteBudget bool
	// Config is a one-line description of the configuration used, printed
	// with the results so readers can check it.
	Config string
	// New builds a cache for spec.
	New func(spec Spec) (Cache, error)
}

var registry = map[string]Factory{}

func register(f Factory) {
	if _, dup := registry[f.Name]; dup {
		panic("adapters: duplicate " + f.Name)
	}
	registry[f.Name] = f
}

// order is the presentation order: larder first, then the peers roughly by
// family (generic on-heap, then byte-slice off-GC-scan caches), then the
// baseline.
var order = []string{
	"larder", "larder-get",
	"otter", "theine", "ristretto", "lru",
	"freecache", "fastcache", "bigcache",
	"map-rwmutex",
}

// All returns every factory in presentation order.
func All() []Factory {
	out := make([]Factory, 0, len(registry))
	seen := map[string]bool{}
	for _, n := range order {
		if f, ok := registry[n]; ok {
			out = append(out, f)
			seen[n] = true
		}
	}
	// Anything registered but not in order goes last, sorted, so that adding
	// an adapter without touching order still shows up.
	var rest []string
	for n := range registry {
		if !seen[n] {
			rest = append(rest, n)
		}
	}
	sort.Strings(rest)
	for _, n := range rest {
		out = append(out, registry[n])
	}
	return out
}

// Names returns the names of All().
func Names() []string {
	var out []string
	for _, f := range All() {
		out = append(out, f.Name)
	}
	return out
}

// Get returns the factory called name.
func Get(name string) (Factory, error) {
	f, ok := registry[name]
	if !ok {
		return Factory{}, fmt.Errorf("adapters: unknown cache %q (have %v)", name, Names())
	}
	return f, nil
}

// Select returns the factories named in names, in presentation order; an
// empty list means all of them.
func Select(names []string) ([]Factory, error) {
	if len(names) == 0 {
		return All(), nil
	}
	want := map[string]bool{}
	for _, n := range names {
		if _, err := Get(n); err != nil {
			return nil, err
		}
		want[n] = true
	}
	var out []Factory
	for _, f := range All() {
		if want[f.Name] {
			out = append(out, f)
		}
	}
	return out, nil
}

// ReadBuffer returns the reusable read buffer every harness passes to Get:
// empty, with room for a value of valueSize plus 64 bytes of slack. The
// slack models a buffer that is reused across calls and so has grown to
// whatever a cache's copy-out needs (larder's AppendGet, for one, writes
// whole 8-byte words and wants 8 bytes beyond the value); without it a
// cache would be charged an allocation per read that a real caller reusing
// the returned slice pays only once.
func ReadBuffer(valueSize int) []byte {
	return make([]byte, 0, valueSize+64)
}
