package hitratio

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTrajectory follows a generated stream (no traces needed): the
// intervals must add up to the whole replay for the deterministic columns,
// the last interval may be partial, and the table has a row per interval.
func TestTrajectory(t *testing.T) {
	const n, every = 1000, 300_000
	tr, err := RunTrajectory(context.Background(), TrajectoryOptions{Trace: "zipf", Size: n, Every: every, Caches: []string{CacheExactLRU}}, nil)
	require.NoError(t, err)
	keys, err := LoadTrace("", "zipf", 0)
	require.NoError(t, err)

	assert.Equal(t, []string{CacheBelady, CacheExactLRU, CacheOtter}, tr.Caches, "belady and otter are always added")
	assert.Equal(t, len(keys.Keys), tr.Requests)
	intervals := (len(keys.Keys) + every - 1) / every
	sum := func(hits []int64) (s int64) {
		for _, h := range hits {
			s += h
		}
		return s
	}
	for c, name := range tr.Caches {
		assert.Empty(t, tr.NA[c], name)
		require.Len(t, tr.Hits[c], intervals, name)
		for i, h := range tr.Hits[c] {
			assert.LessOrEqual(t, h, int64(min(every, len(keys.Keys)-i*every)), "%s interval %d", name, i)
		}
	}
	assert.Equal(t, int64(beladyHits(keys.Keys, nextUses(keys.Keys), n)), sum(tr.Hits[0]), "belady's intervals add up to its replay")
	assert.Equal(t, replayHits(newExactLRU(n), keys.Keys), sum(tr.Hits[1]), "LRU's intervals add up to its replay")

	var out bytes.Buffer
	WriteTrajectory(&out, tr)
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	assert.Equal(t, "## zipf at 1000 entries: hit ratio % per 300000 requests", lines[0])
	assert.Contains(t, out.String(), "\n   1000000  ", "the partial last interval ends at the trace's end")
	assert.Contains(t, out.String(), "\n       all  ")
	assert.Contains(t, out.String(), "one run each of otter")
}

func TestTrajectoryRejectsBadOptions(t *testing.T) {
	ctx := context.Background()
	for _, o := range []TrajectoryOptions{
		{Trace: "zipf", Size: 0},
		{Trace: "zipf", Size: 10, Every: -1},
		{Trace: "no-such-trace", Size: 10},
		{Trace: "", Size: 10},
		{Trace: "zipf", Size: 10, Caches: []string{"no-such-cache"}},
	} {
		_, err := RunTrajectory(ctx, o, nil)
		assert.Error(t, err, "%+v", o)
	}
}
