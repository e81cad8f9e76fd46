package hitratio

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Options selects what Run replays.
type Options struct {
	// TracesDir is the folder holding the public traces; "" resolves it
	// with ResolveTracesDir ($LARDER_TRACES, else ../shared/traces from the
	// repository root).
	TracesDir string
	// Traces names the workloads to run (see TraceNames; case-insensitive);
	// empty means all of them but the generalization workloads
	// (generalize.go), which Extra adds.
	Traces []string
	// Extra adds the generalization workloads to the run: generated
	// streams written to check the policy on shapes the public traces
	// cover thinly, kept out of the default set so that its summary stays
	// comparable with earlier runs.
	Extra bool
	// Caches names the caches to run (see CacheNames); empty means all.
	// Belady and otter are added when absent if any other cache is asked
	// for, since every cell is also reported relative to them.
	Caches []string
	// Quick replays a prefix of each trace (QuickRequests requests) at no
	// more than three of its sizes, those below the prefix's distinct-key
	// count: a smoke run of the whole pipeline in seconds, not a result.
	Quick bool
	// QuickRequests is the prefix length for Quick; 0 means 100,000.
	QuickRequests int
	// Parallel is how many replays run at once; 0 means GOMAXPROCS. Each
	// replay is single-threaded, but ristretto and theine also keep a
	// maintenance goroutine busy.
	Parallel int
	// Repeats is how many times caches whose results vary between runs
	// (larder, otter, theine, ristretto: seeded hashing, random admission
	// jitter, lossy buffers; freecache: wall-clock timestamps) replay each
	// cell; the mean is reported. 0 picks enough runs for about 3M
	// requests per cell, between 2 and 5: the short traces, where one run
	// can be off by several points, get 5; P3 and w106 get 2 (with one,
	// larder's P3@25000 and P3@400k moved by up to 1.2 and 1.8 points from
	// run to run, enough to change which targets a table reports as met).
	// With Quick, 0 means 1.
	Repeats int
	// Tolerance is how far from n a byte-budget cache's entry count may be
	// at its calibrated budget, as a fraction; 0 means 0.02 (±2%). Caches
	// that cannot get that close are reported n/a.
	Tolerance float64
	// StallTimeout bounds how long one replay (or calibration) may go
	// without completing a request before Run gives up on it: the cell is
	// reported n/a ("hung"), its goroutine abandoned (it cannot be
	// stopped), and the cache's remaining cells are skipped so that stuck
	// goroutines do not pile up. A guard for caches under construction; 0
	// means 5 minutes, negative disables the watchdog.
	StallTimeout time.Duration
	// LarderShards is passed to larder.Config.Shards (0: larder's default,
	// which depends on GOMAXPROCS for budgets of 4 MiB and more).
	LarderShards int
	// LarderAvgEntrySize is passed to larder.Config.AvgEntrySize (0:
	// larder's default, 64). The replay's entries are 24 bytes of key and
	// value; calibration finds the budget for n entries either way, this
	// only changes how that budget splits between index and arena.
	LarderAvgEntrySize int
}

// Result is one cell: a cache replaying a trace at one capacity.
type Result struct {
	Trace string
	Size  int // capacity in entries
	Cache string
	// HitRatio is hits/requests as a fraction in [0, 1] (tables print it
	// as a percentage); the mean over Runs for caches that are repeated.
	// Meaningless when NA is set.
	HitRatio float64
	// Runs is how many replays HitRatio averages (1 unless the cache is
	// randomized, see Options.Repeats); MinHitRatio and MaxHitRatio are
	// their extremes.
	Runs                     int
	MinHitRatio, MaxHitRatio float64
	// Budget is the calibrated byte budget for byte-budget caches (the one
	// at which they hold Size entries ±Options.Tolerance), 0 for caches sized
	// in entries.
	Budget int64
	// Entries is how many entries the byte cache held at steady state with
	// Budget during calibration; 0 for caches sized in entries.
	Entries int
	// NA is non-empty when the cache cannot be run at this size on equal
	// terms, and says why.
	NA string
	// Requests is the trace's (or quick prefix's) length; Hits is the
	// total over Runs, so HitRatio = Hits / (Requests × Runs).
	Hits     int64
	Requests int64
	// Distinct is the trace's (or quick prefix's) number of distinct keys;
	// 1 - Distinct/Requests is the ceiling for every cache.
	Distinct int
}

// traceJob holds one workload while its replays run: loaded on first use by
// whichever worker gets there, freed when its last replay ends, so at most a
// couple of traces are in memory at once.
type traceJob struct {
	spec  traceSpec
	sizes []int
	once  sync.Once
	trace *Trace
	dist  int
	next  []int32 // Belady's next-use table, built on first need
	nOnce sync.Once
	err   error
	left  int // replays not finished; guarded by Run's mutex
}

