// Package memory measures what holding N entries costs a process: resident
// memory (from the kernel, so mmap'd memory counts), Go heap bytes and
// objects, the duration of a full GC with the cache live, and the share of
// CPU the GC takes while the cache is churned. Every cache is measured in a
// fresh process (see Isolated) so that no measurement inherits another
// cache's heap, arenas or runtime state.
package memory

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/larder-cache/larder/bench/adapters"
	"github.com/larder-cache/larder/bench/workload"
)

// Config is one probe.
type Config struct {
	Cache     string        `json:"cache"`
	N         int           `json:"n"`
	KeySize   int           `json:"key_size"`
	ValueSize int           `json:"value_size"`
	Budget    int64         `json:"budget,omitempty"` // first byte budget to try; 0 = adapters.EstimateBudget
	Churn     time.Duration `json:"churn_ns"`         // minimum length of the 50/50 Get/Set phase
	MaxChurn  time.Duration `json:"max_churn_ns"`     // churn goes on up to this long until a GC cycle completes (0: 10x Churn)
	GCRuns    int           `json:"gc_runs"`          // forced GCs timed (median reported)
}

// Result is what a probe reports.
type Result struct {
	Config Config            `json:"config"`
	Fill   adapters.FillInfo `json:"fill"`

	// RSSBytes is resident memory growth from before the cache was built to
	// after it was filled, a GC ran and freed pages were returned to the OS:
	// the footprint of the data held, without the garbage made on the way.
	RSSBytes int64 `json:"rss_bytes"`
	// RSSPerEntry is RSSBytes divided by the entries actually held.
	RSSPerEntry float64 `json:"rss_per_entry"`
	// PeakRSSBytes is the growth of the kernel's high-water mark over the
	// whole fill and churn: what the process needed at its worst, garbage
	// included.
	PeakRSSBytes int64 `json:"peak_rss_bytes"`
	// HeapBytes and HeapObjects are live Go heap after the fill (runtime
	// metrics /memory/classes/heap/objects:bytes and /gc/heap/objects:objects,
	// after a GC), minus the same before building the cache.
	HeapBytes   int64 `json:"heap_bytes"`
	HeapObjects int64 `json:"heap_objects"`
	// GCPause is the median wall time of a forced runtime.GC() with the
	// cache live (the full mark of its heap, not just the STW pauses).
	GCPause time.Duration `json:"gc_ns"`
	// GCCPUShare is GC CPU time over total CPU time during churn, from
	// /cpu/classes/gc/total:cpu-seconds and /cpu/classes/total:cpu-seconds
	// (total is GOMAXPROCS x wall time). Only meaningful when GCShareValid:
	// at least one GC cycle completed during churn.
	GCCPUShare   float64 `json:"gc_cpu_share"`
	GCShareValid bool    `json:"gc_share_valid"`
	// GCCycles is the number of GC cycles that completed during churn.
	GCCycles uint64 `json:"gc_cycles"`
	// GCWindow is the wall time GCCPUShare covers (churn start to the end
	// of the last GC cycle in it); Churn is how long churn actually ran.
	GCWindow time.Duration `json:"gc_window_ns"`
	Churn    time.Duration `json:"churn_ns"`
	// ChurnOpsPerSec is the throughput of the churn phase (context only).
	ChurnOpsPerSec float64 `json:"churn_ops_per_sec"`
	// ChurnAllocBytesPerOp is heap bytes allocated per churn op: what drives
	// the GC. A cache at ~0 triggers no GC cycle however long it churns.
	ChurnAllocBytesPerOp float64 `json:"churn_alloc_bytes_per_op"`
	// LenAfterChurn is the cache's own count after churn (-1 if unknown).
	LenAfterChurn int `json:"len_after_churn"`
	// HeldAfterChurn is the number of the N keys found by probing every
	// one after churn (churn only rewrites existing keys, so a cache that
	// lost some dropped them while overwriting).
	HeldAfterChurn int `json:"held_after_churn"`
	// ChurnRSSBytes is resident memory growth after churn, measured like
	// RSSBytes (after a GC and returning freed pages): the footprint in
	// steady use. A cache that writes into a log or ring it allocated up
	// front (larder, fastcache, bigcache) touches more of it as overwrites
	// wrap around, up to its whole budget; RSSBytes only shows the part the
	// fill touched. ChurnRSSPerEntry divides it by HeldAfterChurn.
	ChurnRSSBytes    int64   `json:"churn_rss_bytes"`
	ChurnRSSPerEntry float64 `json:"churn_rss_per_entry"`
	Error            string  `json:"error,omitempty"`
}

