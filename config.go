package larder

import (
	"fmt"
	"math"
	"math/bits"
	"runtime"
	"time"
)

// Config configures a Cache. The zero value of every field but MaxBytes
// picks a sensible default.
type Config struct {
	// MaxBytes is the hard ceiling on all memory the cache allocates: the
	// off-heap arenas and index, the admission policy's state and the
	// cache's own fixed structures. It must be at least MinMaxBytes.
	// One entry (key + value) may use up to MaxBytes/64, or a sixteenth
	// of its shard's share, MaxBytes/(16·Shards), when that is less (more
	// than four shards).
	MaxBytes int64

	// Shards is the number of independently locked partitions. 0 picks a
	// default from GOMAXPROCS and MaxBytes: 16·GOMAXPROCS rounded up to a
	// power of two (32 with two CPUs, at most 256), halved until each
	// shard has at least 2 MiB, so small caches are not split into
	// slivers (one shard below 4 MiB). When set it must be a power of two
	// up to 256. More shards mean fewer writers contending for one lock
	// and a smaller largest entry (see MaxBytes).
	Shards int

	// AvgEntrySize is the expected size of key + value in bytes; the index
	// is sized so that the budget holds about MaxBytes / (AvgEntrySize + 33)
	// entries. 0 means 64. Entries much smaller than this make the index,
	// not the arena, the limit on how many entries fit; much larger ones
	// leave part of the index unused. A size above the largest entry the
	// cache can store (MaxBytes/64) is taken as that.
	AvgEntrySize int

	// DefaultTTL is the time to live given to entries stored by Set. 0
	// means entries do not expire. Negative is ErrInvalidTTL.
	DefaultTTL time.Duration

	// Clock, when set, replaces the wall clock for expiry decisions (for
	// tests). Its Now must be safe for concurrent use.
	Clock Clock
}

// Clock tells the time. See Config.Clock.
type Clock interface {
	Now() time.Time
}

const (
	// MinMaxBytes is the smallest accepted Config.MaxBytes: one page of
	// index and ring per shard plus the fixed structures.
	MinMaxBytes = 16 << 10

	// maxShards bounds Config.Shards.
	maxShards = 256

	// maxShardBytes bounds one shard's ring so that slot positions (which
	// are kept modulo posSpan) stay unambiguous.
	maxShardBytes = 1 << 40

	// defaultAvgEntrySize is used when Config.AvgEntrySize is 0.
	defaultAvgEntrySize = 64

	// smallShardBytes: below this budget per shard, the default shard count
	// is halved (per-shard policies lose hit ratio on tiny shards).
	smallShardBytes = 2 << 20
)

// validate checks cfg and returns a larder:-prefixed error wrapping one of
// the package's sentinels.
func (cfg *Config) validate() error {
	if cfg.MaxBytes < MinMaxBytes {
		return fmt.Errorf("%w: MaxBytes is %d, the minimum is %d", ErrBudgetTooSmall, cfg.MaxBytes, MinMaxBytes)
	}
	if cfg.MaxBytes > math.MaxInt/2 {
		return fmt.Errorf("%w: MaxBytes %d is more than this platform can address", ErrInvalidConfig, cfg.MaxBytes)
	}
	if cfg.Shards < 0 || cfg.Shards > maxShards || (cfg.Shards > 0 && cfg.Shards&(cfg.Shards-1) != 0) {
		return fmt.Errorf("%w: Shards is %d, want 0 or a power of two up to %d", ErrInvalidConfig, cfg.Shards, maxShards)
	}
	if cfg.AvgEntrySize < 0 {
		return fmt.Errorf("%w: AvgEntrySize is %d", ErrInvalidConfig, cfg.AvgEntrySize)
	}
	if cfg.DefaultTTL < 0 {
		return fmt.Errorf("%w: DefaultTTL is %v", ErrInvalidTTL, cfg.DefaultTTL)
	}
	if cfg.MaxBytes/int64(max(cfg.Shards, 1)) > maxShardBytes {
		return fmt.Errorf("%w: MaxBytes per shard above %d; use more shards", ErrInvalidConfig, int64(maxShardBytes))
	}
	return nil
}

// shardCount returns the number of shards for a valid cfg.
func (cfg *Config) shardCount() int {
	if cfg.Shards > 0 {
		return cfg.Shards
	}
	// Writers of different shards never contend; with 16 shards per CPU
	// two writers meet on a lock rarely even under a skewed workload.
	// Measured (bench/ throughput suite, 2^20 entries, 2 CPUs, 8
	// goroutines, six interleaved rounds): 100% writes at 544 ns/op with
	// 8 shards, 434 with 32, 430 with 64 and 426 with 128 (medians).
	n := 1 << bits.Len(uint(16*runtime.GOMAXPROCS(0)-1)) // next power of two
	n = min(n, maxShards)
	for n > 1 && cfg.MaxBytes/int64(n) < smallShardBytes {
		n /= 2
	}
	for n < maxShards && cfg.MaxBytes/int64(n) > maxShardBytes {
		n *= 2
	}
	return n
}

// entryLimit returns the longest key+value a cache with n shards accepts:
// MaxBytes/64, and with more than four shards MaxBytes/(16·n), so that one
// entry never takes more than a small part of its shard's ring; never more
// than MaxValueLen.
func (cfg *Config) entryLimit(n int) int {
	return int(min(cfg.MaxBytes/64, cfg.MaxBytes/int64(16*n), MaxValueLen))
}

// avgEntrySize is the entry size the index is planned for. It is capped
// at the largest entry the budget admits (also keeping the sizing
// arithmetic far from overflow for any int the caller passes).
func (cfg *Config) avgEntrySize() int {
	if cfg.AvgEntrySize == 0 {
		return defaultAvgEntrySize
	}
	return int(min(int64(cfg.AvgEntrySize), max(cfg.MaxBytes/64, 1)))
}
