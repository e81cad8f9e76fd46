package hitratio

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
)

// TrajectoryOptions selects one cell of the replay (a trace and a size) to
// follow request by request.
type TrajectoryOptions struct {
	// TracesDir is as in Options.
	TracesDir string
	// Trace names the trace; generated workloads are accepted too.
	Trace string
	// Size is the capacity in entries; byte-budget caches are calibrated
	// to it as in Run.
	Size int
	// Every is the interval length in requests; 0 means a twentieth of
	// the trace.
	Every int
	// Caches are the columns, in catalogue order; Belady and otter are
	// always added, as in Run, and empty adds exact LRU and larder. Each
	// randomized cache runs once: a trajectory shows where a run gains or
	// loses, not a mean.
	Caches []string
	// Tolerance, LarderShards and LarderAvgEntrySize are as in Options.
	Tolerance                        float64
	LarderShards, LarderAvgEntrySize int
}

// Trajectory is one cell's hit ratio interval by interval: where in a
// trace each cache wins or loses its points. A phase change shows up as
// an interval where caches that agree elsewhere part ways.
type Trajectory struct {
	Trace    string
	Size     int
	Every    int
	Requests int
	// Caches names the columns; NA[c] says why cache c has none ("" if
	// it ran) and Hits[c][i] counts its hits in interval i, the requests
	// [i·Every, (i+1)·Every).
	Caches []string
	NA     []string
	Hits   [][]int64
}

// RunTrajectory replays opts.Trace at opts.Size through each cache once,
// counting hits per interval. Belady's column uses the whole trace's
// future, so it is the optimum's share of each interval, not each
// interval's own optimum.
func RunTrajectory(ctx context.Context, opts TrajectoryOptions, progress func(string)) (*Trajectory, error) {
	if progress == nil {
		progress = func(string) {}
	}
	if opts.Size <= 0 {
		return nil, fmt.Errorf("hitratio: trajectory size %d: want at least 1 entry", opts.Size)
	}
	if opts.Every < 0 {
		return nil, fmt.Errorf("hitratio: trajectory interval %d: want 0 (a twentieth of the trace) or more", opts.Every)
	}
	specs, err := selectTraces([]string{opts.Trace}, false)
	if err != nil {
		return nil, err
	}
	if len(specs) != 1 {
		return nil, fmt.Errorf("hitratio: trajectory wants one trace, got %q", opts.Trace)
	}
	names := opts.Caches
	if len(names) == 0 {
		names = []string{CacheExactLRU, CacheLarder}
	}
	lc := larderConf{shards: opts.LarderShards, avgEntrySize: opts.LarderAvgEntrySize}
	caches, err := selectCaches(names, lc)
	if err != nil {
		return nil, err
	}
	tol := opts.Tolerance
	if tol <= 0 {
		tol = defaultTolerance
	}
	tj := &traceJob{spec: specs[0]}
	if err := tj.load(ResolveTracesDir(opts.TracesDir), 0, progress); err != nil {
		return nil, err
	}
	keys := tj.trace.Keys
	every := opts.Every
	if every == 0 {
		every = max((len(keys)+19)/20, 1)
	}
	tr := &Trajectory{Trace: specs[0].name, Size: opts.Size, Every: every, Requests: len(keys)}
	for _, c := range caches {
		hits, na, err := trajectoryOf(ctx, c, keys, opts.Size, every, tol, lc)
		if err != nil {
			return nil, fmt.Errorf("%s %s n=%d: %w", tr.Trace, c.name, opts.Size, err)
		}
		tr.Caches = append(tr.Caches, c.name)
		tr.NA = append(tr.NA, na)
		tr.Hits = append(tr.Hits, hits)
		progress(fmt.Sprintf("%-9s n=%-7d %-10s done", tr.Trace, opts.Size, c.name))
	}
	return tr, nil
}

// trajectoryOf replays one cache for RunTrajectory: its hits per interval,
// or why it has none.
func trajectoryOf(ctx context.Context, c cacheSpec, keys []uint64, n, every int, tol float64, lc larderConf) (hits []int64, na string, err error) {
	if c.offline {
		return beladyIntervalHits(keys, nextUses(keys), n, every), "", nil
	}
	open, cal, err := opener(ctx, c, n, tol, lc)
	if err != nil || cal.na != "" {
		return nil, cal.na, err
	}
	p, err := open()
	if err != nil {
		return nil, "", err
	}
	defer p.Close()
	hits, err = replayIntervals(ctx, p, keys, every)
	return hits, "", err
}

// WriteTrajectory prints t as a table: one row per interval (the request
// count at its end), the hit ratio % of each cache in it, and a last row
// with the whole trace.
func WriteTrajectory(w io.Writer, t *Trajectory) {
	fmt.Fprintf(w, "## %s at %d entries: hit ratio %% per %d requests\n\n", t.Trace, t.Size, t.Every)
	var ran []int
	for c, name := range t.Caches {
		if t.NA[c] != "" {
			fmt.Fprintf(w, "n/a %s: %s\n", name, t.NA[c])
			continue
		}
		ran = append(ran, c)
	}
	cell := func(i int) int { return max(len(t.Caches[i]), 7) }
	fmt.Fprintf(w, "%10s", "requests")
	for _, c := range ran {
		fmt.Fprintf(w, "  %*s", cell(c), t.Caches[c])
	}
	fmt.Fprintln(w)
	intervals := 0
	if len(ran) > 0 {
		intervals = len(t.Hits[ran[0]])
	}
	for i := range intervals {
		end := min((i+1)*t.Every, t.Requests)
		fmt.Fprintf(w, "%10d", end)
		for _, c := range ran {
			fmt.Fprintf(w, "  %*.2f", cell(c), pct(t.Hits[c][i], end-i*t.Every))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "%10s", "all")
	for _, c := range ran {
		var sum int64
		for _, h := range t.Hits[c] {
			sum += h
		}
		fmt.Fprintf(w, "  %*.2f", cell(c), pct(sum, t.Requests))
	}
	fmt.Fprintln(w)
	if slices.ContainsFunc(ran, func(c int) bool { return t.Caches[c] == CacheBelady }) {
		fmt.Fprintln(w, "\n(belady: the optimum for the whole trace, counted per interval)")
	}
	if r := randomizedIn(t.Caches); len(r) > 0 {
		fmt.Fprintf(w, "(one run each of %s; their figures move between runs)\n", strings.Join(r, ", "))
	}
}

// pct is hits as a percentage of n requests (0 when n is 0).
func pct(hits int64, n int) float64 {
	if n <= 0 {
		return 0
	}
	return 100 * float64(hits) / float64(n)
}

// randomizedIn returns the caches among names whose results vary between
// runs.
func randomizedIn(names []string) []string {
	var out []string
	for _, c := range cacheCatalogue(larderConf{}) {
		if c.randomized && slices.Contains(names, c.name) {
			out = append(out, c.name)
		}
	}
	return out
}
