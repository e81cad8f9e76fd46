package larder

import "fmt"

// checkInvariants verifies the shard's bookkeeping. It is compiled in only
// under -tags invariants (callers test invariants.Enabled, a constant).
// The full index walk runs on every 256th call to keep tests usable.
// Preconditions: s.mu held.
func (s *shard) checkInvariants(e *engine) {
	head, tail := s.head.Load(), s.tail.Load()
	if int64(head-tail) < 0 || head-tail > 2*(s.lapMask+1) {
		panic(fmt.Sprintf("larder: tail %d head %d", tail, head))
	}
	if c := s.count; c < 0 || c > s.maxCount {
		panic(fmt.Sprintf("larder: count %d of max %d", c, s.maxCount))
	}
	s.checks++
	if s.checks%256 != 0 {
		return
	}
	live := int64(0)
	for i := uint64(0); i < s.nslots; i++ {
		sl := s.loadSlot(i)
		if !sl.live() {
			continue
		}
		live++
		off := logicalOf(head, sl.pos())
		if !s.valid(off) || off >= head {
			panic(fmt.Sprintf("larder: slot %d points outside the ring: %d not in [%d,%d)", i, off, tail, head))
		}
		hdr := header(s.r.Load64(s.phys(off)))
		if !hdr.magicOK() || hdr.dead() {
			panic(fmt.Sprintf("larder: slot %d points at a bad record header %#x", i, uint64(hdr)))
		}
		key := s.r.Bytes(s.phys(off)+hdr.keyAt(), hdr.keyLen())
		home := s.home(e.hash(key), e.shardBits)
		if (home+sl.dist())%s.nslots != i {
			panic(fmt.Sprintf("larder: slot %d has dist %d but home %d", i, sl.dist(), home))
		}
		// Lock-free Adds may hold pins right now; a sealed slot, though,
		// only exists inside a writer's critical section.
		if sl.pins() == pinsSealed {
			panic(fmt.Sprintf("larder: slot %d left sealed", i))
		}
	}
	// Walk the ring: every record not marked dead must own a slot, and the
	// live window records must add up to windowBytes.
	window, liveBytes := int64(0), int64(0)
	for off := tail; off != head; {
		if s.wrapPending && off == s.wrapEnd {
			off = s.wrapEnd&^s.lapMask + s.lapMask + 1
			continue
		}
		hdr := header(s.r.Load64(s.phys(off)))
		if !hdr.magicOK() {
			panic(fmt.Sprintf("larder: ring walk hit a bad header at %d (tail %d head %d)", off, tail, head))
		}
		if !hdr.dead() && hdr.window() {
			window += int64(hdr.size())
		}
		if !hdr.dead() {
			liveBytes += int64(hdr.size())
			key := s.r.Bytes(s.phys(off)+hdr.keyAt(), hdr.keyLen())
			if _, _, ok := s.findPos(e, e.hash(key), off); !ok {
				_, sl, o2, found := s.find(e, e.hash(key), key)
				panic(fmt.Sprintf("larder: live record at %d has no slot (tail %d head %d) key %q hdr %#x; index: found=%v off=%d slot=%#x wrap=%v@%d", off, tail, head, key, uint64(hdr), found, o2, uint64(sl), s.wrapPending, s.wrapEnd))
			}
		}
		off += uint64(hdr.size())
	}
	if window != s.windowBytes {
		panic(fmt.Sprintf("larder: window records hold %d bytes, windowBytes %d", window, s.windowBytes))
	}
	if liveBytes != s.liveBytes {
		panic(fmt.Sprintf("larder: live records hold %d bytes, liveBytes %d", liveBytes, s.liveBytes))
	}
	if live != s.count {
		panic(fmt.Sprintf("larder: %d live slots, count %d", live, s.count))
	}
}
