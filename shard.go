package larder

import (
	"encoding/binary"
	"math/bits"
	"runtime"
	"sync/atomic"

	"github.com/larder-cache/larder/arena"
	"github.com/larder-cache/larder/eviction"
	"github.com/larder-cache/larder/internal/invariants"
)

// A shard is one partition of the cache: an index of slots and a ring of
// records in the shared region, a lock for writers, and the published
// positions that lock-free readers validate against.
//
// Positions in the ring are logical: a uint64 that only grows. The ring's
// physical size A is rounded up to a power of two, lapSize, and a logical
// offset maps to the physical byte offset&(lapSize-1). Records never
// straddle the physical end: when one does not fit before A, the head
// jumps to the next lap and the bytes from there to A stay unused (the
// jump is remembered in wrapEnd so the tail can follow). Logical offsets
// therefore never repeat, so a reader can tell whether the bytes it read
// may have been reused: they may iff the tail has passed the record.
type shard struct {
	// The geometry, set by init and never written again: the first cache
	// line, which readers share with every core and nobody invalidates.
	// (A shard is four whole lines, TestShardLayout; the shards array,
	// 256·n bytes with n a power of two, is a Go size class of that size,
	// whose objects are aligned to it, or a page-aligned large object.)
	r        *arena.Region
	idxOff   int    // region offset of slot 0
	nslots   uint64 // slots in the index
	ringOff  int    // region offset of the ring's byte 0
	ringLen  uint64 // A: usable bytes of the ring, a multiple of 8
	lapMask  uint64 // lapSize-1
	maxCount int64  // entries allowed: maxLoadNum/maxLoadDen of the slots, so probes stay short
	// maxRecord is the size of the largest record a writer stores. A
	// reader rejects a header claiming more: it read reused bytes, and
	// copying a value that long would allocate up to the ring's size
	// before validation caught it.
	maxRecord uint64

	// head and tail are the logical end and start of the ring's data.
	// Readers load head to resolve slot positions and tail to validate a
	// copy; only the writer stores them. shiftSeq is a seqlock counter over
	// index moves (odd while entries are being shifted): readers that miss
	// retry if it changed. The three share the second line, which every
	// store invalidates; nothing else readers need lives there or in the
	// lines after it (the lock and the writer's state), so a store costs
	// a reader on another core one line, not two.
	head     arena.Position
	tail     arena.Position
	shiftSeq atomic.Uint64
	_        [64 - 24]byte

	mu arena.Lock // held by writers: Set, Delete, eviction, Close

	// Writer-only state (under mu).
	wrapEnd      uint64 // logical offset where the head last jumped to a new lap
	whand        uint64 // window hand: next record to consider leaving the window
	windowBytes  int64  // bytes of live window records
	liveBytes    int64  // bytes of live records, window and main
	incoming     int64  // size of the window record a Set is making room for
	clock        eviction.Clock
	checks       uint64 // calls of checkInvariants
	wrapPending  bool   // the tail has not reached wrapEnd yet
	ringReleased bool   // the ring's pages were returned to the OS while empty
	closed       bool

	// Counters, written and read under mu. Why plain fields and not
	// atomics that Stats could read without the lock: every Set bumps two
	// of them, and on amd64 an atomic add is a full barrier that waits for
	// the record just written to leave the store buffer; Stats and Len are
	// rare and take each shard's lock instead.
	count       int64 // live entries
	usedBytes   int64 // bytes of records between tail and head
	sets        uint64
	evictions   uint64
	rejections  uint64
	deletes     uint64
	expirations uint64 // the shard is four whole cache lines (TestShardLayout)
}

type lookupStatus uint8

const (
	lookupMiss lookupStatus = iota
	lookupHit
	lookupExpired
	// lookupHitAgain is a hit on an entry read before since it was written
	// or last moved: its reference bit was already set.
	lookupHitAgain
)

// hit reports whether st found the key live.
func (st lookupStatus) hit() bool { return st == lookupHit || st == lookupHitAgain }

// init lays the shard out in region bytes [off, off+size): the index first,
// then the ring. The index gets enough slots for the entries the ring holds
// at the expected entry size, at a load factor of maxLoadNum/maxLoadDen.
func (s *shard) init(r *arena.Region, off, size, avgEntry, maxRecord int) {
	recEst := hdrSize + avgEntry + 4 // padding averages a few bytes
	nslots := max(size/(recEst*maxLoadNum/maxLoadDen+8), 16)
	// Never let the index starve the ring below the largest record.
	for nslots > 16 && size-8*nslots < 2*maxRecord {
		nslots /= 2
	}
	s.r = r
	s.idxOff = off
	s.nslots = uint64(nslots)
	s.ringOff = off + 8*nslots
	s.ringLen = uint64(size-8*nslots) &^ 7
	s.lapMask = 1<<bits.Len64(s.ringLen-1) - 1
	s.maxCount = int64(nslots * maxLoadNum / maxLoadDen)
	s.maxRecord = uint64(maxRecord)
}

// home returns the first slot probed for hash h. It takes the hash bits just
// below the shard bits (fastrange on the rotated hash), independent of the
// tag (low bits).
func (s *shard) home(h uint64, shardBits uint) uint64 {
	hi, _ := bits.Mul64(bits.RotateLeft64(h, int(shardBits)), s.nslots)
	return hi
}

func (s *shard) next(i uint64) uint64 {
	i++
	if i == s.nslots {
		return 0
	}
	return i
}

func (s *shard) prev(i uint64) uint64 {
	if i == 0 {
		return s.nslots - 1
	}
	return i - 1
}

