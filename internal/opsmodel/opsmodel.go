// Package opsmodel decodes arbitrary bytes (a fuzzer's input) into a
// sequence of cache operations, runs them against a larder cache and checks
// every answer against a sequential model of the cache.
//
// It is shared by two fuzz targets: FuzzOps in the fuzz/ module (the public
// API, seeded xxh3) and FuzzOpsDegenerate in the root package (the same
// operations with a hash that sends every key to one shard, slot and tag).
// It is not imported by the cache itself and imports nothing of it but the
// stats snapshot type, so the root package's own tests can use it.
//
// # What is checked
//
// Every answer must be the model's answer, with one allowance: an entry may
// be missing (evicted, or not admitted) — but only after an operation during
// which the cache counted an eviction or a rejection in its Stats. So a
// cache that never evicted answers exactly like the model, and one that did
// may miss but never returns a value that is not the current one (no stale
// value, none after Delete, none after expiry). Errors must wrap exactly the
// documented sentinels and read "larder: ...". A panic is reported with the
// operations that led to it. Expiry uses a fake clock (Clock), so it is
// decided exactly: an entry is a miss once now >= set time + ttl.
//
// # Input format
//
// Byte 0 picks a Setup (budget, shards, default TTL). Then each operation is
// an opcode byte (mod 16) followed by its operands; a missing operand byte
// reads as 0, and decoding stops at the end of the input or after MaxOps
// operations. Operands: a key byte (below 0xF0: one of the normal keys,
// which include the empty key; from 0xF0: a key of MaxKeyLen bytes, a second
// one differing in its last byte, or one of MaxKeyLen+1 bytes), a value as
// two bytes (size class and size; classes include empty, 8 bytes, exactly
// the entry limit and one byte over it), a TTL byte (0, 1ns,
// 1µs, 1ms, 1s, 1h, a huge TTL, negative), a delta byte (int8, with 0x7f and
// 0x80 meaning MaxInt64 and MinInt64), a clock step byte, and for GetOrLoad
// a byte saying what the loader does (return a value, fail, panic, or the
// caller's ctx is canceled). Builder writes inputs in this format.
//
// After the decoded operations Run reads every key once, closes the cache
// and checks that every operation then reports ErrClosed or a miss.
package opsmodel

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/larder-cache/larder/stats"
)

// Cache is the part of larder's *Cache that the model drives.
type Cache interface {
	Get(key []byte) ([]byte, bool)
	AppendGet(dst, key []byte) ([]byte, bool)
	Has(key []byte) bool
	Set(key, value []byte) error
	SetWithTTL(key, value []byte, ttl time.Duration) error
	SetIfAbsent(key, value []byte, ttl time.Duration) (bool, error)
	TTL(key []byte) (time.Duration, bool)
	Delete(key []byte) bool
	Len() int
	Stats() stats.Snapshot
	Close() error
}

// Adder is the counter operation. Run uses it when the cache has it
// (otherwise Add operations decode but are skipped).
type Adder interface {
	Add(key []byte, delta int64, ttl time.Duration) (int64, error)
}

// Clearer is the remove-everything operation. Run uses it when the cache
// has it (otherwise Clear operations decode but are skipped).
type Clearer interface {
	Clear() error
}

// LoadFunc is GetOrLoad's loader.
type LoadFunc = func(ctx context.Context) (value []byte, ttl time.Duration, err error)

// Loader is the memoizing read. Run uses it when the cache has it
// (otherwise GetOrLoad operations decode but are skipped).
type Loader interface {
	GetOrLoad(ctx context.Context, key []byte, load LoadFunc) ([]byte, error)
}

// Errors are the cache's sentinel errors.
type Errors struct {
	Closed, KeyTooLarge, EntryTooLarge, InvalidTTL, NotCounter, NotStored, LoaderPanic, CounterOverflow error
}

// errLoad is what a loader returns to fail; GetOrLoad must return it as is.
var errLoad = errors.New("opsmodel: the loader failed")

// Setup is the configuration of one run; Target.Open turns it into a cache.
type Setup struct {
	MaxBytes     int64
	Shards       int
	AvgEntrySize int
	DefaultTTL   time.Duration
	Clock        *Clock
}

