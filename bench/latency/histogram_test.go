package latency

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestBucketsPartitionValues(t *testing.T) {
	// Every bucket's bounds map back to it, and consecutive buckets tile the
	// value range with no gap or overlap.
	var next uint64
	for i := 0; i < nBuckets; i++ {
		lo, hi := bounds(i)
		require.Equal(t, next, lo, "bucket %d", i)
		require.LessOrEqual(t, lo, hi)
		require.Equal(t, i, bucketOf(lo))
		require.Equal(t, i, bucketOf(hi))
		if i < subCount {
			require.Equal(t, lo, hi, "exact range")
		} else {
			// Width is at most 1/subHalf of the lower bound.
			require.LessOrEqual(t, float64(hi-lo+1), float64(lo)/subHalf+1e-9)
		}
		next = hi + 1
	}
	require.Equal(t, uint64(0), next, "last bucket ends at MaxUint64")
	require.Equal(t, nBuckets-1, bucketOf(math.MaxUint64))
}

func TestQuantilesMatchExact(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var h Histogram
	vals := make([]uint64, 200_000)
	for i := range vals {
		// Log-normal around ~100ns with a long tail, like real latencies.
		v := uint64(math.Exp(4.6 + 1.2*r.NormFloat64()))
		vals[i] = v
		h.Record(int64(v))
	}
	slices.Sort(vals)
	require.Equal(t, uint64(len(vals)), h.Count())
	require.Equal(t, vals[0], h.Min())
	require.Equal(t, vals[len(vals)-1], h.Max())
	for _, q := range []float64{0, 0.1, 0.5, 0.9, 0.99, 0.999, 0.9999, 1} {
		rank := max(int(math.Ceil(q*float64(len(vals)))), 1)
		exact := vals[rank-1]
		got := h.Quantile(q)
		require.GreaterOrEqual(t, got, exact, "q=%v never under-states", q)
		require.LessOrEqual(t, float64(got), float64(exact)*(1+1.0/subHalf)+1, "q=%v within one bucket", q)
	}
}

func TestSmallValuesExactAndMerge(t *testing.T) {
	var a, b Histogram
	for v := int64(0); v < 100; v++ {
		a.Record(v)
		b.Record(v + 100)
	}
	a.Record(-5) // clamps to 0
	require.Equal(t, uint64(49), a.Quantile(0.5))
	a.Merge(&b)
	require.Equal(t, uint64(201), a.Count())
	require.Equal(t, uint64(199), a.Max())
	require.Equal(t, uint64(0), a.Min())
	require.Equal(t, uint64(99), a.Quantile(0.5))
	s := a.Summarize()
	require.Equal(t, uint64(199), s.Max)
	require.InDelta(t, (4950.0+14950.0)/201, s.Mean, 1e-9)

	var empty Histogram
	require.Equal(t, uint64(0), empty.Quantile(0.99))
	require.Equal(t, Summary{}, empty.Summarize())
}