func (s *shard) slotOff(i uint64) int { return s.idxOff + int(i)*8 }

func (s *shard) loadSlot(i uint64) slot { return slot(s.r.Load64(s.slotOff(i))) }

// phys maps a logical ring offset to its region offset.
func (s *shard) phys(off uint64) int { return s.ringOff + int(off&s.lapMask) }

// valid reports whether a record at logical off has not been reclaimed:
// the tail has not passed it. Serial-number comparison, so it holds across
// uint64 wrap and fails for the poisoned tail of a closed shard.
func (s *shard) valid(off uint64) bool { return int64(off-s.tail.Load()) >= 0 }

// readRecord loads and sanity-checks the header of the record at logical
// off. ok is false when the header cannot be a record that fits the ring;
// the caller then treats the slot as stale (the tail check decides).
func (s *shard) readRecord(off uint64) (h header, p int, ok bool) {
	phys := off & s.lapMask
	if phys+hdrSize > s.ringLen {
		return 0, 0, false
	}
	p = s.ringOff + int(phys)
	h = header(s.r.Load64(p))
	if !h.magicOK() || h.size64() > s.maxRecord || phys+h.size64() > s.ringLen {
		return 0, 0, false
	}
	return h, p, true
}

// expired reports whether the record at physical offset p, with header
// hdr, has an expiry that has passed. Readers call it on bytes they will
// validate against the tail afterwards, the writer on records it owns.
func (s *shard) expired(e *engine, p int, hdr header) bool {
	// Split in two so the common case, no expiry, inlines into the probe
	// loops and pays no call.
	return hdr.hasExpiry() && s.pastExpiry(e, p)
}

// pastExpiry reports whether the expiry word of the record at p has passed.
func (s *shard) pastExpiry(e *engine, p int) bool {
	return int64(s.r.Load64(p+hdrSize)) <= e.now()
}

// lookupMode says what a lookup copies out.
type lookupMode uint8

const (
	lookupValue    lookupMode = iota // append the value
	lookupPresence                   // nothing: Has
	lookupExpiry                     // append the expiry word, if any
)

// lookup finds key without any lock and appends what mode asks for to dst.
//
// The protocol: load a slot (atomic), load the head to resolve the slot's
// position, read the header, compare the key and copy the value with
// snapshot reads (arena/snapshot.go), then re-load the tail: if it has not
// passed the record, no byte we read can have been reused, so the copy is
// exact and was current when the slot was loaded (records are never
// rewritten in place). Otherwise retry. A miss is trusted only if no
// index shift ran during the probe (shiftSeq) and no record whose key we
// compared was reclaimed meanwhile (its bytes might have been torn into a
// false mismatch).
func (s *shard) lookup(e *engine, h uint64, key, dst []byte, mode lookupMode) ([]byte, lookupStatus) {
	tag := tagOf(h)
	start := s.home(h, e.shardBits)
	for attempt := 0; ; attempt++ {
		seq := s.shiftSeq.Load()
		minCompared := uint64(0)
		compared := false
		i := start
		for d := uint64(0); d <= maxDist; d++ {
			sl := s.loadSlot(i)
			if !sl.live() {
				break
			}
			if sl.tag() == tag {
				off := logicalOf(s.head.Load(), sl.pos())
				hdr, p, ok := s.readRecord(off)
				if ok && hdr.keyLen() == len(key) && s.r.EqualSnapshot(p+hdr.keyAt(), key) {
					expired := s.expired(e, p, hdr)
					out := dst
					switch {
					case expired:
					case mode == lookupValue:
						out = s.r.AppendSnapshot(dst, p+hdr.valueAt(), hdr.valLen())
					case mode == lookupExpiry && hdr.hasExpiry():
						out = s.r.AppendSnapshot(dst, p+hdrSize, expirySize)
					}
					if s.valid(off) {
						if expired {
							return dst, lookupExpired
						}
						// Set the reference bit only when clear, so hot keys
						// cost readers no shared write. A failed CAS (the
						// writer moved or replaced the slot) loses nothing
						// that matters.
						if sl.ref() {
							return out, lookupHitAgain
						}
						s.r.CompareAndSwap64(s.slotOff(i), uint64(sl), uint64(sl|slotRef))
						return out, lookupHit
					}
					goto retry
				}
				if !compared || int64(off-minCompared) < 0 {
					minCompared = off
				}
				compared = true
			}
			i = s.next(i)
		}
		// Why these loads are last: they must come after every slot and
		// record load above in the (sequentially consistent) order of
		// atomics, so a shift or reclaim that overlapped the probe shows.
		if seq&1 == 0 && s.shiftSeq.Load() == seq && (!compared || s.valid(minCompared)) {
			return dst, lookupMiss
		}
	retry:
		if e.closed.Load() {
			return dst, lookupMiss
		}
		if attempt >= 2 {
			runtime.Gosched()
		}
	}
}

// expiry returns the absolute expiry of key (0: none) without a lock,
// validated like get.
func (s *shard) expiry(e *engine, h uint64, key []byte) (int64, lookupStatus) {
	var buf [expirySize]byte
	out, st := s.lookup(e, h, key, buf[:0], lookupExpiry)
	if !st.hit() || len(out) == 0 {
		return 0, st
	}
	return int64(binary.NativeEndian.Uint64(out)), st
}

