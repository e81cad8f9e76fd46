package arena

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSnapshotReads checks AppendSnapshot and EqualSnapshot against plain
// slices for every length up to three words at a few aligned offsets.
// test.sh runs it with and without -race, so it covers both builds
// (snapshot_copy.go and snapshot_words.go on amd64).
func TestSnapshotReads(t *testing.T) {
	r, err := Map(4096)
	require.NoError(t, err)
	defer r.Release()
	for i := range 4096 {
		r.mem[i] = byte(i*7 + 3)
	}
	for _, off := range []int{0, 8, 256, 4096 - 32} {
		for n := 0; n <= 24 && off+n <= 4096; n++ {
			want := r.mem[off : off+n]
			// Spare capacity holding the caller's bytes stays untouched.
			buf := append(make([]byte, 0, 64), "prefix"...)
			spare := buf[:cap(buf)]
			for i := len(buf); i < len(spare); i++ {
				spare[i] = 0xEE
			}
			got := r.AppendSnapshot(buf, off, n)
			require.Equal(t, "prefix", string(got[:6]))
			require.True(t, bytes.Equal(want, got[6:]), "off %d n %d", off, n)
			for i := len(got); i < cap(got); i++ {
				require.Equal(t, byte(0xEE), got[:cap(got)][i], "off %d n %d: wrote past the copy", off, n)
			}
			// A dst too small to hold the copy grows into an array holding
			// only dst and the copy.
			small := r.AppendSnapshot([]byte("ab"), off, n)
			require.Equal(t, "ab", string(small[:2]))
			require.True(t, bytes.Equal(want, small[2:]))

			require.True(t, r.EqualSnapshot(off, want), "off %d n %d", off, n)
			if n > 0 {
				other := bytes.Clone(want)
				other[n-1] ^= 1
				require.False(t, r.EqualSnapshot(off, other), "off %d n %d", off, n)
			}
		}
	}
}