// Setups are the configurations byte 0 of an input picks from.
var Setups = []Setup{
	{MaxBytes: 16 << 10, Shards: 1},                    // the minimum budget: evicts all the time
	{MaxBytes: 64 << 10, Shards: 1},                    // entry limit 1 KiB
	{MaxBytes: 256 << 10, Shards: 4, AvgEntrySize: 16}, // several shards, a small index
	{MaxBytes: 64 << 10, Shards: 2, DefaultTTL: time.Second},
	{MaxBytes: 4<<20 + 8<<10, Shards: 2}, // the entry limit admits a MaxKeyLen key
}

// MaxKeyLen is larder.MaxKeyLen; Target.MaxKeyLen must equal it.
const MaxKeyLen = 1<<16 - 1

// MaxOps bounds the operations decoded from one input.
const MaxOps = 256

// HangLimit is how long one input may run before Run crashes the process
// as hung (an input takes milliseconds).
var HangLimit = 30 * time.Second

// Target is what Run tests.
type Target struct {
	Open      func(Setup) (Cache, error)
	Errs      Errors
	MaxKeyLen int // larder.MaxKeyLen
}

// Clock is a fake Config.Clock that moves only when told. Safe for
// concurrent use.
type Clock struct{ ns atomic.Int64 }

var clockBase = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

// Now implements larder.Clock.
func (c *Clock) Now() time.Time { return clockBase.Add(time.Duration(c.ns.Load())) }

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// Opcodes, the first byte of an operation (mod 16).
const (
	OpSet byte = iota
	OpSet2
	OpSetWithTTL
	OpGet
	OpGet2
	OpAppendGet
	OpDelete
	OpAdd
	OpSetIfAbsent
	OpAdvance
	OpHas
	OpTTL
	OpCheck // Len and Stats invariants
	OpAdd2
	OpGetOrLoad
	OpRare // operand < 8: Close; 8..15: Clear; otherwise Delete of the key it names
)

type opKind uint8

const (
	kSet opKind = iota
	kSetWithTTL
	kGet
	kAppendGet
	kDelete
	kAdd
	kSetIfAbsent
	kAdvance
	kHas
	kTTL
	kCheck
	kClose
	kGetOrLoad
	kClear
)

var kindNames = [...]string{"Set", "SetWithTTL", "Get", "AppendGet", "Delete", "Add", "SetIfAbsent", "Advance", "Has", "TTL", "Check", "Close", "GetOrLoad", "Clear"}

// op is one decoded operation.
type op struct {
	kind  opKind
	key   int // index into keys
	val   []byte
	ttl   time.Duration
	delta int64
	step  time.Duration
	load  byte // GetOrLoad: what the loader does (see loadBehaviour)
}

// What GetOrLoad's loader does, from its operand byte mod 8.
const (
	loadFail     = 5 // returns errLoad
	loadPanic    = 6 // panics
	loadCanceled = 7 // the caller's ctx is already canceled (the loader returns the value)
	// anything else: returns the value and the TTL
)

// Keys. The normal ones are picked by key bytes below 0xF0, the huge ones
// by bytes from 0xF0.
var (
	keysOnce sync.Once
	keys     [][]byte
)

const (
	numNormalKeys = 10
	numHugeKeys   = 3
	numKeys       = numNormalKeys + numHugeKeys
)

func buildKeys() {
	long := func(n int, last byte) []byte {
		k := make([]byte, n)
		for i := range k {
			k[i] = 'a' + byte(i%26)
		}
		k[n-1] = last
		return k
	}
	keys = [][]byte{
		{},                    // the empty key
		[]byte("a"),           //
		[]byte("b"),           //
		[]byte("ctr"),         //
		[]byte("key00004"),    // one word
		{'k', 0, 1},           // binary
		long(100, 'A'),        // two long keys that differ only in the last byte
		long(100, 'B'),        //
		long(1000, 'Z'),       //
		[]byte("zzzzzzzzzzz"), //
		long(MaxKeyLen, 'M'),  // the longest key
		long(MaxKeyLen, 'N'),  // ... and its twin
		long(MaxKeyLen+1, 0),  // one byte too long: ErrKeyTooLarge
	}
}

// keyIndex maps a key operand byte to a key.
func keyIndex(b byte) int {
	if b < 0xF0 {
		return int(b) % numNormalKeys
	}
	return numNormalKeys + int(b-0xF0)%numHugeKeys
}

