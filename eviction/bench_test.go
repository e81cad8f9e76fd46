package eviction

import (
	"sync/atomic"
	"testing"
)

const golden = 0x9e3779b97f4a7c15

// seeds hands each RunParallel goroutine its own starting point.
var seeds atomic.Uint64

// nextKey advances a per-goroutine Weyl sequence: distinct keys, no
// shared state, about a cycle per call. The sketch re-mixes them.
func nextKey(x *uint64) uint64 {
	*x += golden
	return *x
}

func BenchmarkSketchIncrement(b *testing.B) {
	b.Run("hot", func(b *testing.B) {
		// Every goroutine increments the same saturated key: four loads
		// from one shared, never-written cache line.
		s := NewSketch(1 << 20)
		hot := uint64(12345)
		for range 20 {
			s.Increment(hot)
		}
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				s.Increment(hot)
			}
		})
	})
	b.Run("random", func(b *testing.B) {
		// Every call a different key: four CASes on one line, a striped
		// sample count, and a halving of the 8 MiB table every 10M calls.
		s := NewSketch(1 << 20)
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			x := seeds.Add(1) << 40
			for pb.Next() {
				s.Increment(nextKey(&x))
			}
		})
	})
	b.Run("random-serial", func(b *testing.B) {
		s := NewSketch(1 << 20)
		x := uint64(0)
		b.ReportAllocs()
		for b.Loop() {
			s.Increment(nextKey(&x))
		}
	})
}

func BenchmarkSketchEstimate(b *testing.B) {
	s := NewSketch(1 << 20)
	x := uint64(0)
	for range 1 << 20 {
		s.Increment(nextKey(&x))
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		y := uint64(0) // the inserted keys, in the same order
		for pb.Next() {
			_ = s.Estimate(nextKey(&y))
		}
	})
}

func BenchmarkSketchReset(b *testing.B) {
	s := NewSketch(1 << 20)
	x := uint64(0)
	for range 4 << 20 {
		s.Increment(nextKey(&x))
	}
	for b.Loop() {
		s.Reset()
	}
}

func BenchmarkDoorkeeper(b *testing.B) {
	d := NewDoorkeeper(4 << 20)
	b.Run("add", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			x := seeds.Add(1) << 40
			for pb.Next() {
				d.Add(nextKey(&x))
			}
		})
	})
	b.Run("has", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			x := seeds.Add(1) << 40
			for pb.Next() {
				_ = d.Has(nextKey(&x))
			}
		})
	})
}

func BenchmarkTinyLFU(b *testing.B) {
	b.Run("record-random", func(b *testing.B) {
		f := NewTinyLFU(1 << 20)
		b.RunParallel(func(pb *testing.PB) {
			x := seeds.Add(1) << 40
			for pb.Next() {
				f.Record(nextKey(&x))
			}
		})
	})
	b.Run("record-hot", func(b *testing.B) {
		f := NewTinyLFU(1 << 20)
		for range 20 {
			f.Record(7)
		}
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				f.Record(7)
			}
		})
	})
	b.Run("admit", func(b *testing.B) {
		f := NewTinyLFU(1 << 20)
		x := uint64(0)
		for range 1 << 20 {
			f.Record(nextKey(&x))
		}
		b.RunParallel(func(pb *testing.PB) {
			x := seeds.Add(1) << 40
			for pb.Next() {
				_ = f.Admit(nextKey(&x), nextKey(&x), 0)
			}
		})
	})
}

func BenchmarkClimberRecord(b *testing.B) {
	c := NewClimber(1<<20, 0.01)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i++
			c.Record(i&3 != 0)
		}
	})
}

// BenchmarkSampleCount compares ways of counting the sketch's aging
// sample, isolated from the counters: one shared atomic add per increment,
// hash-striped padded counters with an add per increment, and what Sketch
// does (hash-striped, flushing to the shared total every batch-th add).
func BenchmarkSampleCount(b *testing.B) {
	b.Run("shared-atomic", func(b *testing.B) {
		var n paddedCounter
		b.RunParallel(func(pb *testing.PB) {
			x := seeds.Add(1) << 40
			for pb.Next() {
				if n.n.Add(1) >= 1<<62 {
					n.n.Store(0)
				}
				nextKey(&x)
			}
		})
	})
	b.Run("striped", func(b *testing.B) {
		var st [32]paddedCounter
		b.RunParallel(func(pb *testing.PB) {
			x := seeds.Add(1) << 40
			for pb.Next() {
				st[spread(nextKey(&x))>>20&31].n.Add(1)
			}
		})
	})
	b.Run("striped-batched", func(b *testing.B) {
		s := NewSketch(1 << 20)
		s.sampleSize = 1 << 62 // count only, never age
		b.RunParallel(func(pb *testing.PB) {
			x := seeds.Add(1) << 40
			for pb.Next() {
				s.countSample(spread(nextKey(&x)))
			}
		})
	})
}
