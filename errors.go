package larder

import "errors"

// Errors returned by larder. Each is a sentinel usable with errors.Is; the
// error actually returned may wrap it with detail (the sizes involved).
var (
	// ErrClosed is returned by every method called after Close.
	ErrClosed = errors.New("larder: cache is closed")
	// ErrKeyTooLarge is returned for keys longer than MaxKeyLen bytes.
	ErrKeyTooLarge = errors.New("larder: key too large")
	// ErrEntryTooLarge is returned when key+value exceed the cache's entry
	// limit (MaxBytes/64, and never more than MaxValueLen for the value).
	ErrEntryTooLarge = errors.New("larder: entry too large")
	// ErrBudgetTooSmall is returned by New when MaxBytes cannot hold the
	// cache's fixed structures (see MinMaxBytes).
	ErrBudgetTooSmall = errors.New("larder: MaxBytes too small")
	// ErrInvalidConfig is returned by New for a malformed Config field.
	ErrInvalidConfig = errors.New("larder: invalid config")
	// ErrInvalidTTL is returned for a negative TTL.
	ErrInvalidTTL = errors.New("larder: invalid TTL")
	// ErrNotStored is returned by Add when it had to create a counter but
	// the index had no free slot near the key's home (only hostile or
	// degenerate keys fill a probe window); the counter does not exist.
	ErrNotStored = errors.New("larder: entry not stored")
	// ErrNotCounter is returned by Add when the key holds a value that is
	// not an 8-byte counter.
	ErrNotCounter = errors.New("larder: value is not a counter")
	// ErrCounterOverflow is returned by Add when the sum would not fit an
	// int64; the counter keeps its value.
	ErrCounterOverflow = errors.New("larder: counter overflow")
)
