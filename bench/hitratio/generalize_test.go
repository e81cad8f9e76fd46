package hitratio

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestGeneralizationWorkloads checks each generated stream's length, that
// it is the same stream every time (seeded), that a limit cuts a prefix of
// it, and its distinct-key count, which pins the generator: a change to
// any of them changes the workload and must be deliberate.
func TestGeneralizationWorkloads(t *testing.T) {
	want := map[string]struct{ requests, distinct int }{
		"zipf-0.6":   {1_000_000, 99_519},
		"zipf-0.7":   {1_000_000, 182_029},
		"zipf-0.8":   {1_000_000, 293_557},
		"zipf-1.2":   {1_000_000, 57_797},
		"zipf-shift": {2_000_000, 305_355},
		"recency":    {1_000_000, 151_431},
		"zipf-loop":  {1_000_000, 22_990},
	}
	require.Len(t, generalization, len(want))
	for _, spec := range generalization {
		t.Run(spec.name, func(t *testing.T) {
			w, ok := want[spec.name]
			require.True(t, ok, "no expectation for %s", spec.name)
			tr, err := LoadTrace("", spec.name, 0)
			require.NoError(t, err)
			assert.Len(t, tr.Keys, w.requests)
			assert.Equal(t, w.distinct, tr.Distinct())
			again, err := LoadTrace("", spec.name, 1000)
			require.NoError(t, err)
			assert.Equal(t, tr.Keys[:1000], again.Keys)
		})
	}
}

// TestSelectTracesExtra: the generalization workloads run only when asked
// for, by name or with extra.
func TestSelectTracesExtra(t *testing.T) {
	names := func(specs []traceSpec) (out []string) {
		for _, s := range specs {
			out = append(out, s.name)
		}
		return out
	}
	def, err := selectTraces(nil, false)
	require.NoError(t, err)
	assert.NotContains(t, names(def), "recency")
	assert.Contains(t, names(def), "zipf")
	all, err := selectTraces(nil, true)
	require.NoError(t, err)
	assert.Len(t, all, len(def)+len(generalization))
	one, err := selectTraces([]string{"Recency", "OLTP"}, false)
	require.NoError(t, err)
	assert.Equal(t, []string{"OLTP", "recency"}, names(one))
	plus, err := selectTraces([]string{"OLTP"}, true)
	require.NoError(t, err)
	assert.Len(t, plus, 1+len(generalization))
}