// Probe builds cfg.Cache in the current process, fills it and measures it.
// Keys and values are generated on the fly into reused buffers, so the
// process holds no copy of the data set besides the cache's own.
func Probe(cfg Config) (Result, error) {
	if cfg.GCRuns <= 0 {
		cfg.GCRuns = 5
	}
	res := Result{Config: cfg}
	f, err := adapters.Get(cfg.Cache)
	if err != nil {
		return res, err
	}
	ds := adapters.Dataset{
		N: cfg.N, KeySize: cfg.KeySize, ValueSize: cfg.ValueSize,
		Key: workload.KeyAt, Value: workload.ValueAt,
	}

	settle()
	heap0 := readHeap()
	rss0, hwm0, err := RSS()
	if err != nil {
		return res, err
	}

	c, info, err := adapters.Fill(f, ds, cfg.Budget)
	res.Fill = info
	if err != nil {
		return res, err
	}
	settle()
	heap1 := readHeap()
	rss1, _, err := RSS()
	if err != nil {
		return res, err
	}
	res.RSSBytes = rss1 - rss0
	res.RSSPerEntry = float64(res.RSSBytes) / float64(max(info.Held, 1))
	res.HeapBytes = int64(heap1.bytes) - int64(heap0.bytes)
	res.HeapObjects = int64(heap1.objects) - int64(heap0.objects)

	pauses := make([]time.Duration, cfg.GCRuns)
	for i := range pauses {
		t := time.Now()
		runtime.GC()
		pauses[i] = time.Since(t)
	}
	slices.Sort(pauses)
	res.GCPause = pauses[len(pauses)/2]

	if cfg.Churn > 0 {
		maxD := cfg.MaxChurn
		if maxD < cfg.Churn {
			maxD = 10 * cfg.Churn
		}
		churn(c, ds, cfg.Churn, maxD, &res)
	}
	res.LenAfterChurn = c.Len()
	_, hwm2, err := RSS()
	if err != nil {
		return res, err
	}
	res.PeakRSSBytes = hwm2 - hwm0
	if cfg.Churn > 0 {
		res.HeldAfterChurn = adapters.Held(c, ds)
		settle()
		rss2, _, err := RSS()
		if err != nil {
			return res, err
		}
		res.ChurnRSSBytes = rss2 - rss0
		res.ChurnRSSPerEntry = float64(res.ChurnRSSBytes) / float64(max(res.HeldAfterChurn, 1))
	}
	runtime.KeepAlive(c)
	c.Close()
	return res, nil
}

// settle collects garbage and returns freed pages to the OS, so RSS and heap
// readings reflect live data.
func settle() {
	runtime.GC()
	debug.FreeOSMemory()
}

type heapReading struct{ bytes, objects uint64 }

func readHeap() heapReading {
	s := []metrics.Sample{
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/gc/heap/objects:objects"},
	}
	metrics.Read(s)
	return heapReading{s[0].Value.Uint64(), s[1].Value.Uint64()}
}