var ttls = [8]time.Duration{0, 1, time.Microsecond, time.Millisecond, time.Second, time.Hour, math.MaxInt64, -1}

// decodeTTL maps a TTL operand byte. Class 6 is a huge TTL: MaxInt64 or,
// for odd high bits, 200 years; class 7 is negative (ErrInvalidTTL).
func decodeTTL(b byte) time.Duration {
	d := ttls[b%8]
	if b%8 == 6 && (b/8)%2 == 1 {
		d = 200 * 365 * 24 * time.Hour
	}
	if b%8 == 7 && b >= 0x80 {
		d = math.MinInt64
	}
	return d
}

var steps = [8]time.Duration{1, time.Microsecond, time.Millisecond - 1, time.Millisecond, 999 * time.Millisecond, time.Second, time.Hour, 2 * time.Hour}

func decodeDelta(b byte) int64 {
	switch b {
	case 0x7f:
		return math.MaxInt64
	case 0x80:
		return math.MinInt64
	}
	return int64(int8(b))
}

// valueLen maps the two value operand bytes to a length, given the entry
// limit and the key length.
func valueLen(class, size byte, maxEntry, keyLen int) int {
	room := max(maxEntry-keyLen, 0)
	switch class % 8 {
	case 0:
		return 0
	case 1:
		return 8 // counter-shaped
	case 2:
		return 1 + int(size%16)
	case 3:
		return 17 + int(size)
	case 4:
		return room // exactly the entry limit
	case 5:
		return room + 1 + int(size%3) // just over it
	case 6:
		return room * int(size) / 255
	default:
		return 7
	}
}

// fillValue writes a value of n bytes that names the operation (stamp), so
// values of different operations differ (when n >= 4).
func fillValue(buf []byte, n int, stamp uint32) []byte {
	if cap(buf) < n {
		buf = make([]byte, n)
	}
	v := buf[:n]
	var s [4]byte
	binary.LittleEndian.PutUint32(s[:], stamp)
	for i := range v {
		if i < 4 {
			v[i] = s[i]
		} else {
			v[i] = byte(stamp*7) ^ byte(i) ^ byte(i>>8)
		}
	}
	return v
}

// state is one possible state of one key in the model. An expired entry is
// absent: no operation can tell them apart.
type state struct {
	present bool
	val     string
	exp     int64 // absolute model time in ns; 0 = never
	counter bool  // created by Add
}

// outcome is what an operation returned.
type outcome struct {
	err    error // a sentinel or nil
	ok     bool
	loaded bool // GetOrLoad called the loader
	val    string
	n      int64
	d      time.Duration
}

type branch struct {
	out  outcome
	next state
}

// model is the set of states each key may be in.
type model struct {
	errs     Errors
	maxEntry int
	defTTL   time.Duration
	now      int64
	closed   bool
	keys     [numKeys][]state
	stored   [numKeys]bool // stored at least once: bounds Len
}

func (m *model) expiryFor(ttl time.Duration) int64 {
	if ttl <= 0 {
		return 0
	}
	if int64(ttl) > math.MaxInt64-m.now {
		return math.MaxInt64 // saturate: a TTL beyond the clock's range never ends
	}
	return m.now + int64(ttl)
}

// normalize drops expired entries to absent and deduplicates.
func (m *model) normalize(ss []state) []state {
	out := ss[:0]
	for _, s := range ss {
		if s.present && s.exp != 0 && m.now >= s.exp {
			s = state{}
		}
		dup := false
		for _, o := range out {
			if o == s {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, s)
		}
	}
	return out
}

// argErrs returns the documented errors the arguments call for.
func (m *model) argErrs(key []byte, valLen int, ttl time.Duration) []error {
	var errs []error
	if ttl < 0 {
		errs = append(errs, m.errs.InvalidTTL)
	}
	if len(key) > MaxKeyLen {
		errs = append(errs, m.errs.KeyTooLarge)
	}
	if len(key)+valLen > m.maxEntry {
		errs = append(errs, m.errs.EntryTooLarge)
	}
	return errs
}

// errBranches returns the branches of a store that fails before touching
// the key, or nil when it goes ahead.
func (m *model) errBranches(s state, key []byte, valLen int, ttl time.Duration) []branch {
	errs := m.argErrs(key, valLen, ttl)
	if m.closed {
		errs = append(errs, m.errs.Closed)
	}
	var bs []branch
	for _, err := range errs {
		bs = append(bs, branch{outcome{err: err}, s})
	}
	return bs
}

