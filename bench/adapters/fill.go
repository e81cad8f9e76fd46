package adapters

import (
	"fmt"
	"runtime"
	"time"
)

// Dataset describes the entries a benchmark prepopulates: n keys of
// KeySize bytes and values of ValueSize bytes, produced on demand into a
// caller buffer so that the data set itself never sits in the heap being
// measured.
type Dataset struct {
	N         int
	KeySize   int
	ValueSize int
	// Key writes key i into buf (len(buf) == KeySize) and returns it.
	Key func(i int, buf []byte) []byte
	// Value writes the value for key i into buf (len(buf) == ValueSize).
	Value func(i int, buf []byte) []byte
}

// FillInfo records how a cache was sized and how much of the data set it
// actually holds, so that results can show it.
type FillInfo struct {
	Cache      string        `json:"cache"`
	Entries    int           `json:"entries"`     // entries requested (Dataset.N)
	Held       int           `json:"held"`        // entries found by probing every key afterwards
	Len        int           `json:"len"`         // the cache's own count, -1 if it has none
	MaxEntries int           `json:"max_entries"` // count bound passed to count-bounded caches
	Budget     int64         `json:"budget"`      // byte budget passed to byte-bounded caches (0 otherwise)
	Attempts   int           `json:"attempts"`    // builds needed until the set fit
	Took       time.Duration `json:"took_ns"`     // time of the final build, fill and verification
}

func (fi FillInfo) String() string {
	s := fmt.Sprintf("%s: held %d/%d", fi.Cache, fi.Held, fi.Entries)
	if fi.Len >= 0 {
		s += fmt.Sprintf(" (Len %d)", fi.Len)
	}
	if fi.Budget > 0 {
		s += fmt.Sprintf(", budget %.1f MiB (%.0f B/entry) after %d build(s)",
			float64(fi.Budget)/(1<<20), float64(fi.Budget)/float64(fi.Entries), fi.Attempts)
	} else {
		s += fmt.Sprintf(", max entries %d", fi.MaxEntries)
	}
	return s + fmt.Sprintf(", %.2fs", fi.Took.Seconds())
}

// Headroom over the data set that every cache gets, so that no cache is
// measured while evicting: count-bounded caches get n + n/8 entries, and
// byte-bounded caches start from EstimateBudget and grow until the set fits.
func capacityFor(n int) int { return n + n/8 + 16 }

// minBudget is the smallest byte budget handed to any cache. fastcache
// rounds anything smaller up to 32 MiB on its own, so every byte cache gets
// the same floor.
const minBudget = 32 << 20

// EstimateBudget is the first byte budget tried for n entries of k+v bytes:
// the payload plus 64 bytes of per-entry bookkeeping, plus 25%.
func EstimateBudget(n, k, v int) int64 {
	b := int64(n) * int64(k+v+64) * 5 / 4
	return max(b, minBudget)
}

// waiter is implemented by caches with asynchronous write paths; Fill calls
// it before counting.
type waiter interface{ Wait() }

// Fill builds a cache with f, inserts every entry of ds and verifies by
// probing every key that the cache holds them all. Byte-bounded caches that
// do not hold the whole set are rebuilt with a 1.5x larger budget (up to six
// builds). budget, when positive, is the first budget tried instead of
// EstimateBudget. Fill fails when, after all that, under 99% of the set is
// held; otherwise FillInfo says exactly how much is.
func Fill(f Factory, ds Dataset, budget int64) (Cache, FillInfo, error) {
	if budget <= 0 {
		budget = EstimateBudget(ds.N, ds.KeySize, ds.ValueSize)
	}
	info := FillInfo{Cache: f.Name, Entries: ds.N, MaxEntries: capacityFor(ds.N)}
	for attempt := 1; ; attempt++ {
		start := time.Now()
		spec := Spec{MaxEntries: info.MaxEntries, MaxBytes: budget, KeySize: ds.KeySize, ValueSize: ds.ValueSize}
		c, err := f.New(spec)
		if err != nil {
			return nil, info, fmt.Errorf("%s: new: %w", f.Name, err)
		}
		held, err := populate(c, ds)
		if err != nil {
			c.Close()
			return nil, info, fmt.Errorf("%s: fill: %w", f.Name, err)
		}
		info.Held, info.Len, info.Attempts, info.Took = held, c.Len(), attempt, time.Since(start)
		if f.ByteBudget {
			info.Budget = budget
		}
		if held == ds.N || !f.ByteBudget || attempt == 6 {
			if held*100 < ds.N*99 {
				c.Close()
				return nil, info, fmt.Errorf("%s: holds only %d of %d entries", f.Name, held, ds.N)
			}
			return c, info, nil
		}
		c.Close()
		c = nil
		runtime.GC() // return the failed build's memory before the next one
		budget += budget / 2
	}
}

// loader is implemented by caches whose Set may drop an entry by design
// (ristretto, when its buffers are full); Fill uses Load, which retries, so
// that prepopulation is complete.
type loader interface{ Load(key, value []byte) error }

// populate sets every entry, then probes every key, re-setting missing ones
// up to three times. It returns the number of keys held.
func populate(c Cache, ds Dataset) (int, error) {
	kb := make([]byte, ds.KeySize)
	vb := make([]byte, ds.ValueSize)
	set := c.Set
	if l, ok := c.(loader); ok {
		set = l.Load
	}
	for i := 0; i < ds.N; i++ {
		if err := set(ds.Key(i, kb), ds.Value(i, vb)); err != nil {
			return 0, err
		}
	}
	var missing []int
	for pass := 0; ; pass++ {
		if w, ok := c.(waiter); ok {
			w.Wait()
		}
		missing = probe(c, ds, missing, pass == 0)
		if len(missing) == 0 || pass == 3 {
			if pass > 0 {
				// Re-sets could in principle have displaced keys that were
				// there before: count the whole set again.
				missing = probe(c, ds, nil, true)
			}
			return ds.N - len(missing), nil
		}
		for _, i := range missing {
			if err := set(ds.Key(i, kb), ds.Value(i, vb)); err != nil {
				return 0, err
			}
		}
	}
}

// Held probes every key of ds and returns how many c holds.
func Held(c Cache, ds Dataset) int {
	return ds.N - len(probe(c, ds, nil, true))
}

// probe returns the indexes of keys not found, looking at every key when all
// is set and otherwise only at the previously missing ones.
func probe(c Cache, ds Dataset, prev []int, all bool) []int {
	kb := make([]byte, ds.KeySize)
	buf := ReadBuffer(ds.ValueSize)
	var missing []int
	check := func(i int) {
		if _, ok := c.Get(buf[:0], ds.Key(i, kb)); !ok {
			missing = append(missing, i)
		}
	}
	if all {
		for i := 0; i < ds.N; i++ {
			check(i)
		}
	} else {
		for _, i := range prev {
			check(i)
		}
	}
	return missing
}
