package fuzz

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/larder-cache/larder"
	"github.com/larder-cache/larder/internal/opsmodel"
)

// target runs opsmodel against caches built by the public constructor.
var target = opsmodel.Target{
	Open: func(s opsmodel.Setup) (opsmodel.Cache, error) {
		c, err := larder.New(larder.Config{
			MaxBytes:     s.MaxBytes,
			Shards:       s.Shards,
			AvgEntrySize: s.AvgEntrySize,
			DefaultTTL:   s.DefaultTTL,
			Clock:        s.Clock,
		})
		if err != nil {
			return nil, err
		}
		return c, nil
	},
	Errs: opsmodel.Errors{
		Closed:          larder.ErrClosed,
		KeyTooLarge:     larder.ErrKeyTooLarge,
		EntryTooLarge:   larder.ErrEntryTooLarge,
		InvalidTTL:      larder.ErrInvalidTTL,
		NotCounter:      larder.ErrNotCounter,
		NotStored:       larder.ErrNotStored,
		LoaderPanic:     larder.ErrLoaderPanic,
		CounterOverflow: larder.ErrCounterOverflow,
	},
	MaxKeyLen: larder.MaxKeyLen,
}

// FuzzOps runs decoded operation sequences against a cache and the model:
// every answer is the model's or an allowed miss, errors are the documented
// sentinels, nothing panics. The seeds are in testdata/fuzz/FuzzOps.
func FuzzOps(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		require.NoError(t, opsmodel.Run(data, target))
	})
}

// TestWriteSeeds regenerates testdata/fuzz/FuzzOps from opsmodel.Seeds when
// LARDER_WRITE_SEEDS=1.
func TestWriteSeeds(t *testing.T) {
	if os.Getenv("LARDER_WRITE_SEEDS") != "1" {
		t.Skip("set LARDER_WRITE_SEEDS=1 to regenerate the seed corpus")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzOps")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	for name, data := range opsmodel.Seeds() {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), opsmodel.CorpusFile(data), 0o644))
	}
}

// TestOpsWired makes sure FuzzOps exercises Cache.Add, Cache.GetOrLoad and
// Cache.Clear: opsmodel reaches them through interfaces, so a change of
// signature would silently skip them.
func TestOpsWired(t *testing.T) {
	var c opsmodel.Cache = &larder.Cache{}
	_, hasAdd := c.(opsmodel.Adder)
	require.True(t, hasAdd, "Cache.Add is not opsmodel.Adder")
	_, hasLoad := c.(opsmodel.Loader)
	require.True(t, hasLoad, "Cache.GetOrLoad is not opsmodel.Loader")
	_, hasClear := c.(opsmodel.Clearer)
	require.True(t, hasClear, "Cache.Clear is not opsmodel.Clearer")
}
