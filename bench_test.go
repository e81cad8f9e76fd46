package larder

import (
	"encoding/binary"
	"fmt"
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

// BenchmarkSetEvicting stores keys never seen before into a full cache,
// so every Set runs admission and eviction.
func BenchmarkSetEvicting(b *testing.B) {
	c, _ := benchCache(b, benchEntries)
	var next atomic.Uint64
	next.Store(benchEntries)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		key := make([]byte, 16)
		val := make([]byte, 64)
		for pb.Next() {
			i := next.Add(1)
			binary.LittleEndian.PutUint64(key, i)
			binary.LittleEndian.PutUint64(key[8:], i*0x9e3779b97f4a7c15)
			if err := c.Set(key, val); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkAddHotKey(b *testing.B) {
	c, err := New(Config{MaxBytes: 64 << 20})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	key := []byte("rate:hot")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.Add(key, 1, 0); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkAdd1MKeys(b *testing.B) {
	const n = 1 << 20
	c, err := New(Config{MaxBytes: n * 96, AvgEntrySize: 24})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	keys := make([]byte, 16*n)
	for i := 0; i < n; i++ {
		binary.LittleEndian.PutUint64(keys[16*i:], uint64(i))
		if _, err := c.Add(keys[16*i:16*i+16], 1, 0); err != nil {
			b.Fatal(err)
		}
	}
	var seed atomic.Uint64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		rng := rand.New(rand.NewPCG(seed.Add(1), 3))
		for pb.Next() {
			i := rng.IntN(n)
			if _, err := c.Add(keys[16*i:16*i+16], 1, 0); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkSetOneShard overwrites keys of a single shard from 1, 4 and 16
// goroutines per P, so every Set contends for one lock: the case
// arena.Lock's doc speaks of.
func BenchmarkSetOneShard(b *testing.B) {
	for _, perP := range []int{1, 4, 16} {
		b.Run(fmt.Sprintf("perP=%d", perP), func(b *testing.B) {
			c, err := New(Config{MaxBytes: 1 << 20, Shards: 1})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { c.Close() })
			var next atomic.Int64
			val := make([]byte, 32)
			b.SetParallelism(perP)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				key := binary.LittleEndian.AppendUint64(nil, uint64(next.Add(1))<<8)
				for n := 0; pb.Next(); n++ {
					key[0] = byte(n)
					if err := c.Set(key, val); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