// churn runs GOMAXPROCS goroutines doing 50/50 Get/Set of uniformly chosen
// existing keys for at least d, extended (up to maxD) until a GC cycle has
// completed, and records the GC's share of CPU.
//
// The runtime's /cpu/classes metrics are snapshots taken at the end of each
// GC cycle, not running counters. churn is entered right after the forced
// GCs of the pause measurement, so the "before" snapshot is taken at the
// start of churn, and the "after" snapshot is the end of the last cycle
// inside churn: the share is exact over [churn start, last GC end], which
// holds whole allocate-then-collect periods of the GC's steady state. With
// no GC cycle in maxD the share cannot be measured this way (it is not 0:
// the debt is paid by the next cycle), and GCShareValid stays false.
func churn(c adapters.Cache, ds adapters.Dataset, d, maxD time.Duration, res *Result) {
	s := []metrics.Sample{
		{Name: "/cpu/classes/gc/total:cpu-seconds"},
		{Name: "/cpu/classes/total:cpu-seconds"},
		{Name: "/gc/cycles/total:gc-cycles"},
		{Name: "/gc/heap/allocs:bytes"},
	}
	runtime.GC()
	metrics.Read(s)
	gc0, tot0, cyc0, al0 := s[0].Value.Float64(), s[1].Value.Float64(), s[2].Value.Uint64(), s[3].Value.Uint64()

	var (
		stop atomic.Bool
		ops  atomic.Uint64
		wg   sync.WaitGroup
	)
	start := time.Now()
	for g := 0; g < runtime.GOMAXPROCS(0); g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(g), 7))
			kb := make([]byte, ds.KeySize)
			vb := make([]byte, ds.ValueSize)
			buf := adapters.ReadBuffer(ds.ValueSize)
			var n uint64
			for !stop.Load() {
				for j := 0; j < 64; j++ {
					i := r.IntN(ds.N)
					key := ds.Key(i, kb)
					if n&1 == 0 {
						c.Get(buf[:0], key)
					} else {
						_ = c.Set(key, ds.Value(i, vb))
					}
					n++
				}
			}
			ops.Add(n)
		}(g)
	}
	time.Sleep(d)
	for deadline := start.Add(maxD); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		metrics.Read(s[2:3])
		if s[2].Value.Uint64() > cyc0 {
			break
		}
	}
	stop.Store(true)
	wg.Wait()
	elapsed := time.Since(start)

	metrics.Read(s)
	gc1, tot1, cyc1, al1 := s[0].Value.Float64(), s[1].Value.Float64(), s[2].Value.Uint64(), s[3].Value.Uint64()
	if cyc1 > cyc0 && tot1 > tot0 {
		res.GCCPUShare = (gc1 - gc0) / (tot1 - tot0)
		res.GCShareValid = true
	}
	res.GCCycles = cyc1 - cyc0
	res.GCWindow = time.Duration((tot1 - tot0) / float64(runtime.GOMAXPROCS(0)) * 1e9)
	res.Churn = elapsed
	res.ChurnOpsPerSec = float64(ops.Load()) / elapsed.Seconds()
	if n := ops.Load(); n > 0 {
		res.ChurnAllocBytesPerOp = float64(al1-al0) / float64(n)
	}
}

// String is a one-line summary.
func (r Result) String() string {
	if r.Error != "" {
		return fmt.Sprintf("%s n=%d: error: %s", r.Config.Cache, r.Config.N, r.Error)
	}
	return fmt.Sprintf("%s n=%d k=%d v=%d: held %d, RSS %.1f MiB (%.1f B/entry), after churn %.1f MiB holding %d (%.1f B/entry), peak +%.1f MiB, heap %.1f MiB in %d objects, GC %.2fms, GC CPU %s, churn %.2f Mops/s",
		r.Config.Cache, r.Config.N, r.Config.KeySize, r.Config.ValueSize, r.Fill.Held,
		float64(r.RSSBytes)/(1<<20), r.RSSPerEntry,
		float64(r.ChurnRSSBytes)/(1<<20), r.HeldAfterChurn, r.ChurnRSSPerEntry,
		float64(r.PeakRSSBytes)/(1<<20),
		float64(r.HeapBytes)/(1<<20), r.HeapObjects,
		float64(r.GCPause)/1e6, r.GCShare(), r.ChurnOpsPerSec/1e6)
}

// GCShare formats the GC CPU share with the cycles and window behind it.
func (r Result) GCShare() string {
	if !r.GCShareValid {
		return fmt.Sprintf("n/a: no GC cycle in %.1fs (%.0f B/op allocated)", r.Churn.Seconds(), r.ChurnAllocBytesPerOp)
	}
	return fmt.Sprintf("%.1f%% (%d cycles in %.1fs)", 100*r.GCCPUShare, r.GCCycles, r.GCWindow.Seconds())
}
