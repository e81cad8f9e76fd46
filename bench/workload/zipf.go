package workload

import (
	"math"
	"math/rand/v2"
	"sort"
)

// Zipf draws ranks 0..n-1 with P(rank k) proportional to 1/(k+1)^s.
//
// math/rand/v2's Zipf requires s > 1, while the usual cache-benchmark skew
// is s = 0.99 (YCSB's default), so this one is exact inverse-CDF sampling
// over a precomputed cumulative table: O(n) to build, O(log n) per draw. It
// is only ever used to pre-generate traces outside timed code, so the
// per-draw cost does not matter and exactness does.
type Zipf struct {
	cdf []float64
	r   *rand.Rand
}

// NewZipf returns a generator over n ranks with exponent s >= 0, drawing
// from r.
func NewZipf(r *rand.Rand, s float64, n int) *Zipf {
	cdf := make([]float64, n)
	sum := 0.0
	for k := 0; k < n; k++ {
		sum += math.Pow(float64(k+1), -s)
		cdf[k] = sum
	}
	for k := range cdf {
		cdf[k] /= sum
	}
	cdf[n-1] = 1
	return &Zipf{cdf: cdf, r: r}
}

// Next returns the next rank.
func (z *Zipf) Next() int {
	u := z.r.Float64()
	return sort.SearchFloat64s(z.cdf, u)
}

// Prob returns the probability of rank k.
func (z *Zipf) Prob(k int) float64 {
	if k == 0 {
		return z.cdf[0]
	}
	return z.cdf[k] - z.cdf[k-1]
}

// ZipfTrace returns length key indexes in [0, n) drawn from a Zipf
// distribution with exponent s and a fixed seed. Rank k maps to key k; keys
// are hashed (see KeyAt), so popular keys are spread over any cache's shards.
func ZipfTrace(n, length int, s float64, seed uint64) []uint32 {
	z := NewZipf(rand.New(rand.NewPCG(seed, seed^0x2545f4914f6cdd1d)), s, n)
	t := make([]uint32, length)
	for i := range t {
		t[i] = uint32(z.Next())
	}
	return t
}

// UniformTrace returns length key indexes drawn uniformly from [0, n).
func UniformTrace(n, length int, seed uint64) []uint32 {
	r := rand.New(rand.NewPCG(seed, seed^0x2545f4914f6cdd1d))
	t := make([]uint32, length)
	for i := range t {
		t[i] = uint32(r.IntN(n))
	}
	return t
}
