//go:build amd64 && !race

package arena

// AppendSnapshot appends the n bytes at off to dst; see snapshot.go for the
// contract. On amd64 outside the race detector it is a plain copy
// (memmove): x86 keeps loads in program order (TSO), and Go's compiler does
// not move memory accesses across a call or an atomic load, so every byte
// copied here is read before the caller's validating load of the tail, as
// the seqlock readers of other systems rely on (Linux's smp_rmb is only a
// compiler barrier on x86). A copy racing the writer may be torn; the
// caller's validation then discards it. 4–8x faster than word loads for
// values of 256 bytes and more.
func (r *Region) AppendSnapshot(dst []byte, off, n int) []byte {
	return append(dst, r.mem[off:off+n:off+n]...)
}

// EqualSnapshot reports whether the len(key) bytes at off equal key; see
// AppendSnapshot for why a plain comparison is sound here.
func (r *Region) EqualSnapshot(off int, key []byte) bool {
	return string(r.mem[off:off+len(key):off+len(key)]) == string(key)
}
