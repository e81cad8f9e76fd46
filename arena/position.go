package arena

import "sync/atomic"

// A Position is a ring offset (a shard's head or tail) that one writer
// stores and lock-free readers load. Its stores are the writer's publish
// points, and they come in the two strengths the shard needs:
//
//   - StoreRelease: every store the writer made before becomes visible no
//     later than the new position (publishing a head after the record
//     bytes below it).
//   - StoreFenced: also keeps the writer's later stores from becoming
//     visible before it (publishing a tail before the bytes behind the old
//     tail are reused).
//
// Go's sync/atomic offers neither: its Store is sequentially consistent,
// which on amd64 is an XCHG that stalls until the store buffer has
// drained. order_plain.go and order_atomic.go give each the cheapest
// instruction that is enough on the platform.
type Position struct{ v uint64 }

// Load atomically loads the position (a plain MOV on amd64, LDAR on
// arm64: readers' later loads stay after it).
func (p *Position) Load() uint64 { return atomic.LoadUint64(&p.v) }
