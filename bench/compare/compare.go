// Package compare is the project's comparison suite: it runs hit ratio,
// throughput, memory/GC and (optionally) latency measurements of larder and
// its peers, and renders the results as text tables, results.json and SVG
// charts. cmd/compare is its command-line front end.
package compare

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/larder-cache/larder/bench/adapters"
	"github.com/larder-cache/larder/bench/hitratio"
	"github.com/larder-cache/larder/bench/latency"
	"github.com/larder-cache/larder/bench/memory"
	"github.com/larder-cache/larder/bench/throughput"
)

// MemSpec is one memory configuration: N entries of KeySize+ValueSize.
type MemSpec struct {
	N         int `json:"n"`
	KeySize   int `json:"key_size"`
	ValueSize int `json:"value_size"`
}

func (m MemSpec) String() string {
	return fmt.Sprintf("n=%s k=%d v=%d", count(m.N), m.KeySize, m.ValueSize)
}

// Config selects what Run measures.
type Config struct {
	Full bool `json:"full"`
	// Caches restricts throughput, memory and latency to these adapters
	// (empty: all). Hit ratio runs its own cache list (HitRatioCaches).
	Caches []string `json:"caches,omitempty"`

	HitRatio       bool     `json:"hit_ratio"`
	TracesDir      string   `json:"traces_dir,omitempty"`
	Traces         []string `json:"traces,omitempty"` // empty: every trace
	HitRatioQuick  bool     `json:"hit_ratio_quick"`
	HitRatioCaches []string `json:"hit_ratio_caches,omitempty"`

	Throughput  bool          `json:"throughput"`
	Shapes      []string      `json:"shapes"`
	ReadPcts    []int         `json:"read_pcts"`
	N           int           `json:"n"`
	Cell        time.Duration `json:"cell_ns"`
	Warmup      time.Duration `json:"warmup_ns"`
	Parallelism int           `json:"parallelism"` // goroutines per GOMAXPROCS

	Memory      bool          `json:"memory"`
	MemSpecs    []MemSpec     `json:"mem_specs"`
	MemChurn    time.Duration `json:"mem_churn_ns"`
	MemMaxChurn time.Duration `json:"mem_max_churn_ns"`
	GCRuns      int           `json:"gc_runs"`
	// Exe and ExeArgs run a memory probe in a fresh process; the binary must
	// call memory.MaybeChild at start. Defaults to os.Args[0].
	Exe     string   `json:"-"`
	ExeArgs []string `json:"-"`

	Latency         bool          `json:"latency"`
	LatencyN        int           `json:"latency_n"`
	LatencyDuration time.Duration `json:"latency_duration_ns"`
	LatencyRate     int           `json:"latency_write_rate"`
}

// QuickConfig is the default suite: a few minutes on a 2-core machine.
func QuickConfig() Config {
	return Config{
		HitRatio:      true,
		Traces:        []string{"OLTP", "glimpse", "w106", "scarab"},
		HitRatioQuick: true,

		Throughput:  true,
		Shapes:      []string{"k8v16"},
		ReadPcts:    throughput.ReadPcts,
		N:           throughput.DefaultN,
		Cell:        400 * time.Millisecond,
		Warmup:      100 * time.Millisecond,
		Parallelism: throughput.DefaultParallelism,

		Memory:      true,
		MemSpecs:    []MemSpec{{N: 1_000_000, KeySize: 16, ValueSize: 64}},
		MemChurn:    time.Second,
		MemMaxChurn: 3 * time.Second,
		GCRuns:      3,

		LatencyN:        throughput.DefaultN,
		LatencyDuration: 3 * time.Second,
		LatencyRate:     100_000,
	}
}

// FullConfig runs everything: every trace in full, both entry shapes,
// memory at 1M and 5M entries and with 1 KiB values, and latency.
func FullConfig() Config {
	c := QuickConfig()
	c.Full = true
	c.Traces = nil
	c.HitRatioQuick = false
	c.Shapes = []string{"k8v16", "k16v256"}
	c.Cell = 2 * time.Second
	c.Warmup = 500 * time.Millisecond
	c.MemSpecs = []MemSpec{
		{N: 1_000_000, KeySize: 16, ValueSize: 64},
		{N: 5_000_000, KeySize: 16, ValueSize: 64},
		{N: 1_000_000, KeySize: 16, ValueSize: 1024},
	}
	c.MemChurn = 3 * time.Second
	c.MemMaxChurn = 30 * time.Second
	c.GCRuns = 5
	c.Latency = true
	c.LatencyDuration = 10 * time.Second
	return c
}