// find locates key in the index. Preconditions: s.mu held.
func (s *shard) find(e *engine, h uint64, key []byte) (i uint64, sl slot, off uint64, found bool) {
	tag := tagOf(h)
	i = s.home(h, e.shardBits)
	head := s.head.Load()
	for d := uint64(0); d <= maxDist; d++ {
		sl = s.loadSlot(i)
		if !sl.live() {
			return i, 0, 0, false
		}
		if sl.tag() == tag {
			off = logicalOf(head, sl.pos())
			hdr := header(s.r.Load64(s.phys(off)))
			if hdr.keyLen() == len(key) && s.r.EqualSnapshot(s.phys(off)+hdr.keyAt(), key) {
				return i, sl, off, true
			}
		}
		i = s.next(i)
	}
	return i, 0, 0, false
}

// findPos locates the slot pointing at the record at logical off, whose
// key hashes to h. Preconditions: s.mu held.
func (s *shard) findPos(e *engine, h, off uint64) (uint64, slot, bool) {
	want := (off >> 3) & (1<<posBits - 1)
	i := s.home(h, e.shardBits)
	for d := uint64(0); d <= maxDist; d++ {
		sl := s.loadSlot(i)
		if !sl.live() {
			break
		}
		if sl.pos() == want {
			return i, sl, true
		}
		i = s.next(i)
	}
	return 0, 0, false
}

// claim takes the slot at i for the writer: it waits for in-flight counter
// Adds to drain, then marks the slot sealed so no new Add starts, and
// returns the slot as it was. Readers still resolve a sealed slot.
// Preconditions: s.mu held; the slot is live.
func (s *shard) claim(i uint64) slot {
	for spins := 0; ; spins++ {
		sl := s.loadSlot(i)
		if sl.pins() == 0 && s.r.CompareAndSwap64(s.slotOff(i), uint64(sl), uint64(sl|pinsSealed<<pinsShift)) {
			return sl
		}
		if spins > 16 {
			runtime.Gosched()
		}
	}
}

// seize takes the slot at i, whose record is at logical off, for the
// writer to repoint. Only a counter's slot can be pinned: Add pins with a
// CAS that expects the very slot through which it read a counter header,
// and a record's kind never changes. So only a counter's slot is claimed;
// any other is just loaded, which spares the write path a locked
// instruction (a full barrier on amd64). A reader's reference-bit CAS
// that lands between this load and the writer's publish is overwritten: a
// lost reference bit, never a wrong slot. Preconditions: s.mu held; the
// slot is live and names off.
func (s *shard) seize(i, off uint64) slot {
	if header(s.r.Load64(s.phys(off))).counter() {
		return s.claim(i)
	}
	return s.loadSlot(i)
}

// publish stores a slot value the writer computed: the publish point of
// whatever record it names. Why a store-release and not a CAS: the slot is
// either empty, or claimed (sealed) by this writer, or seized (a
// non-counter's slot, which no adder can pin), so no CAS can be in flight
// that this store must keep, but a reader's reference bit (see seize).
// Release is all the ordering needed: the record's bytes (plain stores)
// and the head are stored before it, and readers load the slot before
// they load those.
func (s *shard) publish(i uint64, sl slot) { s.r.StoreRelease64(s.slotOff(i), uint64(sl)) }

// insert places a new slot for hash h at the first free position of its
// probe sequence. It reports false when none lies within maxDist.
// Preconditions: s.mu held; the key is not in the index.
func (s *shard) insert(e *engine, h, off uint64) bool {
	i := s.home(h, e.shardBits)
	for d := uint64(0); d <= maxDist; d++ {
		if !s.loadSlot(i).live() {
			s.publish(i, makeSlot(tagOf(h), d, off>>3))
			return true
		}
		i = s.next(i)
	}
	return false
}

// remove deletes the slot at i by backward shift (Knuth's Algorithm R for
// linear probing): walking the rest of the cluster, every entry that may
// legally sit in the hole (its home is at or before the hole, cyclically)
// moves into it, and its old place becomes the hole. Readers that probe
// meanwhile may miss an entry that moved behind them; the odd shiftSeq
// makes them retry. Preconditions: s.mu held; the slot at i is claimed.
func (s *shard) remove(i uint64) {
	// Why Add and not Store: it is the seqlock's write side; two increments
	// around the moves, so a reader that saw an even value before and the
	// same value after knows none happened in between.
	s.shiftSeq.Add(1)
	hole := i
	for j := s.next(i); ; j = s.next(j) {
		sj := s.loadSlot(j)
		if !sj.live() {
			break
		}
		gap := (j + s.nslots - hole) % s.nslots
		if sj.dist() >= gap {
			sj = s.claim(j)
			s.publish(hole, sj.withDist(sj.dist()-gap)) // unsealed: pins were 0
			hole = j
		}
	}
	s.publish(hole, 0)
	s.shiftSeq.Add(1)
}

// set stores a record for key. With ifAbsent it stores only when the key
// is absent (or expired) and reports whether it stored. A new key enters
// the admission window; a key already in the main region stays there.
func (s *shard) set(e *engine, h uint64, key, value []byte, expiry int64, flags uint64, ifAbsent bool) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false, ErrClosed
	}
	return s.setLocked(e, h, key, value, expiry, flags, ifAbsent), nil
}

