package workload

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/larder-cache/larder/bench/adapters"
)

// RunResult is the outcome of one timed run.
type RunResult struct {
	Ops         uint64        `json:"ops"`
	Elapsed     time.Duration `json:"elapsed_ns"`
	OpsPerSec   float64       `json:"ops_per_sec"`
	AllocsPerOp float64       `json:"allocs_per_op"`
	BytesPerOp  float64       `json:"bytes_per_op"`
	HitRatio    float64       `json:"hit_ratio"` // hits/reads, 1 for a fully prepopulated cache
	Errors      uint64        `json:"errors"`
	Goroutines  int           `json:"goroutines"`
}

// checkEvery is how many ops a goroutine runs between looks at the stop
// flag: large enough that the atomic load is noise, small enough that all
// goroutines stop within microseconds of each other.
const checkEvery = 128

// RunFor is a time-bounded equivalent of testing.B.RunParallel for use
// outside `go test`: goroutines workers run Op until d has passed, after an
// unmeasured warmup of the same workload. Throughput is total ops over the
// wall time from release to the last worker's exit.
func RunFor(c adapters.Cache, keys *Keys, trace []uint32, mix *Mix, valueSize, goroutines int, warmup, d time.Duration) RunResult {
	if warmup > 0 {
		runOnce(c, keys, trace, mix, valueSize, goroutines, warmup, 1<<20)
	}
	// Start every measured run from a collected heap so that one run's
	// garbage is not charged to the next.
	runtime.GC()
	return runOnce(c, keys, trace, mix, valueSize, goroutines, d, 0)
}

func runOnce(c adapters.Cache, keys *Keys, trace []uint32, mix *Mix, valueSize, goroutines int, d time.Duration, seed int) RunResult {
	workers := make([]*Worker, goroutines)
	for g := range workers {
		workers[g] = NewWorker(c, keys, trace, mix, valueSize, Start(g+seed, len(trace)))
	}
	var (
		stop  atomic.Bool
		ready sync.WaitGroup
		done  sync.WaitGroup
		gate  = make(chan struct{})
	)
	ready.Add(goroutines)
	done.Add(goroutines)
	for _, w := range workers {
		go func(w *Worker) {
			defer done.Done()
			ready.Done()
			<-gate
			for !stop.Load() {
				for i := 0; i < checkEvery; i++ {
					w.Op()
				}
			}
		}(w)
	}
	ready.Wait()
	a0 := readAllocs()
	start := time.Now()
	close(gate)
	time.Sleep(d)
	stop.Store(true)
	done.Wait()
	elapsed := time.Since(start)
	a1 := readAllocs()

	var r RunResult
	var reads, hits uint64
	for _, w := range workers {
		r.Ops += w.Reads + w.Writes
		r.Errors += w.Errors
		reads += w.Reads
		hits += w.Hits
	}
	r.Elapsed = elapsed
	r.Goroutines = goroutines
	r.OpsPerSec = float64(r.Ops) / elapsed.Seconds()
	if r.Ops > 0 {
		r.AllocsPerOp = float64(a1.objects-a0.objects) / float64(r.Ops)
		r.BytesPerOp = float64(a1.bytes-a0.bytes) / float64(r.Ops)
	}
	r.HitRatio = 1
	if reads > 0 {
		r.HitRatio = float64(hits) / float64(reads)
	}
	return r
}

type allocs struct{ objects, bytes uint64 }

// readAllocs reads the cumulative allocation counters the same way
// testing.B.ReportAllocs does (runtime.MemStats, which unlike
// runtime/metrics' /gc/heap/allocs:objects also counts tiny allocations,
// such as an 8-byte string(key)). They include allocations by the cache's
// own background goroutines during the run, which are part of its cost.
func readAllocs() allocs {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return allocs{ms.Mallocs, ms.TotalAlloc}
}
