package larder

import (
	"encoding/binary"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestCloseRacingOps closes caches while goroutines run every operation.
// Nothing may crash or hang, no read may return a wrong value, and after
// Close every call reports ErrClosed or a miss.
func TestCloseRacingOps(t *testing.T) {
	rounds := 100
	if testing.Short() {
		rounds = 20
	}
	for round := 0; round < rounds; round++ {
		c, err := New(Config{MaxBytes: 256 << 10, Shards: 2})
		require.NoError(t, err)
		var started sync.WaitGroup
		var wg sync.WaitGroup
		var wrong atomic.Int64
		stop := make(chan struct{})
		for g := 0; g < 4; g++ {
			started.Add(1)
			wg.Go(func() {
				key := make([]byte, 8)
				buf := make([]byte, 0, 64)
				once := false
				for i := uint64(0); ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					binary.LittleEndian.PutUint64(key, (i*7+uint64(g))%300)
					switch i % 4 {
					case 0:
						err := c.Set(key, selfValue(key, i, 40))
						if err != nil && !errors.Is(err, ErrClosed) {
							wrong.Add(1)
						}
					case 1:
						if v, ok := c.Get(key); ok {
							if _, err := checkSelfValue(key, v); err != nil {
								wrong.Add(1)
							}
						}
					case 2:
						if v, ok := c.AppendGet(buf[:0], key); ok {
							if _, err := checkSelfValue(key, v); err != nil {
								wrong.Add(1)
							}
						}
					default:
						c.Has(key)
						if i%16 == 3 {
							c.Delete(key)
						}
						if i%512 == 7 {
							if err := c.Clear(); err != nil && !errors.Is(err, ErrClosed) {
								wrong.Add(1)
							}
						}
					}
					if !once && i > 200 {
						once = true
						started.Done()
					}
				}
			})
		}
		started.Wait()
		require.NoError(t, c.Close())
		require.NoError(t, c.Close(), "Close is idempotent")
		close(stop)
		wg.Wait()
		require.Zero(t, wrong.Load())
		key := []byte("k")
		require.ErrorIs(t, c.Set(key, key), ErrClosed)
		_, ok := c.Get(key)
		require.False(t, ok)
		require.False(t, c.Has(key))
		require.False(t, c.Delete(key))
		require.ErrorIs(t, c.Clear(), ErrClosed)
	}
}
