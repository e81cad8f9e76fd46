//go:build amd64 && !race

package arena

// The release and fenced stores of this file are plain MOVs. x86 commits
// stores in program order (TSO), so a plain store is ordered after every
// earlier store and before every later one, and Go's compiler threads all
// stores through one memory chain, so it does not reorder them either.
// What a plain store does not give, a store followed by a load that must
// not pass it (Dekker's pattern), the shard never relies on across these
// stores; where it needs that (claiming a slot, the shift seqlock) it uses
// read-modify-writes.

// StoreRelease64 stores v at off with release semantics (see Position):
// the publish point for a slot.
func (r *Region) StoreRelease64(off int, v uint64) { *r.word(off) = v }

// StoreRelease stores v with release semantics.
func (p *Position) StoreRelease(v uint64) { p.v = v }

// StoreFenced stores v; later stores stay after it.
func (p *Position) StoreFenced(v uint64) { p.v = v }

// Unlock releases l with a store-release.
func (l *Lock) Unlock() { l.state = lockFree }
