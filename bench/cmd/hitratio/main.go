// Command hitratio replays public cache traces through larder, its peers,
// an exact LRU and Belady's optimum at equal entry counts, and prints hit
// ratio tables (see bench/README.md, "Hit ratio").
//
//	go run ./cmd/hitratio                 # every trace, every cache
//	go run ./cmd/hitratio -quick          # prefixes, three sizes each: a smoke run
//	go run ./cmd/hitratio -only OLTP,glimpse -caches larder,otter
//	go run ./cmd/hitratio -extra          # plus the generalization workloads
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/larder-cache/larder/bench/hitratio"
)

func main() {
	traces := flag.String("traces", "", "folder of the public traces (default $"+hitratio.TracesEnv+", else ../shared/traces from the repository root)")
	only := flag.String("only", "", "comma-separated traces to run (default all but the generalization workloads): "+strings.Join(hitratio.TraceNames(), ","))
	extra := flag.Bool("extra", false, "also run the generalization workloads (generated; see bench/README.md)")
	caches := flag.String("caches", "", "comma-separated caches to run (default all; otter and belady are always added): "+strings.Join(hitratio.CacheNames(), ","))
	quick := flag.Bool("quick", false, "replay a prefix of each trace at up to three sizes (smoke run, not a result)")
	quickN := flag.Int("quick-requests", 100_000, "prefix length for -quick")
	parallel := flag.Int("parallel", 0, "replays run at once (default GOMAXPROCS)")
	shards := flag.Int("larder-shards", 0, "larder Config.Shards (0: larder's default)")
	repeats := flag.Int("repeats", 0, "runs per cell of caches whose results vary between runs (larder, otter, theine, ristretto, freecache); 0: 2..5 by trace length")
	tol := flag.Float64("tolerance", 0.02, "how close to n entries a byte-budget cache must be calibrated (fraction); farther is n/a")
	avg := flag.Int("larder-avg-entry", 0, "larder Config.AvgEntrySize (0: larder's default)")
	stall := flag.Duration("stall", 5*time.Minute, "give up on a replay that completes no request for this long (n/a \"hung\"); negative disables")
	quiet := flag.Bool("q", false, "no progress lines on stderr")
	flag.Parse()

	opts := hitratio.Options{
		TracesDir:          *traces,
		Traces:             splitList(*only),
		Extra:              *extra,
		Caches:             splitList(*caches),
		Quick:              *quick,
		QuickRequests:      *quickN,
		Parallel:           *parallel,
		LarderShards:       *shards,
		Repeats:            *repeats,
		Tolerance:          *tol,
		StallTimeout:       *stall,
		LarderAvgEntrySize: *avg,
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	start := time.Now()
	progress := func(s string) {
		if !*quiet {
			fmt.Fprintf(os.Stderr, "[%6.1fs] %s\n", time.Since(start).Seconds(), s)
		}
	}
	rs, err := hitratio.Run(ctx, opts, progress)
	if err != nil {
		fmt.Fprintln(os.Stderr, "hitratio:", err)
		os.Exit(1)
	}
	hitratio.WriteTables(os.Stdout, rs)
	if !opts.Quick {
		hitratio.WriteTargets(os.Stdout, rs)
	}
	fmt.Printf("\n(%d cells in %s)\n", len(rs), time.Since(start).Round(time.Second))
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
