package eviction

import (
	"math"
	"math/rand/v2"
	"sync/atomic"
)

// Window fraction bounds and hill-climbing parameters.
const (
	// MinWindowFrac and MaxWindowFrac bound the window fraction the
	// Climber proposes. The lower bound is no window at all, as in
	// Caffeine, whose window shrinks to a single entry (otter v2.4.0's
	// decreaseWindow, a port, likewise; larder's window quota keeps one
	// record's worth). Where every key is as frequent as every other (a
	// loop a little larger than the cache), each key passing through the
	// window misses every lap: a floor of 1% cost a 1,000-entry cache 10 of
	// its 1,000 hits per lap.
	MinWindowFrac = 0.0
	MaxWindowFrac = 0.80

	// climbStep is the initial (and restart) step, as a fraction of the
	// capacity: Caffeine's. Steps of 12.5% and 25% lowered the replay
	// mean by 0.13 and 0.35 (P3@25000 -1.5, multi2 and OLTP -1 to -2).
	climbStep = 0.0625
	// climbDecay multiplies the step after each sample without a restart.
	climbDecay = 0.98
	// climbRestart is the change in hit rate between two samples that is
	// taken to mean the workload changed: the step is reset to climbStep.
	climbRestart = 0.05

	// climbNoiseZ is how many standard errors of sampling noise a fall in
	// the hit rate must exceed to turn the climber back from a bound (see
	// climb).
	climbNoiseZ = 2.0
	// climbGrowZ is how many standard errors a rise in the hit rate must
	// exceed for a move that grew the window to be kept (see climb).
	// Measured against keeping every growth that did not lower the rate
	// (larder-only replays, interleaved): 1 standard error raised the
	// replay mean by 0.005, 2 by 0.05 (5 rounds), 3 by 0.09 and 6 by 0.07
	// (3 rounds each), and reverting every growth lowered it by 0.03
	// (OLTP@1250-1750 and scarab@1000 want a larger window and lost 1-2
	// points). On the
	// generalization workloads (bench/README.md, -extra), which no
	// constant here was tuned on, 3 standard errors raised the mean by
	// 0.12 (three rounds each way; 18 of 21 cells up, none down by more
	// than 0.03); all four settings gained 0.09-0.20 on a draft of them.
	climbGrowZ = 3.0

	// climbSampleFactor is the sample period in requests, as a multiple of
	// the capacity: twice the sketch's aging period. Why not Caffeine's
	// 10·capacity: a workload's own swings between periods (phases, bursts)
	// read to a hill climber as the effect of its last move, and a short
	// period lets it wander after them. On P3 at 25,000 entries, whose hit
	// rate swings by 2-3 points or more from one 10·capacity period to the
	// next, the window wandered between 7% and 26% and the cell got 12.3%,
	// where a window pinned at 1% gets 13.5% (otter: 15.0%). At
	// 20·capacity it got 12.9% (four larder-only rounds), P3@200k +0.6 and
	// web07@300 +1.7, at a cost of up to 1.9 points on a few small cells,
	// whose window now moves half as often (zipf-scan@500 -1.9,
	// glimpse@500 -1.5, OLTP@2000 -1.2), and of 0.03 on the replay mean.
	// The trade is for the weakest cell against otter: issue 3 allows 3
	// points, and P3@25000 was at 2.7-2.95. Adapting quickly is the
	// Judge's job: it reacts within a lap.
	climbSampleFactor = 2 * sampleFactor

	// climbMaxSample bounds the sample period so that request counts fit
	// the 32-bit halves of the packed counters.
	climbMaxSample = 1 << 30

	// climbStripes is the number of padded request-count stripes (1 KiB).
	climbStripes = 16
)

// Climber adapts the fraction of the cache given to the admission window
// by hill climbing on the hit rate. Each sample period of 20·capacity
// requests (climbSampleFactor) it compares the hit rate with the previous
// period's: if the rate did not fall it keeps moving the window in the
// same direction, otherwise it reverses (after a period pressed against a
// bound, only a fall beyond sampling noise reverses it; after a move that
// grew the window, only a rise beyond sampling noise keeps it). The step
// decays by 2% per period so the window settles near an optimum, and
// jumps back to 6.25% when the hit rate changes by 5 points or more (the
// workload changed, so search again).
//
// Record is safe for concurrent use by any number of goroutines and costs
// one atomic add on one of 16 padded stripes (picked at random), plus, once
// per batch, a swap and an add on a shared total. The Record call that
// completes a sample performs the adjustment itself; a compare-and-swap
// guard makes sure only one does. WindowFrac may be read at any time.
type Climber struct {
	stripes [climbStripes]paddedCounter // hits<<32 | requests, pending
	total   paddedCounter               // hits<<32 | requests, this sample
	frac    atomic.Uint64               // float64 bits of the window fraction

	sample uint64 // requests per sample period
	batch  uint64 // requests a stripe gathers before flushing to total

	adjusting atomic.Bool
	// State owned by the goroutine holding adjusting.
	step     float64 // signed: the direction and size of the next move
	prevRate float64
	moved    bool // the last move changed the window (it was not pressed against a bound)
	havePrev bool
	samples  int    // completed sample periods
	restarts int    // step restarts after a sharp change
	consumed uint64 // requests in completed periods
}