// setLocked is set with s.mu held and the shard open.
func (s *shard) setLocked(e *engine, h uint64, key, value []byte, expiry int64, flags uint64, ifAbsent bool) bool {
	_, _, oldOff, found := s.find(e, h, key)
	if !found {
		e.pol.judge.Inserted(h, judgePos(s.tail.Load())) // a duel's loser coming back?
	}
	flags |= hdrWindow
	if found {
		old := header(s.r.Load64(s.phys(oldOff)))
		if ifAbsent && !s.expired(e, s.phys(oldOff), old) {
			return false
		}
		flags &^= hdrWindow &^ uint64(old)
		flags |= uint64(old) & hdrCredits // an updated key keeps its standing
	}
	if expiry != 0 {
		flags |= hdrExpiry
	}
	size := recordSize(len(key), len(value), expiry != 0)
	if flags&hdrWindow != 0 {
		s.incoming = int64(size) // evictions count the newcomer against the window
	}
	// A new key may be declined by admission (reserve reports it); an
	// existing key never is: its old value must not outlive this Set.
	off, ok := s.reserve(e, uint64(size), !found, !found && flags&hdrWindow != 0, h)
	s.incoming = 0
	if !ok {
		s.rejections++
		return false
	}
	// Write the record into bytes no reader trusts yet.
	p := s.phys(off)
	hdr := makeHeader(len(key), len(value), flags)
	s.r.Put64(p, uint64(hdr))
	if expiry != 0 {
		s.r.Put64(p+hdrSize, uint64(expiry))
	}
	s.r.Write(p+hdr.keyAt(), key)
	s.r.Write(p+hdr.valueAt(), value)
	// Publish the head before the slot: readers resolve slot positions
	// against a head loaded after the slot, which must cover the record.
	s.head.StoreRelease(off + uint64(size))
	s.usedBytes += int64(size)
	s.liveBytes += int64(size)
	if hdr.window() {
		s.windowBytes += int64(size)
	}
	// Find the key again: eviction may have moved or removed its entry.
	if i, old, oldOff, found := s.find(e, h, key); found {
		s.seize(i, oldOff)
		s.kill(oldOff)
		// Carry the reference bit over: an updated key is a used key.
		s.publish(i, makeSlot(tagOf(h), old.dist(), off>>3)|old&slotRef)
	} else {
		if !s.insert(e, h, off) {
			// The probe window is full of other keys: decline the entry
			// (a miss later, never a wrong answer).
			s.kill(off)
			s.rejections++
			return false
		}
		s.count++
	}
	s.rebalance(e)
	s.trim(e, trimPerSet)
	s.ringReleased = false
	s.sets++
	if s.sets%adaptEvery == 0 {
		e.pol.adapt(e)
	}
	if invariants.Enabled {
		s.checkInvariants(e)
	}
	return true
}

// kill marks the record at logical off dead (its slot is already gone or
// repointed) and takes it out of the window's byte count.
func (s *shard) kill(off uint64) {
	p := s.phys(off)
	hdr := header(s.r.Load64(p))
	if hdr.window() {
		s.windowBytes -= int64(hdr.size())
	}
	s.liveBytes -= int64(hdr.size())
	s.r.Put64(p, uint64(hdr|hdrDead)) // only the writer looks at the dead bit
}

// del removes key. Preconditions: none (takes s.mu).
func (s *shard) del(e *engine, h uint64, key []byte) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	i, _, off, found := s.find(e, h, key)
	if !found {
		return false
	}
	hdr := header(s.r.Load64(s.phys(off)))
	live := !s.expired(e, s.phys(off), hdr)
	s.claim(i)
	s.kill(off)
	s.remove(i)
	s.count--
	if invariants.Enabled {
		s.checkInvariants(e)
	}
	if live {
		s.deletes++
	} else {
		s.expirations++
	}
	return live
}

// reserve makes room for n bytes at the head and returns the logical
// offset to write them at, evicting at the tail as needed; newKey also
// requires a free index entry. With declinable, the bytes are for a new
// window record of the key with hash in, which admission may turn away
// (see evictOne); reserve then reports false and has changed nothing but
// the hand's progress. Preconditions: s.mu held; n <= ringLen/2.
func (s *shard) reserve(e *engine, n uint64, newKey, declinable bool, in uint64) (uint64, bool) {
	defer s.clock.Done()
	lapSize := s.lapMask + 1
	for {
		h := s.head.Load()
		if h&s.lapMask+n > s.ringLen {
			if s.wrapPending {
				// The tail is still in the previous lap; it must reach the
				// old wrap point before the head may jump again.
				if s.evictOne(e, declinable, in) {
					return 0, false
				}
				continue
			}
			s.wrapEnd = h
			s.wrapPending = true
			s.head.StoreRelease(h&^s.lapMask + lapSize)
			s.advanceTailPastWrap()
			continue
		}
		if h+n <= s.tail.Load()+lapSize && (!newKey || s.count < s.maxCount) {
			return h, true
		}
		if s.evictOne(e, declinable, in) {
			return 0, false
		}
	}
}

// advanceTailPastWrap moves the tail to the next lap when it sits at the
// pending wrap point.
func (s *shard) advanceTailPastWrap() {
	if s.wrapPending && s.tail.Load() == s.wrapEnd {
		s.setTail(s.wrapEnd&^s.lapMask + s.lapMask + 1)
		s.wrapPending = false
	}
}

// setTail publishes a new tail. Why a fenced store: the writer is about to
// overwrite the bytes behind the old tail with plain stores, which must
// not become visible before the new tail (a reader that copied them then
// sees the new tail and discards its copy). A store-release does not order
// later stores; see arena.Position.
func (s *shard) setTail(t uint64) { s.tail.StoreFenced(t) }

