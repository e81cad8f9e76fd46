// Command memprobe measures the memory and GC cost of holding N entries in
// one cache, in the current process, and prints the result as one JSON line.
// Run each cache in its own process so no measurement inherits another
// cache's heap; -all does that by re-executing itself once per cache.
//
//	go run ./cmd/memprobe -cache larder -n 1000000 -key 16 -value 64
//	go run ./cmd/memprobe -all -n 1000000
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/larder-cache/larder/bench/adapters"
	"github.com/larder-cache/larder/bench/memory"
)

func main() {
	memory.MaybeChild()

	var (
		cache  = flag.String("cache", "larder", "cache to probe: "+strings.Join(adapters.Names(), ", "))
		all    = flag.Bool("all", false, "probe every cache (or those in -caches), each in a fresh process")
		caches = flag.String("caches", "", "comma-separated caches for -all (default: all)")
		n      = flag.Int("n", 1_000_000, "entries to insert")
		key    = flag.Int("key", 16, "key size in bytes (>= 8)")
		value  = flag.Int("value", 64, "value size in bytes")
		budget = flag.Int64("budget", 0, "first byte budget for byte-bounded caches (0: estimate, grown until the set fits)")
		churnD = flag.Duration("churn", 3*time.Second, "minimum length of the 50/50 Get/Set churn phase")
		maxCh  = flag.Duration("max-churn", 30*time.Second, "churn goes on up to this long until a GC cycle completes")
		gcRuns = flag.Int("gcruns", 5, "forced GCs to time (median reported)")
	)
	flag.Parse()

	cfg := memory.Config{Cache: *cache, N: *n, KeySize: *key, ValueSize: *value, Budget: *budget, Churn: *churnD, MaxChurn: *maxCh, GCRuns: *gcRuns}
	if !*all {
		os.Exit(memory.RunChild(cfg))
	}
	var names []string
	if *caches != "" {
		names = strings.Split(*caches, ",")
	}
	fs, err := adapters.Select(names)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	enc := json.NewEncoder(os.Stdout)
	failed := false
	for _, f := range fs {
		cfg.Cache = f.Name
		res, err := memory.IsolatedFit(context.Background(), os.Args[0], nil, cfg)
		if err != nil {
			res.Error = err.Error()
		}
		if res.Error != "" {
			failed = true
		}
		fmt.Fprintln(os.Stderr, res)
		_ = enc.Encode(res)
	}
	if failed {
		os.Exit(1)
	}
}
