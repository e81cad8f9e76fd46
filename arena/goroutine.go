package arena

import "unsafe"

// GoroutineHint returns a value that differs between goroutines and stays
// the same for one goroutine at one call site until its stack moves: the
// address of a variable on the caller's stack. A counter stripe picked by
// it is written by the goroutines that hash to it, so cores meet on a line
// only when their goroutines' stripes collide, however skewed the keys
// are; stripes picked by key hash put every core on the same line when
// they all read the same hot key. A stack move (growth)
// only changes the stripe, never a count.
//
// It lives in arena because arena is larder's one user of unsafe; the
// address is only mixed into a stripe index, never dereferenced.
func GoroutineHint() uint64 {
	var x byte
	return uint64(uintptr(unsafe.Pointer(&x)))
}
