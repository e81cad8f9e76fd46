package eviction

import (
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// simulate feeds c with samples·SampleSize requests whose hit rate is
// rate(current window fraction), spreading hits evenly (error diffusion),
// and returns the window fractions seen after each period.
func simulate(c *Climber, periods int, rate func(f float64) float64) []float64 {
	var trace []float64
	acc := 0.0
	start := c.samplesDone()
	for c.samplesDone() < start+periods {
		acc += rate(c.WindowFrac())
		hit := acc >= 1
		if hit {
			acc--
		}
		before := c.samplesDone()
		c.Record(hit)
		if c.samplesDone() != before {
			trace = append(trace, c.WindowFrac())
		}
	}
	return trace
}

// simulateObserved is simulate fed through Observe, sample/64 requests at
// a time (hits spread the same way), for the large capacities at which the
// noise a move must beat (climbGrowZ standard errors of a period's hit
// rate) is small next to the synthetic curves' slopes: a period there is
// 600,000 requests, too many to Record one by one.
func simulateObserved(c *Climber, periods int, rate func(f float64) float64) []float64 {
	var trace []float64
	acc := 0.0
	batch := c.SamplePeriod() / 64
	start := c.samplesDone()
	for c.samplesDone() < start+periods {
		acc += rate(c.WindowFrac()) * float64(batch)
		hits := math.Floor(acc)
		acc -= hits
		before := c.samplesDone()
		c.Observe(uint64(hits), batch)
		if c.samplesDone() != before {
			trace = append(trace, c.WindowFrac())
		}
	}
	return trace
}

// bigClimber is the capacity of the climbers simulateObserved drives.
const bigClimber = 30_000

// samplesDone reads the completed-period count; tests call it from the
// only goroutine that records, so no adjustment runs concurrently.
func (c *Climber) samplesDone() int { return c.samples }

// peakAt is a synthetic hit-rate curve with its maximum at p: a tent,
// losing 0.6 points of hit rate per point of window away from p (so the
// climber sees a clear gradient even with small steps).
func peakAt(p float64) func(float64) float64 {
	return func(f float64) float64 { return 0.8 - 0.6*math.Abs(f-p) }
}

func inRange(t *testing.T, trace []float64) {
	t.Helper()
	for i, f := range trace {
		require.GreaterOrEqual(t, f, MinWindowFrac, "period %d", i)
		require.LessOrEqual(t, f, MaxWindowFrac, "period %d", i)
	}
}

func TestClimberFindsPeak(t *testing.T) {
	for _, tc := range []struct {
		peak, start float64
	}{{0.2, 0.01}, {0.2, 0.7}, {0.6, 0.01}, {0.05, 0.5}} {
		c := NewClimber(bigClimber, tc.start)
		trace := simulateObserved(c, 200, peakAt(tc.peak))
		inRange(t, trace)
		final := c.WindowFrac()
		t.Logf("peak %.2f from %.2f: final %.3f, step %.4f", tc.peak, tc.start, final, c.step)
		assert.InDelta(t, tc.peak, final, 0.03, "peak %.2f from %.2f", tc.peak, tc.start)
		// It stays there: the last 50 periods are all near the peak.
		for _, f := range trace[len(trace)-50:] {
			assert.InDelta(t, tc.peak, f, 0.05)
		}
	}
}

func TestClimberClamps(t *testing.T) {
	// Hit rate always better with a larger window: climbs to the maximum
	// and stays there.
	c := NewClimber(bigClimber, 0.01)
	trace := simulateObserved(c, 100, func(f float64) float64 { return 0.2 + 0.5*f })
	inRange(t, trace)
	// At the bound the hit rate no longer changes; the aliasing of period
	// boundaries is far below the noise a fall must exceed to turn the
	// climber back from a bound.
	assert.Equal(t, MaxWindowFrac, c.WindowFrac())

	// Always better with a smaller one.
	c = NewClimber(500, 0.6)
	trace = simulate(c, 100, func(f float64) float64 { return 0.9 - 0.5*f })
	inRange(t, trace)
	assert.Equal(t, MinWindowFrac, c.WindowFrac())

	// Initial values are clamped.
	assert.Equal(t, MinWindowFrac, NewClimber(10, -1).WindowFrac())
	assert.Equal(t, MinWindowFrac, NewClimber(10, math.NaN()).WindowFrac())
	assert.Equal(t, MaxWindowFrac, NewClimber(10, 3).WindowFrac())
	assert.Equal(t, 0.3, NewClimber(10, 0.3).WindowFrac())
}

func TestClimberRestartsOnWorkloadChange(t *testing.T) {
	c := NewClimber(bigClimber, 0.01)
	simulateObserved(c, 200, peakAt(0.2))
	require.InDelta(t, 0.2, c.WindowFrac(), 0.03)
	settled := math.Abs(c.step)
	require.Less(t, settled, climbStep/2, "step decayed")

	// The workload shifts: the same window now loses over 5 points of hit
	// rate, so the climber restarts with a full step and finds the new peak.
	restarts := c.restarts
	trace := simulateObserved(c, 200, peakAt(0.6))
	inRange(t, trace)
	assert.Greater(t, c.restarts, restarts)
	assert.InDelta(t, 0.6, c.WindowFrac(), 0.03)
}

func TestClimberSamplePeriod(t *testing.T) {
	c := NewClimber(100, 0.1)
	// 20·capacity requests per period, give or take what is pending in
	// stripes (≤ 1/16 of a period).
	n := 0
	for c.samplesDone() == 0 {
		c.Record(true)
		n++
	}
	want := 100 * climbSampleFactor
	assert.Equal(t, uint64(want), c.SamplePeriod())
	assert.GreaterOrEqual(t, n, want)
	assert.LessOrEqual(t, n, want+want/sampleLagDivisor+climbStripes)
}

func TestClimberConcurrentRecord(t *testing.T) {
	c := NewClimber(200, 0.01)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 20000 {
				c.Record((i+w)%3 != 0)
				if f := c.WindowFrac(); f < MinWindowFrac || f > MaxWindowFrac {
					t.Errorf("window fraction %v out of range", f)
					return
				}
			}
		})
	}
	wg.Wait()
	// 160000 requests, 2000 per period: at most 80 periods. A period runs
	// long when the adjusting goroutine is descheduled while others keep
	// recording, so there can be fewer, but no request is lost: every one
	// is in a completed period, the running total, or a stripe.
	assert.LessOrEqual(t, c.samples, 80)
	assert.Greater(t, c.samples, 10)
	n := c.consumed + uint64(uint32(c.total.n.Load()))
	for i := range c.stripes {
		n += uint64(uint32(c.stripes[i].n.Load()))
	}
	assert.Equal(t, uint64(8*20000), n)
}

