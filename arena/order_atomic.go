//go:build !amd64 || race

package arena

import "sync/atomic"

// Outside amd64 (and under the race detector, which must see these as
// synchronizing) the stores are atomics: Store is STLR on arm64, a
// store-release, and a fenced store needs a read-modify-write, because a
// later plain store may become visible before a store-release.

// StoreRelease64 stores v at off with release semantics: the publish point
// for a slot.
func (r *Region) StoreRelease64(off int, v uint64) { atomic.StoreUint64(r.word(off), v) }

// StoreRelease stores v with release semantics.
func (p *Position) StoreRelease(v uint64) { atomic.StoreUint64(&p.v, v) }

// StoreFenced stores v; later stores stay after it.
func (p *Position) StoreFenced(v uint64) { atomic.SwapUint64(&p.v, v) }

// Unlock releases l with a store-release.
func (l *Lock) Unlock() { atomic.StoreUint32(&l.state, lockFree) }
