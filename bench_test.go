package larder

import (
	"encoding/binary"
	"math/rand/v2"
	"sync/atomic"
	"testing"
)

// benchCache returns a cache holding n entries of 16-byte keys and 64-byte
// values, and the keys.
func benchCache(b *testing.B, n int) (*Cache, [][]byte) {
	c, err := New(Config{MaxBytes: int64(n) * 160, AvgEntrySize: 80})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	keys := make([][]byte, n)
	val := make([]byte, 64)
	for i := range keys {
		keys[i] = make([]byte, 16)
		binary.LittleEndian.PutUint64(keys[i], uint64(i))
		binary.LittleEndian.PutUint64(keys[i][8:], uint64(i)*0x9e3779b97f4a7c15)
		if err := c.Set(keys[i], val); err != nil {
			b.Fatal(err)
		}
	}
	if c.Len() != n {
		b.Fatalf("holds %d of %d", c.Len(), n)
	}
	return c, keys
}

const benchEntries = 1 << 20

func BenchmarkGet(b *testing.B) {
	c, keys := benchCache(b, benchEntries)
	var seed atomic.Uint64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		rng := rand.New(rand.NewPCG(seed.Add(1), 1))
		for pb.Next() {
			if _, ok := c.Get(keys[rng.IntN(len(keys))]); !ok {
				b.Fatal("miss")
			}
		}
	})
}

func BenchmarkAppendGet(b *testing.B) {
	c, keys := benchCache(b, benchEntries)
	var seed atomic.Uint64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		rng := rand.New(rand.NewPCG(seed.Add(1), 1))
		buf := make([]byte, 0, 128)
		for pb.Next() {
			var ok bool
			if buf, ok = c.AppendGet(buf[:0], keys[rng.IntN(len(keys))]); !ok {
				b.Fatal("miss")
			}
		}
	})
}

func BenchmarkSet(b *testing.B) {
	c, keys := benchCache(b, benchEntries)
	var seed atomic.Uint64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		rng := rand.New(rand.NewPCG(seed.Add(1), 1))
		val := make([]byte, 64)
		for pb.Next() {
			if err := c.Set(keys[rng.IntN(len(keys))], val); err != nil {
				b.Fatal(err)
			}
		}
	})
}