func TestClimberStaysAtBoundThroughNoise(t *testing.T) {
	// A loop slightly larger than the cache: the smallest window is best by
	// 6 points and every larger one is equally bad. Once the climber has
	// found the bound, rates that differ only by the aliasing of period
	// boundaries (a request or two) must not send it back inwards.
	c := NewClimber(1000, MinWindowFrac)
	loop := func(f float64) float64 {
		if f <= MinWindowFrac {
			return 0.979
		}
		return 0.917
	}
	trace := simulate(c, 100, loop)
	inRange(t, trace)
	away := 0
	for _, f := range trace[10:] {
		if f > MinWindowFrac {
			away++
		}
	}
	assert.Zero(t, away, "periods away from the bound after settling")
}

func TestClimberNeedsProofToGrow(t *testing.T) {
	// A workload whose hit rate does not depend on the window (15%, drawn
	// at random per request, so periods differ by sampling noise alone):
	// every move's effect is noise. Growth is kept only on a rise beyond
	// climbGrowZ standard errors, so the window may not drift away from
	// the small end. (Without that rule this run walks to MaxWindowFrac
	// and stays there, its mean window 77%: at a bound only a significant
	// fall turns the climber back, and a flat rate never falls.)
	rng := rand.New(rand.NewPCG(1, 2))
	c := NewClimber(1000, 0.01)
	var trace []float64
	for c.samplesDone() < 150 {
		hits := uint64(0)
		for range 1000 {
			if rng.Float64() < 0.15 {
				hits++
			}
		}
		before := c.samplesDone()
		c.Observe(hits, 1000)
		if c.samplesDone() != before {
			trace = append(trace, c.WindowFrac())
		}
	}
	inRange(t, trace)
	mean := 0.0
	for _, f := range trace {
		mean += f / float64(len(trace))
	}
	t.Logf("mean window %.3f, max %.3f", mean, slices.Max(trace))
	assert.Less(t, mean, 0.03, "mean window over 150 periods")
	assert.Less(t, slices.Max(trace), 0.08, "largest window")
}