type replayJob struct {
	tj   *traceJob
	size int
	c    cacheSpec
	out  *Result
}

// Run replays every selected trace through every selected cache at each of
// the trace's sizes and returns one Result per cell, ordered by trace (table
// order), size, cache (column order). Replays run Parallel at a time; each
// cache instance is used by one goroutine only. progress, if non-nil,
// receives one line per loaded trace and per finished cell; calls are
// serialised, so it needs no locking of its own.
func Run(ctx context.Context, opts Options, progress func(string)) ([]Result, error) {
	if progress == nil {
		progress = func(string) {}
	}
	var progressMu sync.Mutex
	userProgress := progress
	progress = func(s string) {
		progressMu.Lock()
		defer progressMu.Unlock()
		userProgress(s)
	}
	dir := ResolveTracesDir(opts.TracesDir)
	specs, err := selectTraces(opts.Traces, opts.Extra)
	if err != nil {
		return nil, err
	}
	lc := larderConf{shards: opts.LarderShards, avgEntrySize: opts.LarderAvgEntrySize}
	caches, err := selectCaches(opts.Caches, lc)
	if err != nil {
		return nil, err
	}
	if slices.ContainsFunc(specs, func(s traceSpec) bool { return !s.synthetic }) {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return nil, fmt.Errorf("%w: %s (set -traces or $%s)", ErrNoTraces, dir, TracesEnv)
		}
	}
	quickN := opts.QuickRequests
	if quickN <= 0 {
		quickN = 100_000
	}
	limit := 0
	if opts.Quick {
		limit = quickN
	}
	repeats := opts.Repeats
	if repeats <= 0 && opts.Quick {
		repeats = 1
	}
	tol := opts.Tolerance
	if tol <= 0 {
		tol = defaultTolerance
	}
	stall := opts.StallTimeout
	if stall == 0 {
		stall = 5 * time.Minute
	}
	par := opts.Parallel
	if par <= 0 {
		par = runtime.GOMAXPROCS(0)
	}

	// Build the job list. In quick mode the sizes depend on the prefix's
	// distinct count, so those traces are loaded up front (prefixes are
	// small).
	var tjs []*traceJob
	for _, s := range specs {
		tj := &traceJob{spec: s, sizes: s.sizes}
		if opts.Quick {
			if err := tj.load(dir, limit, progress); err != nil {
				return nil, err
			}
			tj.sizes = quickSizes(s.sizes, tj.dist)
		}
		tjs = append(tjs, tj)
	}
	var jobs []*replayJob
	var results []Result
	for _, tj := range tjs {
		for _, n := range tj.sizes {
			for _, c := range caches {
				results = append(results, Result{Trace: tj.spec.name, Size: n, Cache: c.name})
			}
		}
	}
	i := 0
	for _, tj := range tjs {
		for _, n := range tj.sizes {
			for _, c := range caches {
				jobs = append(jobs, &replayJob{tj: tj, size: n, c: c, out: &results[i]})
				tj.left++
				i++
			}
		}
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
		hung     = map[string]bool{} // caches with an abandoned replay
	)
	ch := make(chan *replayJob)
	for range par {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range ch {
				mu.Lock()
				skip := hung[j.c.name]
				mu.Unlock()
				var (
					r      Result
					err    error
					stuck  bool
					reason string
				)
				if skip {
					reason = "skipped: an earlier " + j.c.name + " replay hung"
				} else {
					r, stuck, err = watch(ctx, stall, func(ctx context.Context) (Result, error) {
						return j.run(ctx, dir, limit, repeats, tol, lc, progress)
					})
					if stuck {
						reason = fmt.Sprintf("hung: no request completed for %s; replay abandoned", stall)
					}
				}
				if reason != "" {
					progress(fmt.Sprintf("%-9s n=%-7d %-10s n/a: %s", j.tj.spec.name, j.size, j.c.name, reason))
				}
				mu.Lock()
				switch {
				case reason != "":
					hung[j.c.name] = true
					j.out.NA = reason
				case err == nil:
					*j.out = r
				case firstErr == nil:
					firstErr = err
					cancel()
				}
				j.tj.left--
				if j.tj.left == 0 {
					// Last replay of this trace: let the GC have it.
					j.tj.trace, j.tj.next = nil, nil
				}
				mu.Unlock()
			}
		}()
	}
	for _, j := range jobs {
		select {
		case ch <- j:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(ch)
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return results, nil
}

func (tj *traceJob) load(dir string, limit int, progress func(string)) error {
	tj.once.Do(func() {
		start := time.Now()
		t, err := LoadTrace(dir, tj.spec.name, limit)
		if err != nil {
			tj.err = err
			return
		}
		tj.trace = t
		tj.dist = t.Distinct()
		progress(fmt.Sprintf("%-9s loaded: %d requests, %d distinct (%.1fs)",
			tj.spec.name, len(t.Keys), tj.dist, time.Since(start).Seconds()))
	})
	return tj.err
}

// run computes the job's cell. It returns the cell rather than writing
// j.out so that a replay abandoned by the watchdog cannot race with Run's
// caller reading the results.
func (j *replayJob) run(ctx context.Context, dir string, limit, repeats int, tol float64, lc larderConf, progress func(string)) (Result, error) {
	tj := j.tj
	start := time.Now()
	if err := tj.load(dir, limit, progress); err != nil {
		return Result{}, err
	}
	t := tj.trace
	cell := *j.out
	out := &cell
	out.Requests = int64(len(t.Keys))
	out.Distinct = tj.dist
	runs := 1
	if j.c.randomized {
		runs = repeats
		if runs <= 0 {
			runs = min(max((3_000_000+len(t.Keys)-1)/max(len(t.Keys), 1), 2), 5)
		}
	}
	var open func() (policy, error)
	if j.c.offline {
		tj.nOnce.Do(func() { tj.next = nextUses(t.Keys) })
		h := int64(beladyHits(t.Keys, tj.next, j.size))
		out.record(h, len(t.Keys))
	} else {
		var cal calibration
		var err error
		open, cal, err = opener(ctx, j.c, j.size, tol, lc)
		if err != nil {
			return Result{}, err
		}
		if cal.na != "" {
			out.NA = cal.na
			progress(fmt.Sprintf("%-9s n=%-7d %-10s n/a: %s", tj.spec.name, j.size, j.c.name, cal.na))
			return cell, nil
		}
		out.Budget, out.Entries = cal.budget, cal.entries
	}
	for r := 0; open != nil && r < runs; r++ {
		p, err := open()
		if err != nil {
			return Result{}, fmt.Errorf("%s n=%d: %w", j.c.name, j.size, err)
		}
		h, err := replay(ctx, p, t.Keys)
		p.Close()
		if err != nil {
			return Result{}, fmt.Errorf("%s %s n=%d: %w", tj.spec.name, j.c.name, j.size, err)
		}
		out.record(h, len(t.Keys))
	}
	spread := ""
	if out.Runs > 1 {
		spread = fmt.Sprintf(" [%.2f..%.2f over %d runs]", 100*out.MinHitRatio, 100*out.MaxHitRatio, out.Runs)
	}
	progress(fmt.Sprintf("%-9s n=%-7d %-10s %6.2f%%%s (%.1fs)", tj.spec.name, j.size, j.c.name,
		100*out.HitRatio, spread, time.Since(start).Seconds()))
	return cell, nil
}

// opener returns how to open cache c at n entries: directly for a cache
// sized in entries, at its calibrated budget for a byte-budget cache (cal
// says which, or why there is none: then open is nil). Preconditions: c is
// not offline.
func opener(ctx context.Context, c cacheSpec, n int, tol float64, lc larderConf) (open func() (policy, error), cal calibration, err error) {
	if c.count != nil {
		return func() (policy, error) { return c.count(n) }, cal, nil
	}
	conf := ""
	if c.name == CacheLarder {
		conf = lc.String()
	}
	cal, err = calibrated(ctx, c.name, conf, c.bytes, n, tol)
	if err != nil {
		return nil, cal, fmt.Errorf("calibrating %s for %d entries: %w", c.name, n, err)
	}
	if cal.na != "" {
		return nil, cal, nil
	}
	return func() (policy, error) { return c.bytes.open(cal.budget) }, cal, nil
}

// record adds one replay's hits to the cell.
func (r *Result) record(hits int64, requests int) {
	ratio := 0.0
	if requests > 0 {
		ratio = float64(hits) / float64(requests)
	}
	if r.Runs == 0 || ratio < r.MinHitRatio {
		r.MinHitRatio = ratio
	}
	if r.Runs == 0 || ratio > r.MaxHitRatio {
		r.MaxHitRatio = ratio
	}
	r.Runs++
	r.Hits += hits
	if requests > 0 {
		r.HitRatio = float64(r.Hits) / float64(int64(requests)*int64(r.Runs))
	}
}

// replay drives p with the access model: Get every request, Set on a miss.
func replay(ctx context.Context, p policy, keys []uint64) (int64, error) {
	hits, err := replayIntervals(ctx, p, keys, max(len(keys), 1))
	if err != nil {
		return 0, err
	}
	return hits[0], nil
}

// replayIntervals is replay with the hits counted per interval of every
// requests: element i holds the hits among requests [i·every, (i+1)·every).
// Preconditions: every ≥ 1.
func replayIntervals(ctx context.Context, p policy, keys []uint64, every int) ([]int64, error) {
	hits := make([]int64, max((len(keys)+every-1)/every, 1))
	b, end := 0, every // the current interval and the request that ends it
	for i, k := range keys {
		if i == end {
			b, end = b+1, end+every
		}
		if p.Get(k) {
			hits[b]++
		} else {
			p.Set(k)
		}
		// Every 4Ki requests: stop if cancelled, and tell the watchdog
		// the replay is alive. Cheap at that rate, and a cancelled run
		// stops within a millisecond.
		if i&(1<<12-1) == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			heartbeat(ctx)
		}
	}
	return hits, p.Err()
}

