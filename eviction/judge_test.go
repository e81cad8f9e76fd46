package eviction

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sampledKeys returns n distinct hashes the judge samples.
func sampledKeys(j *Judge, r *rand.Rand, n int) []uint64 {
	var out []uint64
	for len(out) < n {
		if h := r.Uint64(); j.Sampled(h) {
			out = append(out, h)
		}
	}
	return out
}

func TestJudgeSampling(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		capacity int
		rate     float64
	}{{100, 1}, {1024, 1}, {4096, 0.25}, {1 << 20, 1.0 / 1024}} {
		j := NewJudge(tc.capacity)
		assert.Equal(t, JudgeSizeFor(tc.capacity), j.Bytes())
		assert.LessOrEqual(t, len(j.ghosts), judgeGhosts)
		n, hit := 1<<20, 0
		for range n {
			if j.Sampled(r.Uint64()) {
				hit++
			}
		}
		assert.InDelta(t, tc.rate, float64(hit)/float64(n), tc.rate*0.1+1e-3, "capacity %d", tc.capacity)
	}
	assert.Equal(t, judgeMinGhosts, len(NewJudge(1).ghosts), "a tiny cache still gets a table")
}

func TestJudgeReturnsBeforeDeadline(t *testing.T) {
	j := NewJudge(1000)
	r := rand.New(rand.NewPCG(3, 4))
	keys := sampledKeys(j, r, 3)
	j.Lost(keys[0], Rejected, 100)
	j.Lost(keys[1], Admitted, 100)
	j.Lost(keys[2], Rejected, 100)
	j.Inserted(keys[0], 99)  // before the deadline: returned
	j.Inserted(keys[0], 99)  // counted once
	j.Inserted(keys[1], 100) // at the deadline: returned
	j.Inserted(keys[2], 101) // too late
	assert.Equal(t, uint64(2), j.lost[Rejected].Load())
	assert.Equal(t, uint64(1), j.returned[Rejected].Load())
	assert.Equal(t, uint64(1), j.lost[Admitted].Load())
	assert.Equal(t, uint64(1), j.returned[Admitted].Load())

	// Deadlines compare across the 32-bit wrap of positions.
	k := sampledKeys(j, r, 1)[0]
	j.Lost(k, Rejected, 1<<32+5)
	j.Inserted(k, 1<<32-5)
	assert.Equal(t, uint64(2), j.returned[Rejected].Load())

	// Keys a large cache's judge does not sample leave no ghost.
	big := NewJudge(1 << 20)
	var cold uint64
	for cold = 1; big.Sampled(cold); cold++ {
	}
	big.Lost(cold, Rejected, 1)
	assert.Zero(t, big.lost[Rejected].Load())
}

// feed records n sampled duels of kind whose losers come back with
// probability loserBack and whose winners are used with probability
// winnerUsed, then asks for a verdict.
func feed(j *Judge, r *rand.Rand, kind Duel, n int, loserBack, winnerUsed float64) {
	for _, k := range sampledKeys(j, r, n) {
		j.Lost(k, kind, 1000)
		if r.Float64() < loserBack {
			j.Inserted(k, 10)
		}
		j.Won(kind, r.Float64() < winnerUsed)
	}
	j.Verdict()
}

func TestJudgeVerdict(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	j := NewJudge(1 << 20)

	// Too few duels: no verdict, and the counts carry over.
	feed(j, r, Rejected, judgeMinEvents-1, 1, 0)
	assert.Zero(t, j.Bias())

	// Rejected candidates come back, kept victims are not used: the bias
	// rises (the carried-over duels count too), up to its cap.
	feed(j, r, Rejected, 200, 0.8, 0.1)
	b1 := j.Bias()
	assert.Greater(t, b1, 1.0)
	for range 20 {
		feed(j, r, Rejected, 200, 1, 0)
	}
	assert.InDelta(t, float64(MaxAdmitBias), j.Bias(), 0.5, "near the cap")
	assert.LessOrEqual(t, j.Bias(), float64(MaxAdmitBias))

	// Admitted candidates go unused while evicted victims come back: the
	// bias falls to zero and no further.
	for range 20 {
		feed(j, r, Admitted, 200, 0.9, 0)
	}
	assert.Zero(t, j.Bias())

	// Raise it again, then feed duels whose two sides agree: the decay
	// brings it back towards plain TinyLFU.
	for range 3 {
		feed(j, r, Rejected, 200, 1, 0)
	}
	high := j.Bias()
	require.Greater(t, high, 4.0)
	for range 30 {
		feed(j, r, Rejected, 200, 0.3, 0.3)
	}
	assert.Less(t, j.Bias(), high/10)
}

func TestTinyLFUAdmitBias(t *testing.T) {
	f := NewTinyLFU(1000)
	f.random = func() uint64 { return 1 } // no random admissions
	const cand, victim = 11, 22
	for range 8 {
		f.Record(victim)
	}
	f.Record(cand)
	f.Record(cand)
	c, v := f.Estimate(cand), f.Estimate(victim)
	require.Greater(t, v, c)
	assert.False(t, f.Admit(cand, victim, 0))
	assert.False(t, f.Admit(cand, victim, float64(v-c)), "a tie with an established victim")
	assert.True(t, f.Admit(cand, victim, float64(v-c)+1.5), "a clear lead with the bias")
	assert.True(t, f.Admit(cand, victim, MaxAdmitBias), "the largest bias admits every candidate")
}