// branches lists what o may return in state s and the state it leaves.
// lossy says the cache counted an eviction or rejection during o: a store
// may then not have been kept.
func (m *model) branches(o *op, s state, lossy bool) []branch {
	key := keys[o.key]
	live := s.present
	switch o.kind {
	case kSet, kSetWithTTL:
		ttl := m.defTTL
		if o.kind == kSetWithTTL {
			ttl = o.ttl
		}
		if bs := m.errBranches(s, key, len(o.val), ttl); bs != nil {
			return bs
		}
		bs := []branch{{outcome{}, state{present: true, val: string(o.val), exp: m.expiryFor(ttl)}}}
		if lossy {
			bs = append(bs, branch{outcome{}, state{}})
		}
		return bs
	case kSetIfAbsent:
		if bs := m.errBranches(s, key, len(o.val), o.ttl); bs != nil {
			return bs
		}
		if live {
			return []branch{{outcome{ok: false}, s}}
		}
		bs := []branch{{outcome{ok: true}, state{present: true, val: string(o.val), exp: m.expiryFor(o.ttl)}}}
		if lossy {
			bs = append(bs, branch{outcome{ok: false}, state{}})
		}
		return bs
	case kAdd:
		if bs := m.errBranches(s, key, 8, o.ttl); bs != nil {
			return bs
		}
		if !live {
			bs := []branch{{outcome{n: o.delta}, counterState(o.delta, m.expiryFor(o.ttl))}}
			if lossy {
				// Not indexed (a full probe window), or evicted later on.
				bs = append(bs, branch{outcome{err: m.errs.NotStored}, state{}}, branch{outcome{n: o.delta}, state{}})
			}
			return bs
		}
		if len(s.val) != 8 {
			return []branch{{outcome{err: m.errs.NotCounter}, s}}
		}
		// A counter, or an 8-byte value stored by Set, which Add takes as
		// one; the expiry stays.
		old := int64(binary.NativeEndian.Uint64([]byte(s.val)))
		n := old + o.delta
		if (o.delta >= 0) != (n >= old) {
			// Beyond int64: an error, and the value stays as it was.
			return []branch{{outcome{err: m.errs.CounterOverflow}, s}}
		}
		bs := []branch{{outcome{n: n}, counterState(n, s.exp)}}
		if lossy && !s.counter {
			// Turning a value into a counter stores a new record, which
			// may not be kept.
			bs = append(bs, branch{outcome{n: n}, state{}}, branch{outcome{err: m.errs.NotStored}, state{}})
		}
		return bs
	case kGet, kAppendGet, kHas:
		if m.closed || !live {
			return []branch{{outcome{}, s}}
		}
		if o.kind == kHas {
			return []branch{{outcome{ok: true}, s}}
		}
		return []branch{{outcome{ok: true, val: s.val}, s}}
	case kTTL:
		if m.closed || !live {
			return []branch{{outcome{}, s}}
		}
		var d time.Duration
		if s.exp != 0 {
			d = time.Duration(s.exp - m.now)
		}
		return []branch{{outcome{ok: true, d: d}, s}}
	case kDelete:
		if m.closed {
			return []branch{{outcome{}, s}}
		}
		return []branch{{outcome{ok: live}, state{}}}
	case kGetOrLoad:
		var errs []error
		if len(key) > MaxKeyLen {
			errs = append(errs, m.errs.KeyTooLarge)
		}
		if len(key) > m.maxEntry {
			errs = append(errs, m.errs.EntryTooLarge)
		}
		if m.closed {
			errs = append(errs, m.errs.Closed)
		}
		if errs != nil {
			var bs []branch
			for _, err := range errs {
				bs = append(bs, branch{outcome{err: err}, s})
			}
			return bs
		}
		if live {
			return []branch{{outcome{val: s.val}, s}}
		}
		switch o.load % 8 {
		case loadCanceled:
			return []branch{{outcome{err: context.Canceled}, s}}
		case loadFail:
			return []branch{{outcome{err: errLoad, loaded: true}, s}}
		case loadPanic:
			return []branch{{outcome{err: m.errs.LoaderPanic, loaded: true}, s}}
		}
		if o.ttl < 0 {
			return []branch{{outcome{err: m.errs.InvalidTTL, loaded: true}, s}}
		}
		if len(key)+len(o.val) > m.maxEntry {
			return []branch{{outcome{err: m.errs.EntryTooLarge, loaded: true}, s}}
		}
		// Stored with SetWithTTL's meaning of ttl; the value is returned
		// even when the cache does not keep it.
		bs := []branch{{outcome{val: string(o.val), loaded: true}, state{present: true, val: string(o.val), exp: m.expiryFor(o.ttl)}}}
		if lossy {
			bs = append(bs, branch{outcome{val: string(o.val), loaded: true}, state{}})
		}
		return bs
	}
	panic("opsmodel: no branches for " + kindNames[o.kind])
}

