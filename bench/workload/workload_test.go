package workload

import (
	"bytes"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestKeysDistinctAndStable(t *testing.T) {
	for _, size := range []int{8, 16, 13} {
		k := NewKeys(1<<12, size)
		require.Equal(t, 1<<12, k.Len())
		seen := map[string]bool{}
		buf := make([]byte, size)
		for i := 0; i < k.Len(); i++ {
			key := k.Key(i)
			require.Len(t, key, size)
			require.Equal(t, size, cap(key), "capacity clipped")
			require.True(t, bytes.Equal(KeyAt(i, buf), key))
			require.False(t, seen[string(key)], "duplicate key %d", i)
			seen[string(key)] = true
		}
	}
	// Values are not keys.
	require.False(t, bytes.Equal(KeyAt(3, make([]byte, 16)), ValueAt(3, make([]byte, 16))))
}

func TestZipfMatchesDistribution(t *testing.T) {
	const n, s, draws = 1000, 0.99, 400_000
	z := NewZipf(rand.New(rand.NewPCG(1, 1)), s, n)
	var h float64
	for k := 1; k <= n; k++ {
		h += math.Pow(float64(k), -s)
	}
	counts := make([]int, n)
	for i := 0; i < draws; i++ {
		r := z.Next()
		require.True(t, r >= 0 && r < n)
		counts[r]++
	}
	for _, k := range []int{0, 1, 9, 99} {
		want := math.Pow(float64(k+1), -s) / h
		require.InDelta(t, want, z.Prob(k), 1e-12)
		got := float64(counts[k]) / draws
		require.InDelta(t, want, got, 4*math.Sqrt(want/draws), "rank %d", k)
	}
}

func TestMixShares(t *testing.T) {
	for _, r := range []int{100, 90, 75, 50, 0} {
		m := NewMix(r)
		writes := 0
		for _, w := range m.write {
			if w {
				writes++
			}
		}
		require.InDelta(t, float64(100-r)/100, float64(writes)/mixLen, 1.0/mixLen, "reads=%d", r)
	}
}

func TestStartSpreads(t *testing.T) {
	seen := map[int]bool{}
	for g := 0; g < 64; g++ {
		s := Start(g, 1<<22)
		require.True(t, s >= 0 && s < 1<<22)
		require.False(t, seen[s])
		seen[s] = true
	}
}
