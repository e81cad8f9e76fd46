package eviction

import (
	"math"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// blockedBloomFPR is the false-positive rate of a Bloom filter with all k
// bits of a key in one 64-bit word, bitsPerKey bits per inserted key: the
// number of keys in a word is Poisson, and a word with j keys has each bit
// set with probability 1-(63/64)^(kj).
func blockedBloomFPR(bitsPerKey float64, k int) float64 {
	lambda := 64 / bitsPerKey
	p := math.Exp(-lambda)
	sum := 0.0
	for j := range 400 {
		if j > 0 {
			p *= lambda / float64(j)
		}
		sum += p * math.Pow(1-math.Pow(63.0/64, float64(k*j)), float64(k))
	}
	return sum
}

func TestDoorkeeperSizeFor(t *testing.T) {
	for _, c := range []int{-1, 0, 1, 8, 9, 1000, 1 << 20} {
		d := NewDoorkeeper(c)
		assert.Equal(t, DoorkeeperSizeFor(c), d.Bytes(), "capacity %d", c)
		assert.Equal(t, (max(c, 1)+7)/8, len(d.bits), "one byte per key")
	}
}

func TestDoorkeeperAddHas(t *testing.T) {
	d := NewDoorkeeper(1000)
	keys := testHashes(20, 500)
	for _, h := range keys[:250] {
		assert.False(t, d.Has(h))
	}
	fresh := 0
	for _, h := range keys[:250] {
		if !d.Add(h) {
			fresh++
		}
	}
	assert.Greater(t, fresh, 240, "first adds mostly report absent")
	for _, h := range keys[:250] {
		assert.True(t, d.Has(h))
		assert.True(t, d.Add(h))
	}
	d.Clear()
	for _, h := range keys[:250] {
		assert.False(t, d.Has(h))
	}
	for _, w := range d.bits {
		assert.Zero(t, w)
	}
}

func TestDoorkeeperNoWriteWhenPresent(t *testing.T) {
	d := NewDoorkeeper(100)
	keys := testHashes(21, 100)
	for _, h := range keys {
		d.Add(h)
	}
	before := slices.Clone(d.bits)
	for _, h := range keys {
		require.True(t, d.Add(h))
	}
	assert.Equal(t, before, d.bits)
}

func TestDoorkeeperFalsePositiveRate(t *testing.T) {
	const n = 1 << 15
	design := blockedBloomFPR(doorkeeperBitsPerKey, 4)
	assert.InDelta(t, DoorkeeperFPR, design, 0.0005, "documented rate matches the formula")

	probes := testHashes(23, 200_000)
	for _, load := range []float64{0.5, 1, 2} {
		d := NewDoorkeeper(n)
		keys := testHashes(22, int(load*n))
		for _, h := range keys {
			d.Add(h)
		}
		for _, h := range keys {
			require.True(t, d.Has(h), "false negative")
		}
		fp := 0
		for _, h := range probes {
			if d.Has(h) {
				fp++
			}
		}
		got := float64(fp) / float64(len(probes))
		want := blockedBloomFPR(doorkeeperBitsPerKey/load, 4)
		t.Logf("load %.1f: FPR %.4f, design %.4f", load, got, want)
		assert.InEpsilon(t, want, got, 0.15, "load %.1f", load)
	}
}

func TestDoorkeeperConcurrent(t *testing.T) {
	d := NewDoorkeeper(8 * 1024)
	keys := testHashes(24, 8*1024)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			// Every worker adds every key, starting at a different point,
			// so the same words are set concurrently.
			for i := range keys {
				h := keys[(i+w*1024)%len(keys)]
				d.Add(h)
				if !d.Has(h) {
					t.Errorf("key %d missing right after Add", i)
					return
				}
			}
		})
	}
	wg.Wait()
	for _, h := range keys {
		require.True(t, d.Add(h))
	}

	// Clears racing with adds: lossy by design, but race-free.
	for w := range 4 {
		wg.Go(func() {
			for i, h := range keys {
				d.Add(h)
				if w == 0 && i%512 == 0 {
					d.Clear()
				}
			}
		})
	}
	wg.Wait()
}
