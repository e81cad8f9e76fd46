// Command trajectory replays one cell of the hit-ratio replay (a trace at
// one size) and prints each cache's hit ratio interval by interval, to
// see where in a trace a cache gains or loses its points (see
// bench/README.md, "Hit ratio").
//
//	go run ./cmd/trajectory -trace P3 -size 400000 -every 250000
//	go run ./cmd/trajectory -trace scarab -size 125000 -caches larder,theine
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
	trace := flag.String("trace", "", "the trace to replay: "+strings.Join(hitratio.TraceNames(), ","))
	size := flag.Int("size", 0, "cache capacity in entries")
	every := flag.Int("every", 0, "interval length in requests (default a twentieth of the trace)")
	caches := flag.String("caches", "", "comma-separated caches (default exact-lru,larder; otter and belady are always added): "+strings.Join(hitratio.CacheNames(), ","))
	shards := flag.Int("larder-shards", 0, "larder Config.Shards (0: larder's default)")
	avg := flag.Int("larder-avg-entry", 0, "larder Config.AvgEntrySize (0: larder's default)")
	quiet := flag.Bool("q", false, "no progress lines on stderr")
	flag.Parse()

	var names []string
	for _, f := range strings.Split(*caches, ",") {
		if f = strings.TrimSpace(f); f != "" {
			names = append(names, f)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	start := time.Now()
	progress := func(s string) {
		if !*quiet {
			fmt.Fprintf(os.Stderr, "[%6.1fs] %s\n", time.Since(start).Seconds(), s)
		}
	}
	t, err := hitratio.RunTrajectory(ctx, hitratio.TrajectoryOptions{
		TracesDir:          *traces,
		Trace:              *trace,
		Size:               *size,
		Every:              *every,
		Caches:             names,
		LarderShards:       *shards,
		LarderAvgEntrySize: *avg,
	}, progress)
	if err != nil {
		fmt.Fprintln(os.Stderr, "trajectory:", err)
		os.Exit(1)
	}
	hitratio.WriteTrajectory(os.Stdout, t)
}