// quickSizes keeps up to three of sizes (smallest, middle, largest) among
// those below distinct: at or above it every cache holds the whole prefix
// and all cells would read the ceiling. If none is below, the smallest stays.
func quickSizes(sizes []int, distinct int) []int {
	var ok []int
	for _, n := range sizes {
		if n < distinct {
			ok = append(ok, n)
		}
	}
	if len(ok) == 0 {
		return sizes[:1]
	}
	if len(ok) <= 3 {
		return ok
	}
	return []int{ok[0], ok[len(ok)/2], ok[len(ok)-1]}
}

func selectTraces(names []string, extra bool) ([]traceSpec, error) {
	var out []traceSpec
	var unknown []string
	for _, s := range catalogue {
		named := slices.ContainsFunc(names, func(n string) bool { return strings.EqualFold(n, s.name) })
		if named || len(names) == 0 && !s.extra || s.extra && extra {
			out = append(out, s)
		}
	}
	for _, n := range names {
		if _, ok := lookupTrace(n); !ok {
			unknown = append(unknown, n)
		}
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("hitratio: unknown trace(s) %s (known: %s)",
			strings.Join(unknown, ", "), strings.Join(TraceNames(), ", "))
	}
	return out, nil
}

func selectCaches(names []string, lc larderConf) ([]cacheSpec, error) {
	all := cacheCatalogue(lc)
	if len(names) == 0 {
		return all, nil
	}
	want := map[string]bool{CacheBelady: true, CacheOtter: true}
	for _, n := range names {
		n = strings.ToLower(strings.TrimSpace(n))
		if !slices.ContainsFunc(all, func(c cacheSpec) bool { return c.name == n }) {
			return nil, fmt.Errorf("hitratio: unknown cache %q (known: %s)", n, strings.Join(CacheNames(), ", "))
		}
		want[n] = true
	}
	var out []cacheSpec
	for _, c := range all {
		if want[c.name] {
			out = append(out, c)
		}
	}
	return out, nil
}

