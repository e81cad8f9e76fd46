package larder

// A slot is one 8-byte entry of a shard's open-addressed index. It holds no
// Go pointer, only the location of a record in the shard's ring and a few
// bits that let a reader skip records that cannot match:
//
//	bit  0      live: the slot holds an entry (0 = empty)
//	bit  1      ref: the CLOCK reference bit, set by readers
//	bits 2-4    pins: in-flight lock-free counter Adds (pinsSealed = sealed)
//	bits 5-12   dist: distance from the entry's home slot (linear probing)
//	bits 13-23  tag: 11 hash bits, compared before the key
//	bits 24-63  pos: the record's logical offset / 8, modulo 2^40
//
// Slots are only accessed with atomic 8-byte operations (see arena's doc).
type slot uint64

const (
	slotLive = 1 << 0
	slotRef  = 1 << 1

	pinsShift  = 2
	pinsBits   = 3
	pinsMask   = (1<<pinsBits - 1) << pinsShift
	pinOne     = 1 << pinsShift
	pinsSealed = 1<<pinsBits - 1 // pins value meaning "writer owns this entry"

	distShift = pinsShift + pinsBits
	distBits  = 8
	// maxDist bounds every probe: an entry is never placed further than
	// this from its home slot, so lookups (hostile keys included) stop
	// after at most maxDist+1 slots.
	maxDist = 1<<distBits - 1

	tagShift = distShift + distBits
	tagBits  = 11
	tagMask  = 1<<tagBits - 1

	posShift = tagShift + tagBits
	posBits  = 64 - posShift
	// posSpan is the logical window slot positions can name: a record's
	// full offset is recovered from the shard head modulo posSpan, which
	// is correct while no live record is posSpan bytes behind the head.
	posSpan = 1 << (posBits + 3)
)

// maxLoadNum/maxLoadDen is the most of its slots a shard's index may use
// (maxCount). With linear probing a miss scans about (1+1/(1-a)²)/2 slots
// at load a: 13 at 4/5, that is two cache lines of 8-byte slots, against
// 8.5 at 3/4. The index is sized for the entries the ring holds at the
// expected entry size, and every slot is touched (resident) once the cache
// has run a while, so each step of load factor is resident memory: at
// 4/5 the index costs 10 bytes per entry, at 3/4 10.7.
const (
	maxLoadNum = 4
	maxLoadDen = 5
)

// Compile-time layout checks: the fields fill the word exactly and the
// position window dwarfs any shard (newEngine caps shards at maxShardBytes).
const (
	_ uint64 = posShift + posBits - 64 // fails to compile if the fields overflow the word
	_ uint64 = 64 - posShift - posBits // ... or leave bits unused
	_ uint64 = posSpan/4 - maxShardBytes
)

func makeSlot(tag, dist, pos uint64) slot {
	return slot(slotLive | dist<<distShift | (tag&tagMask)<<tagShift | (pos&(1<<posBits-1))<<posShift)
}

func (s slot) live() bool   { return s&slotLive != 0 }
func (s slot) ref() bool    { return s&slotRef != 0 }
func (s slot) pins() uint64 { return uint64(s) & pinsMask >> pinsShift }
func (s slot) dist() uint64 { return uint64(s) >> distShift & maxDist }
func (s slot) tag() uint64  { return uint64(s) >> tagShift & tagMask }
func (s slot) pos() uint64  { return uint64(s) >> posShift }
func (s slot) withDist(d uint64) slot {
	return s&^(maxDist<<distShift) | slot(d<<distShift)
}
func (s slot) withPos(pos uint64) slot {
	return s&(1<<posShift-1) | slot((pos&(1<<posBits-1))<<posShift)
}

// movedTo is the slot of an entry whose record the writer moved to logical
// offset off: the new position, the reference bit spent, no pins (the
// writer seized the slot, so none are in flight).
func (s slot) movedTo(off uint64) slot { return s.withPos(off>>3) &^ slotRef &^ pinsMask }

// tagOf extracts the slot tag from a key hash. It uses the low bits; the
// shard takes the top bits and the home slot the bits just below them.
func tagOf(h uint64) uint64 { return h & tagMask }

// logicalOf recovers a record's full logical offset from its slot position
// and a shard head loaded after the slot (so head >= the record's end).
func logicalOf(head, pos uint64) uint64 {
	return head - (head-pos<<3)&(posSpan-1)
}
