package compare

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/larder-cache/larder/bench/hitratio"
	"github.com/larder-cache/larder/bench/memory"
	"github.com/larder-cache/larder/bench/throughput"
)

// WriteTables prints the whole report as plain-text tables.
func (r *Report) WriteTables(w io.Writer) {
	mode := "quick"
	if r.Config.Full {
		mode = "full"
	}
	fmt.Fprintf(w, "# larder comparison (%s)\n\n", mode)
	r.writeMachine(w)
	r.writeAdapters(w)
	if len(r.HitRatio) > 0 {
		fmt.Fprintf(w, "\n# Hit ratio\n")
		if r.Config.HitRatioQuick {
			fmt.Fprintf(w, "(quick: trace prefixes at up to three sizes each — a smoke run, not a result)\n")
		}
		hitratio.WriteTables(w, r.HitRatio)
		if !r.Config.HitRatioQuick {
			hitratio.WriteTargets(w, r.HitRatio)
		}
	}
	if len(r.Throughput) > 0 {
		r.writeThroughput(w)
	}
	if len(r.Memory) > 0 {
		r.writeMemory(w)
	}
	if len(r.Latency) > 0 {
		r.writeLatency(w)
	}
	if len(r.Errors) > 0 {
		fmt.Fprintf(w, "\n# Errors\n")
		for _, e := range r.Errors {
			fmt.Fprintf(w, "- %s\n", e)
		}
	}
	var secs []string
	for name, s := range r.Sections {
		secs = append(secs, fmt.Sprintf("%s %.0fs", name, s))
	}
	sort.Strings(secs)
	fmt.Fprintf(w, "\n(total %.0fs: %s)\n", r.Elapsed.Seconds(), strings.Join(secs, ", "))
}

func (r *Report) writeMachine(w io.Writer) {
	m := r.Machine
	fmt.Fprintf(w, "machine: %s, %d CPUs, GOMAXPROCS=%d, %s, %s/%s, kernel %s, memory %s\n",
		m.CPUModel, m.NumCPU, m.GOMAXPROCS, m.GoVersion, m.GOOS, m.GOARCH, m.Kernel, m.MemTotal)
	fmt.Fprintf(w, "date: %s, load average at start: %s, GOGC=%s\n", m.Date, m.LoadAvg, m.GOGC)
	var mods []string
	for p, v := range m.Modules {
		for _, peer := range []string{"larder", "otter", "theine", "ristretto", "golang-lru", "freecache", "fastcache", "bigcache"} {
			if strings.Contains(p, peer) {
				mods = append(mods, p+" "+v)
				break
			}
		}
	}
	sort.Strings(mods)
	if len(mods) > 0 {
		fmt.Fprintf(w, "modules: %s\n", strings.Join(mods, ", "))
	}
}

func (r *Report) writeAdapters(w io.Writer) {
	fmt.Fprintf(w, "\ncache configurations (throughput, memory, latency):\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, a := range r.Adapters {
		fmt.Fprintf(tw, "  %s\t%s\n", a.Name, a.Config)
	}
	tw.Flush()
}

func (r *Report) writeThroughput(w io.Writer) {
	c := r.Config
	fmt.Fprintf(w, "\n# Throughput\n")
	fmt.Fprintf(w, "%s prepopulated entries, keys Zipf s=%.2f from a pre-generated trace, %d goroutines (GOMAXPROCS %d x %d), %v per cell after %v warmup; writes Set an existing key to a fresh value\n",
		count(c.N), throughput.ZipfS, r.Machine.GOMAXPROCS*c.Parallelism, r.Machine.GOMAXPROCS, c.Parallelism, c.Cell, c.Warmup)
	for _, shape := range c.Shapes {
		cells := map[string]map[int]throughput.Result{}
		var caches []string
		for _, t := range r.Throughput {
			if t.Shape != shape {
				continue
			}
			if cells[t.Cache] == nil {
				cells[t.Cache] = map[int]throughput.Result{}
				caches = append(caches, t.Cache)
			}
			cells[t.Cache][t.ReadPct] = t
		}
		if len(caches) == 0 {
			continue
		}
		table := func(title string, val func(throughput.Result) string) {
			fmt.Fprintf(w, "\n%s — %s\n", shape, title)
			tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintf(tw, "cache\t")
			for _, p := range c.ReadPcts {
				fmt.Fprintf(tw, "reads=%d\t", p)
			}
			fmt.Fprintln(tw)
			for _, name := range caches {
				fmt.Fprintf(tw, "%s\t", name)
				for _, p := range c.ReadPcts {
					t, ok := cells[name][p]
					switch {
					case !ok:
						fmt.Fprintf(tw, "-\t")
					case t.Error != "":
						fmt.Fprintf(tw, "error\t")
					default:
						fmt.Fprintf(tw, "%s\t", val(t))
					}
				}
				fmt.Fprintln(tw)
			}
			tw.Flush()
		}
		table("million ops/s (higher is better)", func(t throughput.Result) string {
			return fmt.Sprintf("%.2f", t.Run.OpsPerSec/1e6)
		})
		table("allocs/op", func(t throughput.Result) string { return fmt.Sprintf("%.2f", t.Run.AllocsPerOp) })
		table("hits/read (1.000 = every read hit)", func(t throughput.Result) string { return fmt.Sprintf("%.3f", t.Run.HitRatio) })
		fmt.Fprintf(w, "\n%s — prepopulation\n", shape)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, name := range caches {
			for _, t := range cells[name] {
				fmt.Fprintf(tw, "  %s\n", t.Fill)
				break
			}
		}
		tw.Flush()
	}
}

