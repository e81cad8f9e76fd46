package larder

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

// selfValue builds a value that names its key and a version and carries a
// checksum, so a reader can tell a torn or foreign value without a model.
// Layout: [crc32 4][version 8][keylen 2][key][filler...].
func selfValue(key []byte, version uint64, size int) []byte {
	size = max(size, 14+len(key))
	v := make([]byte, size)
	binary.LittleEndian.PutUint64(v[4:], version)
	binary.LittleEndian.PutUint16(v[12:], uint16(len(key)))
	copy(v[14:], key)
	for i := 14 + len(key); i < size; i++ {
		v[i] = byte(version) ^ byte(i)
	}
	binary.LittleEndian.PutUint32(v, crc32.ChecksumIEEE(v[4:]))
	return v
}

// checkSelfValue returns the version in v, or an error if v is not a
// well-formed value for key.
func checkSelfValue(key, v []byte) (uint64, error) {
	if len(v) < 14 {
		return 0, fmt.Errorf("short value %d", len(v))
	}
	if crc32.ChecksumIEEE(v[4:]) != binary.LittleEndian.Uint32(v) {
		return 0, fmt.Errorf("checksum mismatch")
	}
	kl := int(binary.LittleEndian.Uint16(v[12:]))
	if kl != len(key) || 14+kl > len(v) || string(v[14:14+kl]) != string(key) {
		return 0, fmt.Errorf("value of another key")
	}
	return binary.LittleEndian.Uint64(v[4:]), nil
}

// TestConcurrentStress runs writers and readers over a hot key set under
// eviction pressure. Every read must be a miss or a well-formed value of
// the key read; and per key, a reader never sees versions go backwards
// after a newer one was fully written by the single writer owning the key.
func TestConcurrentStress(t *testing.T) {
	for _, hc := range hashCases {
		for _, window := range []float64{0, 0.8} {
			t.Run(fmt.Sprintf("%s/window=%v", hc.name, window), func(t *testing.T) {
				testConcurrentStress(t, hc.hash, window)
			})
		}
	}
}

// testConcurrentStress is TestConcurrentStress for one hash and one window
// fraction (0: the climber's own). A large window keeps the window hand
// busy, moving read window records to the head (shard.refresh) while
// readers hold their old positions.
func testConcurrentStress(t *testing.T, hash func([]byte) uint64, window float64) {
	keys := 512
	if hash != nil {
		keys = 64
	}
	c := newTestCache(t, Config{MaxBytes: 256 << 10, Shards: 2}, hash)
	if window > 0 {
		forceWindow(c, window)
	}
	const writers, readers = 2, 4
	ops := 60_000
	if testing.Short() {
		ops = 10_000
	}
	// written[k] is the last version whose Set returned.
	written := make([]atomic.Uint64, keys)
	keyOf := func(i int) []byte { return fmt.Appendf(nil, "k%05d", i) }
	var wrong, bytesSet atomic.Int64
	var firstErr atomic.Value
	report := func(err error) {
		wrong.Add(1)
		firstErr.CompareAndSwap(nil, err)
	}
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for op := 0; op < ops; op++ {
				// Writer w owns keys ≡ w mod writers, so versions per
				// key are ordered.
				k := rng.IntN(keys/writers)*writers + w
				key := keyOf(k)
				if rng.IntN(8) == 0 {
					c.Delete(key)
					continue
				}
				ver := written[k].Load() + 1
				v := selfValue(key, ver, 16+rng.IntN(300))
				if err := c.Set(key, v); err != nil {
					report(err)
				}
				bytesSet.Add(int64(len(key) + len(v)))
				written[k].Store(ver)
			}
		})
	}
	for r := 0; r < readers; r++ {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(r), 9))
			buf := make([]byte, 0, 512)
			for op := 0; op < ops; op++ {
				k := rng.IntN(keys)
				key := keyOf(k)
				floor := written[k].Load()
				var v []byte
				var ok bool
				if op%2 == 0 {
					v, ok = c.Get(key)
				} else {
					v, ok = c.AppendGet(buf[:0], key)
				}
				if !ok {
					continue
				}
				ver, err := checkSelfValue(key, v)
				if err != nil {
					report(fmt.Errorf("key %s: %w", key, err))
					continue
				}
				// A Get that started after Set(v) returned must not
				// see an older version (deletes aside: a delete then
				// re-set only raises versions).
				if ver < floor {
					report(fmt.Errorf("key %s: stale version %d < %d", key, ver, floor))
				}
			}
		})
	}
	wg.Wait()
	if err := firstErr.Load(); err != nil {
		t.Errorf("first wrong read: %v", err)
	}
	require.Zero(t, wrong.Load(), "wrong reads")
	// The pressure readers had to survive: the writes were several
	// times the budget, so every shard's ring lapped, its tail
	// dropping dead records and relocating (or evicting) live ones.
	// Whether live entries were also evicted depends on the policy:
	// the keys' live values fit in the budget.
	st := c.Stats()
	t.Logf("%d bytes set, %d evictions, %d rejections", bytesSet.Load(), st.Evictions, st.Rejections)
	require.Greater(t, bytesSet.Load(), int64(4*(256<<10)))
}
