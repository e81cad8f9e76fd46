// Package larder is an in-process, concurrent key-value cache that keeps
// keys and values outside the Go heap, under a hard memory budget.
//
// # Layout
//
// A key is hashed with xxh3, seeded at random per cache so that collisions
// cannot be precomputed. The top bits of the hash pick a shard. The cache
// has one off-heap region (package arena): the admission filter's tables
// first (policy.go), then the shards. A shard owns two pieces of it: an
// index, an array of 8-byte slots probed linearly, and a ring of records
// [header|expiry?|key|value], each 8-byte aligned. A slot holds no Go
// pointer: 11 tag bits of the hash, the record's logical offset, the
// distance from the slot's home position, a CLOCK reference bit and a pin
// count for lock-free counters (slot.go). Records are appended at the
// ring's head and never rewritten in place (record.go); an overwrite
// appends a new record and repoints the slot, leaving the old one dead.
// Logical offsets only grow, and the physical position is the offset
// modulo the ring's power-of-two lap size, so an offset names one record
// for the life of the cache.
//
// # Concurrency
//
// Get, AppendGet and Has take no lock. A reader loads the slot, loads the
// shard head to resolve the slot's offset, compares the key and copies the
// value (arena's snapshot reads), then loads the shard tail: if the tail has
// not passed the record, no byte it read can have been reused, and since
// records are immutable the copy is the value that was current when the
// slot was loaded. Otherwise it retries. Deleting from a linear-probing
// index moves entries backward; readers detect that with a seqlock counter
// and retry a miss that overlapped a move. The only writes a reader makes
// are setting a slot's reference bit when it is clear, a hit/miss counter
// striped by goroutine (stats), and a TinyLFU sketch increment (none once
// the key's counters are saturated, and only one in four for a key read
// again since its reference bit was set: see engine.countAccess). A
// shard's geometry sits alone in its first cache line, which no one
// writes; head, tail and the seqlock share the second, which every store
// to the shard invalidates, so a reader on another core pays one line for
// a writer's activity, not two.
//
// Set, Delete and eviction take the shard's lock (arena.Lock: a
// compare-and-swap to acquire, a store-release to release, and waiters
// that spin briefly, then yield, then nap); they never wait for readers.
// A writer fills a record with plain stores and publishes it by a
// store-release of the head and then of the slot; it reuses bytes behind
// the tail only after a fenced store of the new tail (arena.Position).
// On amd64 all three are plain stores (x86 keeps stores in order), so an
// overwrite that evicts nothing runs no full barrier besides the lock's
// acquiring compare-and-swap (and, one Set in 64 per shard, the window
// climber's TryLock).
// Read-modify-writes remain where they are needed (claiming a counter's
// slot, the index seqlock), and the shard's counters are plain fields
// under the lock.
//
// Close sets a flag, poisons every shard's tail (so readers in flight fail
// validation) and returns the pages with MADV_DONTNEED: a late reader
// reads zeros, never unmapped memory (and its frequency increment, if it
// makes one, lands in a zeroed page of the filter's table, faulting at
// most that page back in). The mapping itself goes when the cache is
// unreachable.
//
// # Memory
//
// MaxBytes is divided once, at New: fixed Go structures (a few KiB), the
// admission filter's sketch and doorkeeper (about 10 bytes per entry the
// budget is expected to hold, in the region), then, per shard, an index
// sized for the expected entry size (Config.AvgEntrySize) and a ring
// taking the rest. Nothing grows later: the cache never holds more than
// MaxBytes, and its Go heap cost depends neither on the number of entries
// nor, beyond a few KiB, on MaxBytes (no per-entry Go objects; what the
// budget sizes on the Go heap is one struct per shard and the judge's
// ghost table, at most 8 KiB; the GC never scans the region). Untouched
// pages of the region cost no RSS.
//
// # Policy
//
// W-TinyLFU on a log (policy.go, shard.evictOne). A new key's record is
// flagged as being in the admission window; everything else is main. The
// ring's tail is a CLOCK hand over main: a referenced record is copied to
// the head with its bit cleared (a second chance), an unreferenced one is
// the victim. While the window is over its share, a second hand walks the
// log from the tail to the oldest window record not read since it entered
// the window, the candidate (a window record that was read is copied to
// the head with its bit cleared, so the window, too, evicts in CLOCK
// order, close to the LRU order of Caffeine's window), and a TinyLFU
// filter (eviction/: a 4-bit count-min sketch behind a doorkeeper Bloom
// filter, halved every 10x capacity accesses, shared by all shards)
// decides: a more frequent candidate (by two, once the victim's estimate
// is 2 or more; TinyLFU.Admit says why) is promoted in place and the victim
// evicted; otherwise the candidate is dropped and the victim, having proved
// the more frequent, is copied forward. When the window has run dry (a
// ring full of dead records can empty it), a new key meets the victim
// itself and, if less frequent, is not stored at all. Main records earn
// credits from references (generalized CLOCK, up to three laps), so only
// records idle for several laps meet a candidate. Dead, deleted and
// expired records are dropped whenever the hand passes them. Gets record
// frequencies without a lock, reading the sketch's line first: a saturated
// key writes nothing and a key already counted skips the doorkeeper, so
// most reads touch one policy cache line. The window's share is of the
// live bytes (dead records waiting for the tail do not count), starts at
// 1% and, once the cache is full, is tuned by hill climbing on the
// hit ratio measured from the striped hit/miss counters, so reads pay
// nothing for it; it can shrink to a single record. A window below
// its share grows by taking in the main records the hand gives a second
// chance (as Caffeine's window takes entries from main), so a larger share
// is realized even when every main record is in use. A judge
// (eviction.Judge) audits a sample of the duels: it remembers each loser
// in a small ghost table and marks each winner's record, and when the hand
// next meets the winner it compares how often losers came back with how
// often winners were used. Where frequency misjudges the workload (rejected
// candidates return, kept victims are dead: recency-skewed traces) it adds
// a bias to the candidate's estimate, up to admitting every candidate; where
// the duels go right the bias decays to zero, plain TinyLFU.
//
// The index caps a shard at 4/5 load, and an entry is never stored more
// than maxDist slots from its home, so probes stay short even for hostile
// keys. The default shard count is 16 per CPU, so that writers rarely meet
// on a lock, but never below 2 MiB a shard: small caches stay in one
// shard (per-shard policies on slivers lose hit ratio).
//
// # Expiry and counters
//
// A record with a TTL carries its expiry; readers treat it as a miss from
// that instant. Expired records are reclaimed by the hand, by every Set
// (a few at its shard's tail) and by a janitor registered by the first TTL,
// whose sweeps one goroutine runs for every cache of the process (package
// ttl). Counters are 8-byte records whose value word Add updates with a
// compare-and-swap after pinning the slot (never wrapping: a sum beyond
// int64 is ErrCounterOverflow): writers claim a counter's slot (waiting
// for pins to drain) before they move, replace or reclaim its record, so
// no add is lost.
package larder
