package compare

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"

	"github.com/larder-cache/larder/bench/hitratio"
)

// WriteFiles writes results.json and the SVG charts into dir, and returns
// the paths written.
func (r *Report) WriteFiles(dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var written []string
	write := func(name string, data []byte) error {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return err
		}
		written = append(written, p)
		return nil
	}
	// encoding/json rejects NaN; a hit ratio is meaningless (not NaN-valued
	// by contract, but be safe) exactly where NA says why.
	clean := *r
	clean.HitRatio = append([]hitratio.Result(nil), r.HitRatio...)
	for i := range clean.HitRatio {
		if math.IsNaN(clean.HitRatio[i].HitRatio) || math.IsInf(clean.HitRatio[i].HitRatio, 0) {
			clean.HitRatio[i].HitRatio = 0
		}
	}
	js, err := json.MarshalIndent(&clean, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := write("results.json", append(js, '\n')); err != nil {
		return written, err
	}
	charts, err := r.charts()
	if err != nil {
		return written, err
	}
	for _, c := range charts {
		if err := write(c.name, c.svg); err != nil {
			return written, err
		}
	}
	return written, nil
}

type chart struct {
	name string
	svg  []byte
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

func (r *Report) charts() ([]chart, error) {
	var out []chart
	add := func(name string, draw func(*bytes.Buffer) error) error {
		var b bytes.Buffer
		if err := draw(&b); err != nil {
			return fmt.Errorf("chart %s: %w", name, err)
		}
		out = append(out, chart{unsafeName.ReplaceAllString(name, "_") + ".svg", b.Bytes()})
		return nil
	}
	pct := func(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) + "%" }
	mops := func(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }
	bytesFmt := func(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) }
	// Latency ticks are decades: 100ns, 1µs, 10µs, ... (%g drops trailing
	// zeros), while bar tooltips keep ns()'s three significant digits.
	nsFmt := func(v float64) string {
		switch {
		case v >= 1e6:
			return strconv.FormatFloat(v/1e6, 'g', 4, 64) + "ms"
		case v >= 1e3:
			return strconv.FormatFloat(v/1e3, 'g', 4, 64) + "µs"
		}
		return strconv.FormatFloat(v, 'g', 4, 64) + "ns"
	}

	// Hit ratio vs size, one chart per trace.
	for _, trace := range orderedTraces(r.HitRatio) {
		var sizes []int
		seen := map[int]bool{}
		caches := []string{}
		cacheSeen := map[string]bool{}
		cell := map[string]map[int]hitratio.Result{}
		for _, h := range r.HitRatio {
			if h.Trace != trace {
				continue
			}
			if !seen[h.Size] {
				seen[h.Size] = true
				sizes = append(sizes, h.Size)
			}
			if !cacheSeen[h.Cache] {
				cacheSeen[h.Cache] = true
				caches = append(caches, h.Cache)
			}
			if cell[h.Cache] == nil {
				cell[h.Cache] = map[int]hitratio.Result{}
			}
			cell[h.Cache][h.Size] = h
		}
		caches = larderFirst(caches)
		var labels []string
		for _, s := range sizes {
			labels = append(labels, count(s))
		}
		var series []Series
		for _, c := range caches {
			s := Series{Name: c}
			for _, size := range sizes {
				h, ok := cell[c][size]
				if !ok || h.NA != "" {
					s.Values = append(s.Values, math.NaN())
				} else {
					s.Values = append(s.Values, 100*h.HitRatio)
				}
			}
			series = append(series, s)
		}
		err := add("hitratio_"+trace, func(b *bytes.Buffer) error {
			return LineChart(b, "Hit ratio — "+trace, "cache size (entries)", "hit ratio (%)", labels, series, pct)
		})
		if err != nil {
			return nil, err
		}
	}

	// Throughput: one chart per shape, groups = mixes, bars = caches.
	for _, shape := range r.Config.Shapes {
		var groups []string
		for _, p := range r.Config.ReadPcts {
			groups = append(groups, fmt.Sprintf("%d%% reads", p))
		}
		var caches []string
		vals := map[string][]float64{}
		for _, t := range r.Throughput {
			if t.Shape != shape {
				continue
			}
			if _, ok := vals[t.Cache]; !ok {
				caches = append(caches, t.Cache)
				vals[t.Cache] = nanSlice(len(groups))
			}
			for i, p := range r.Config.ReadPcts {
				if p == t.ReadPct && t.Error == "" {
					vals[t.Cache][i] = t.Run.OpsPerSec / 1e6
				}
			}
		}
		if len(caches) == 0 {
			continue
		}
		var series []Series
		for _, c := range caches {
			series = append(series, Series{Name: c, Values: vals[c]})
		}
		err := add("throughput_"+shape, func(b *bytes.Buffer) error {
			return BarChart(b, fmt.Sprintf("Throughput — %s, %s entries, %d goroutines on %d CPUs", shape, count(r.Config.N),
				r.Machine.GOMAXPROCS*r.Config.Parallelism, r.Machine.GOMAXPROCS),
				"read share", "million ops/s", groups, series, false, mops)
		})
		if err != nil {
			return nil, err
		}
	}

	// Memory: bytes of RSS per entry, groups = configurations after fill
	// and after churn, bars = caches.
	if len(r.Memory) > 0 {
		var groups []string
		for _, s := range r.Config.MemSpecs {
			groups = append(groups, s.String()+", after fill", s.String()+", after churn")
		}
		var caches []string
		vals := map[string][]float64{}
		for _, m := range r.Memory {
			if _, ok := vals[m.Config.Cache]; !ok {
				caches = append(caches, m.Config.Cache)
				vals[m.Config.Cache] = nanSlice(len(groups))
			}
			for i, s := range r.Config.MemSpecs {
				if s.N == m.Config.N && s.KeySize == m.Config.KeySize && s.ValueSize == m.Config.ValueSize && m.Error == "" {
					vals[m.Config.Cache][2*i] = m.RSSPerEntry
					if m.HeldAfterChurn > 0 {
						vals[m.Config.Cache][2*i+1] = m.ChurnRSSPerEntry
					}
				}
			}
		}
		var series []Series
		for _, c := range caches {
			series = append(series, Series{Name: c, Values: vals[c]})
		}
		err := add("memory_bytes_per_entry", func(b *bytes.Buffer) error {
			return BarChart(b, "Resident memory per entry (lower is better)", "entries and sizes", "bytes of RSS per entry", groups, series, false, bytesFmt)
		})
		if err != nil {
			return nil, err
		}
	}

	// Latency: groups = caches' percentiles on a log axis.
	if len(r.Latency) > 0 {
		groups := []string{"p50", "p99", "p99.9", "p99.99", "max"}
		var series []Series
		for _, l := range r.Latency {
			v := nanSlice(len(groups))
			if l.Error == "" {
				v = []float64{float64(l.Get.P50), float64(l.Get.P99), float64(l.Get.P999), float64(l.Get.P9999), float64(l.Get.Max)}
			}
			series = append(series, Series{Name: l.Config.Cache, Values: v})
		}
		err := add("latency_get", func(b *bytes.Buffer) error {
			return BarChart(b, fmt.Sprintf("Get latency under %d Set/s (log scale, lower is better)", r.Config.LatencyRate),
				"percentile", "latency", groups, series, true, nsFmt)
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func nanSlice(n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = math.NaN()
	}
	return s
}

func orderedTraces(rs []hitratio.Result) []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range rs {
		if !seen[r.Trace] {
			seen[r.Trace] = true
			out = append(out, r.Trace)
		}
	}
	return out
}

// larderFirst moves larder to the front (it gets the first color and the
// thick line), keeping the others' order.
func larderFirst(caches []string) []string {
	out := make([]string, 0, len(caches))
	for _, c := range caches {
		if c == "larder" {
			out = append(out, c)
		}
	}
	for _, c := range caches {
		if c != "larder" {
			out = append(out, c)
		}
	}
	return out
}
