package latency

import (
	"context"
	"encoding/binary"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/larder-cache/larder/bench/adapters"
	"github.com/larder-cache/larder/bench/workload"
)

// Config is one latency measurement.
type Config struct {
	Cache     string        `json:"cache"`
	N         int           `json:"n"`
	KeySize   int           `json:"key_size"`
	ValueSize int           `json:"value_size"`
	Duration  time.Duration `json:"duration_ns"`
	// WriteRate is the Set rate, per second, the writer goroutine holds.
	WriteRate int `json:"write_rate"`
	// Readers is the number of reader goroutines; 0 means GOMAXPROCS-1 (at
	// least 1), leaving a core's worth of room for the writer, the GC and
	// the cache's background work, so that reader latency is not dominated
	// by the writer waiting for a CPU.
	Readers int `json:"readers"`
}

// Result is one measurement. All latencies include one clock read pair
// (time.Now, then time.Since); ClockOverhead is the latency of an empty
// interval measured the same way, not subtracted from anything.
type Result struct {
	Config        Config            `json:"config"`
	Fill          adapters.FillInfo `json:"fill"`
	Get           Summary           `json:"get"`
	Set           Summary           `json:"set"`
	ClockOverhead Summary           `json:"clock_overhead"`
	// WritesPerSec is the achieved write rate, to check the writer kept up.
	WritesPerSec float64 `json:"writes_per_sec"`
	HitRatio     float64 `json:"hit_ratio"`
	Error        string  `json:"error,omitempty"`
}

// ClockOverhead measures n empty time.Now/time.Since intervals.
func ClockOverhead(n int) Summary {
	var h Histogram
	for i := 0; i < n; i++ {
		t := time.Now()
		h.RecordDuration(time.Since(t))
	}
	return h.Summarize()
}

// Measure builds cfg.Cache, prepopulates it with cfg.N entries, and then for
// cfg.Duration times every Get of the reader goroutines (keys from a Zipf
// s=0.99 trace, one time.Now/time.Since pair per Get) while one writer
// goroutine Sets keys from the same distribution at cfg.WriteRate per
// second, paced against the clock and timing its own Sets. The cache is
// closed and collected before returning, so measurements run back to back in
// one process do not share a heap.
func Measure(ctx context.Context, cfg Config) (Result, error) {
	if cfg.Readers <= 0 {
		cfg.Readers = max(runtime.GOMAXPROCS(0)-1, 1)
	}
	res := Result{Config: cfg}
	f, err := adapters.Get(cfg.Cache)
	if err != nil {
		return res, err
	}
	keys := workload.NewKeys(cfg.N, cfg.KeySize)
	trace := workload.ZipfTrace(cfg.N, max(4*cfg.N, 1<<14), 0.99, 3)
	ds := adapters.Dataset{
		N: cfg.N, KeySize: cfg.KeySize, ValueSize: cfg.ValueSize,
		Key:   func(i int, _ []byte) []byte { return keys.Key(i) },
		Value: workload.ValueAt,
	}
	c, info, err := adapters.Fill(f, ds, 0)
	res.Fill = info
	if err != nil {
		return res, err
	}
	defer func() {
		c.Close()
		runtime.GC()
	}()
	res.ClockOverhead = ClockOverhead(100_000)
	runtime.GC()

	var (
		stop      atomic.Bool
		wg        sync.WaitGroup
		getHists  = make([]Histogram, cfg.Readers)
		hits      atomic.Uint64
		reads     atomic.Uint64
		setHist   Histogram
		writes    uint64
		writeTook time.Duration
	)
	for g := 0; g < cfg.Readers; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			h := &getHists[g]
			buf := adapters.ReadBuffer(cfg.ValueSize)
			pos := workload.Start(g, len(trace))
			var n, hit uint64
			for !stop.Load() {
				for j := 0; j < 64; j++ {
					key := keys.Key(int(trace[pos]))
					pos++
					if pos == len(trace) {
						pos = 0
					}
					t := time.Now()
					_, ok := c.Get(buf[:0], key)
					h.RecordDuration(time.Since(t))
					if ok {
						hit++
					}
					n++
				}
			}
			hits.Add(hit)
			reads.Add(n)
		}(g)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		val := make([]byte, cfg.ValueSize)
		workload.ValueAt(0, val)
		pos := workload.Start(cfg.Readers+7, len(trace))
		start := time.Now()
		for !stop.Load() && ctx.Err() == nil {
			due := int64(float64(cfg.WriteRate)*time.Since(start).Seconds()) - int64(writes)
			if due <= 0 {
				// Sleep in short steps so writes stay evenly spread rather
				// than bunched at timer ticks.
				time.Sleep(50 * time.Microsecond)
				continue
			}
			// Catch up in bounded bursts so a stop request is seen promptly.
			for due = min(due, 1000); due > 0; due-- {
				key := keys.Key(int(trace[pos]))
				pos++
				if pos == len(trace) {
					pos = 0
				}
				writes++
				binary.LittleEndian.PutUint64(val, writes)
				t := time.Now()
				_ = c.Set(key, val)
				setHist.RecordDuration(time.Since(t))
			}
		}
		writeTook = time.Since(start)
	}()

	select {
	case <-time.After(cfg.Duration):
	case <-ctx.Done():
	}
	stop.Store(true)
	wg.Wait()

	var all Histogram
	for i := range getHists {
		all.Merge(&getHists[i])
	}
	res.Get = all.Summarize()
	res.Set = setHist.Summarize()
	if writeTook > 0 {
		res.WritesPerSec = float64(writes) / writeTook.Seconds()
	}
	if r := reads.Load(); r > 0 {
		res.HitRatio = float64(hits.Load()) / float64(r)
	}
	runtime.KeepAlive(c)
	return res, ctx.Err()
}

// String is a one-line summary.
func (r Result) String() string {
	if r.Error != "" {
		return fmt.Sprintf("%s: error: %s", r.Config.Cache, r.Error)
	}
	return fmt.Sprintf("%s: Get p50 %dns p99 %dns p99.9 %dns max %.2fms (%d samples); Set p50 %dns p99 %dns; %.0f writes/s; clock %dns",
		r.Config.Cache, r.Get.P50, r.Get.P99, r.Get.P999, float64(r.Get.Max)/1e6, r.Get.Count,
		r.Set.P50, r.Set.P99, r.WritesPerSec, r.ClockOverhead.P50)
}