// Report is everything one run produced; it is what results.json holds.
type Report struct {
	Machine    Machine             `json:"machine"`
	Config     Config              `json:"config"`
	Adapters   []AdapterInfo       `json:"adapters"`
	HitRatio   []hitratio.Result   `json:"hit_ratio,omitempty"`
	Throughput []throughput.Result `json:"throughput,omitempty"`
	Memory     []memory.Result     `json:"memory,omitempty"`
	Latency    []latency.Result    `json:"latency,omitempty"`
	Errors     []string            `json:"errors,omitempty"`
	Elapsed    time.Duration       `json:"elapsed_ns"`
	Sections   map[string]float64  `json:"section_seconds"`
}

// AdapterInfo records each adapter's configuration with the results.
type AdapterInfo struct {
	Name       string `json:"name"`
	ByteBudget bool   `json:"byte_budget"`
	Config     string `json:"config"`
}

// Run executes cfg. Failures of one section or one cache are recorded in
// Report.Errors and the run goes on; the returned error is for a cancelled
// context or an unusable configuration.
func Run(ctx context.Context, cfg Config, progress func(string)) (*Report, error) {
	if progress == nil {
		progress = func(string) {}
	}
	start := time.Now()
	fs, err := adapters.Select(cfg.Caches)
	if err != nil {
		return nil, err
	}
	rep := &Report{Machine: ReadMachine(), Config: cfg, Sections: map[string]float64{}}
	for _, f := range fs {
		rep.Adapters = append(rep.Adapters, AdapterInfo{Name: f.Name, ByteBudget: f.ByteBudget, Config: f.Config})
	}
	fail := func(section string, err error) {
		msg := fmt.Sprintf("%s: %v", section, err)
		rep.Errors = append(rep.Errors, msg)
		progress("ERROR " + msg)
	}
	section := func(name string, fn func()) {
		t := time.Now()
		progress("== " + name)
		fn()
		rep.Sections[name] = time.Since(t).Seconds()
		progress(fmt.Sprintf("== %s done in %.1fs", name, time.Since(t).Seconds()))
	}

	if cfg.HitRatio && ctx.Err() == nil {
		section("hit ratio", func() {
			rs, err := hitratio.Run(ctx, hitratio.Options{
				TracesDir: cfg.TracesDir,
				Traces:    cfg.Traces,
				Caches:    cfg.HitRatioCaches,
				Quick:     cfg.HitRatioQuick,
			}, func(s string) { progress("hitratio " + s) })
			if err != nil {
				fail("hit ratio", err)
			}
			rep.HitRatio = rs
		})
	}

	if cfg.Throughput && ctx.Err() == nil {
		section("throughput", func() {
			var shapes []throughput.Shape
			for _, n := range cfg.Shapes {
				s, err := throughput.ShapeByName(n)
				if err != nil {
					fail("throughput", err)
					return
				}
				shapes = append(shapes, s)
			}
			rs, err := throughput.Run(ctx, throughput.Config{
				Shapes: shapes, ReadPcts: cfg.ReadPcts, Caches: fs, N: cfg.N,
				Duration: cfg.Cell, Warmup: cfg.Warmup, Parallelism: cfg.Parallelism,
			}, progress)
			if err != nil {
				fail("throughput", err)
			}
			for _, r := range rs {
				if r.Error != "" && r.ReadPct == cfg.ReadPcts[0] {
					fail("throughput "+r.Shape+" "+r.Cache, errors.New(r.Error))
				}
			}
			rep.Throughput = rs
		})
	}

	if cfg.Memory && ctx.Err() == nil {
		section("memory", func() {
			exe := cfg.Exe
			if exe == "" {
				exe = os.Args[0]
			}
			for _, ms := range cfg.MemSpecs {
				for _, f := range fs {
					if ctx.Err() != nil {
						return
					}
					mc := memory.Config{
						Cache: f.Name, N: ms.N, KeySize: ms.KeySize, ValueSize: ms.ValueSize,
						Churn: cfg.MemChurn, MaxChurn: cfg.MemMaxChurn, GCRuns: cfg.GCRuns,
					}
					res, err := memory.IsolatedFit(ctx, exe, cfg.ExeArgs, mc)
					if err != nil {
						res.Error = err.Error()
					}
					if res.Error != "" {
						fail("memory "+ms.String()+" "+f.Name, errors.New(res.Error))
					} else {
						progress("memory " + res.String())
					}
					rep.Memory = append(rep.Memory, res)
				}
			}
		})
	}

	if cfg.Latency && ctx.Err() == nil {
		section("latency", func() {
			for _, f := range fs {
				if ctx.Err() != nil {
					return
				}
				res, err := latency.Measure(ctx, latency.Config{
					Cache: f.Name, N: cfg.LatencyN, KeySize: 16, ValueSize: 64,
					Duration: cfg.LatencyDuration, WriteRate: cfg.LatencyRate,
				})
				if err != nil {
					res.Error = err.Error()
					fail("latency "+f.Name, err)
				} else {
					progress("latency " + res.String())
				}
				rep.Latency = append(rep.Latency, res)
				runtime.GC()
			}
		})
	}
	rep.Elapsed = time.Since(start)
	return rep, ctx.Err()
}
