// Command compare is the project's comparison suite: hit ratio on public
// traces, throughput under read/write mixes, memory and GC cost, and (with
// -full or -latency) latency percentiles, for larder and its peers. Tables
// go to stdout, progress to stderr, and results.json plus SVG charts to -out.
//
//	cd bench && go run ./cmd/compare            # quick suite, a few minutes
//	cd bench && go run ./cmd/compare -full      # everything
//
// Memory is measured in a fresh process per cache: compare re-executes its
// own binary (os.Args[0]) with the probe passed in the environment.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/larder-cache/larder/bench/adapters"
	"github.com/larder-cache/larder/bench/compare"
	"github.com/larder-cache/larder/bench/hitratio"
	"github.com/larder-cache/larder/bench/memory"
)

func main() {
	// A re-executed memory probe never gets past this line.
	memory.MaybeChild()

	var (
		full     = flag.Bool("full", false, "run everything: all traces in full, both entry shapes, memory at 1M/5M and 1KiB values, latency")
		out      = flag.String("out", "", "folder for results.json and the SVG charts (default: bench/results)")
		caches   = flag.String("caches", "", "comma-separated adapters for throughput/memory/latency (default all): "+strings.Join(adapters.Names(), ","))
		traces   = flag.String("traces", "", "folder of the public traces (default $"+hitratio.TracesEnv+", else ../shared/traces from the repository root)")
		only     = flag.String("only", "", "comma-separated sections to run: hitratio,throughput,memory,latency (default: the mode's)")
		cell     = flag.Duration("d", 0, "measured time per throughput cell (default 400ms quick, 2s full)")
		par      = flag.Int("par", 0, "throughput goroutines per GOMAXPROCS (default 4)")
		n        = flag.Int("n", 0, "prepopulated entries for throughput and latency (default 2^20)")
		latency  = flag.Bool("latency", false, "also measure latency in quick mode")
		quiet    = flag.Bool("q", false, "no progress lines on stderr")
		hrTraces = flag.String("hitratio-traces", "", "comma-separated traces for hit ratio (default: a few in quick mode, all in full)")
	)
	flag.Parse()

	cfg := compare.QuickConfig()
	if *full {
		cfg = compare.FullConfig()
	}
	cfg.Caches = splitList(*caches)
	cfg.TracesDir = *traces
	if *hrTraces != "" {
		cfg.Traces = splitList(*hrTraces)
	}
	if *cell > 0 {
		cfg.Cell = *cell
		cfg.Warmup = *cell / 4
	}
	if *par > 0 {
		cfg.Parallelism = *par
	}
	if *n > 0 {
		cfg.N, cfg.LatencyN = *n, *n
	}
	cfg.Latency = cfg.Latency || *latency
	if *only != "" {
		cfg.HitRatio, cfg.Throughput, cfg.Memory, cfg.Latency = false, false, false, false
		for _, s := range splitList(*only) {
			switch s {
			case "hitratio":
				cfg.HitRatio = true
			case "throughput":
				cfg.Throughput = true
			case "memory":
				cfg.Memory = true
			case "latency":
				cfg.Latency = true
			default:
				fmt.Fprintf(os.Stderr, "compare: unknown section %q\n", s)
				os.Exit(2)
			}
		}
	}
	dir := *out
	if dir == "" {
		dir = defaultOut()
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	start := time.Now()
	progress := func(s string) {
		if !*quiet {
			fmt.Fprintf(os.Stderr, "[%6.1fs] %s\n", time.Since(start).Seconds(), s)
		}
	}
	rep, err := compare.Run(ctx, cfg, progress)
	if rep == nil {
		fmt.Fprintln(os.Stderr, "compare:", err)
		os.Exit(1)
	}
	rep.WriteTables(os.Stdout)
	files, werr := rep.WriteFiles(dir)
	for _, f := range files {
		progress("wrote " + f)
	}
	if werr != nil {
		fmt.Fprintln(os.Stderr, "compare:", werr)
		os.Exit(1)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "compare:", err)
		os.Exit(1)
	}
	if len(rep.Errors) > 0 {
		os.Exit(1)
	}
}

// defaultOut is bench/results: the bench module's folder is found by walking
// up from the working directory to its go.mod; failing that, ./results.
func defaultOut() string {
	wd, err := os.Getwd()
	if err != nil {
		return "results"
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil {
			if strings.Contains(string(b), "module github.com/larder-cache/larder/bench\n") {
				return filepath.Join(dir, "results")
			}
			if strings.Contains(string(b), "module github.com/larder-cache/larder\n") {
				return filepath.Join(dir, "bench", "results")
			}
		}
		if filepath.Dir(dir) == dir {
			return "results"
		}
	}
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
