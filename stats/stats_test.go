package stats

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestLookupsExact checks that striping loses nothing: concurrent
// goroutines' counts add up exactly, whichever stripes they land on.
func TestLookupsExact(t *testing.T) {
	var l Lookups
	const goroutines, each = 16, 1000
	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			for i := range each {
				switch i % 4 {
				case 0, 1:
					l.Hit()
				case 2:
					l.Miss()
				default:
					l.Expired()
				}
			}
		})
	}
	wg.Wait()
	hits, misses, expired := l.Load()
	require.Equal(t, uint64(goroutines*each/2), hits)
	require.Equal(t, uint64(goroutines*each/2), misses) // expired lookups are misses too
	require.Equal(t, uint64(goroutines*each/4), expired)
}

func TestSnapshotHitRatio(t *testing.T) {
	require.Zero(t, Snapshot{}.HitRatio())
	require.InDelta(t, 0.75, Snapshot{Hits: 3, Misses: 1}.HitRatio(), 1e-12)
}
