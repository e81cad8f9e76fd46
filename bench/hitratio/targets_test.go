package hitratio

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestWriteTargets checks each verdict of the targets section on cells
// built to hit it: an exempt and an unmet cell below LRU, a tie with a
// byte cache at a ceiling, a loss to ristretto, a cell far below otter, a
// cell below LRU in a trace without Belady, a peer n/a everywhere and the
// means.
func TestWriteTargets(t *testing.T) {
	var rs []Result
	add := func(trace string, size int, hit map[string]float64) {
		for c, h := range hit {
			rs = append(rs, Result{Trace: trace, Size: size, Cache: c, HitRatio: h})
		}
	}
	// LRU at 0.98 of Belady, larder below it: exempt.
	add("a", 100, map[string]float64{CacheBelady: 0.50, CacheExactLRU: 0.49, CacheLarder: 0.48, CacheOtter: 0.47, CacheTheine: 0.47, CacheRistretto: 0.40})
	// LRU at 0.90 of Belady, larder below it: not met; larder also below
	// ristretto and 4 points below otter.
	add("a", 200, map[string]float64{CacheBelady: 0.60, CacheExactLRU: 0.54, CacheLarder: 0.50, CacheOtter: 0.54, CacheTheine: 0.55, CacheRistretto: 0.51})
	// Everyone at the ceiling: ties, not losses; freecache n/a at the
	// other sizes is left out of its count.
	// larder 0.333275 prints as 33.33, as LRU's 0.333333 does.
	add("b", 100, map[string]float64{CacheBelady: 0.333333, CacheExactLRU: 0.333333, CacheLarder: 0.333275, CacheOtter: 0.3333, CacheTheine: 0.3333, CacheFreecache: 0.333333})
	// A run without Belady cannot exempt a cell.
	add("c", 100, map[string]float64{CacheExactLRU: 0.41, CacheLarder: 0.40, CacheOtter: 0.40, CacheTheine: 0.40})
	rs = append(rs, Result{Trace: "a", Size: 100, Cache: CacheFreecache, NA: "too small"},
		Result{Trace: "a", Size: 100, Cache: CacheFastcache, NA: "too small"})

	var buf bytes.Buffer
	WriteTargets(&buf, rs)
	out := buf.String()
	assert.Contains(t, out, "## Targets of issue 3 (larder, 4 cells)")
	// larder (0.48+0.50+0.333275+0.40)/4 = 42.83; otter 43.58, theine 43.83.
	assert.Contains(t, out, "mean ≥ otter's over the 4 cells both ran: larder 42.83, otter 43.58: NOT MET")
	assert.Contains(t, out, "mean ≥ theine's over the 4 cells both ran: larder 42.83, theine 43.83: NOT MET")
	assert.Contains(t, out, "cells more than 3 points below otter: a@200 (50.00 against 54.00)")
	assert.Contains(t, out, "cells below ristretto (of 2 measurable): a@200 (50.00 against 51.00)")
	assert.Contains(t, out, "cells below freecache (of 1 measurable): none")
	assert.Contains(t, out, "cells below fastcache: none measurable (n/a at every size of this run)")
	assert.NotContains(t, out, "cells below bigcache", "a peer absent from the run gets no line")
	assert.Contains(t, out, "cells below exact LRU (of 4 measurable): 3; exempt where LRU ≥ 0.95 × Belady")
	assert.Regexp(t, `a +100 +48\.00 +49\.00 +50\.00 +0\.980 +exempt`, out)
	assert.Regexp(t, `a +200 +50\.00 +54\.00 +60\.00 +0\.900 +NOT MET`, out)
	assert.Regexp(t, `c +100 +40\.00 +41\.00 +- +- +NOT MET \(no Belady in this run\)`, out)
	assert.Contains(t, out, "cells below exact LRU and not exempt: 2")

	// Without larder in the run, no section.
	var others []Result
	for _, r := range rs {
		if r.Cache != CacheLarder {
			others = append(others, r)
		}
	}
	var none bytes.Buffer
	WriteTargets(&none, others)
	assert.Empty(t, none.String())
}
