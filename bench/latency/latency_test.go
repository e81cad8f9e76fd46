package latency

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestMeasureSmall(t *testing.T) {
	for _, name := range []string{"larder", "otter", "map-rwmutex"} {
		res, err := Measure(t.Context(), Config{
			Cache: name, N: 1 << 10, KeySize: 16, ValueSize: 64,
			Duration: 50 * time.Millisecond, WriteRate: 20_000,
		})
		require.NoError(t, err, name)
		t.Log(res)
		require.Equal(t, 1<<10, res.Fill.Held)
		require.Positive(t, res.Get.Count)
		require.Positive(t, res.Set.Count)
		require.LessOrEqual(t, res.Get.P50, res.Get.P99)
		require.LessOrEqual(t, res.Get.P99, res.Get.Max)
		require.InDelta(t, 1.0, res.HitRatio, 0.001)
	}
}

func TestClockOverhead(t *testing.T) {
	s := ClockOverhead(1000)
	require.Equal(t, uint64(1000), s.Count)
	require.Less(t, s.P50, uint64(time.Millisecond))
}
