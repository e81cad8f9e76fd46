package larder

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/larder-cache/larder/eviction"
)

type hashCase struct {
	name string
	hash func([]byte) uint64
}

var hashCases = []hashCase{{"xxh3", nil}, {"degenerate", degenerateHash}}

func newTestCache(t testing.TB, cfg Config, h func([]byte) uint64) *Cache {
	t.Helper()
	c, err := newWithHash(cfg, h)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// forceWindow pins c's window at fraction frac: it installs a climber
// that starts there and whose sample period (about 2^30 requests) no test
// completes, so it never moves.
func forceWindow(c *Cache, frac float64) {
	c.e.pol.climber = eviction.NewClimber(1<<30, frac)
	c.e.pol.window.Store(math.Float64bits(frac))
}

// runModel drives a random sequence of Set/Get/AppendGet/Has/Delete against
// c and a map. With exact, every lookup must match the model; otherwise a
// miss is allowed but a hit must carry the model's value.
func runModel(t *testing.T, c *Cache, rng *rand.Rand, keys, ops int, maxVal int, exact bool) {
	model := map[string][]byte{}
	keyOf := func(i int) []byte {
		if i == 0 {
			return []byte{} // the empty key is a key
		}
		return fmt.Appendf(nil, "key-%d-%s", i, bytes.Repeat([]byte{'x'}, i%13))
	}
	buf := make([]byte, 0, 64)
	for op := 0; op < ops; op++ {
		k := keyOf(rng.IntN(keys))
		switch r := rng.IntN(10); {
		case r < 4:
			v := make([]byte, rng.IntN(maxVal+1))
			for i := range v {
				v[i] = byte(rng.Uint32())
			}
			require.NoError(t, c.Set(k, v))
			model[string(k)] = v
		case r < 5:
			got := c.Delete(k)
			_, had := model[string(k)]
			if exact {
				require.Equal(t, had, got, "Delete(%q)", k)
			} else if got {
				require.True(t, had, "Delete(%q) of a key never set", k)
			}
			delete(model, string(k))
		case r < 6:
			got := c.Has(k)
			_, had := model[string(k)]
			if exact || got {
				require.Equal(t, had, got, "Has(%q)", k)
			}
		case r < 8:
			v, ok := c.Get(k)
			want, had := model[string(k)]
			if exact || ok {
				require.Equal(t, had, ok, "Get(%q) found", k)
			}
			if ok {
				require.Equal(t, want, v, "Get(%q)", k)
			}
		default:
			buf = append(buf[:0], "prefix"...)
			out, ok := c.AppendGet(buf, k)
			want, had := model[string(k)]
			if exact || ok {
				require.Equal(t, had, ok, "AppendGet(%q) found", k)
			}
			if ok {
				require.Equal(t, append([]byte("prefix"), want...), out)
			} else {
				require.Equal(t, "prefix", string(out))
			}
		}
	}
	if exact {
		require.Equal(t, len(model), c.Len())
		for k, want := range model {
			got, ok := c.Get([]byte(k))
			require.True(t, ok, "final Get(%q)", k)
			require.Equal(t, want, got)
		}
	}
}

func TestModelLargeBudget(t *testing.T) {
	for _, hc := range hashCases {
		t.Run(hc.name, func(t *testing.T) {
			keys := 2000
			if hc.hash != nil {
				keys = 200 // every key in one probe cluster; bounded by maxDist
			}
			c := newTestCache(t, Config{MaxBytes: 64 << 20}, hc.hash)
			runModel(t, c, rand.New(rand.NewPCG(1, 2)), keys, 100_000, 100, true)
		})
	}
}

func TestModelSmallBudget(t *testing.T) {
	for _, hc := range hashCases {
		t.Run(hc.name, func(t *testing.T) {
			for _, shards := range []int{0, 1, 4} {
				c := newTestCache(t, Config{MaxBytes: 64 << 10, Shards: shards}, hc.hash)
				runModel(t, c, rand.New(rand.NewPCG(3, uint64(shards))), 5000, 100_000, 600, false)
				st := c.Stats()
				require.LessOrEqual(t, st.AllocatedBytes, st.BudgetBytes)
				require.Positive(t, st.Evictions)
			}
		})
	}
}
