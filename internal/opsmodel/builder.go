package opsmodel

import "strconv"

// Builder writes an input in Run's format, for seed corpora and tests.
type Builder struct{ b []byte }

// NewBuilder starts an input that runs against Setups[setup].
func NewBuilder(setup int) *Builder { return &Builder{b: []byte{byte(setup)}} }

// Bytes returns the input.
func (b *Builder) Bytes() []byte { return b.b }

// Key operands.
const (
	KeyEmpty   byte = 0
	KeyA       byte = 1
	KeyB       byte = 2
	KeyCounter byte = 3
	KeyLongA   byte = 6 // 100 bytes
	KeyLongB   byte = 7 // 100 bytes, differs from KeyLongA in the last byte
	KeyMax     byte = 0xF0
	KeyMaxTwin byte = 0xF1
	KeyTooLong byte = 0xF2
)

// Value size classes (the first value operand byte).
const (
	ValEmpty   byte = 0
	Val8       byte = 1
	ValSmall   byte = 2 // 1 + size%16 bytes
	ValMedium  byte = 3 // 17 + size bytes
	ValMax     byte = 4 // exactly the entry limit MaxBytes/64 minus the key
	ValOver    byte = 5 // one byte (or two, three) over it
	ValPartial byte = 6 // size/255 of the room
)

// TTL operand bytes.
const (
	TTLNone     byte = 0
	TTL1ns      byte = 1
	TTL1us      byte = 2
	TTL1ms      byte = 3
	TTL1s       byte = 4
	TTL1h       byte = 5
	TTLMaxInt64 byte = 6
	TTL200y     byte = 14
	TTLNegative byte = 7
)

// Clock step operand bytes.
const (
	Step1ns          byte = 0
	Step1us          byte = 1
	StepJustUnder1ms byte = 2
	Step1ms          byte = 3
	Step999ms        byte = 4
	Step1s           byte = 5
	Step1h           byte = 6
)

func (b *Builder) add(bs ...byte) *Builder { b.b = append(b.b, bs...); return b }

func (b *Builder) Set(key, class, size byte) *Builder { return b.add(OpSet, key, class, size) }
func (b *Builder) SetWithTTL(key, class, size, ttl byte) *Builder {
	return b.add(OpSetWithTTL, key, class, size, ttl)
}
func (b *Builder) SetIfAbsent(key, class, size, ttl byte) *Builder {
	return b.add(OpSetIfAbsent, key, class, size, ttl)
}
func (b *Builder) Get(key byte) *Builder       { return b.add(OpGet, key) }
func (b *Builder) AppendGet(key byte) *Builder { return b.add(OpAppendGet, key) }
func (b *Builder) Has(key byte) *Builder       { return b.add(OpHas, key) }
func (b *Builder) TTL(key byte) *Builder       { return b.add(OpTTL, key) }
func (b *Builder) Delete(key byte) *Builder    { return b.add(OpDelete, key) }

// Add adds delta (an int8; 0x7f is MaxInt64, 0x80 MinInt64).
func (b *Builder) Add(key byte, delta int8, ttl byte) *Builder {
	return b.add(OpAdd, key, byte(delta), ttl)
}

// GetOrLoad reads key, loading on a miss; load is what the loader does:
// LoadValue (return a value of the class, size and ttl), LoadFail,
// LoadPanic, or LoadCanceled (the caller's ctx is already canceled).
func (b *Builder) GetOrLoad(key, load, class, size, ttl byte) *Builder {
	return b.add(OpGetOrLoad, key, load, class, size, ttl)
}

// GetOrLoad loader behaviours.
const (
	LoadValue    byte = 0
	LoadFail     byte = loadFail
	LoadPanic    byte = loadPanic
	LoadCanceled byte = loadCanceled
)

func (b *Builder) Advance(step byte) *Builder { return b.add(OpAdvance, step) }
func (b *Builder) Check() *Builder            { return b.add(OpCheck) }
func (b *Builder) Close() *Builder            { return b.add(OpRare, 0) }
func (b *Builder) Clear() *Builder            { return b.add(OpRare, 8) }

