package hitratio

import "math"

// Generalization workloads: generated streams that are not in the default
// run (Options.Extra, the -extra flag, or naming them in -only adds them).
//
// Why they exist: larder's policy constants were measured on the public
// traces above, and a policy tuned on a handful of traces can fit their
// quirks. These streams are shapes a cache meets in production that the
// public set covers thinly: Zipf popularity flatter and steeper than the
// default zipf's 0.99, a hot set that moves, pure recency (each request
// repeats a recent one), and a frequency-skewed stream mixed with a loop.
// They were written after the policy, to check it, and are kept out of the
// default summary so that its mean stays comparable with earlier runs.
//
// Every stream is seeded and built from splitmix64, so it is the same on
// every machine and Go release; keys are scrambled with mix64 like the zipf
// workload's. Sizes are ours, chosen to span each stream's hit-ratio curve.
var generalization = []traceSpec{
	{name: "zipf-0.6", desc: "generated: Zipf s=0.6 over 100k keys, 1M requests",
		sizes: []int{500, 2000, 10000}, load: zipfLoader(100_000, 0.6, 0x51)},
	{name: "zipf-0.7", desc: "generated: Zipf s=0.7 over 200k keys, 1M requests",
		sizes: []int{1000, 10000, 50000}, load: zipfLoader(200_000, 0.7, 0x52)},
	{name: "zipf-0.8", desc: "generated: Zipf s=0.8 over 500k keys, 1M requests",
		sizes: []int{1000, 5000, 20000}, load: zipfLoader(500_000, 0.8, 0x53)},
	{name: "zipf-1.2", desc: "generated: Zipf s=1.2 over 200k keys, 1M requests",
		sizes: []int{100, 1000, 10000}, load: zipfLoader(200_000, 1.2, 0x54)},
	{name: "zipf-shift", desc: "generated: Zipf s=0.9 over 50k keys whose hot set is replaced every 250k requests, 2M requests",
		sizes: []int{500, 2000, 5000}, load: shiftLoader},
	{name: "recency", desc: "generated: 85% of requests repeat the one d requests back (d exponential, mean 1,500), the rest are new keys; 1M requests",
		sizes: []int{500, 2000, 5000}, load: recencyLoader},
	{name: "zipf-loop", desc: "generated: half Zipf s=0.8 over 20k keys, half a loop over 3,000 other keys, interleaved at random; 1M requests",
		sizes: []int{1000, 2500, 5000}, load: zipfLoopLoader},
}

func init() {
	for i := range generalization {
		generalization[i].synthetic = true
		generalization[i].extra = true
	}
	catalogue = append(catalogue, generalization...)
}

// genRequests is the length of the 1M-request generated streams.
const genRequests = 1_000_000

// zipfSampler draws Zipf ranks 0..n-1 with exponent s from the exact CDF by
// binary search (math/rand's Zipf needs s > 1).
type zipfSampler struct{ cdf []float64 }

func newZipfSampler(n int, s float64) zipfSampler {
	cdf := make([]float64, n)
	sum := 0.0
	for i := range cdf {
		sum += 1 / math.Pow(float64(i+1), s)
		cdf[i] = sum
	}
	for i := range cdf {
		cdf[i] /= sum
	}
	return zipfSampler{cdf: cdf}
}

// rank draws one rank, consuming one number from rng.
func (z zipfSampler) rank(rng *splitmix) uint64 {
	u := uniform(rng)
	lo, hi := 0, len(z.cdf)-1
	for lo < hi {
		mid := (lo + hi) / 2
		if z.cdf[mid] < u {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return uint64(lo)
}

// uniform returns a float64 in [0, 1) from one number of rng.
func uniform(rng *splitmix) float64 { return float64(rng.next()>>11) / (1 << 53) }

// streamLen is n, or limit when a prefix of fewer requests is asked for.
func streamLen(n, limit int) int {
	if limit > 0 && limit < n {
		return limit
	}
	return n
}

func zipfLoader(keys int, s float64, seed uint64) func(string, int) (*Trace, error) {
	return func(_ string, limit int) (*Trace, error) {
		z := newZipfSampler(keys, s)
		rng := splitmix{state: seed}
		out := make([]uint64, streamLen(genRequests, limit))
		for i := range out {
			out[i] = mix64(z.rank(&rng))
		}
		return &Trace{Keys: out}, nil
	}
}

// shiftLoader: every shiftEvery requests the ranks map to a new set of keys
// (the phase number goes into bits 40 and up before scrambling), so the
// popularity curve stays the same while every hot key goes cold at once.
func shiftLoader(_ string, limit int) (*Trace, error) {
	const (
		keys       = 50_000
		shiftEvery = 250_000
		requests   = 2_000_000
	)
	z := newZipfSampler(keys, 0.9)
	rng := splitmix{state: 0x55}
	out := make([]uint64, streamLen(requests, limit))
	for i := range out {
		out[i] = mix64(z.rank(&rng) | uint64(i/shiftEvery)<<40)
	}
	return &Trace{Keys: out}, nil
}

// recencyLoader: a request repeats the request made d requests earlier, d
// drawn from an exponential distribution, with probability 0.85 (and when
// that far back exists); otherwise it is a key never seen before. Reuse is
// by recency alone, so LRU is close to the optimum at the larger sizes.
func recencyLoader(_ string, limit int) (*Trace, error) {
	const (
		repeat    = 0.85
		meanDepth = 1500
	)
	rng := splitmix{state: 0x56}
	out := make([]uint64, 0, streamLen(genRequests, limit))
	next := uint64(1)
	for len(out) < cap(out) {
		if uniform(&rng) < repeat {
			d := int(-math.Log(1-uniform(&rng)) * meanDepth)
			if d < len(out) {
				out = append(out, out[len(out)-1-d])
				continue
			}
		}
		out = append(out, mix64(next))
		next++
	}
	return &Trace{Keys: out}, nil
}

// zipfLoopLoader: each request is, with even odds, a Zipf draw or the next
// key of a loop over loopKeys keys (set apart from the Zipf ranks' by bit
// 50 before scrambling). The loop is larger than the smaller sizes, where
// only a frequency filter keeps part of it; the Zipf half rewards one too.
func zipfLoopLoader(_ string, limit int) (*Trace, error) {
	const loopKeys = 3000
	z := newZipfSampler(20_000, 0.8)
	rng := splitmix{state: 0x57}
	out := make([]uint64, streamLen(genRequests, limit))
	li := uint64(0)
	for i := range out {
		if rng.next()&1 == 0 {
			out[i] = mix64(z.rank(&rng))
			continue
		}
		out[i] = mix64(1<<50 | li)
		li = (li + 1) % loopKeys
	}
	return &Trace{Keys: out}, nil
}
