package larder

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/larder-cache/larder/internal/opsmodel"
)

// degenerateTarget runs opsmodel's operations against caches whose every key
// hashes alike (one shard, one home slot, one tag), so each lookup walks
// the whole probe cluster and compares keys.
var degenerateTarget = opsmodel.Target{
	Open: func(s opsmodel.Setup) (opsmodel.Cache, error) {
		c, err := newWithHash(Config{
			MaxBytes:     s.MaxBytes,
			Shards:       s.Shards,
			AvgEntrySize: s.AvgEntrySize,
			DefaultTTL:   s.DefaultTTL,
			Clock:        s.Clock,
		}, degenerateHash)
		if err != nil {
			return nil, err
		}
		return c, nil
	},
	Errs: opsmodel.Errors{
		Closed:          ErrClosed,
		KeyTooLarge:     ErrKeyTooLarge,
		EntryTooLarge:   ErrEntryTooLarge,
		InvalidTTL:      ErrInvalidTTL,
		NotCounter:      ErrNotCounter,
		NotStored:       ErrNotStored,
		LoaderPanic:     ErrLoaderPanic,
		CounterOverflow: ErrCounterOverflow,
	},
	MaxKeyLen: MaxKeyLen,
}

// FuzzOpsDegenerate is fuzz/'s FuzzOps with a degenerate hash: answers must
// still be the model's or allowed misses.
func FuzzOpsDegenerate(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		require.NoError(t, opsmodel.Run(data, degenerateTarget))
	})
}

// FuzzRecord checks the record header and slot encodings round-trip, and
// that a lock-free reader given an arbitrary header word (a record torn or
// reused under it) stays inside the ring: readRecord and lookups must not
// index out of range, whatever the word says.
func FuzzRecord(f *testing.F) {
	f.Fuzz(func(t *testing.T, keyLen uint16, valLen uint32, flags uint8, tag, dist, pos, head, word uint64) {
		checkHeader(t, int(keyLen), int(valLen), flags)
		checkSlot(t, tag, dist, pos, head)
		checkCorruptHeader(t, word, valLen)
	})
}

func checkHeader(t *testing.T, keyLen, valLen int, flags uint8) {
	var fl uint64
	if flags&1 != 0 {
		fl |= hdrDead
	}
	if flags&2 != 0 {
		fl |= hdrExpiry
	}
	if flags&4 != 0 {
		fl |= hdrCounter
	}
	if flags&8 != 0 {
		fl |= hdrWindow
	}
	h := makeHeader(keyLen, valLen, fl)
	require.True(t, h.magicOK())
	require.Equal(t, keyLen, h.keyLen())
	require.Equal(t, valLen, h.valLen())
	require.Equal(t, flags&1 != 0, h.dead())
	require.Equal(t, flags&2 != 0, h.hasExpiry())
	require.Equal(t, flags&4 != 0, h.counter())
	require.Equal(t, flags&8 != 0, h.window())
	require.Equal(t, recordSize(keyLen, valLen, h.hasExpiry()), h.size())
	require.Zero(t, h.keyAt()%8)
	require.Zero(t, h.valueAt()%8)
	require.Zero(t, h.size()%8)
	require.GreaterOrEqual(t, h.valueAt(), h.keyAt()+keyLen)
	require.GreaterOrEqual(t, h.size(), h.valueAt()+valLen)
	require.Less(t, h.size(), h.valueAt()+valLen+8)
	// Marking dead (kill) and leaving the window (promote) change nothing
	// else.
	for _, d := range []header{h | hdrDead, h &^ hdrWindow} {
		require.True(t, d.magicOK())
		require.Equal(t, h.size(), d.size())
		require.Equal(t, keyLen, d.keyLen())
		require.Equal(t, valLen, d.valLen())
		require.Equal(t, h.counter(), d.counter())
		require.Equal(t, h.hasExpiry(), d.hasExpiry())
	}
	require.True(t, (h | hdrDead).dead())
	require.False(t, (h &^ hdrWindow).window())
	// Credits (set by the CLOCK hand on a moved copy) round-trip and
	// change nothing else.
	require.Zero(t, h.credits())
	c := int(flags>>4) % (maxCredits + 1)
	w := h.withCredits(c)
	require.Equal(t, c, w.credits())
	require.Equal(t, h, w.withCredits(0))
	require.Equal(t, h.size(), w.size())
	require.Equal(t, h.dead(), w.dead())
	require.Equal(t, h.window(), w.window())
	require.Equal(t, h.counter(), w.counter())
	require.True(t, w.magicOK())
}

func checkSlot(t *testing.T, tag, dist, pos, head uint64) {
	dist &= maxDist
	s := makeSlot(tag, dist, pos)
	require.True(t, s.live())
	require.False(t, s.ref())
	require.Zero(t, s.pins())
	require.Equal(t, tag&tagMask, s.tag())
	require.Equal(t, dist, s.dist())
	require.Equal(t, pos&(1<<posBits-1), s.pos())
	require.Equal(t, tagOf(tag), s.tag())

	// withDist and withPos change their field only, whatever else is set.
	r := s | slotRef | pinsSealed<<pinsShift
	d2 := (dist*7 + 3) & maxDist
	p2 := pos ^ head
	w := r.withDist(d2)
	require.Equal(t, d2, w.dist())
	require.Equal(t, r.tag(), w.tag())
	require.Equal(t, r.pos(), w.pos())
	require.Equal(t, r.pins(), w.pins())
	require.True(t, w.ref() && w.live())
	w = r.withPos(p2)
	require.Equal(t, p2&(1<<posBits-1), w.pos())
	require.Equal(t, r.tag(), w.tag())
	require.Equal(t, r.dist(), w.dist())
	require.Equal(t, r.pins(), w.pins())
	require.True(t, w.ref() && w.live())

	// logicalOf recovers any 8-aligned offset below head within the window.
	off := pos &^ 7
	back := head % (posSpan - 8) &^ 7 // how far the head is past the record
	h := off + 8 + back
	require.Equal(t, off, logicalOf(h, makeSlot(0, 0, off>>3).pos()), "head %d off %d", h, off)
}

