// Package throughput measures operations per second of every adapter on
// prepopulated caches under Zipf-distributed read/write mixes. The
// `go test -bench` entry point is in throughput_test.go; Run is the
// time-bounded equivalent used by cmd/compare.
package throughput

import (
	"context"
	"fmt"
	"runtime"
	"time"

	"github.com/larder-cache/larder/bench/adapters"
	"github.com/larder-cache/larder/bench/workload"
)

// Shape is an entry shape: key and value sizes.
type Shape struct {
	Name      string
	KeySize   int
	ValueSize int
}

// Shapes are the two entry shapes the suite measures: tiny entries, where
// per-op overhead dominates, and mid-size values, where copying shows.
var Shapes = []Shape{
	{Name: "k8v16", KeySize: 8, ValueSize: 16},
	{Name: "k16v256", KeySize: 16, ValueSize: 256},
}

// ShapeByName returns the shape called name.
func ShapeByName(name string) (Shape, error) {
	for _, s := range Shapes {
		if s.Name == name {
			return s, nil
		}
	}
	return Shape{}, fmt.Errorf("throughput: unknown shape %q", name)
}

// ReadPcts are the read shares of the mixes, in percent.
var ReadPcts = []int{100, 90, 75, 50, 0}

const (
	// DefaultN is the number of prepopulated entries.
	DefaultN = 1 << 20
	// SmallN is used by smoke runs (go test -short, LARDER_BENCH_SMALL=1,
	// -benchtime=1x) so that building every cache takes milliseconds.
	SmallN = 1 << 12
	// ZipfS is the skew of the key distribution (YCSB's default).
	ZipfS = 0.99
	// DefaultParallelism is the number of goroutines per GOMAXPROCS, both
	// for b.SetParallelism and for Run: more goroutines than cores, as in a
	// server, so a cache whose lock holder gets descheduled pays for it.
	DefaultParallelism = 4
)

// traceLen is the length of the pre-generated key trace: 4 Mi draws
// (16 MiB) for the full set, so that the trace is not cache-resident and
// covers the distribution's tail; shorter for small sets.
func traceLen(n int) int {
	return max(4*n, 1<<14)
}

// Env is the data one shape's benchmarks share: the materialized keys and
// the Zipf trace over them, generated once, outside any timing.
type Env struct {
	Shape Shape
	N     int
	Keys  *workload.Keys
	Trace []uint32
}

// NewEnv generates keys and trace for shape with n entries.
func NewEnv(shape Shape, n int) *Env {
	return &Env{
		Shape: shape,
		N:     n,
		Keys:  workload.NewKeys(n, shape.KeySize),
		Trace: workload.ZipfTrace(n, traceLen(n), ZipfS, 1),
	}
}

// Dataset describes the prepopulated set for adapters.Fill.
func (e *Env) Dataset() adapters.Dataset {
	return adapters.Dataset{
		N: e.N, KeySize: e.Shape.KeySize, ValueSize: e.Shape.ValueSize,
		Key:   func(i int, buf []byte) []byte { return e.Keys.Key(i) },
		Value: workload.ValueAt,
	}
}

// Config selects what Run measures.
type Config struct {
	Shapes      []Shape
	ReadPcts    []int
	Caches      []adapters.Factory
	N           int           // entries per cache (DefaultN when 0)
	Duration    time.Duration // measured time per cell
	Warmup      time.Duration // unmeasured time per cell before measuring
	Parallelism int           // goroutines per GOMAXPROCS (DefaultParallelism when 0)
}

// Result is one measured cell.
type Result struct {
	Shape   string             `json:"shape"`
	Cache   string             `json:"cache"`
	ReadPct int                `json:"read_pct"`
	Fill    adapters.FillInfo  `json:"fill"`
	Run     workload.RunResult `json:"run"`
	Error   string             `json:"error,omitempty"`
}

// Run measures every (shape, cache, mix) cell of cfg. Each cache is built
// and prepopulated once per shape, measured under every mix, then closed and
// collected before the next cache is built, so that exactly one cache is
// live in the heap at any time and no cache pays GC work for another's data.
func Run(ctx context.Context, cfg Config, progress func(string)) ([]Result, error) {
	if cfg.N == 0 {
		cfg.N = DefaultN
	}
	if cfg.Parallelism == 0 {
		cfg.Parallelism = DefaultParallelism
	}
	if progress == nil {
		progress = func(string) {}
	}
	goroutines := runtime.GOMAXPROCS(0) * cfg.Parallelism
	var out []Result
	for _, shape := range cfg.Shapes {
		env := NewEnv(shape, cfg.N)
		mixes := make([]*workload.Mix, len(cfg.ReadPcts))
		for i, r := range cfg.ReadPcts {
			mixes[i] = workload.NewMix(r)
		}
		for _, f := range cfg.Caches {
			if err := ctx.Err(); err != nil {
				return out, err
			}
			c, info, err := adapters.Fill(f, env.Dataset(), 0)
			if err != nil {
				progress(fmt.Sprintf("throughput %s %s: %v", shape.Name, f.Name, err))
				for _, r := range cfg.ReadPcts {
					out = append(out, Result{Shape: shape.Name, Cache: f.Name, ReadPct: r, Fill: info, Error: err.Error()})
				}
				continue
			}
			progress(fmt.Sprintf("throughput %s filled %s", shape.Name, info))
			for _, m := range mixes {
				rr := workload.RunFor(c, env.Keys, env.Trace, m, shape.ValueSize, goroutines, cfg.Warmup, cfg.Duration)
				out = append(out, Result{Shape: shape.Name, Cache: f.Name, ReadPct: m.ReadPct, Fill: info, Run: rr})
				progress(fmt.Sprintf("throughput %s reads=%d cache=%s: %.2f Mops/s, %.2f allocs/op, hit %.3f",
					shape.Name, m.ReadPct, f.Name, rr.OpsPerSec/1e6, rr.AllocsPerOp, rr.HitRatio))
			}
			c.Close()
			runtime.KeepAlive(c)
			c = nil
			runtime.GC()
		}
	}
	return out, nil
}