// Seeds returns a handful of meaningful inputs: exact expiry boundaries,
// the entry limit, the longest key, counters, SetIfAbsent, eviction under
// the minimum budget, Clear and Close in the middle.
func Seeds() map[string][]byte {
	s := map[string][]byte{}
	s["basic"] = NewBuilder(1).
		Set(KeyEmpty, ValEmpty, 0).Get(KeyEmpty).AppendGet(KeyEmpty).
		Set(KeyA, ValSmall, 5).Set(KeyB, ValMedium, 40).Get(KeyA).Get(KeyB).
		Set(KeyA, ValMedium, 200).AppendGet(KeyA).Delete(KeyA).Get(KeyA).Has(KeyA).Delete(KeyA).
		Check().Bytes()
	s["expiry_boundaries"] = NewBuilder(1).
		SetWithTTL(KeyA, ValSmall, 3, TTL1ms).SetWithTTL(KeyB, ValSmall, 4, TTL1s).
		Advance(StepJustUnder1ms).Get(KeyA).TTL(KeyA).Advance(Step1ns).Get(KeyA).Has(KeyA).TTL(KeyA).
		SetIfAbsent(KeyA, ValSmall, 9, TTLNone).Get(KeyA).
		Advance(Step999ms).TTL(KeyB).Get(KeyB).Delete(KeyB).
		SetWithTTL(KeyLongA, ValSmall, 1, TTLNegative).Get(KeyLongA).Check().Bytes()
	s["long_ttls"] = NewBuilder(1).
		SetWithTTL(KeyA, ValSmall, 1, TTL200y).Advance(Step1h).Get(KeyA).TTL(KeyA).
		SetWithTTL(KeyB, ValSmall, 2, TTLMaxInt64).Get(KeyB).TTL(KeyB).
		Advance(Step1ns).SetWithTTL(KeyB, ValSmall, 3, TTLMaxInt64).Get(KeyB).TTL(KeyB).Bytes()
	s["entry_limit"] = NewBuilder(2).
		Set(KeyA, ValMax, 0).Get(KeyA).Set(KeyA, ValOver, 0).Get(KeyA).
		Set(KeyLongA, ValMax, 0).Set(KeyLongB, ValMax, 0).Get(KeyLongA).Get(KeyLongB).
		Set(KeyTooLong, ValEmpty, 0).Get(KeyTooLong).Delete(KeyTooLong).Check().Bytes()
	s["max_key"] = NewBuilder(4).
		Set(KeyMax, ValSmall, 7).Set(KeyMaxTwin, ValMax, 0).Get(KeyMax).Get(KeyMaxTwin).
		Set(KeyMax, ValOver, 0).Get(KeyMax).TTL(KeyMax).Delete(KeyMaxTwin).Get(KeyMaxTwin).
		Set(KeyTooLong, Val8, 0).Add(KeyMax, 1, TTLNone).Check().Bytes()
	s["counters"] = NewBuilder(1).
		Add(KeyCounter, 5, TTLNone).Add(KeyCounter, -7, TTLNone).Get(KeyCounter).
		Add(KeyCounter, 0x7f, TTLNone).Add(KeyCounter, 1, TTLNone).Get(KeyCounter).
		Set(KeyA, ValSmall, 3).Add(KeyA, 1, TTLNone).Set(KeyB, Val8, 0).Add(KeyB, 2, TTLNone).Get(KeyB).
		Add(KeyLongA, 1, TTL1ms).Advance(Step1ms).Add(KeyLongA, 3, TTL1s).Get(KeyLongA).TTL(KeyLongA).
		Delete(KeyCounter).Add(KeyCounter, 2, TTLNegative).Get(KeyCounter).Check().Bytes()
	s["append_get_room"] = NewBuilder(1).
		Set(KeyA, ValSmall, 2).AppendGet(KeyA).AppendGet(KeyA).Set(KeyB, ValSmall, 12).
		AppendGet(KeyB).AppendGet(KeyA).AppendGet(KeyB).Get(KeyA).AppendGet(KeyA).AppendGet(KeyB).Bytes()
	s["get_or_load"] = NewBuilder(1).
		GetOrLoad(KeyA, LoadValue, ValSmall, 4, TTL1ms).GetOrLoad(KeyA, LoadPanic, 0, 0, 0).Get(KeyA).
		Advance(Step1ms).GetOrLoad(KeyA, LoadFail, 0, 0, 0).GetOrLoad(KeyA, LoadCanceled, ValSmall, 1, 0).
		GetOrLoad(KeyA, LoadPanic, 0, 0, 0).GetOrLoad(KeyA, LoadValue, ValSmall, 1, TTLNegative).
		GetOrLoad(KeyA, LoadValue, ValOver, 0, TTLNone).GetOrLoad(KeyA, LoadValue, ValMax, 0, TTLNone).
		Get(KeyA).GetOrLoad(KeyTooLong, LoadValue, 0, 0, 0).Set(KeyB, ValEmpty, 0).
		GetOrLoad(KeyB, LoadPanic, 0, 0, 0).Close().GetOrLoad(KeyB, LoadValue, ValSmall, 1, 0).Bytes()
	b := NewBuilder(0) // the minimum budget: most of these are evicted
	for i := 0; i < 40; i++ {
		b.Set(byte(i), ValMedium, byte(i*37)).Get(byte(i+3)).SetIfAbsent(byte(i+1), ValMax, 0, TTL1s)
		if i%8 == 0 {
			b.Advance(Step999ms).Check()
		}
	}
	s["eviction"] = b.Bytes()
	s["clear_midway"] = NewBuilder(1).
		Set(KeyA, ValSmall, 1).SetWithTTL(KeyB, ValMedium, 2, TTL1s).Add(KeyCounter, 3, TTLNone).
		Clear().Get(KeyA).Has(KeyB).TTL(KeyB).Add(KeyCounter, 1, TTLNone).Check().
		Set(KeyA, ValMedium, 4).Get(KeyA).SetIfAbsent(KeyB, ValSmall, 5, TTLNone).Get(KeyB).
		Clear().Clear().Check().Set(KeyLongA, ValMax, 0).Get(KeyLongA).
		Close().Clear().Get(KeyLongA).Bytes()
	s["close_midway"] = NewBuilder(3).
		Set(KeyA, ValSmall, 1).Add(KeyCounter, 1, TTLNone).Set(KeyB, ValMedium, 9).
		Close().Set(KeyA, ValSmall, 2).Get(KeyA).Add(KeyCounter, 1, TTLNone).
		SetWithTTL(KeyA, ValSmall, 1, TTLNegative).Set(KeyA, ValOver, 0).Close().Check().Bytes()
	return s
}

// CorpusFile returns data as a file of Go's fuzzing corpus format for a
// target that takes one []byte.
func CorpusFile(data []byte) []byte {
	return []byte("go test fuzz v1\n[]byte(" + strconv.Quote(string(data)) + ")\n")
}