func (r *Report) writeMemory(w io.Writer) {
	fmt.Fprintf(w, "\n# Memory and GC\n")
	fmt.Fprintf(w, "each cache in a fresh process; RSS = resident growth after fill + GC + returning free pages; after churn = the same measured again after the churn phase (overwrites of existing keys), with the keys still held found by probing all of them: a cache that writes into a ring or log it reserved up front (larder, fastcache, bigcache) touches all of it once overwrites wrap, so in steady use it costs its budget; peak = growth of the kernel's high-water mark over fill and churn; heap = live Go heap; GC = median forced runtime.GC() with the cache live; GC CPU = GC share of all CPU during a 50/50 Get/Set churn (%d goroutines)\n",
		r.Machine.GOMAXPROCS)
	for _, spec := range r.Config.MemSpecs {
		var rows []memory.Result
		for _, m := range r.Memory {
			if m.Config.N == spec.N && m.Config.KeySize == spec.KeySize && m.Config.ValueSize == spec.ValueSize {
				rows = append(rows, m)
			}
		}
		if len(rows) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s (payload %s)\n", spec, mib(int64(spec.N)*int64(spec.KeySize+spec.ValueSize)))
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "cache\theld\tbudget\tRSS\tRSS B/entry\theld after churn\tRSS after churn\tB/entry after churn\tpeak RSS\tGo heap\theap objects\tGC ms\tGC CPU in churn\tchurn Mops/s\tchurn alloc B/op\t")
		for _, m := range rows {
			if m.Error != "" {
				fmt.Fprintf(tw, "%s\terror\t\t\t\t\t\t\t\t\t\t\t\t\t\t\n", m.Config.Cache)
				continue
			}
			budget := "-"
			if m.Fill.Budget > 0 {
				budget = mib(m.Fill.Budget)
			}
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%.1f\t%d\t%s\t%.1f\t%s\t%s\t%d\t%.1f\t%s\t%.2f\t%.0f\t\n",
				m.Config.Cache, m.Fill.Held, budget, mib(m.RSSBytes), m.RSSPerEntry,
				m.HeldAfterChurn, mib(m.ChurnRSSBytes), m.ChurnRSSPerEntry, mib(m.PeakRSSBytes),
				mib(m.HeapBytes), m.HeapObjects, float64(m.GCPause)/1e6, m.GCShare(), m.ChurnOpsPerSec/1e6, m.ChurnAllocBytesPerOp)
		}
		tw.Flush()
	}
}

func (r *Report) writeLatency(w io.Writer) {
	c := r.Config
	fmt.Fprintf(w, "\n# Latency\n")
	if len(r.Latency) > 0 {
		l := r.Latency[0]
		fmt.Fprintf(w, "Get latency of %d reader goroutine(s) over %v on %s prepopulated entries (k=%d v=%d, Zipf 0.99) while one goroutine Sets at %d/s; each sample includes one time.Now/time.Since pair (clock overhead p50 %dns, p99 %dns, not subtracted)\n",
			l.Config.Readers, c.LatencyDuration, count(c.LatencyN), l.Config.KeySize, l.Config.ValueSize, c.LatencyRate,
			l.ClockOverhead.P50, l.ClockOverhead.P99)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "cache\tGet p50\tp99\tp99.9\tp99.99\tmax\tSet p50\tSet p99\tSet max\twrites/s\tsamples\t")
	for _, l := range r.Latency {
		if l.Error != "" {
			fmt.Fprintf(tw, "%s\terror\t\t\t\t\t\t\t\t\t\t\n", l.Config.Cache)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%.0f\t%d\t\n", l.Config.Cache,
			ns(l.Get.P50), ns(l.Get.P99), ns(l.Get.P999), ns(l.Get.P9999), ns(l.Get.Max),
			ns(l.Set.P50), ns(l.Set.P99), ns(l.Set.Max), l.WritesPerSec, l.Get.Count)
	}
	tw.Flush()
}

func mib(b int64) string { return fmt.Sprintf("%.1fMiB", float64(b)/(1<<20)) }

// ns formats nanoseconds with a unit that keeps three significant digits.
func ns(v uint64) string {
	switch {
	case v < 10_000:
		return fmt.Sprintf("%dns", v)
	case v < 1_000_000:
		return fmt.Sprintf("%.1fµs", float64(v)/1e3)
	default:
		return fmt.Sprintf("%.2fms", float64(v)/1e6)
	}
}

// count formats an entry count compactly (1M, 5M, 2^20).
func count(n int) string {
	switch {
	case n > 0 && n&(n-1) == 0 && n >= 1<<10:
		return fmt.Sprintf("2^%d", bitsLen(n)-1)
	case n%1_000_000 == 0 && n > 0:
		return fmt.Sprintf("%dM", n/1_000_000)
	case n%1000 == 0 && n > 0:
		return fmt.Sprintf("%dk", n/1000)
	}
	return fmt.Sprint(n)
}

func bitsLen(n int) int {
	l := 0
	for ; n > 0; n >>= 1 {
		l++
	}
	return l
}