func counterState(n int64, exp int64) state {
	var b [8]byte
	binary.NativeEndian.PutUint64(b[:], uint64(n))
	return state{present: true, val: string(b[:]), exp: exp, counter: true}
}

// runner holds one run's cache, model and trace.
type runner struct {
	tgt   Target
	setup Setup
	c     Cache
	add   Adder  // nil when the cache has no Add
	load  Loader // nil when the cache has no GetOrLoad
	m     model
	trace []op
	st    stats.Snapshot
}

// Run decodes data, runs it against a cache from tgt.Open and the model, and
// returns the first disagreement (or panic) as an error with the operations
// that led to it.
func Run(data []byte, tgt Target) (err error) {
	if tgt.MaxKeyLen != MaxKeyLen {
		return fmt.Errorf("opsmodel: MaxKeyLen is %d, the cache's is %d", MaxKeyLen, tgt.MaxKeyLen)
	}
	keysOnce.Do(buildKeys)
	if len(data) == 0 {
		return nil
	}
	// A hang is a bug too: crash with every goroutine's stack, which makes
	// the fuzzer keep the input.
	watchdog := time.AfterFunc(HangLimit, func() {
		buf := make([]byte, 1<<20)
		panic(fmt.Sprintf("opsmodel: one input ran for over %v (a hang?); goroutines:\n%s", HangLimit, buf[:runtime.Stack(buf, true)]))
	})
	defer watchdog.Stop()
	r := &runner{tgt: tgt}
	r.setup = Setups[int(data[0])%len(Setups)]
	r.setup.Clock = &Clock{}
	c, err := tgt.Open(r.setup)
	if err != nil {
		return fmt.Errorf("opsmodel: open %+v: %w", r.setup, err)
	}
	r.c = c
	r.add, _ = c.(Adder)
	r.load, _ = c.(Loader)
	r.m = model{
		errs: tgt.Errs,
		// The cache's entry limit (Config.MaxBytes documents it). Every
		// setup sets Shards: the default count depends on GOMAXPROCS.
		maxEntry: int(min(r.setup.MaxBytes/64, r.setup.MaxBytes/int64(16*max(r.setup.Shards, 1)), math.MaxUint32)),
		defTTL:   r.setup.DefaultTTL,
	}
	for i := range r.m.keys {
		r.m.keys[i] = []state{{}}
	}
	defer func() {
		if p := recover(); p != nil {
			err = r.fail(fmt.Errorf("panic: %v\n%s", p, debug.Stack()))
		}
		if !r.m.closed {
			c.Close()
		}
	}()
	r.st = c.Stats()

	d := decoder{data: data[1:]}
	for n := 0; n < MaxOps && !d.done(); n++ {
		o := r.decode(&d, uint32(n+1))
		if err := r.do(o); err != nil {
			return err
		}
	}
	// Read every key once, then close and try everything again.
	for k := range keys {
		if err := r.do(op{kind: kGet, key: k}); err != nil {
			return err
		}
	}
	if err := r.do(op{kind: kClose}); err != nil {
		return err
	}
	v := []byte("after close")
	for k := range keys {
		for _, o := range []op{
			{kind: kSet, key: k, val: v}, {kind: kSetWithTTL, key: k, val: v, ttl: time.Hour},
			{kind: kSetIfAbsent, key: k, val: v}, {kind: kAdd, key: k, delta: 1},
			{kind: kGet, key: k}, {kind: kAppendGet, key: k}, {kind: kHas, key: k},
			{kind: kTTL, key: k}, {kind: kDelete, key: k}, {kind: kCheck},
			{kind: kGetOrLoad, key: k, val: v},
		} {
			if err := r.do(o); err != nil {
				return err
			}
		}
	}
	return nil
}

