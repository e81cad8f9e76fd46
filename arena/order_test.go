package arena

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestOrderedStores checks the writer's stores (Put64, StoreRelease64 and
// Position's) store what they are given, in both builds (test.sh runs the
// package with and without -race).
func TestOrderedStores(t *testing.T) {
	r, err := Map(4096)
	require.NoError(t, err)
	defer r.Release()
	r.Put64(8, 0x0123456789abcdef)
	r.StoreRelease64(16, 42)
	require.Equal(t, uint64(0x0123456789abcdef), r.Load64(8))
	require.Equal(t, uint64(42), r.Load64(16))
	require.Equal(t, uint64(0), r.Load64(0), "neighbouring words untouched")
	require.Equal(t, uint64(0), r.Load64(24), "neighbouring words untouched")

	var p Position
	p.StoreRelease(7)
	require.Equal(t, uint64(7), p.Load())
	p.StoreFenced(1 << 62)
	require.Equal(t, uint64(1<<62), p.Load())
}

// TestReleasePublishes is the message-passing litmus test behind the
// head/slot protocol: a writer fills a record with plain stores, then
// publishes its position with StoreRelease; a reader that sees the
// position must see the record. On amd64 (order_plain.go) it checks
// that the compiler keeps the plain stores before the publish; on weakly
// ordered CPUs it exercises the hardware's ordering as well. (The race
// detector does not track mmap'd memory, so -race adds nothing here.)
func TestReleasePublishes(t *testing.T) {
	r, err := Map(1 << 16)
	require.NoError(t, err)
	defer r.Release()
	const rounds = 2000
	var pos Position
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := uint64(1); i <= rounds; i++ {
			off := int(i%64) * 64
			for w := 0; w < 64; w += 8 {
				r.Put64(off+w, i)
			}
			pos.StoreRelease(i)
		}
	}()
	for seen := uint64(0); seen < rounds; {
		i := pos.Load()
		if i == seen {
			continue
		}
		// Records older than i may be rewritten meanwhile (the writer
		// laps the 64 of them); record i itself is stable only until the
		// writer comes back to it, 63 rounds later, so check it at once.
		off := int(i%64) * 64
		for w := 0; w < 64; w += 8 {
			if v := r.Load64(off + w); v < i {
				t.Fatalf("record %d word %d: %d, published before its bytes", i, w/8, v)
			}
		}
		seen = i
	}
	wg.Wait()
}
