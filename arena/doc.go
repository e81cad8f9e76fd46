// Package arena owns larder's off-heap memory: one Region per cache,
// obtained with mmap where the platform has it (mmap_unix.go) and as a
// pointer-free Go allocation elsewhere (heap_other.go). It is the only
// package of larder that uses unsafe.
//
// # Who owns which bytes
//
// A Region is carved by the engine into the admission filter's table and,
// per shard, an index (an array of 8-byte slots) and a ring of records.
// The rules:
//
//   - The filter's table (the sketch's counters and the doorkeeper's bits,
//     handed out by Words) belongs to the eviction package, which reads
//     and writes it only with atomic word operations, from any goroutine.
//   - Index slots are only ever accessed with 8-byte word operations
//     (Load64, StoreRelease64, CompareAndSwap64). Any goroutine may read
//     them; the shard's writer (holding the shard lock) stores them;
//     readers may only CAS a slot to set its reference bit, and counter
//     Adds to pin it.
//   - Record bytes between a shard's tail and head belong to the shard's
//     writer until the record is published (its slot stored), and are
//     immutable afterwards, with one exception: the 8-byte value word of a
//     counter record, which Add updates with AddInt64.
//   - Readers load headers with Load64 and copy keys and values with
//     snapshot reads (AppendSnapshot, EqualSnapshot; snapshot.go). A copy
//     is trusted only after the reader has re-checked the shard's tail:
//     bytes behind the tail may already be reused by the writer.
//   - The writer writes records with plain stores (Write, Put64) and makes
//     them visible with a store-release of the head and then of the slot
//     (Position.StoreRelease, StoreRelease64). It reuses bytes behind the
//     tail only after publishing the new tail with a fenced store
//     (Position.StoreFenced), so the plain stores that follow cannot
//     become visible before it (on arm64 a plain store may pass a
//     store-release, not an acquire-release RMW). order_plain.go and
//     order_atomic.go say what each costs per platform.
//   - Release (Close) first makes every reader's validation fail (the engine
//     poisons the tails), then drops the pages: the mapping stays in place
//     and reads return zeros, so a reader still running never faults. The
//     address range itself is unmapped by a cleanup when the Region becomes
//     unreachable.
//
// # Why snapshot reads, and two builds of them
//
// A reader races with a writer that may be reusing the bytes it copies.
// Go's memory model lets a racy read of several words observe each word
// from some write (so a copy may be torn, which validation catches), but
// the race detector reports such reads, and on weakly ordered CPUs plain
// loads may be satisfied after the validating load of the tail. So outside
// amd64, and under -race everywhere, snapshot reads are atomic 8-byte
// loads (LDAR on arm64: ordered, and race detector clean). On amd64, whose
// loads stay in program order, they are a plain memmove, several times
// faster for values of a few hundred bytes. Records are 8-byte aligned and
// their key and value start on word boundaries, so word copies run whole
// words.
package arena