type decoder struct {
	data []byte
	pos  int
}

func (d *decoder) done() bool { return d.pos >= len(d.data) }

func (d *decoder) next() byte {
	if d.pos >= len(d.data) {
		return 0
	}
	b := d.data[d.pos]
	d.pos++
	return b
}

func (r *runner) decode(d *decoder, stamp uint32) op {
	value := func(key int) []byte {
		class, size := d.next(), d.next()
		n := valueLen(class, size, r.m.maxEntry, len(keys[key]))
		return fillValue(nil, n, stamp)
	}
	switch code := d.next() % 16; code {
	case OpSet, OpSet2:
		k := keyIndex(d.next())
		return op{kind: kSet, key: k, val: value(k)}
	case OpSetWithTTL:
		k := keyIndex(d.next())
		v := value(k)
		return op{kind: kSetWithTTL, key: k, val: v, ttl: decodeTTL(d.next())}
	case OpSetIfAbsent:
		k := keyIndex(d.next())
		v := value(k)
		return op{kind: kSetIfAbsent, key: k, val: v, ttl: decodeTTL(d.next())}
	case OpGetOrLoad:
		k := keyIndex(d.next())
		b := d.next()
		v := value(k)
		return op{kind: kGetOrLoad, key: k, load: b, val: v, ttl: decodeTTL(d.next())}
	case OpGet, OpGet2:
		return op{kind: kGet, key: keyIndex(d.next())}
	case OpAppendGet:
		return op{kind: kAppendGet, key: keyIndex(d.next())}
	case OpDelete:
		return op{kind: kDelete, key: keyIndex(d.next())}
	case OpAdd, OpAdd2:
		k := keyIndex(d.next())
		delta := decodeDelta(d.next())
		return op{kind: kAdd, key: k, delta: delta, ttl: decodeTTL(d.next())}
	case OpAdvance:
		return op{kind: kAdvance, step: steps[d.next()%8]}
	case OpHas:
		return op{kind: kHas, key: keyIndex(d.next())}
	case OpTTL:
		return op{kind: kTTL, key: keyIndex(d.next())}
	case OpCheck:
		return op{kind: kCheck}
	default: // OpRare
		b := d.next()
		switch {
		case b >= 16:
			return op{kind: kDelete, key: keyIndex(b)}
		case b >= 8:
			return op{kind: kClear}
		}
		return op{kind: kClose}
	}
}

