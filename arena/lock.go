package arena

import (
	"runtime"
	"sync/atomic"
	"time"
)

// A Lock is the mutual-exclusion lock a shard's writers hold. It differs
// from sync.Mutex in two ways, both for the write path:
//
//   - Unlock is a store-release (order_plain.go: a plain MOV on amd64), not
//     a read-modify-write. sync.Mutex.Unlock is a LOCK XADD, a full
//     barrier that stalls until the store buffer has drained, and a write
//     has just stored a record into a ring line that is usually cold, so
//     the stall is a cache miss paid inside the lock. A store-release lets
//     the record's stores drain after the writer has moved on; TSO still
//     makes them visible before the unlock.
//   - A waiter spins briefly, then yields its P (runtime.Gosched), then
//     naps (time.Sleep) between attempts, instead of parking on a
//     semaphore that Unlock would have to signal. Yielding lets a
//     preempted holder run again. Napping is for one waiter per core: with
//     two goroutines on two cores, yielding returns at once and the lock
//     ping-pongs between the cores on every Set, dragging the shard's
//     lines along; a napping waiter leaves the holder to run on alone, as
//     a parked sync.Mutex waiter does.
//
// There is no hand-off and no queue: a goroutine that unlocks and at once
// locks again will usually keep the lock, so a holder that releases it to
// let others in (a long sweep) must yield in between.
//
// Measured on a 2-core VM (BenchmarkSetOneShard, overwrites of one shard,
// ns/op, two runs each): with 1 goroutine per P, 80–81 for this lock, 84–116
// for sync.Mutex, and 280–300 for spin-and-yield without the nap; with 4
// per P 325–338, 386–480 and 320–354; with 16 per P 335–347, 400–565 and
// 334–379. On the throughput suite (bench/throughput, k8v16, 8
// goroutines, 32 shards; paired runs) it gives 1.11× sync.Mutex's writes;
// the nap changes nothing there (1.01).
//
// The zero Lock is unlocked. A Lock must not be copied after first use.
type Lock struct {
	state uint32 // lockFree or lockHeld
}

const (
	lockFree = 0
	lockHeld = 1
	// lockSpins is the number of failed attempts before a waiter starts
	// yielding, and again before it starts napping. A few: on a machine
	// with two cores the holder is either running (and done soon) or
	// descheduled (and spinning is waste).
	lockSpins = 16
	// lockNap is the sleep asked for between later attempts. The runtime
	// rounds it up: time.Sleep(1µs) took 9.4 µs at the median on the 2-core
	// VM, 1.1 ms at the 99th percentile.
	lockNap = time.Microsecond
)

// Lock acquires l, waiting for it if needed.
func (l *Lock) Lock() {
	// Why a compare-and-swap: it is the acquire, and a full barrier, so the
	// holder's loads cannot pass it.
	if atomic.CompareAndSwapUint32(&l.state, lockFree, lockHeld) {
		return
	}
	l.lockSlow()
}

func (l *Lock) lockSlow() {
	for tries := 0; ; tries++ {
		// Test before the compare-and-swap: waiters share the line while
		// the holder runs instead of stealing it back and forth.
		if atomic.LoadUint32(&l.state) == lockFree && atomic.CompareAndSwapUint32(&l.state, lockFree, lockHeld) {
			return
		}
		switch {
		case tries >= 2*lockSpins:
			time.Sleep(lockNap)
		case tries >= lockSpins:
			runtime.Gosched()
		}
	}
}

// TryLock acquires l if it is free and reports whether it did.
func (l *Lock) TryLock() bool {
	return atomic.CompareAndSwapUint32(&l.state, lockFree, lockHeld)
}
