package hitratio

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"sync"
)

// defaultTolerance is how close to n a byte cache's steady-state entry
// count must come for the comparison to count as equal-entries.
const defaultTolerance = 0.02

// calibration is the outcome of sizing one byte cache for n entries.
type calibration struct {
	budget  int64  // bytes to configure
	entries int    // entries resident at steady state with that budget
	own     int    // what the cache's own count said meanwhile
	na      string // non-empty: no budget within tolerance; why
}

type calKey struct {
	cache string
	n     int
	conf  string // anything else that changes the answer (larder shards)
	tol   float64
}

type calEntry struct {
	once sync.Once
	c    calibration
	err  error
}

// calibrations memoises calibrate per (cache, n, config) for the life of the
// process: sizes repeat across traces (250..2000 for OLTP, glimpse and mixed)
// and each calibration fills the cache a dozen times. probes memoises single
// fills per (cache, budget, config) (with n = 0 in the key): every n starts
// by probing the cache's minimum budget, which for fastcache means filling
// 32 MiB.
var calibrations, probes struct {
	sync.Mutex
	m map[calKey]*calEntry
}

// memo runs fn once per key in table t; concurrent callers for the same key
// wait for the first one. Errors are not memoised (a cancelled context
// should not poison later runs).
func memo(t *struct {
	sync.Mutex
	m map[calKey]*calEntry
}, k calKey, fn func() (calibration, error)) (calibration, error) {
	t.Lock()
	if t.m == nil {
		t.m = make(map[calKey]*calEntry)
	}
	e := t.m[k]
	if e == nil {
		e = &calEntry{}
		t.m[k] = e
	}
	t.Unlock()
	e.once.Do(func() { e.c, e.err = fn() })
	if e.err != nil {
		t.Lock()
		if t.m[k] == e {
			delete(t.m, k)
		}
		t.Unlock()
	}
	return e.c, e.err
}

func calibrated(ctx context.Context, name, conf string, bc *byteCache, n int, tol float64) (calibration, error) {
	return memo(&calibrations, calKey{name, n, conf, tol}, func() (calibration, error) {
		probe := func(b int64) (int, int, error) {
			c, err := memo(&probes, calKey{name, 0, conf + "@" + strconv.FormatInt(b, 10), 0}, func() (calibration, error) {
				res, own, err := steadyEntries(ctx, bc, b)
				return calibration{budget: b, entries: res, own: own}, err
			})
			return c.entries, c.own, err
		}
		return calibrate(bc, n, tol, probe)
	})
}

// steadyEntries opens the cache with budget and writes distinct keys through
// the replay's miss path (Get, then Set) until the cache's own entry count
// stops growing: eviction is then running, which is the state a long replay
// sees. Keys have the replay's sizes (8-byte key, 16-byte value).
//
// It returns the entries actually resident, counted by peeking every key
// written, and the cache's own count. They differ for fastcache, whose
// EntriesCount includes entries already overwritten in its ring buffers
// (by up to 70% at 32 MiB); the resident count is what the replay gets, so
// calibration uses it.
func steadyEntries(ctx context.Context, bc *byteCache, budget int64) (resident, own int, err error) {
	p, err := bc.open(budget)
	if err != nil {
		return 0, 0, err
	}
	defer p.Close()
	var k uint64
	best, stable := 0, 0
	for {
		// Rounds of a quarter of what the cache holds so far: two rounds
		// without growth mean at least half the cache was rewritten with
		// eviction running.
		round := max(1024, best/4)
		for range round {
			if !p.Get(k) {
				p.Set(k)
			}
			k++
		}
		if err := p.Err(); err != nil {
			return 0, 0, err
		}
		if err := ctx.Err(); err != nil {
			return 0, 0, err
		}
		heartbeat(ctx)
		own = p.Entries()
		if own > best+best/1000 {
			best, stable = own, 0
		} else {
			stable++
		}
		// A cache that keeps growing without bound is not bounded by the
		// budget; stop well past anything sensible.
		if stable >= 2 || k > 1<<26 {
			break
		}
	}
	for i := range k {
		if p.Peek(i) {
			resident++
		}
	}
	return resident, own, nil
}