// evictOne advances the tail past one record, the W-TinyLFU way:
//
//   - a dead or expired record is dropped;
//   - a window record (rare at the tail: the window is young) read since
//     it entered is copied to the head, still in the window, while the
//     window is within its share; otherwise it moves to main and is
//     treated as a main record;
//   - a main record whose reference bit is set, or that still has
//     credits, gets a second chance (copied to the head, bit cleared; the
//     reference earns a credit, up to maxCredits, a lap without one
//     spends one); while the window is below its share, the copy joins
//     the window (this is how the window grows when main is all in use);
//   - otherwise the main record is the victim. If the window is over its
//     quota, its oldest record is the candidate and TinyLFU picks which
//     of the two leaves: a winning candidate is promoted to main in place
//     and the victim evicted; a losing one is dropped and the victim,
//     having proved more frequent, is copied forward. With the window
//     within its quota the victim is simply evicted (main is over its
//     share). With the window over its quota but holding no live record
//     (a dry window), a declinable newcomer (hash in) duels the victim
//     itself; if it loses, evictOne changes nothing and reports declined.
//
// A sample of the duels is reported to the policy's judge (shard.duel),
// and a record marked as a duel's winner is reported again when the hand
// meets it (shard.judged).
//
// Preconditions: s.mu held; the ring is not empty.
func (s *shard) evictOne(e *engine, declinable bool, in uint64) (declined bool) {
	t := s.tail.Load()
	if s.wrapPending && t == s.wrapEnd {
		s.advanceTailPastWrap()
		return
	}
	p := s.phys(t)
	hdr := header(s.r.Load64(p))
	size := uint64(hdr.size())
	if invariants.Enabled && (!hdr.magicOK() || t == s.head.Load()) {
		panic("larder: tail on a non-record")
	}
	if !hdr.dead() {
		key := s.r.Bytes(p+hdr.keyAt(), hdr.keyLen())
		h := e.hash(key)
		i, sl, ok := s.findPos(e, h, t)
		if invariants.Enabled && !ok {
			panic("larder: live record without a slot")
		}
		if hdr&hdrDuelWon != 0 {
			s.judged(e, p, hdr, sl.ref())
			hdr &^= hdrDuelWon
		}
		expired := s.expired(e, p, hdr)
		if !expired && !e.pol.evicting.Load() {
			// Making room has reached a live record: the cache is full,
			// whatever this record's fate (evicted, kept by a duel or by
			// its credits), and the window's size now matters.
			e.pol.evicting.Store(true)
		}
		quota := s.windowQuota(e)
		if hdr.window() && !expired {
			// A window record read since it entered (or last moved) gets
			// a second chance in the window while the window is within its
			// share, with the bit spent. One not read is the oldest unread
			// record of the whole ring: it gets none. (It used to get one
			// unconditionally, which sent unread records to the head, as
			// if new, and scrambled the window's order whenever the window
			// was large enough to reach the tail: a recency workload lost 5
			// points at 1,000 entries; the shared traces did not move.)
			if s.windowBytes <= quota && s.clock.Decide(sl.ref()) == eviction.Reinsert && s.reinsert(e, i, t, size, false) {
				return
			}
			// The window is over its share, or this record was not read:
			// it moves to main (as Caffeine's window overflows into main)
			// and meets the hand as a main record.
			s.promote(t)
			hdr &^= hdrWindow
		}
		switch {
		case expired:
		case s.clock.Decide(sl.ref() || hdr.credits() > 0) == eviction.Reinsert:
			// Generalized CLOCK: a reference earns a credit (up to
			// maxCredits), a lap without one spends a credit. Records
			// referenced lap after lap (a frequent working set) survive a
			// few quiet laps without meeting a candidate; only records
			// without credits (newly admitted, or idle for several laps)
			// are victims, as only SLRU's probation segment is in
			// Caffeine. The clock's bound on second chances still applies.
			c := hdr.credits() - 1
			if sl.ref() {
				c = min(hdr.credits()+1, maxCredits)
			}
			// A window below its share takes the record in, as Caffeine's
			// window grows by taking entries from main: otherwise only new
			// keys can grow it, and where main is all in use (a loop a
			// little larger than the cache) a larger share is never
			// realized, so the climber sees no cost in asking for one.
			toWindow := s.windowBytes+int64(size) <= quota
			if s.reinsertCredits(e, i, t, size, false, c, toWindow) {
				return
			}
		case s.windowBytes+s.incoming > quota:
			if cand, ch, ok := s.nextCandidate(e); ok {
				if !e.pol.admit(ch, h) {
					s.drop(e, ch, cand)
					s.rejections++
					i, _, _ = s.findPos(e, h, t) // the drop may have shifted the victim's slot
					if at := s.head.Load(); s.reinsert(e, i, t, size, false) {
						// The kept victim is judged when the hand reaches
						// its copy at at; the rejected candidate's ghost
						// lasts until then.
						s.duel(e, eviction.Rejected, h, at, ch)
						return
					}
				} else {
					s.promote(cand)
					s.duel(e, eviction.Admitted, ch, cand, h)
				}
			} else if declinable && !e.pol.admit(in, h) {
				// No window record to weigh against the victim (a shard
				// whose ring, not its index, is full can run its window
				// dry): the newcomer itself is the candidate, and it lost.
				// Decline it and leave the victim in place; evicting it
				// unopposed would let any new key displace a frequent one.
				return true
			}
		}
		s.claim(i)
		s.remove(i)
		s.count--
		if expired {
			s.expirations++
		} else {
			s.evictions++
		}
		if hdr.window() {
			s.windowBytes -= int64(size)
		}
		s.liveBytes -= int64(size)
	}
	s.setTail(t + size)
	s.usedBytes -= int64(size)
	s.advanceTailPastWrap()
	if invariants.Enabled {
		s.checkInvariants(e)
	}
	return false
}