// corruptRing is a one-shard cache holding one record, whose words
// checkCorruptHeader overwrites. Shared: building a cache per input would
// dominate the fuzzer's time.
var corruptRing struct {
	c   *Cache
	key []byte
	off uint64 // the record's logical offset
}

func checkCorruptHeader(t *testing.T, word uint64, valLen uint32) {
	if corruptRing.c == nil {
		c, err := New(Config{MaxBytes: MinMaxBytes, Shards: 1})
		require.NoError(t, err)
		key := []byte("corrupt-me")
		require.NoError(t, c.Set(key, []byte("a value of some length")))
		corruptRing.c, corruptRing.key = c, key
		s := &c.e.shards[0]
		_, _, off, found := s.find(c.e, c.e.hash(key), key)
		require.True(t, found)
		corruptRing.off = off
	}
	c, key, off := corruptRing.c, corruptRing.key, corruptRing.off
	s := &c.e.shards[0]
	p := s.phys(off)
	saved := s.r.Load64(p)
	defer s.r.Store64(p, saved)

	// Two variants: the word as given, and the word made to pass the
	// magic and key-length checks so the reader goes on to copy a value of
	// the fuzzed length.
	forced := word&^(hdrMagicMask|0xffff<<32|0xffffffff) | recordMagic | uint64(len(key))<<32 | uint64(valLen)
	for _, w := range []uint64{word, forced} {
		s.r.Store64(p, w)
		// readRecord at the record and at every word of the ring, as a
		// reader holding a stale position would.
		for _, o := range []uint64{off, off + uint64(w%uint64(s.ringLen))&^7, off + s.lapMask + 1} {
			if h, rp, ok := s.readRecord(o); ok {
				require.LessOrEqual(t, uint64(rp-s.ringOff)+uint64(h.size()), s.ringLen)
				require.True(t, s.r.InRange(rp, h.size()))
			}
		}
		if v, ok := c.Get(key); ok {
			h := header(w)
			require.Equal(t, h.valLen(), len(v))
			require.LessOrEqual(t, (off&s.lapMask)+uint64(h.size()), s.ringLen)
		}
		c.AppendGet(make([]byte, 3, 8), key)
		c.Has(key)
		c.TTL(key)
		c.Get([]byte("another key"))
	}
}

// TestWriteSeeds regenerates the seed corpora of FuzzOpsDegenerate and
// FuzzRecord under testdata/fuzz when LARDER_WRITE_SEEDS=1.
func TestWriteSeeds(t *testing.T) {
	if os.Getenv("LARDER_WRITE_SEEDS") != "1" {
		t.Skip("set LARDER_WRITE_SEEDS=1 to regenerate the seed corpora")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzOpsDegenerate")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	for name, data := range opsmodel.Seeds() {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), opsmodel.CorpusFile(data), 0o644))
	}
	dir = filepath.Join("testdata", "fuzz", "FuzzRecord")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	type rec struct {
		keyLen                     uint16
		valLen                     uint32
		flags                      uint8
		tag, dist, pos, head, word uint64
	}
	seeds := map[string]rec{
		"zero":           {},
		"max_lengths":    {keyLen: MaxKeyLen, valLen: MaxValueLen, flags: 15, tag: ^uint64(0), dist: maxDist, pos: ^uint64(0), head: ^uint64(0), word: ^uint64(0)},
		"magic_only":     {keyLen: 10, valLen: 22, flags: 2, tag: 5, dist: 1, pos: 1 << 20, head: 1 << 30, word: recordMagic},
		"huge_value":     {keyLen: 3, valLen: 1<<32 - 8, word: recordMagic | 10<<32 | (1<<32 - 8)},
		"expiry_at_end":  {keyLen: 1, valLen: 1, flags: 2, word: recordMagic | hdrExpiry | 10<<32 | MinMaxBytes},
		"counter":        {keyLen: 10, valLen: 8, flags: 4, word: recordMagic | hdrCounter | 10<<32 | 8},
		"pos_wraps":      {pos: 1<<posBits - 1, head: posSpan + 8, word: uint64(makeHeader(MaxKeyLen, 0, hdrDead))},
		"valid_header":   {keyLen: 10, valLen: 22, word: uint64(makeHeader(10, 22, 0))},
		"negative_32bit": {keyLen: 10, valLen: 0xfffffff9, word: recordMagic | 10<<32 | 0xfffffff9},
	}
	for name, r := range seeds {
		data := "go test fuzz v1\n" +
			"uint16(" + strconv.FormatUint(uint64(r.keyLen), 10) + ")\n" +
			"uint32(" + strconv.FormatUint(uint64(r.valLen), 10) + ")\n" +
			"uint8(" + strconv.FormatUint(uint64(r.flags), 10) + ")\n"
		for _, v := range []uint64{r.tag, r.dist, r.pos, r.head, r.word} {
			data += "uint64(" + strconv.FormatUint(v, 10) + ")\n"
		}
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644))
	}
}
