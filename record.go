package larder

// A record is one entry in a shard's ring, 8-byte aligned:
//
//	[header 8][expiry 8, if hasExpiry][key, padded to 8][value, padded to 8]
//
// The header word:
//
//	bits  0-31  value length
//	bits 32-47  key length
//	bit  48     dead: overwritten or deleted; the tail skips it
//	bit  49     hasExpiry: an expiry word follows the header
//	bit  50     counter: the value is an 8-byte int64 updated in place by Add
//	bit  51     window: the record is in the admission window, not main
//	bits 52-53  credits: laps the CLOCK hand lets the record survive
//	            without a new reference (see shard.evictOne)
//	bit  54     kept: a victim that won a sampled duel (eviction.Judge)
//	bit  55     admitted: a candidate that won a sampled duel; the hand
//	            reports whether either was used when it next meets it
//	bits 56-63  recordMagic, so a zeroed or reused word is rarely taken
//	            for a header (validation against the tail is what makes a
//	            read correct; the magic only catches garbage early)
//
// Key and value both start on a word boundary so readers copy whole words
// and a counter's value word is naturally aligned for atomic adds.
type header uint64

const (
	hdrSize     = 8
	expirySize  = 8
	hdrDead     = 1 << 48
	hdrExpiry   = 1 << 49
	hdrCounter  = 1 << 50
	hdrWindow   = 1 << 51
	hdrCredits  = 3 << 52
	creditShift = 52
	hdrKept     = 1 << 54
	hdrAdmitted = 1 << 55
	hdrDuelWon  = hdrKept | hdrAdmitted
	// maxCredits bounds the laps a main record survives unreferenced.
	maxCredits   = 3
	hdrMagicMask = 0xff << 56
	recordMagic  = 0xa5 << 56

	// MaxKeyLen is the longest key larder stores.
	MaxKeyLen = 1<<16 - 1
	// MaxValueLen is the longest value larder stores (the entry limit of a
	// cache, MaxBytes/64, is usually lower).
	MaxValueLen = 1<<32 - 1
)

const _ uint = hdrSize - 8 // the header is one word
const _ uint = 8 - hdrSize

func makeHeader(keyLen, valLen int, flags uint64) header {
	return header(recordMagic | flags | uint64(keyLen)<<32 | uint64(valLen))
}

func (h header) valLen() int     { return int(uint32(h)) }
func (h header) keyLen() int     { return int(uint16(h >> 32)) }
func (h header) dead() bool      { return h&hdrDead != 0 }
func (h header) hasExpiry() bool { return h&hdrExpiry != 0 }
func (h header) counter() bool   { return h&hdrCounter != 0 }
func (h header) window() bool    { return h&hdrWindow != 0 }
func (h header) magicOK() bool   { return h&hdrMagicMask == recordMagic }
func (h header) credits() int    { return int(h & hdrCredits >> creditShift) }

// withCredits returns h with its credits set to c (0..maxCredits).
func (h header) withCredits(c int) header {
	return h&^hdrCredits | header(c)<<creditShift&hdrCredits
}

// pad8 rounds n up to a multiple of 8.
func pad8(n int) int { return (n + 7) &^ 7 }

// keyAt returns the offset of the key relative to the record start.
func (h header) keyAt() int {
	if h.hasExpiry() {
		return hdrSize + expirySize
	}
	return hdrSize
}

// valueAt returns the offset of the value relative to the record start.
func (h header) valueAt() int { return h.keyAt() + pad8(h.keyLen()) }

// size returns the record's size in the ring.
func (h header) size() int { return h.valueAt() + pad8(h.valLen()) }

// size64 is size computed in 64 bits, for headers not yet trusted: on
// 32-bit platforms a torn header's value length does not fit an int.
func (h header) size64() uint64 {
	n := uint64(hdrSize) + uint64(pad8(h.keyLen())) + (uint64(uint32(h))+7)&^7
	if h.hasExpiry() {
		n += expirySize
	}
	return n
}

// recordSize is the ring footprint of a record with these lengths.
func recordSize(keyLen, valLen int, hasExpiry bool) int {
	n := hdrSize + pad8(keyLen) + pad8(valLen)
	if hasExpiry {
		n += expirySize
	}
	return n
}
