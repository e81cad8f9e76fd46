package hitratio

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestExactLRUPublished replays OLTP and glimpse through the exact LRU and
// compares with the published figures in SOURCES.md (to 0.01 points). This
// validates the readers (ARC's range expansion, LIRS's skipped lines) and
// the replay loop together: the figures are sensitive to both.
func TestExactLRUPublished(t *testing.T) {
	dir := tracesDir(t, "arc-OLTP.lis.zst", "lirs-gli.trace.gz")
	cases := map[string][]float64{
		"OLTP":    {16.47, 23.45, 28.28, 32.83, 36.21, 38.70, 40.79, 42.47},
		"glimpse": {0.91, 0.95, 1.15, 11.21, 21.25, 36.56, 45.04, 57.41},
	}
	for name, want := range cases {
		tr, err := LoadTrace(dir, name, 0)
		require.NoError(t, err)
		for i, w := range want {
			n := 250 * (i + 1)
			got := 100 * float64(replayHits(newExactLRU(n), tr.Keys)) / float64(len(tr.Keys))
			assert.InDelta(t, w, got, 0.01, "%s exact LRU at %d: got %.4f", name, n, got)
		}
	}
}

// TestGolangLRUMatchesExact: golang-lru's plain LRU must agree with ours to
// the request (both are exact LRU), a cross-check of both adapters.
func TestGolangLRUMatchesExact(t *testing.T) {
	dir := tracesDir(t, "lirs-gli.trace.gz")
	tr, err := LoadTrace(dir, "glimpse", 0)
	require.NoError(t, err)
	for _, n := range []int{250, 1000, 2000} {
		g, err := newGolangLRU(n)
		require.NoError(t, err)
		assert.Equal(t, replayHits(newExactLRU(n), tr.Keys), replayHits(g, tr.Keys), "n=%d", n)
	}
}