// observe runs o against the cache and returns what it answered.
func (r *runner) observe(o *op) (outcome, error) {
	key := keys[o.key]
	var out outcome
	var err error
	switch o.kind {
	case kSet:
		err = r.c.Set(key, o.val)
	case kSetWithTTL:
		err = r.c.SetWithTTL(key, o.val, o.ttl)
	case kSetIfAbsent:
		out.ok, err = r.c.SetIfAbsent(key, o.val, o.ttl)
	case kAdd:
		out.n, err = r.add.Add(key, o.delta, o.ttl)
		if err != nil {
			out.n = 0
		}
	case kGet:
		v, ok := r.c.Get(key)
		if ok && v == nil {
			return out, fmt.Errorf("Get hit returned a nil slice")
		}
		if !ok && v != nil {
			return out, fmt.Errorf("Get miss returned %d bytes", len(v))
		}
		out.ok, out.val = ok, string(v)
	case kAppendGet:
		// dst has a varying amount of spare room, filled with a marker:
		// like append, AppendGet may write only the bytes it returns.
		const prefix, marker = "prefix", 0xEE
		backing := make([]byte, len(prefix)+len(r.trace)*37%80)
		for i := range backing {
			backing[i] = marker
		}
		dst := append(backing[:0], prefix...)
		v, ok := r.c.AppendGet(dst, key)
		if len(v) < len(prefix) || string(v[:len(prefix)]) != prefix {
			return out, fmt.Errorf("AppendGet clobbered dst: %q", trunc(v))
		}
		if !ok && len(v) != len(prefix) {
			return out, fmt.Errorf("AppendGet miss changed dst to %q", trunc(v))
		}
		if &v[0] == &backing[0] {
			for i := len(v); i < len(backing); i++ {
				if backing[i] != marker {
					return out, fmt.Errorf("AppendGet returned %d bytes but wrote dst's backing array at %d: % x", len(v), i, backing[len(v):])
				}
			}
		}
		out.ok, out.val = ok, string(v[len(prefix):])
	case kHas:
		out.ok = r.c.Has(key)
	case kTTL:
		out.d, out.ok = r.c.TTL(key)
	case kDelete:
		out.ok = r.c.Delete(key)
	case kGetOrLoad:
		ctx := context.Background()
		if o.load%8 == loadCanceled {
			c, cancel := context.WithCancel(ctx)
			cancel()
			ctx = c
		}
		var v []byte
		v, err = r.load.GetOrLoad(ctx, key, func(context.Context) ([]byte, time.Duration, error) {
			out.loaded = true
			switch o.load % 8 {
			case loadFail:
				return nil, 0, errLoad
			case loadPanic:
				panic("opsmodel: the loader panics")
			}
			return o.val, o.ttl, nil
		})
		if err == nil && v == nil {
			return out, fmt.Errorf("GetOrLoad returned a nil value and no error")
		}
		if err != nil && v != nil {
			return out, fmt.Errorf("GetOrLoad returned %d bytes and %v", len(v), err)
		}
		out.val = string(v)
		switch {
		case errors.Is(err, errLoad), errors.Is(err, context.Canceled):
			out.err = err
			if errors.Is(err, context.Canceled) {
				out.err = context.Canceled
			}
			return out, nil
		}
	}
	if err != nil {
		if !strings.HasPrefix(err.Error(), "larder: ") {
			return out, fmt.Errorf("error without the larder: prefix: %v", err)
		}
		for _, s := range []error{r.m.errs.Closed, r.m.errs.KeyTooLarge, r.m.errs.EntryTooLarge, r.m.errs.InvalidTTL, r.m.errs.NotCounter, r.m.errs.NotStored, r.m.errs.LoaderPanic, r.m.errs.CounterOverflow} {
			if errors.Is(err, s) {
				out.err = s
				return out, nil
			}
		}
		return out, fmt.Errorf("undocumented error: %v", err)
	}
	return out, nil
}

// do runs one operation and checks it.
func (r *runner) do(o op) error {
	r.trace = append(r.trace, o)
	switch o.kind {
	case kAdvance:
		r.setup.Clock.Advance(o.step)
		r.m.now += int64(o.step)
		for k := range r.m.keys {
			r.m.keys[k] = r.m.normalize(r.m.keys[k])
		}
		return nil
	case kClose:
		if err := r.c.Close(); err != nil {
			return r.fail(fmt.Errorf("Close returned %v", err))
		}
		r.m.closed = true
		return nil
	case kClear:
		cl, ok := r.c.(Clearer)
		if !ok {
			return nil // the cache has no Clear
		}
		err := cl.Clear()
		switch {
		case r.m.closed && !errors.Is(err, r.m.errs.Closed):
			return r.fail(fmt.Errorf("Clear after Close returned %v, want %v", err, r.m.errs.Closed))
		case !r.m.closed && err != nil:
			return r.fail(fmt.Errorf("Clear returned %v", err))
		}
		if !r.m.closed {
			for k := range r.m.keys {
				r.m.keys[k] = []state{{}}
				r.m.stored[k] = false
			}
		}
		r.st = r.c.Stats()
		return r.check()
	case kCheck:
		return r.check()
	case kAdd:
		if r.add == nil {
			return nil // the cache has no Add
		}
	case kGetOrLoad:
		if r.load == nil {
			return nil // the cache has no GetOrLoad
		}
	}
	out, err := r.observe(&o)
	if err != nil {
		return r.fail(err)
	}
	st := r.c.Stats()
	lossy := st.Evictions+st.Rejections != r.st.Evictions+r.st.Rejections
	r.st = st
	if lossy {
		// Any key may have been evicted by this operation.
		for k := range r.m.keys {
			if k != o.key {
				r.m.keys[k] = r.m.normalize(append(r.m.keys[k], state{}))
			}
		}
	}
	var next []state
	var want []outcome
	for _, s := range r.m.keys[o.key] {
		for _, b := range r.m.branches(&o, s, lossy) {
			want = append(want, b.out)
			if b.out == out {
				next = append(next, b.next)
			}
		}
		if lossy && s.present {
			// The key itself may have been evicted before o took effect.
			for _, b := range r.m.branches(&o, state{}, lossy) {
				want = append(want, b.out)
				if b.out == out {
					next = append(next, b.next)
				}
			}
		}
	}
	if len(next) == 0 {
		return r.fail(fmt.Errorf("got %s, want one of %s", fmtOut(out), fmtOuts(want)))
	}
	if out.err == nil && (o.kind == kSet || o.kind == kSetWithTTL || o.kind == kAdd || (o.kind == kSetIfAbsent && out.ok) || out.loaded) {
		r.m.stored[o.key] = true
	}
	r.m.keys[o.key] = r.m.normalize(next)
	return nil
}

