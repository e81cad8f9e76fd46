// Package latency measures per-operation latency percentiles of a cache's
// Get while another goroutine writes at a fixed rate, recording into
// log-linear histograms so that millions of samples cost a few kilobytes and
// no sorting.
package latency

import (
	"math"
	"math/bits"
	"time"
)

// subBits sets the precision: each power-of-two range of values is split
// into 2^(subBits-1) equal buckets, so a bucket is at most 1/128 of its
// values wide (under 0.8% relative error); values below 2^subBits are
// recorded exactly.
const (
	subBits  = 8
	subCount = 1 << subBits // buckets for the exact range [0, subCount)
	subHalf  = subCount / 2 // buckets per power of two above it
	maxShift = 64 - subBits // largest shift a uint64 value needs
	nBuckets = subCount + maxShift*subHalf
)

// Histogram is an HDR-style log-linear histogram of non-negative integer
// values (nanoseconds here). The zero value is ready to use. It is not safe
// for concurrent use: give each goroutine its own and Merge them.
type Histogram struct {
	counts [nBuckets]uint64
	n      uint64
	sum    float64
	min    uint64
	max    uint64
}

// bucketOf returns the index of v's bucket.
func bucketOf(v uint64) int {
	if v < subCount {
		return int(v)
	}
	shift := bits.Len64(v) - subBits // >= 1
	top := v >> uint(shift)          // in [subHalf, subCount)
	return subCount + (shift-1)*subHalf + int(top-subHalf)
}

// bounds returns the smallest and largest value that land in bucket i.
func bounds(i int) (lo, hi uint64) {
	if i < subCount {
		return uint64(i), uint64(i)
	}
	j := i - subCount
	shift := uint(j/subHalf + 1)
	top := uint64(j%subHalf + subHalf)
	lo = top << shift
	return lo, lo + (1 << shift) - 1
}

// Record adds one value; negative values count as 0.
func (h *Histogram) Record(v int64) {
	if v < 0 {
		v = 0
	}
	u := uint64(v)
	h.counts[bucketOf(u)]++
	if h.n == 0 || u < h.min {
		h.min = u
	}
	if u > h.max {
		h.max = u
	}
	h.n++
	h.sum += float64(u)
}

// RecordDuration adds d in nanoseconds.
func (h *Histogram) RecordDuration(d time.Duration) { h.Record(int64(d)) }

// Merge adds o's samples into h.
func (h *Histogram) Merge(o *Histogram) {
	if o.n == 0 {
		return
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	if h.n == 0 || o.min < h.min {
		h.min = o.min
	}
	if o.max > h.max {
		h.max = o.max
	}
	h.n += o.n
	h.sum += o.sum
}

// Count returns the number of samples.
func (h *Histogram) Count() uint64 { return h.n }

// Min and Max return the exact extreme samples (0 when empty).
func (h *Histogram) Min() uint64 { return h.min }

// Max returns the largest sample.
func (h *Histogram) Max() uint64 { return h.max }

// Mean returns the exact mean (NaN when empty).
func (h *Histogram) Mean() float64 {
	if h.n == 0 {
		return math.NaN()
	}
	return h.sum / float64(h.n)
}

// Quantile returns the value at quantile q in [0, 1]: the upper bound of the
// bucket holding the ceil(q*n)-th smallest sample, clamped to the exact max.
// Reporting the upper bound means a percentile is never under-stated, and is
// over-stated by less than one bucket width (<0.8%).
func (h *Histogram) Quantile(q float64) uint64 {
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	rank = min(max(rank, 1), h.n)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			_, hi := bounds(i)
			return min(max(hi, h.min), h.max)
		}
	}
	return h.max
}

// Summary is a histogram's usual percentiles, in nanoseconds.
type Summary struct {
	Count uint64  `json:"count"`
	Mean  float64 `json:"mean_ns"`
	P50   uint64  `json:"p50_ns"`
	P90   uint64  `json:"p90_ns"`
	P99   uint64  `json:"p99_ns"`
	P999  uint64  `json:"p999_ns"`
	P9999 uint64  `json:"p9999_ns"`
	Max   uint64  `json:"max_ns"`
}

// Summarize returns h's Summary.
func (h *Histogram) Summarize() Summary {
	mean := h.Mean()
	if math.IsNaN(mean) {
		mean = 0
	}
	return Summary{
		Count: h.n, Mean: mean,
		P50: h.Quantile(0.50), P90: h.Quantile(0.90), P99: h.Quantile(0.99),
		P999: h.Quantile(0.999), P9999: h.Quantile(0.9999), Max: h.max,
	}
}
