package workload

import (
	"encoding/binary"
	"math/rand/v2"

	"github.com/larder-cache/larder/bench/adapters"
)

// mixLen is the length of the repeating read/write pattern. A power of two
// so that picking the next op is a mask.
const mixLen = 1024

// Mix is a fixed, shuffled pattern of reads and writes with the requested
// read share (exact to 1/1024). Deciding op types from a precomputed table
// keeps the RNG out of timed code.
type Mix struct {
	ReadPct int
	write   [mixLen]bool
}

// NewMix returns the pattern for readPct% reads (0..100).
func NewMix(readPct int) *Mix {
	m := &Mix{ReadPct: readPct}
	writes := (mixLen*(100-readPct) + 50) / 100
	for i := 0; i < writes; i++ {
		m.write[i] = true
	}
	r := rand.New(rand.NewPCG(uint64(readPct), 42))
	r.Shuffle(mixLen, func(i, j int) { m.write[i], m.write[j] = m.write[j], m.write[i] })
	return m
}

// Worker is one goroutine's view of a workload. Both the `go test`
// benchmarks and compare's timed runner call Op in their loop, so they
// measure the same per-op work: a trace lookup, a key slice, and one cache
// call (plus, for writes, stamping a fresh value).
type Worker struct {
	c     adapters.Cache
	keys  *Keys
	trace []uint32
	mix   *Mix
	pos   int
	n     uint64
	buf   []byte // read buffer, capacity for the largest value
	val   []byte // write buffer, rewritten before every Set

	Reads, Hits, Writes, Errors uint64
	// sink keeps reads observable so the compiler cannot drop them.
	sink int
}

// NewWorker returns a worker that starts at trace position start (each
// goroutine gets its own, so they do not walk the trace in lockstep).
func NewWorker(c adapters.Cache, keys *Keys, trace []uint32, mix *Mix, valueSize, start int) *Worker {
	w := &Worker{
		c: c, keys: keys, trace: trace, mix: mix,
		pos: start % len(trace),
		n:   uint64(start),
		buf: adapters.ReadBuffer(valueSize),
		val: make([]byte, valueSize),
	}
	ValueAt(start, w.val)
	return w
}

// Op performs one operation.
func (w *Worker) Op() {
	key := w.keys.Key(int(w.trace[w.pos]))
	w.pos++
	if w.pos == len(w.trace) {
		w.pos = 0
	}
	w.n++
	if w.mix.write[w.n&(mixLen-1)] {
		// A fresh value for an existing key: the first 8 bytes change on
		// every write, the rest stays (the cost of generating a whole new
		// value would be the harness's, not the cache's).
		binary.LittleEndian.PutUint64(w.val, w.n)
		if err := w.c.Set(key, w.val); err != nil {
			w.Errors++
		}
		w.Writes++
		return
	}
	v, ok := w.c.Get(w.buf[:0], key)
	w.Reads++
	if ok {
		w.Hits++
		w.sink += len(v)
	}
}

// Start returns the trace offset for goroutine g: spread by a large odd
// stride so concurrent goroutines read different parts of the trace.
func Start(g, traceLen int) int {
	return int((uint64(g) * 0x9e3779b97f4a7c15 >> 11) % uint64(traceLen))
}
