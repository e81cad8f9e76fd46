package hitratio

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTraceCounts checks every reader against the request and distinct-key
// counts in SOURCES.md, which were computed from the files with each
// format's rule: a wrong expansion, skipped line or byte order shows up
// here. The three largest take a few seconds and are skipped with -short.
func TestTraceCounts(t *testing.T) {
	dir := tracesDir(t)
	cases := []struct {
		name               string
		requests, distinct int
		big                bool
	}{
		{"OLTP", 914_145, 186_880, false},
		{"P3", 3_912_296, 762_543, true},
		{"glimpse", 6_015, 2_529, false},
		{"multi2", 26_311, 5_684, false},
		{"sprite", 133_996, 7_075, false},
		{"2_pools", 100_000, 9_939, false},
		{"loop", 505_500, 1_011, false},
		{"scarab", 1_245_184, 258_368, true},
		{"corda", 135_702, 90_468, false},
		{"web07", 76_118, 20_484, false},
		{"w106", 5_292_456, 275_171, true},
		{"adaptsize", 66_987, 40_240, false},
		// corda + loop + corda; distinct = corda's + loop's, which also
		// shows the two key sets do not collide.
		{"mixed", 776_904, 90_468 + 1_011, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.big && testing.Short() {
				t.Skip("large trace; skipped with -short")
			}
			spec, _ := lookupTrace(c.name)
			if spec.file != "" {
				tracesDir(t, spec.file)
			}
			tr, err := LoadTrace(dir, c.name, 0)
			require.NoError(t, err)
			assert.Equal(t, c.requests, len(tr.Keys))
			assert.Equal(t, c.distinct, tr.Distinct())
			if c.name == "adaptsize" {
				assert.Len(t, tr.ObjSizes, len(tr.Keys))
			}
		})
	}
}

// TestTracePrefix checks that a limit stops reading at exactly limit
// requests, including inside an ARC line that expands to many.
func TestTracePrefix(t *testing.T) {
	dir := tracesDir(t, "arc-OLTP.lis.zst", "lirs-gli.trace.gz", "cache2k-web07.trace.xz",
		"corda-trace_vaultservice.gz", "lirs-loop.trace.gz")
	for _, name := range []string{"OLTP", "glimpse", "web07"} {
		full, err := LoadTrace(dir, name, 0)
		require.NoError(t, err)
		pre, err := LoadTrace(dir, name, 1001)
		require.NoError(t, err)
		assert.Equal(t, full.Keys[:1001], pre.Keys, name)
	}
	// mixed cuts each part in proportion: corda 250, loop 501, corda 250.
	pre, err := LoadTrace(dir, "mixed", 1001)
	require.NoError(t, err)
	require.Len(t, pre.Keys, 1001)
	assert.Equal(t, pre.Keys[:250], pre.Keys[751:])
	assert.Equal(t, uint64(0), pre.Keys[250], "loop starts at key 0")
}

func TestZipfDeterministic(t *testing.T) {
	const n = 200_000
	a := zipfTrace(true, n)
	require.Equal(t, a, zipfTrace(true, n), "seeded generator must repeat")
	assert.Len(t, a, n)
	// The first scan follows the first scanEvery Zipf requests: scanLen
	// keys, each used once in the whole stream.
	seen := map[uint64]int{}
	for _, k := range a {
		seen[k]++
	}
	for _, k := range a[scanEvery : scanEvery+scanLen] {
		require.Equal(t, 1, seen[k])
	}
	// Skewed: the top rank alone takes a few percent of the requests.
	assert.Greater(t, seen[mix64(0)], n/50)
}

func TestAdaptSizeKey(t *testing.T) {
	k1, err := adaptSizeKey(7, 100)
	require.NoError(t, err)
	k2, err := adaptSizeKey(7, 101)
	require.NoError(t, err)
	assert.NotEqual(t, k1, k2, "same id, other size: another object")
	_, err = adaptSizeKey(1, 1<<adaptSizeBits)
	assert.Error(t, err)
}
