// Package ttl holds larder's expiry sweeper. Expired entries are misses as
// soon as they expire (readers compare the record's expiry with the clock);
// their memory is reclaimed in three ways:
//
//   - by the CLOCK hand, which drops expired records ahead of live ones
//     whenever a Set needs room;
//   - by every Set, which trims a few expired or dead records off its
//     shard's tail;
//   - by a Janitor, registered once an entry with a TTL is stored, whose
//     sweep trims every shard's tail in bounded steps at a fixed period, so
//     a cache that is not full and not written does not keep expired
//     memory forever. A shard left empty returns its ring pages to the OS.
//
// All Janitors of a process share one goroutine, which runs while at least
// one is registered. A goroutine per cache cost each cache a stack and a
// ticker (about 2 KiB) outside its byte budget, a tenth of the smallest
// cache; a Janitor is one small heap object, which the cache's fixed
// overhead covers.
//
// Records leave the ring in log order, so the sweep reclaims entries whose
// TTLs end in roughly the order they were written (the common case: one
// TTL per use); an expired record behind a longer-lived one waits for the
// hand.
package ttl

import (
	"sync"
	"time"
)

// Period is how often every registered sweep runs.
const Period = 250 * time.Millisecond

// Janitor is one cache's registration with the shared sweeper.
type Janitor struct {
	// mu is held by the sweeper while it runs sweep, and by Stop, so Stop
	// returns only once no sweep of this Janitor is running or will run.
	mu      sync.Mutex
	sweep   func()
	stopped bool
}

// JanitorSize bounds the memory one registered Janitor holds (its struct
// and its entry in the sweeper's set), for budget accounting.
const JanitorSize = 128

// sweeper is the process's one sweeping goroutine and the Janitors it
// serves. Preconditions for every field: mu held.
var sweeper struct {
	mu       sync.Mutex
	janitors map[*Janitor]struct{}
	running  bool
}

// Start registers sweep to be called every Period until Stop. sweep must
// return promptly (bounded work); sweeps of different caches run one after
// another on the shared goroutine.
func Start(sweep func()) *Janitor {
	j := &Janitor{sweep: sweep}
	sweeper.mu.Lock()
	defer sweeper.mu.Unlock()
	if sweeper.janitors == nil {
		sweeper.janitors = make(map[*Janitor]struct{})
	}
	sweeper.janitors[j] = struct{}{}
	if !sweeper.running {
		sweeper.running = true
		go run()
	}
	return j
}

// Stop unregisters the Janitor and waits for a sweep of it in progress.
// Idempotent; after it returns, sweep is never called again.
func (j *Janitor) Stop() {
	sweeper.mu.Lock()
	delete(sweeper.janitors, j)
	sweeper.mu.Unlock()
	j.mu.Lock()
	j.stopped = true
	j.mu.Unlock()
}

// run is the shared goroutine: every Period it sweeps each registered
// Janitor, and it exits when none is left (Start starts a new one).
func run() {
	t := time.NewTicker(Period)
	defer t.Stop()
	var batch []*Janitor
	for range t.C {
		sweeper.mu.Lock()
		if len(sweeper.janitors) == 0 {
			sweeper.running = false
			sweeper.mu.Unlock()
			return
		}
		batch = batch[:0]
		for j := range sweeper.janitors {
			batch = append(batch, j)
		}
		sweeper.mu.Unlock()
		// Sweep outside sweeper.mu, so Start and Stop of other caches
		// never wait for a sweep; a Janitor stopped meanwhile is skipped.
		for _, j := range batch {
			j.mu.Lock()
			if !j.stopped {
				j.sweep()
			}
			j.mu.Unlock()
		}
		clear(batch) // drop references to Janitors that may be stopped
	}
}