// duel hands the judge a duel of the given kind: the winner (hash w, its
// record at logical offset at) stays, the loser (hash l) has left. The
// winner, if sampled, is marked so the hand reports on it when it reaches
// at; the loser, if sampled, becomes a ghost until then. (A winner
// overwritten or deleted before that loses its mark: one sample fewer.)
// Preconditions: s.mu held.
func (s *shard) duel(e *engine, kind eviction.Duel, w, at, l uint64) {
	j := e.pol.judge
	j.Lost(l, kind, judgePos(at))
	if j.Sampled(w) {
		mark := uint64(hdrKept)
		if kind == eviction.Admitted {
			mark = hdrAdmitted
		}
		// Readers load this word concurrently, but only the writer looks
		// at the marks (as with promote's window bit).
		p := s.phys(at)
		s.r.Put64(p, s.r.Load64(p)|mark)
	}
}

// judged reports a marked duel winner, met by the hand at physical offset
// p with header hdr, to the judge, and clears its marks. Preconditions:
// s.mu held.
func (s *shard) judged(e *engine, p int, hdr header, referenced bool) {
	kind := eviction.Rejected // the record is a kept victim
	if hdr&hdrAdmitted != 0 {
		kind = eviction.Admitted
	}
	e.pol.judge.Won(kind, referenced)
	s.r.Put64(p, uint64(hdr&^hdrDuelWon))
}

// judgePos converts a logical ring offset into the judge's position unit,
// 64 bytes: the judge keeps 32 bits of it, so deadlines stay comparable in
// shards up to 128 GiB (a larger shard only blurs the statistics).
func judgePos(off uint64) uint64 { return off >> 6 }

// nextCandidate advances the window hand to the oldest live window record
// not used since it entered the window, and returns its offset and key
// hash. The window hand walks the ring in log order between the tail and
// the head, skipping main and dead records.
//
// A window record whose reference bit is set gets a second chance: it is
// copied to the head with the bit cleared (refresh) and the hand moves on,
// so the window evicts in CLOCK order, close to the LRU order of Caffeine's
// window, where a hit moves an entry to the front. With a FIFO window a
// large window is no better than a FIFO cache, and recency-skewed traces,
// which need a large window, fell far below LRU. At most windowSkips
// records are moved per call, which bounds the copying a Set can do;
// after that the next window record is the candidate, used or not.
// Preconditions: s.mu held.
func (s *shard) nextCandidate(e *engine) (uint64, uint64, bool) {
	if int64(s.whand-s.tail.Load()) < 0 {
		s.whand = s.tail.Load()
	}
	skips := 0
	// The head is loaded each round: a refresh moves it.
	for s.whand != s.head.Load() {
		if s.wrapPending && s.whand == s.wrapEnd {
			s.whand = s.wrapEnd&^s.lapMask + s.lapMask + 1
			continue
		}
		off := s.whand
		p := s.phys(off)
		hdr := header(s.r.Load64(p))
		size := uint64(hdr.size())
		s.whand += size
		if !hdr.window() || hdr.dead() {
			continue
		}
		h := e.hash(s.r.Bytes(p+hdr.keyAt(), hdr.keyLen()))
		if skips < windowSkips && !s.expired(e, p, hdr) {
			if i, sl, ok := s.findPos(e, h, off); ok && sl.ref() && s.refresh(i, off, size) {
				skips++
				continue
			}
		}
		return off, h, true
	}
	return 0, 0, false
}

// windowSkips is the most used window records nextCandidate moves to the
// head before it takes the next one regardless.
const windowSkips = 8

// refresh moves the live record at logical off, which is not at the tail
// and whose slot is at i, to the head with its reference bit cleared. The
// old copy stays intact for readers that still hold its position (it only
// gets the dead bit, which readers ignore) until the tail passes it, as an
// overwritten record does. A reader that copies it gets the record as it
// was when moved: for a counter, the value at the move, while Adds after
// it go to the new copy; such a reader loaded the slot before the move
// was published, so its Get may take effect before those Adds. refresh
// reports false, changing nothing, when the head has no room without
// evicting. Preconditions: s.mu held; off is behind the head and not the
// tail.
func (s *shard) refresh(i, off, size uint64) bool {
	h := s.head.Load()
	if !s.fitsAtHead(h, size, s.tail.Load()) {
		return false
	}
	// Seize, as reinsert does: a counter's slot is claimed, so no Add is
	// in flight on the old copy's value word while it is copied.
	sl := s.seize(i, off)
	s.r.Move(s.phys(h), s.phys(off), int(size))
	// Publish the head before the slot (see setLocked).
	s.head.StoreRelease(h + size)
	s.usedBytes += int64(size)
	p := s.phys(off)
	s.r.Put64(p, s.r.Load64(p)|hdrDead) // only the writer looks at the dead bit
	s.publish(i, sl.movedTo(h))
	return true
}

// trimPerSet bounds the expired records a Set reclaims at its shard's tail.
const trimPerSet = 4

// trim drops up to max dead or expired records at the tail, stopping at
// the first live one, and reports how many it dropped. Preconditions:
// s.mu held.
func (s *shard) trim(e *engine, max int) int {
	n := 0
	for ; n < max; n++ {
		t := s.tail.Load()
		if t == s.head.Load() {
			break
		}
		if s.wrapPending && t == s.wrapEnd {
			s.advanceTailPastWrap()
			continue
		}
		p := s.phys(t)
		hdr := header(s.r.Load64(p))
		if !hdr.dead() && !s.expired(e, p, hdr) {
			break
		}
		s.evictOne(e, false, 0) // drops it: dead or expired
	}
	return n
}

