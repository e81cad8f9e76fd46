package compare

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/larder-cache/larder/bench/memory"
)

// TestMain lets the test binary serve as its own memory-probe child, as the
// compare command does.
func TestMain(m *testing.M) {
	memory.MaybeChild()
	os.Exit(m.Run())
}

// TestRunTiny runs every section of the suite on a tiny configuration and
// checks that tables, results.json and every chart come out well-formed.
func TestRunTiny(t *testing.T) {
	cfg := QuickConfig()
	cfg.Caches = []string{"larder", "otter", "freecache"}
	cfg.Traces = []string{"zipf"}          // synthetic: no trace files needed
	cfg.HitRatioCaches = []string{"otter"} // hitratio tests larder itself; keep this test about the pipeline
	cfg.N = 1 << 10
	cfg.ReadPcts = []int{90, 0}
	cfg.Cell, cfg.Warmup = 10*time.Millisecond, 2*time.Millisecond
	cfg.MemSpecs = []MemSpec{{N: 2000, KeySize: 16, ValueSize: 64}}
	cfg.MemChurn, cfg.MemMaxChurn, cfg.GCRuns = 20*time.Millisecond, 40*time.Millisecond, 1
	cfg.Latency, cfg.LatencyN, cfg.LatencyDuration, cfg.LatencyRate = true, 1<<10, 30*time.Millisecond, 10_000

	var lines []string
	rep, err := Run(t.Context(), cfg, func(s string) { lines = append(lines, s) })
	require.NoError(t, err)
	require.Empty(t, rep.Errors)
	require.NotEmpty(t, lines)
	require.NotEmpty(t, rep.HitRatio)
	require.Len(t, rep.Throughput, 3*2)
	require.Len(t, rep.Memory, 3)
	for _, m := range rep.Memory {
		require.Empty(t, m.Error)
		require.Equal(t, 2000, m.Fill.Held, m.Config.Cache)
	}
	require.Len(t, rep.Latency, 3)

	var out bytes.Buffer
	rep.WriteTables(&out)
	text := out.String()
	for _, want := range []string{"machine:", "GOMAXPROCS=", "# Throughput", "# Memory and GC", "# Latency", "larder", "otter", "freecache"} {
		require.Contains(t, text, want)
	}

	dir := t.TempDir()
	files, err := rep.WriteFiles(dir)
	require.NoError(t, err)
	var svgs int
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		switch filepath.Ext(f) {
		case ".json":
			var back Report
			require.NoError(t, json.Unmarshal(data, &back))
			require.Equal(t, rep.Machine.GOMAXPROCS, back.Machine.GOMAXPROCS)
		case ".svg":
			svgs++
			requireWellFormed(t, data)
		}
	}
	// hit ratio (1 trace) + throughput (1 shape) + memory + latency.
	require.Equal(t, 4, svgs, "%v", files)
}

func requireWellFormed(t *testing.T, data []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(data))
	for {
		_, err := d.Token()
		if err == io.EOF {
			return
		}
		require.NoError(t, err)
	}
}

func TestChartsHandleGapsAndLogScale(t *testing.T) {
	var b bytes.Buffer
	nan := math.NaN()
	require.NoError(t, LineChart(&b, "t <&>", "x", "y", []string{"1", "2", "3"},
		[]Series{{Name: "a", Values: []float64{50, nan, 60}}, {Name: "b", Values: []float64{nan, nan, nan}}},
		func(v float64) string { return "v" }))
	requireWellFormed(t, b.Bytes())
	require.Contains(t, b.String(), "t &lt;&amp;&gt;")
	b.Reset()
	require.NoError(t, BarChart(&b, "bars", "x", "y", []string{"p50", "max"},
		[]Series{{Name: "a", Values: []float64{80, 2e6}}, {Name: "b", Values: []float64{nan, 1e3}}}, true,
		func(v float64) string { return "v" }))
	requireWellFormed(t, b.Bytes())
	require.Equal(t, 3, strings.Count(b.String(), "<rect")-1-2, "three bars besides background and two legend swatches")
}

func TestNiceStepAndCount(t *testing.T) {
	require.Equal(t, 20.0, niceStep(100, 5))
	require.Equal(t, 0.5, niceStep(2.2, 5))
	require.Equal(t, "2^20", count(1<<20))
	require.Equal(t, "5M", count(5_000_000))
	require.Equal(t, "2500", count(2500))
	require.Equal(t, "25k", count(25000))
	require.Equal(t, "950ns", ns(950))
	require.Equal(t, "12.5µs", ns(12_500))
}
