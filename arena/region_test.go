package arena

import (
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestWords checks that Words aliases the Region's bytes, that Release
// zeroes a table handed out by it, and that bad offsets and lengths panic
// instead of reaching outside the Region.
func TestWords(t *testing.T) {
	r, err := Map(4096)
	require.NoError(t, err)
	w := r.Words(64, 8)
	require.Len(t, w, 8)
	atomic.StoreUint64(&w[3], 0xfeed)
	assert.Equal(t, uint64(0xfeed), r.Load64(64+3*WordSize), "the slice aliases the region")
	r.Store64(64+7*WordSize, 42)
	assert.Equal(t, uint64(42), atomic.LoadUint64(&w[7]))
	assert.Len(t, r.Words(4096-WordSize, 1), 1, "the last word")
	assert.Nil(t, r.Words(0, 0))

	assert.Panics(t, func() { r.Words(4, 1) }, "unaligned")
	assert.Panics(t, func() { r.Words(-8, 1) }, "negative offset")
	assert.Panics(t, func() { r.Words(0, -1) }, "negative length")
	assert.Panics(t, func() { r.Words(4096-WordSize, 2) }, "past the end")
	assert.Panics(t, func() { r.Words(4096, 1) }, "at the end")

	r.Release()
	assert.Zero(t, atomic.LoadUint64(&w[3]), "Release zeroes the table")
}