// NewClimber returns a climber for a cache of capacity entries whose
// window starts at initialWindowFrac (clamped to [MinWindowFrac,
// MaxWindowFrac]; NaN means MinWindowFrac). The first move grows the
// window if it starts in the lower half of the range, else shrinks it.
func NewClimber(capacity int, initialWindowFrac float64) *Climber {
	sample := uint64(min(max(capacity, 1), climbMaxSample/climbSampleFactor)) * climbSampleFactor
	c := &Climber{
		sample: sample,
		batch:  max(1, sample/(climbStripes*sampleLagDivisor)),
		step:   climbStep,
	}
	f := clampFrac(initialWindowFrac)
	if f > (MinWindowFrac+MaxWindowFrac)/2 {
		c.step = -climbStep
	}
	c.frac.Store(math.Float64bits(f))
	return c
}

func clampFrac(f float64) float64 {
	if math.IsNaN(f) {
		return MinWindowFrac
	}
	return min(max(f, MinWindowFrac), MaxWindowFrac)
}

// Bytes returns the memory the climber holds (a fixed ~1.2 KiB, mostly
// its padded stripes).
func (c *Climber) Bytes() int {
	return sizeOf[Climber]()
}

// SamplePeriod returns the requests in one sample period.
func (c *Climber) SamplePeriod() uint64 { return c.sample }

// WindowFrac returns the current target fraction of the capacity for the
// admission window, in [MinWindowFrac, MaxWindowFrac].
func (c *Climber) WindowFrac() float64 {
	return math.Float64frombits(c.frac.Load())
}

// Record counts one request and whether it hit.
//
// A stripe packs hits in its high and requests in its low 32 bits, so one
// add counts both. The add that brings a stripe's requests to exactly
// batch (there is exactly one) swaps the stripe to zero and adds what it
// took to the total, so no request is lost; requests pending in stripes
// when a sample ends (at most 1/16 of a sample) count towards the next.
func (c *Climber) Record(hit bool) {
	v := uint64(1)
	if hit {
		v |= 1 << 32
	}
	st := &c.stripes[rand.Uint32()%climbStripes]
	if uint32(st.n.Add(v)) != uint32(c.batch) {
		return
	}
	if uint32(c.total.n.Add(st.n.Swap(0))) >= uint32(c.sample) {
		c.adjust()
	}
}

// adjust ends a sample period if one is complete and no other goroutine
// is ending it.
func (c *Climber) adjust() {
	if !c.adjusting.CompareAndSwap(false, true) {
		return
	}
	defer c.adjusting.Store(false)
	if uint32(c.total.n.Load()) < uint32(c.sample) {
		return // another goroutine just ended this period
	}
	// Only the holder of adjusting swaps total, so it still holds at least
	// a whole sample; requests arriving from now on start the next one.
	// A period can run long when the previous adjuster was descheduled
	// while others kept counting; its hit rate is still a valid sample.
	t := c.total.n.Swap(0)
	c.consumed += uint64(uint32(t))
	c.climb(float64(t>>32), float64(uint32(t)))
}

// climb moves the window given the hits among the requests of the period
// just ended.
//
// A fall in the hit rate turns the climber back, as in Caffeine, except
// after a period in which the window did not move (it was pressed against
// a bound): then the fall cannot be the last move's doing, and only one
// beyond the sampling noise (climbNoiseZ standard errors of the difference
// of two periods' rates) is taken as a sign that the workload changed.
// Without that, a window at its bound on a workload whose best window is
// the bound — a loop slightly larger than the cache, where every window
// but the smallest loses hits — was sent a full step inwards whenever two
// periods differed by a request or two, and the next period paid for it:
// on a loop of 1,011 keys in a 1,000-entry cache, one period in ten or
// twenty ran at a window of 7%, 6 points down.
//
// A move that grew the window must also prove itself: it is undone unless
// the hit rate rose by more than climbGrowZ standard errors. Shrinking
// needs no proof. Why the asymmetry: a larger window takes room from main,
// where the keys TinyLFU judged frequent live, and where the window's size
// barely matters the climber otherwise walks at random on the periods'
// noise, and its walks away from a small window are the costly ones. On
// Zipf s=0.7 over 200,000 keys at 1,000 entries, whose best window is the
// smallest, it wandered between 7% and 25% and got 15.3% where otter got
// 16.1 (a window pinned at 1%: 15.5). Workloads that want a large window,
// the recency-skewed ones, gain points per step, far above the noise.
func (c *Climber) climb(hits, requests float64) {
	rate := hits / requests
	c.samples++
	if !c.havePrev {
		c.havePrev = true
		c.prevRate = rate
		c.move(c.step)
		return
	}
	delta := rate - c.prevRate
	c.prevRate = rate
	amount := c.step
	fell := delta < 0
	switch {
	case !c.moved:
		fell = delta < -climbNoise(climbNoiseZ, rate, requests)
	case c.step > 0:
		fell = delta < climbNoise(climbGrowZ, rate, requests)
	}
	if fell {
		amount = -amount // the last move made things worse: go back
	}
	c.move(amount)
	if math.Abs(delta) >= climbRestart {
		c.restarts++
		c.step = math.Copysign(climbStep, amount)
	} else {
		c.step = amount * climbDecay
	}
}

// climbNoise is z standard errors of the difference between the hit rates
// of two periods of n requests each, taking the rate to be p in both:
// z·sqrt(2p(1-p)/n).
func climbNoise(z, p, n float64) float64 {
	return z * math.Sqrt(2*p*(1-p)/n)
}

func (c *Climber) move(amount float64) {
	old := c.WindowFrac()
	f := clampFrac(old + amount)
	c.moved = f != old
	c.frac.Store(math.Float64bits(f))
}