// beatKey carries the watchdog's counter in a replay's context.
type beatKey struct{}

// heartbeat tells the watchdog watching ctx (if any) that work advanced.
func heartbeat(ctx context.Context) {
	if b, ok := ctx.Value(beatKey{}).(*atomic.Int64); ok {
		b.Add(1)
	}
}

// watch runs fn, and gives up on it (stuck = true) when it goes stall
// without a heartbeat. A stuck fn keeps running on its goroutine: Go
// cannot stop it, and a cache spinning inside Set would ignore ctx anyway.
func watch(ctx context.Context, stall time.Duration, fn func(context.Context) (Result, error)) (r Result, stuck bool, err error) {
	if stall < 0 {
		r, err = fn(ctx)
		return r, false, err
	}
	var beats atomic.Int64
	wctx := context.WithValue(ctx, beatKey{}, &beats)
	type outcome struct {
		r   Result
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		r, err := fn(wctx)
		done <- outcome{r, err}
	}()
	tick := time.NewTicker(min(stall/4, 10*time.Second))
	defer tick.Stop()
	last, lastAt := beats.Load(), time.Now()
	for {
		select {
		case o := <-done:
			return o.r, false, o.err
		case <-tick.C:
			if b := beats.Load(); b != last {
				last, lastAt = b, time.Now()
			} else if time.Since(lastAt) >= stall {
				return Result{}, true, nil
			}
		}
	}
}

// ErrNoTraces is returned (wrapped) by Run when the traces folder is missing.
var ErrNoTraces = errors.New("hitratio: traces folder not found")
