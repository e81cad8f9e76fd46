package throughput

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/larder-cache/larder/bench/adapters"
	"github.com/larder-cache/larder/bench/workload"
)

// benchN is the prepopulation size: DefaultN normally, SmallN for smoke runs
// (-short, LARDER_BENCH_SMALL=1, or a -benchtime of a handful of
// iterations such as 1x, where building 2^20 entries per cell would be all
// the run does).
func benchN() int {
	if testing.Short() || os.Getenv("LARDER_BENCH_SMALL") == "1" {
		return SmallN
	}
	if f := flag.Lookup("test.benchtime"); f != nil {
		s := f.Value.String()
		if n, err := strconv.Atoi(strings.TrimSuffix(s, "x")); err == nil && strings.HasSuffix(s, "x") && n <= 100 {
			return SmallN
		}
	}
	return DefaultN
}

func parallelism() int {
	if p, err := strconv.Atoi(os.Getenv("LARDER_BENCH_PAR")); err == nil && p > 0 {
		return p
	}
	return DefaultParallelism
}

// live holds the one cache currently built. Benchmarks are named
// shape/reads/cache, so consecutive cells use different caches; rather than
// keep every cache live at once (each would then pay GC work for the
// others' heaps), the previous cache is closed and collected and the next
// one is built fresh. Go's benchmark ramp calls a cell several times with
// growing b.N; those calls reuse the live cache.
type live struct {
	id string
	c  adapters.Cache
}

func (l *live) get(b *testing.B, f adapters.Factory, env *Env) adapters.Cache {
	id := env.Shape.Name + "/" + f.Name
	if l.id == id {
		return l.c
	}
	l.close()
	c, info, err := adapters.Fill(f, env.Dataset(), 0)
	require.NoError(b, err)
	b.Logf("filled %s", info)
	l.id, l.c = id, c
	return c
}

func (l *live) close() {
	if l.c != nil {
		l.c.Close()
		l.c, l.id = nil, ""
		runtime.GC()
	}
}

// BenchmarkThroughput reports ops/s and allocs/op of every cache for every
// shape and read share. Names are
// Throughput/<shape>/reads=<pct>/cache=<name>, for benchstat.
func BenchmarkThroughput(b *testing.B) {
	n := benchN()
	var l live
	defer l.close()
	for _, shape := range Shapes {
		b.Run(shape.Name, func(b *testing.B) {
			env := NewEnv(shape, n)
			for _, r := range ReadPcts {
				mix := workload.NewMix(r)
				b.Run(fmt.Sprintf("reads=%d", r), func(b *testing.B) {
					for _, f := range adapters.All() {
						b.Run("cache="+f.Name, func(b *testing.B) {
							benchCell(b, l.get(b, f, env), env, mix)
						})
					}
				})
			}
			l.close()
		})
	}
}

func benchCell(b *testing.B, c adapters.Cache, env *Env, mix *workload.Mix) {
	var (
		g                 atomic.Int64
		reads, hits, errs atomic.Uint64
	)
	runtime.GC() // do not charge this cell with the previous one's garbage
	b.SetParallelism(parallelism())
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		w := workload.NewWorker(c, env.Keys, env.Trace, mix, env.Shape.ValueSize,
			workload.Start(int(g.Add(1)), len(env.Trace)))
		for pb.Next() {
			w.Op()
		}
		reads.Add(w.Reads)
		hits.Add(w.Hits)
		errs.Add(w.Errors)
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
	if r := reads.Load(); r > 0 {
		b.ReportMetric(float64(hits.Load())/float64(r), "hits/read")
	}
	if e := errs.Load(); e > 0 {
		b.Fatalf("%d Set errors", e)
	}
}

// TestRunSmall runs the compare-style runner on a tiny set, so a broken
// harness fails `go test ./...` quickly.
func TestRunSmall(t *testing.T) {
	shape, err := ShapeByName("k8v16")
	require.NoError(t, err)
	res, err := Run(t.Context(), Config{
		Shapes:   []Shape{shape},
		ReadPcts: []int{90, 0},
		Caches:   adapters.All(),
		N:        1 << 10,
		Duration: 5e6, // 5ms
	}, func(s string) { t.Log(s) })
	require.NoError(t, err)
	require.Len(t, res, 2*len(adapters.All()))
	for _, r := range res {
		require.Empty(t, r.Error, "%s", r.Cache)
		require.Positive(t, r.Run.Ops, "%s", r.Cache)
		require.Equal(t, r.Fill.Entries, r.Fill.Held, "%s", r.Cache)
		if r.ReadPct > 0 {
			require.InDelta(t, 1.0, r.Run.HitRatio, 0.01, "%s reads=%d", r.Cache, r.ReadPct)
		}
	}
}
