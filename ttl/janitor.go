// Package ttl holds larder's expiry sweeper. Expired entries are misses as
// soon as they expire (readers compare the record's expiry with the clock);
// their memory is reclaimed in three ways:
//
//   - by the CLOCK hand, which drops expired records ahead of live ones
//     whenever a Set needs room;
//   - by every Set, which trims a few expired or dead records off its
//     shard's tail;
//   - by a Janitor, one goroutine per cache, started only once an entry
//     with a TTL is stored, that trims every shard's tail in bounded steps
//     at a fixed period, so a cache that is not full and not written does
//     not keep expired memory forever. A shard left empty returns its ring
//     pages to the OS.
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

// Janitor calls sweep every period until stopped.
type Janitor struct {
	once sync.Once
	stop chan struct{}
	done chan struct{}
}

// Start begins sweeping. sweep must return promptly (bounded work).
func Start(period time.Duration, sweep func()) *Janitor {
	j := &Janitor{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(j.done)
		t := time.NewTicker(period)
		defer t.Stop()
		for {
			select {
			case <-j.stop:
				return
			case <-t.C:
				sweep()
			}
		}
	}()
	return j
}

// Stop ends the sweeping and waits for a sweep in progress. Idempotent.
func (j *Janitor) Stop() {
	j.once.Do(func() { close(j.stop) })
	<-j.done
}
