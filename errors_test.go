package larder

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestConfigErrors(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		want error
	}{
		{"zero budget", Config{}, ErrBudgetTooSmall},
		{"negative budget", Config{MaxBytes: -1}, ErrBudgetTooSmall},
		{"below minimum", Config{MaxBytes: MinMaxBytes - 1}, ErrBudgetTooSmall},
		{"shards not a power of two", Config{MaxBytes: 1 << 20, Shards: 3}, ErrInvalidConfig},
		{"negative shards", Config{MaxBytes: 1 << 20, Shards: -2}, ErrInvalidConfig},
		{"too many shards", Config{MaxBytes: 1 << 20, Shards: 1024}, ErrInvalidConfig},
		{"shards too small for their fixed costs", Config{MaxBytes: 32 << 10, Shards: 256}, ErrBudgetTooSmall},
		{"negative AvgEntrySize", Config{MaxBytes: 1 << 20, AvgEntrySize: -1}, ErrInvalidConfig},
		{"negative DefaultTTL", Config{MaxBytes: 1 << 20, DefaultTTL: -1}, ErrInvalidTTL},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := New(tc.cfg)
			require.ErrorIs(t, err, tc.want)
			require.Nil(t, c)
			require.True(t, strings.HasPrefix(err.Error(), "larder: "), err.Error())
		})
	}
	c, err := New(Config{MaxBytes: MinMaxBytes})
	require.NoError(t, err, "the minimum budget is accepted")
	require.NoError(t, c.Set([]byte("a"), []byte("b")))
	require.NoError(t, c.Close())
}

func TestEntryErrors(t *testing.T) {
	const budget = 1 << 20
	c := newTestCache(t, Config{MaxBytes: budget}, nil)

	err := c.Set(bytes.Repeat([]byte{'k'}, MaxKeyLen+1), nil)
	require.ErrorIs(t, err, ErrKeyTooLarge)
	require.True(t, strings.HasPrefix(err.Error(), "larder: "))

	// The largest key is accepted when the budget allows it.
	big, err := New(Config{MaxBytes: 8 << 20})
	require.NoError(t, err)
	defer big.Close()
	maxKey := bytes.Repeat([]byte{'k'}, MaxKeyLen)
	require.NoError(t, big.Set(maxKey, []byte("v")))
	v, ok := big.Get(maxKey)
	require.True(t, ok)
	require.Equal(t, "v", string(v))

	// An entry of exactly MaxBytes/64 is accepted; one byte more is not.
	key := []byte("key")
	val := bytes.Repeat([]byte{'v'}, budget/64-len(key))
	require.NoError(t, c.Set(key, val))
	got, ok := c.Get(key)
	require.True(t, ok)
	require.Equal(t, val, got)
	err = c.Set(key, append(val, 'x'))
	require.ErrorIs(t, err, ErrEntryTooLarge)
	got, ok = c.Get(key)
	require.True(t, ok, "a rejected Set leaves the old value")
	require.Equal(t, val, got)

	// Empty key and empty value are a key and a value.
	require.NoError(t, c.Set(nil, nil))
	got, ok = c.Get([]byte{})
	require.True(t, ok)
	require.NotNil(t, got)
	require.Empty(t, got)

	require.ErrorIs(t, c.e.set(key, val, -1), ErrInvalidTTL)

	require.NoError(t, c.Close())
	require.ErrorIs(t, c.Set(key, val), ErrClosed)
	require.True(t, strings.HasPrefix(ErrClosed.Error(), "larder: "))
}

// TestMinimumBudgetAnyEntrySize checks the minimum budget is accepted
// whatever entry size is announced.
func TestMinimumBudgetAnyEntrySize(t *testing.T) {
	for _, avg := range []int{0, 1, 8, 64, 1000, 100000} {
		c, err := New(Config{MaxBytes: MinMaxBytes, AvgEntrySize: avg})
		require.NoError(t, err, "AvgEntrySize %d", avg)
		st := c.Stats()
		require.LessOrEqual(t, st.AllocatedBytes, st.BudgetBytes)
		require.NoError(t, c.Close())
	}
}

// TestHugeAvgEntrySize: any AvgEntrySize an int can hold is accepted (taken
// as the largest entry the budget admits) without overflowing the sizing.
func TestHugeAvgEntrySize(t *testing.T) {
	for _, avg := range []int{math.MaxInt/2 - 21, math.MaxInt - 21, math.MaxInt, math.MaxInt >> 23} {
		c, err := New(Config{MaxBytes: 1 << 20, AvgEntrySize: avg})
		require.NoError(t, err, "AvgEntrySize %d", avg)
		require.NoError(t, c.Set([]byte("k"), []byte("v")))
		v, ok := c.Get([]byte("k"))
		require.True(t, ok)
		require.Equal(t, "v", string(v))
		st := c.Stats()
		require.LessOrEqual(t, st.AllocatedBytes, st.BudgetBytes)
		require.NoError(t, c.Close())
	}
}