// check compares Len and Stats with what the model allows.
func (r *runner) check() error {
	n := r.c.Len()
	st := r.c.Stats()
	if st.AllocatedBytes > st.BudgetBytes {
		return r.fail(fmt.Errorf("allocated %d bytes over the budget %d", st.AllocatedBytes, st.BudgetBytes))
	}
	if r.m.closed {
		return nil
	}
	lo, hi := 0, 0
	for k, ss := range r.m.keys {
		if r.m.stored[k] {
			hi++
		}
		sure := true
		for _, s := range ss {
			sure = sure && s.present
		}
		if sure {
			lo++
		}
	}
	if n < lo || n > hi {
		return r.fail(fmt.Errorf("Len() = %d, want between %d and %d", n, lo, hi))
	}
	if st.Entries != uint64(n) {
		return r.fail(fmt.Errorf("Stats().Entries = %d, Len() = %d", st.Entries, n))
	}
	return nil
}

func (r *runner) fail(err error) error {
	var b strings.Builder
	fmt.Fprintf(&b, "setup %+v, after %d operations: %v\nstates of the key:", r.setup, len(r.trace), err)
	if len(r.trace) > 0 {
		last := r.trace[len(r.trace)-1]
		for _, s := range r.m.keys[last.key] {
			fmt.Fprintf(&b, " {present %v, %d bytes %x, exp %d, counter %v}", s.present, len(s.val), trunc([]byte(s.val)), s.exp, s.counter)
		}
	}
	b.WriteString("\nlast operations:\n")
	from := max(0, len(r.trace)-24)
	for i := from; i < len(r.trace); i++ {
		fmt.Fprintf(&b, "  %3d %s\n", i, fmtOp(&r.trace[i]))
	}
	return errors.New(b.String())
}

func fmtOp(o *op) string {
	k := keys[o.key]
	ks := fmt.Sprintf("key#%d(len %d)", o.key, len(k))
	if len(k) <= 16 {
		ks = fmt.Sprintf("%q", k)
	}
	switch o.kind {
	case kSet:
		return fmt.Sprintf("Set(%s, %d bytes %x)", ks, len(o.val), trunc(o.val))
	case kSetWithTTL, kSetIfAbsent:
		return fmt.Sprintf("%s(%s, %d bytes %x, ttl %v)", kindNames[o.kind], ks, len(o.val), trunc(o.val), o.ttl)
	case kAdd:
		return fmt.Sprintf("Add(%s, %d, ttl %v)", ks, o.delta, o.ttl)
	case kAdvance:
		return fmt.Sprintf("Advance(%v)", o.step)
	case kGetOrLoad:
		what := map[byte]string{loadFail: "fails", loadPanic: "panics", loadCanceled: "ctx canceled"}[o.load%8]
		if what == "" {
			what = fmt.Sprintf("%d bytes %x, ttl %v", len(o.val), trunc(o.val), o.ttl)
		}
		return fmt.Sprintf("GetOrLoad(%s, loader: %s)", ks, what)
	case kCheck, kClose, kClear:
		return kindNames[o.kind] + "()"
	}
	return fmt.Sprintf("%s(%s)", kindNames[o.kind], ks)
}

func fmtOut(o outcome) string {
	return fmt.Sprintf("{err %v, ok %v, val %d bytes %x, n %d, ttl %v, loaded %v}", o.err, o.ok, len(o.val), trunc([]byte(o.val)), o.n, o.d, o.loaded)
}

func fmtOuts(os []outcome) string {
	parts := make([]string, len(os))
	for i, o := range os {
		parts[i] = fmtOut(o)
	}
	return "[" + strings.Join(parts, " | ") + "]"
}

func trunc(b []byte) []byte {
	if len(b) > 12 {
		return b[:12]
	}
	return b
}