// calibrate finds a budget at which the cache holds n entries within tol
// (a fraction of n). The entry count is close to linear in the budget, so
// each probe aims at budget*n/entries (a secant step) inside the bracket
// the earlier probes established, falling back to bisection; a dozen probes
// is typical. A cache whose smallest budget already holds too many entries, or
// whose budget steps jump over the window (bigcache: whole MiB), gets an
// explained n/a instead of a number that would compare unequal caches.
//
// probe returns the steady-state entry count at a budget (steadyEntries,
// memoised; a function so tests can model a cache).
func calibrate(bc *byteCache, n int, tol float64, probe func(budget int64) (resident, own int, err error)) (calibration, error) {
	lowOK := int(math.Ceil(float64(n) * (1 - tol)))
	highOK := int(float64(n) * (1 + tol))
	pct := strconv.FormatFloat(100*tol, 'g', -1, 64) + "%"
	round := func(b int64) int64 {
		b = max(b, bc.min)
		if bc.round != nil {
			b = bc.round(b)
		}
		return b
	}
	// The smallest budget the cache accepts; larder refuses budgets below
	// its fixed structures, so walk up until it opens.
	lo := round(bc.min)
	cLo, ownLo, err := probe(lo)
	for err != nil && bc.tooSmall != nil && bc.tooSmall(err) && lo < 1<<40 {
		lo = round(lo * 2)
		cLo, ownLo, err = probe(lo)
	}
	if err != nil {
		return calibration{}, err
	}
	// A budget inside the tolerance ends the search only if it holds
	// exactly n; otherwise the search goes on for up to refineProbes more
	// probes towards n and keeps the closest count (on a tie, the one not
	// above n), so that a byte cache is not measured with a couple of
	// percent more entries than the count-bounded caches when a budget
	// nearer n exists.
	var best calibration
	bestOff := func(c int) int {
		if c > n {
			return 2*(c-n) + 1
		}
		return 2 * (n - c)
	}
	refine := -1 // probes left after the first hit inside the tolerance
	consider := func(b int64, c int) bool {
		if c < lowOK || c > highOK {
			return false
		}
		if best.budget == 0 || bestOff(c) < bestOff(best.entries) {
			best = calibration{budget: b, entries: c}
		}
		if refine < 0 {
			refine = refineProbes
		}
		return c == n || refine == 0
	}
	if consider(lo, cLo) || (cLo > n && best.budget != 0) {
		return best, nil // nothing smaller to try
	}
	if cLo > highOK {
		why := fmt.Sprintf("its smallest budget, %s, already holds %d entries (want %d±%s)", fmtBytes(lo), cLo, n, pct)
		if ownLo > cLo*102/100 {
			why += fmt.Sprintf("; its own count says %d, overwritten entries included", ownLo)
		}
		return calibration{na: why}, nil
	}

	// Bracket: lo holds too few; hi (once found) too many.
	var hi int64
	cHi := 0
	b := lo * 2
	if cLo > 0 {
		b = lo * int64(n) / int64(cLo)
	}
	for range 60 {
		b = round(b)
		if b <= lo {
			b = round(lo + 1)
		}
		if hi > 0 && b >= hi {
			b = round(lo + (hi-lo)/2)
			if b <= lo {
				b = round(lo + 1)
			}
			if b >= hi {
				if best.budget != 0 {
					return best, nil
				}
				return calibration{na: fmt.Sprintf("no budget holds %d±%s: %d B holds %d entries, %d B holds %d",
					n, pct, lo, cLo, hi, cHi)}, nil
			}
		}
		c, _, err := probe(b)
		if err != nil {
			return calibration{}, err
		}
		if refine > 0 {
			refine--
		}
		if consider(b, c) {
			return best, nil
		}
		if c < n {
			lo, cLo = b, c
		} else {
			hi, cHi = b, c
		}
		if b > 1<<40 {
			break
		}
		// Secant step from the probe just made.
		if c > 0 {
			b = b * int64(n) / int64(c)
		} else {
			b *= 2
		}
		// Keep it strictly inside the bracket; otherwise bisect.
		if b <= lo || (hi > 0 && b >= hi) {
			if hi > 0 {
				b = lo + (hi-lo)/2
			} else {
				b = lo * 2
			}
		}
	}
	if best.budget != 0 {
		return best, nil
	}
	return calibration{na: fmt.Sprintf("no budget found holding %d±%s entries (last: %d B holds %d)", n, pct, lo, cLo)}, nil
}

// refineProbes is how many more probes calibrate spends, once a budget is
// inside the tolerance, looking for one whose count is nearer n.
const refineProbes = 4

// fmtBytes prints a budget compactly (B, KiB, MiB) for tables and reasons.
func fmtBytes(b int64) string {
	switch {
	case b >= 1<<20 && b%(1<<20) == 0:
		return fmt.Sprintf("%dMiB", b>>20)
	case b >= 1<<20:
		return fmt.Sprintf("%.2fMiB", float64(b)/(1<<20))
	case b >= 1<<10:
		return fmt.Sprintf("%.1fKiB", float64(b)/(1<<10))
	}
	return fmt.Sprintf("%dB", b)
}