// sweep is the janitor's visit: trim the tail in bounded steps and, if the
// shard is left empty, give its ring pages back to the OS.
func (s *shard) sweep(e *engine) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	for s.trim(e, 256) == 256 {
		// Let writers in between steps. Why the yield: arena.Lock has no
		// hand-off, so a waiter that is yielding would miss the instant
		// the lock is free and the sweep would take it straight back.
		s.mu.Unlock()
		runtime.Gosched()
		s.mu.Lock()
		if s.closed {
			return
		}
	}
	if s.count == 0 && !s.ringReleased {
		// Every byte of the ring is behind the tail: no reader can trust
		// any of it, so its pages may go (reads see zeros until reuse).
		s.r.ReleaseRange(s.ringOff, int(s.ringLen))
		s.ringReleased = true
	}
}

// windowQuota is the bytes the window may hold: its share of the live
// records. Why live bytes and not the bytes between tail and head: the
// dead records in between (overwritten, deleted, dropped) come and go in
// bursts as the tail passes them, and a quota that follows them would
// swing, letting newcomers into main without a duel when it falls and
// evicting main entries without one when it rises. (A shard limited by
// its index may also use only part of its ring.) The quota is never below
// one average record: the climber may ask for no window at all, and a
// window that cannot hold a record sends every new key to a duel the
// moment it arrives (without the floor, sprite@100 lost 2.8 points in one
// replay; the floor costs a loop a little larger than the cache, which
// wants no window at all, one hit per lap). Preconditions: s.mu held.
func (s *shard) windowQuota(e *engine) int64 {
	q := int64(e.pol.windowFrac() * float64(s.liveBytes))
	if s.count > 0 {
		q = max(q, s.liveBytes/s.count)
	}
	return q
}

// rebalance moves the oldest window records to main, without a duel, while
// the window is over its share: this is how the window drains while the
// cache is filling (main has room) and after the climber shrinks it.
// Once full, window records leave one per insertion through the duel in
// evictOne. Preconditions: s.mu held.
func (s *shard) rebalance(e *engine) {
	quota := s.windowQuota(e)
	for s.windowBytes > quota {
		off, _, ok := s.nextCandidate(e)
		if !ok {
			return
		}
		s.promote(off)
	}
}

// promote moves the window record at off into the main region, in place.
func (s *shard) promote(off uint64) {
	p := s.phys(off)
	hdr := header(s.r.Load64(p))
	s.windowBytes -= int64(hdr.size())
	// Readers load this word concurrently, but only the writer looks at the
	// window bit: a word store, which they see whole, is all they need.
	s.r.Put64(p, uint64(hdr&^hdrWindow))
}

// drop evicts the live record at off (key hash h) that is not at the tail:
// its slot goes now, its bytes when the tail passes.
func (s *shard) drop(e *engine, h, off uint64) {
	i, _, ok := s.findPos(e, h, off)
	if !ok {
		if invariants.Enabled {
			panic("larder: window record without a slot")
		}
		return
	}
	s.claim(i)
	s.kill(off)
	s.remove(i)
	s.count--
}

// fitsAtHead reports whether n bytes fit at head h without a lap jump and
// without reaching tail (the tail as it will be when they are written).
func (s *shard) fitsAtHead(h, n, tail uint64) bool {
	return h&s.lapMask+n <= s.ringLen && h+n <= tail+s.lapMask+1
}

// reinsert moves the live record at the tail (logical t, its slot at i) to
// the head, with the reference bit set to ref. It reports false, changing
// nothing, when the head has no room without evicting (then the record is
// evicted instead). Preconditions: s.mu held; t is the tail.
func (s *shard) reinsert(e *engine, i, t, size uint64, ref bool) bool {
	return s.reinsertCredits(e, i, t, size, ref, -1, false)
}

// reinsertCredits is reinsert that also sets the copy's credits to c
// (c < 0 keeps them) and, if toWindow, moves the record, which must be a
// main record, into the window.
func (s *shard) reinsertCredits(e *engine, i, t, size uint64, ref bool, c int, toWindow bool) bool {
	h := s.head.Load()
	if !s.fitsAtHead(h, size, t+size) { // the tail moves past the old copy first
		return false
	}
	sl := s.seize(i, t)
	// Retire the old copy first: once the tail is past it, readers that
	// still hold the old position fail validation and retry.
	s.setTail(t + size)
	s.r.Move(s.phys(h), s.phys(t), int(size))
	if c >= 0 || toWindow {
		// The copy is not published yet (its slot still names the old
		// position, now behind the tail): no reader trusts these bytes.
		p := s.phys(h)
		hdr := header(s.r.Load64(p))
		if c >= 0 {
			hdr = hdr.withCredits(c)
		}
		if toWindow {
			hdr |= hdrWindow
			s.windowBytes += int64(size)
		}
		s.r.Put64(p, uint64(hdr))
	}
	s.head.StoreRelease(h + size)
	sl = sl.movedTo(h)
	if ref {
		sl |= slotRef
	}
	s.publish(i, sl)
	s.advanceTailPastWrap()
	return true
}

