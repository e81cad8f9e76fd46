package arena

import (
	"runtime"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLockTryLock(t *testing.T) {
	var l Lock
	require.True(t, l.TryLock())
	require.False(t, l.TryLock(), "a held lock must not be acquired again")
	l.Unlock()
	require.True(t, l.TryLock())
	l.Unlock()
}

func TestLockMutualExclusion(t *testing.T) {
	// Many more goroutines than cores, with critical sections that yield,
	// so holders are descheduled while others wait: the count of plain
	// increments and the in-section flag show any overlap (and -race sees
	// the plain accesses, which only the lock orders).
	var l Lock
	var n, inside int
	const workers, per = 16, 2000
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range per {
				l.Lock()
				inside++
				if inside != 1 {
					t.Errorf("%d goroutines inside the lock", inside)
				}
				n++
				if i%64 == 0 {
					runtime.Gosched()
				}
				inside--
				l.Unlock()
			}
		})
	}
	wg.Wait()
	assert.Equal(t, workers*per, n)
}

func TestLockWaiterProceedsWhileHolderSleeps(t *testing.T) {
	// GOMAXPROCS(1): a waiter must yield for the holder to run at all.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	var l Lock
	l.Lock()
	done := make(chan struct{})
	go func() {
		l.Lock()
		l.Unlock()
		close(done)
	}()
	runtime.Gosched()
	l.Unlock()
	<-done
}

// TestGoroutineHintDistinct: two goroutines alive at once have disjoint
// stacks, so their hints differ; one goroutine's hint at one call site is
// stable while its stack does not move.
func TestGoroutineHintDistinct(t *testing.T) {
	hints := make(chan uint64, 2)
	release := make(chan struct{})
	for range 2 {
		go func() {
			hints <- GoroutineHint()
			<-release
		}()
	}
	a, b := <-hints, <-hints
	close(release)
	require.NotEqual(t, a, b)
	var same [2]uint64
	for i := range same {
		same[i] = GoroutineHint() // one call site, one frame
	}
	require.Equal(t, same[0], same[1])
}
