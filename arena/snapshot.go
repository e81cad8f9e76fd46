package arena

// Snapshot reads: AppendSnapshot and EqualSnapshot read record bytes that
// the shard's writer may be reusing at the same moment (lock-free readers,
// see the package doc). What they return is trusted only after the caller
// re-checks the shard's tail: if the tail has not passed the bytes, they
// were not reused and the copy is exact; otherwise it may be torn and must
// be discarded. Two builds implement them:
//
//   - snapshot_copy.go (amd64, not -race): a plain copy or comparison.
//   - snapshot_words.go (every other platform, and any -race build): atomic
//     8-byte loads, which are ordered on weakly ordered CPUs and clean
//     under the race detector.
//
// AppendSnapshot writes nothing past the bytes it appends (dst's spare
// capacity may hold the caller's data), and when it must grow dst the new
// array holds only dst and the copied bytes, never other Region bytes.
// Both need off to be 8-byte aligned (records are) and the range to lie
// within the Region (callers check InRange or the ring bounds first); an
// out-of-range read panics with an index error, never faults.