// add adds delta to the counter at key. The fast path takes no lock: it
// pins the counter's slot (a CAS that only succeeds while the slot still
// names the record, which a writer must claim before it can move, replace
// or reclaim the record, and claim waits for pins to drain), adds with a
// compare-and-swap in the arena (addCounter), and unpins. Anything unusual
// (key absent or expired, not a counter, slot sealed or busy) takes the
// lock.
func (s *shard) add(e *engine, h uint64, key []byte, delta int64, expiry int64) (int64, error) {
	if v, ok, err := s.addFast(e, h, key, delta); ok {
		return v, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, ErrClosed
	}
	if _, _, off, found := s.find(e, h, key); found {
		p := s.phys(off)
		hdr := header(s.r.Load64(p))
		if !s.expired(e, p, hdr) {
			switch {
			case hdr.counter():
				// Lock-free adders may be adding too: stay atomic.
				return s.addCounter(p+hdr.valueAt(), delta)
			case hdr.valLen() != counterSize:
				return 0, ErrNotCounter
			}
			// An 8-byte value stored by Set: it becomes a counter, keeping
			// its expiry.
			var cur [counterSize]byte
			copy(cur[:], s.r.Bytes(p+hdr.valueAt(), counterSize))
			sum, ok := addInt64(int64(binary.NativeEndian.Uint64(cur[:])), delta)
			if !ok {
				return 0, ErrCounterOverflow
			}
			delta = sum
			if hdr.hasExpiry() {
				expiry = int64(s.r.Load64(p + hdrSize))
			} else {
				expiry = 0
			}
		}
	}
	var v [counterSize]byte
	binary.NativeEndian.PutUint64(v[:], uint64(delta))
	if !s.setLocked(e, h, key, v[:], expiry, hdrCounter, false) {
		return 0, ErrNotStored
	}
	return delta, nil
}

// counterSize is the length of a counter's value.
const counterSize = 8

// addInt64 returns a+b and whether it is exact (no int64 overflow).
func addInt64(a, b int64) (int64, bool) {
	sum := a + b
	return sum, (b >= 0) == (sum >= a)
}

// addCounter adds delta to the counter word at physical p, atomically,
// unless the sum overflows int64 (ErrCounterOverflow, nothing written).
// Why a CAS loop rather than one atomic add: an add that wrapped could not
// be taken back once readers and other adders had seen it. Preconditions:
// the counter's record cannot be reclaimed meanwhile (s.mu held, or its
// slot pinned).
func (s *shard) addCounter(p int, delta int64) (int64, error) {
	for {
		old := s.r.Load64(p)
		sum, ok := addInt64(int64(old), delta)
		if !ok {
			return 0, ErrCounterOverflow
		}
		if s.r.CompareAndSwap64(p, old, uint64(sum)) {
			return sum, nil
		}
	}
}

// addFast is add's lock-free path for an existing counter. ok false means
// the caller must take the locked path (no counter, or anything unusual);
// with ok true, err is nil or ErrCounterOverflow.
func (s *shard) addFast(e *engine, h uint64, key []byte, delta int64) (v int64, ok bool, err error) {
	tag := tagOf(h)
	i := s.home(h, e.shardBits)
	for d := uint64(0); d <= maxDist; d++ {
		sl := s.loadSlot(i)
		if !sl.live() {
			return 0, false, nil
		}
		if sl.tag() == tag {
			off := logicalOf(s.head.Load(), sl.pos())
			hdr, p, ok := s.readRecord(off)
			if ok && hdr.keyLen() == len(key) && s.r.EqualSnapshot(p+hdr.keyAt(), key) {
				if !hdr.counter() || hdr.valLen() != counterSize || sl.pins() >= pinsSealed-1 ||
					s.expired(e, p, hdr) || !s.valid(off) {
					return 0, false, nil
				}
				// The header and key were validated against the tail above;
				// the CAS succeeds only if the slot is unchanged since, so
				// the record was neither reclaimed nor moved in between.
				// The same CAS sets the reference bit: a counter in use is
				// a used entry.
				if !s.r.CompareAndSwap64(s.slotOff(i), uint64(sl), uint64((sl|slotRef)+pinOne)) {
					return 0, false, nil
				}
				v, err := s.addCounter(p+hdr.valueAt(), delta)
				s.unpin(i)
				// Close releases the pages without waiting for pins. If
				// it has begun, the add may have hit a zeroed page: the
				// slow path reports ErrClosed. If not, the add (an atomic
				// before this load) came before the release.
				if e.closed.Load() {
					return 0, false, nil
				}
				return v, true, err
			}
		}
		i = s.next(i)
	}
	return 0, false, nil
}

// unpin releases one pin of the slot at i. Pinned slots do not move (claim
// waits), but readers may set the reference bit meanwhile, hence the loop.
func (s *shard) unpin(i uint64) {
	for {
		sl := s.loadSlot(i)
		if s.r.CompareAndSwap64(s.slotOff(i), uint64(sl), uint64(sl-pinOne)) {
			return
		}
	}
}

// clear removes every entry. Every live slot is claimed (so in-flight
// counter Adds drain and later ones take the lock) and emptied; then the
// tail jumps to the head, so a reader that loaded a slot before it was
// emptied fails validation on its copy and retries into a miss, and the
// ring's pages go back to the OS (reads see zeros until reuse). Slots are
// emptied one by one: a concurrent reader may find some keys gone and
// others not yet; a lookup that starts after clear returns misses every
// key stored before.
func (s *shard) clear(e *engine) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	for i := range s.nslots {
		if s.loadSlot(i).live() {
			s.claim(i)
			s.publish(i, 0)
		}
	}
	head := s.head.Load()
	s.setTail(head)
	s.wrapPending = false
	s.whand = head
	s.count, s.usedBytes, s.liveBytes, s.windowBytes = 0, 0, 0, 0
	if !s.ringReleased {
		s.r.ReleaseRange(s.ringOff, int(s.ringLen))
		s.ringReleased = true
	}
	if invariants.Enabled {
		s.checkInvariants(e)
	}
	return nil
}

// close poisons the shard: the tail jumps far ahead of every record, so
// readers in flight fail validation, and writers see closed.
func (s *shard) close() {
	s.mu.Lock()
	s.closed = true
	s.setTail(s.head.Load() + 1<<62)
	s.mu.Unlock()
}
