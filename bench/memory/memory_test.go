package memory

import (
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestMain makes the test binary usable as an Isolated child.
func TestMain(m *testing.M) {
	MaybeChild()
	os.Exit(m.Run())
}

func TestRSSReadsProc(t *testing.T) {
	rss, hwm, err := RSS()
	require.NoError(t, err)
	require.Positive(t, rss)
	require.GreaterOrEqual(t, hwm, rss)
}

func TestProbeInProcess(t *testing.T) {
	for _, name := range []string{"larder", "otter", "fastcache"} {
		res, err := Probe(Config{Cache: name, N: 5000, KeySize: 16, ValueSize: 64, Churn: 20 * time.Millisecond, MaxChurn: 40 * time.Millisecond, GCRuns: 1})
		require.NoError(t, err, name)
		t.Log(res)
		require.Equal(t, 5000, res.Fill.Held, name)
		require.Positive(t, res.GCPause, name)
		require.Positive(t, res.ChurnOpsPerSec, name)
		require.GreaterOrEqual(t, res.GCCPUShare, 0.0)
		require.LessOrEqual(t, res.GCCPUShare, 1.0)
	}
	// A heap cache's entries are heap objects.
	res, err := Probe(Config{Cache: "map-rwmutex", N: 20000, KeySize: 16, ValueSize: 64})
	require.NoError(t, err)
	require.Greater(t, res.HeapObjects, int64(20000))
	require.Greater(t, res.HeapBytes, int64(20000*80))
}

func TestIsolatedRunsAFreshProcess(t *testing.T) {
	cfg := Config{Cache: "larder", N: 3000, KeySize: 16, ValueSize: 64, GCRuns: 1}
	res, err := IsolatedFit(t.Context(), os.Args[0], nil, cfg)
	require.NoError(t, err)
	require.Empty(t, res.Error)
	require.Equal(t, 3000, res.Fill.Held)
	require.Equal(t, "larder", res.Config.Cache)

	res, err = Isolated(t.Context(), os.Args[0], nil, Config{Cache: "no-such-cache", N: 10})
	require.NoError(t, err)
	require.Contains(t, res.Error, "unknown cache")
}
