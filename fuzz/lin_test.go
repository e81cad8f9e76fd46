package fuzz

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/stretchr/testify/require"

	"github.com/larder-cache/larder"
)

// spinSink keeps the spins between operations from being optimized away.
var spinSink atomic.Int64

type linKind uint8

const (
	linSet linKind = iota
	linGet
	linDelete
	linAdd
)

type linInput struct {
	kind  linKind
	key   int
	val   string // Set
	delta int64  // Add
}

type linOutput struct {
	ok         bool   // Get found, Delete removed
	val        string // Get
	n          int64  // Add
	notCounter bool   // Add returned ErrNotCounter
	notStored  bool   // Add returned ErrNotStored
}

// linState is one key's state. Values stored by Set are never 8 bytes
// long, so only counters (created by Add) are.
type linState struct {
	present bool
	val     string
	counter bool
}

func counterVal(n int64) string {
	var b [8]byte
	binary.NativeEndian.PutUint64(b[:], uint64(n))
	return string(b[:])
}

// linModel is the sequential specification of one key. With lossy the cache
// may evict the key at any moment: a miss is always allowed (and from then
// on the key is absent), an Add may find the key gone and start over at
// delta, but a hit must still carry the value the linearization says.
func linModel(lossy bool) porcupine.Model {
	return porcupine.Model{
		Partition: func(history []porcupine.Operation) [][]porcupine.Operation {
			byKey := map[int][]porcupine.Operation{}
			var order []int
			for _, op := range history {
				k := op.Input.(linInput).key
				if _, ok := byKey[k]; !ok {
					order = append(order, k)
				}
				byKey[k] = append(byKey[k], op)
			}
			out := make([][]porcupine.Operation, 0, len(order))
			for _, k := range order {
				out = append(out, byKey[k])
			}
			return out
		},
		Init: func() any { return linState{} },
		Step: func(st, in, out any) (bool, any) {
			s, i, o := st.(linState), in.(linInput), out.(linOutput)
			switch i.kind {
			case linSet:
				return true, linState{present: true, val: i.val}
			case linGet:
				if !o.ok {
					return !s.present || lossy, linState{}
				}
				return s.present && o.val == s.val, s
			case linDelete:
				if o.ok {
					return s.present, linState{}
				}
				return !s.present || lossy, linState{}
			default: // linAdd
				if o.notCounter {
					return s.present && !s.counter, s
				}
				if o.notStored {
					// The new counter could not be indexed.
					return lossy, linState{}
				}
				next := linState{present: true, val: counterVal(o.n), counter: true}
				if s.present && s.counter {
					old := int64(binary.NativeEndian.Uint64([]byte(s.val)))
					if o.n == old+i.delta {
						return true, next
					}
				}
				// Created afresh: legal when absent, or when evicted.
				return o.n == i.delta && (!s.present || lossy), next
			}
		},
		DescribeOperation: func(in, out any) string {
			i, o := in.(linInput), out.(linOutput)
			switch i.kind {
			case linSet:
				return fmt.Sprintf("set(k%d, %.12q)", i.key, i.val)
			case linGet:
				return fmt.Sprintf("get(k%d) -> %v %.12q", i.key, o.ok, o.val)
			case linDelete:
				return fmt.Sprintf("delete(k%d) -> %v", i.key, o.ok)
			}
			return fmt.Sprintf("add(k%d, %d) -> %d notCounter=%v notStored=%v", i.key, i.delta, o.n, o.notCounter, o.notStored)
		},
	}
}

// linConfig describes one family of histories.
type linConfig struct {
	lossy      bool
	histories  int
	goroutines int
	opsEach    int
	keys       int
	maxVal     int // extra value bytes, to make eviction likely when lossy
}

// recordHistory runs one history against c: goroutines released together,
// each running opsEach seeded operations on keys named after hist. Call and
// return times come from one atomic counter, a valid real-time order.
func recordHistory(t *testing.T, c *larder.Cache, cfg linConfig, hist int) []porcupine.Operation {
	keys := make([][]byte, cfg.keys)
	for k := range keys {
		keys[k] = fmt.Appendf(nil, "h%d-k%d", hist, k)
	}
	var clock atomic.Int64
	var ready atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	perG := make([][]porcupine.Operation, cfg.goroutines)
	errs := make(chan error, cfg.goroutines)
	for g := 0; g < cfg.goroutines; g++ {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(hist), uint64(g)))
			ops := make([]porcupine.Operation, 0, cfg.opsEach)
			<-start
			// Spin until every goroutine runs, so their operations overlap.
			ready.Add(1)
			for ready.Load() < int32(cfg.goroutines) {
				runtime.Gosched()
			}
			filler := make([]byte, 200)
			for i := 0; i < cfg.opsEach; i++ {
				// Vary the interleaving with a short spin (yielding would
				// serialize the goroutines).
				for range rng.IntN(64) {
					spinSink.Add(1)
				}
				if cfg.lossy && rng.IntN(2) == 0 {
					// Unrecorded writes of other keys keep the tiny cache
					// evicting.
					k := fmt.Appendf(nil, "filler-%d", rng.IntN(64))
					c.Get(k)
					_ = c.Set(k, filler[:rng.IntN(len(filler))])
				}
				in := linInput{key: rng.IntN(cfg.keys)}
				switch r := rng.IntN(20); {
				case r < 6:
					in.kind = linSet
					// At least 9 bytes: never mistaken for a counter.
					in.val = fmt.Sprintf("value-%d-%d-", g, i) + strings.Repeat("x", rng.IntN(cfg.maxVal+1))
				case r < 13:
					in.kind = linGet
				case r < 15:
					in.kind = linDelete
				default:
					in.kind = linAdd
					in.delta = int64(rng.IntN(9) - 2)
				}
				key := keys[in.key]
				var out linOutput
				call := clock.Add(1)
				switch in.kind {
				case linSet:
					if err := c.Set(key, []byte(in.val)); err != nil {
						errs <- fmt.Errorf("Set: %w", err)
						return
					}
				case linGet:
					v, ok := c.Get(key)
					out.ok, out.val = ok, string(v)
				case linDelete:
					out.ok = c.Delete(key)
				case linAdd:
					n, err := c.Add(key, in.delta, 0)
					switch {
					case errors.Is(err, larder.ErrNotCounter):
						out.notCounter = true
					case errors.Is(err, larder.ErrNotStored):
						out.notStored = true
					case err != nil:
						errs <- fmt.Errorf("Add: %w", err)
						return
					default:
						out.n = n
					}
				}
				ret := clock.Add(1)
				ops = append(ops, porcupine.Operation{ClientId: g, Input: in, Call: call, Output: out, Return: ret})
			}
			perG[g] = ops
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err, "history %d", hist)
	}
	var history []porcupine.Operation
	for _, ops := range perG {
		history = append(history, ops...)
	}
	return history
}

// TestLinearizable records concurrent histories of Set, Get, Delete and
// Add (when the cache has it) on a few keys and checks each with porcupine:
//   - "exact": the budget holds everything, so a miss is only legal when
//     the key is absent in the linearization;
//   - "evicting": a tiny budget and a goroutine writing other keys evict
//     all the time; a miss is always legal, a hit must linearize.
func TestLinearizable(t *testing.T) {
	histories := 2500
	if testing.Short() {
		histories = 600
	}
	for _, cfg := range []linConfig{
		{lossy: false, histories: histories, goroutines: 4, opsEach: 30, keys: 3, maxVal: 16},
		{lossy: true, histories: histories, goroutines: 3, opsEach: 30, keys: 2, maxVal: 180},
	} {
		name := map[bool]string{false: "exact", true: "evicting"}[cfg.lossy]
		t.Run(name, func(t *testing.T) {
			budget := int64(32 << 20)
			if cfg.lossy {
				budget = larder.MinMaxBytes
			}
			c, err := larder.New(larder.Config{MaxBytes: budget, Shards: 1})
			require.NoError(t, err)
			defer c.Close()

			model := linModel(cfg.lossy)
			strict := linModel(false)
			begin := time.Now()
			var ops, overlapping, unknown, evictionMattered int
			for h := 0; h < cfg.histories; h++ {
				history := recordHistory(t, c, cfg, h)
				ops += len(history)
				overlapping += countOverlapping(history)
				res, info := porcupine.CheckOperationsVerbose(model, history, 10*time.Second)
				switch res {
				case porcupine.Illegal:
					path := filepath.Join(os.TempDir(), fmt.Sprintf("larder-%s-history-%d.html", name, h))
					if err := porcupine.VisualizePath(model, info, path); err != nil {
						path = err.Error()
					}
					t.Fatalf("history %d is not linearizable (visualization: %s):\n%s", h, path, describe(model, history))
				case porcupine.Unknown:
					unknown++
					require.Less(t, unknown, 3, "porcupine timed out repeatedly")
				}
				if cfg.lossy && porcupine.CheckOperationsTimeout(strict, history, 10*time.Second) == porcupine.Illegal {
					evictionMattered++
				}
				if !cfg.lossy {
					// Keep the ring to one history's records: nothing old
					// for the tail to evict.
					for k := 0; k < cfg.keys; k++ {
						c.Delete(fmt.Appendf(nil, "h%d-k%d", h, k))
					}
				}
			}
			st := c.Stats()
			if !cfg.lossy {
				require.Zero(t, st.Evictions+st.Rejections, "the exact histories assume nothing is evicted")
			} else {
				require.Positive(t, evictionMattered, "no history depended on an eviction: the lossy model went untested")
			}
			t.Logf("%s: %d histories, %d operations (%.0f%% concurrent with another) checked in %v; %d timed out; %d only linearizable with evictions; cache: %d evictions, %d rejections",
				name, cfg.histories, ops, 100*float64(overlapping)/float64(ops), time.Since(begin).Round(time.Millisecond),
				unknown, evictionMattered, st.Evictions, st.Rejections)
			if runtime.GOMAXPROCS(0) > 1 {
				require.Positive(t, overlapping, "the goroutines never overlapped")
			}
		})
	}
}

// describe lists a history in call order, for a failure message.
func describe(model porcupine.Model, history []porcupine.Operation) string {
	history = slices.Clone(history)
	slices.SortFunc(history, func(a, b porcupine.Operation) int { return int(a.Call - b.Call) })
	var b strings.Builder
	for _, op := range history {
		fmt.Fprintf(&b, "  [%4d,%4d] g%d %s\n", op.Call, op.Return, op.ClientId, model.DescribeOperation(op.Input, op.Output))
	}
	return b.String()
}

// countOverlapping counts the operations whose interval overlaps another
// goroutine's operation: histories without any would check nothing
// concurrent.
func countOverlapping(history []porcupine.Operation) int {
	n := 0
	for i, a := range history {
		for j, b := range history {
			if i != j && a.ClientId != b.ClientId && a.Call < b.Return && b.Call < a.Return {
				n++
				break
			}
		}
	}
	return n
}

// TestLinModel checks the checker: sequential histories the models must
// reject or accept.
func TestLinModel(t *testing.T) {
	seq := func(ops ...[2]any) []porcupine.Operation {
		var h []porcupine.Operation
		for i, op := range ops {
			h = append(h, porcupine.Operation{Input: op[0], Output: op[1], Call: int64(2 * i), Return: int64(2*i + 1)})
		}
		return h
	}
	set := func(v string) [2]any { return [2]any{linInput{kind: linSet, val: v}, linOutput{}} }
	get := func(ok bool, v string) [2]any { return [2]any{linInput{kind: linGet}, linOutput{ok: ok, val: v}} }
	del := func(ok bool) [2]any { return [2]any{linInput{kind: linDelete}, linOutput{ok: ok}} }
	add := func(d, n int64, notCounter bool) [2]any {
		return [2]any{linInput{kind: linAdd, delta: d}, linOutput{n: n, notCounter: notCounter}}
	}
	cases := []struct {
		name         string
		history      []porcupine.Operation
		exact, lossy bool // legal for the exact and the evicting model
	}{
		{"read your write", seq(set("value-1"), get(true, "value-1")), true, true},
		{"stale value", seq(set("value-1"), set("value-2"), get(true, "value-1")), false, false},
		{"value after delete", seq(set("value-1"), del(true), get(true, "value-1")), false, false},
		{"miss of a present key", seq(set("value-1"), get(false, "")), false, true},
		{"hit after a miss", seq(set("value-1"), get(false, ""), get(true, "value-1")), false, false},
		{"delete of an absent key", seq(del(true)), false, false},
		{"counter", seq(add(2, 2, false), add(3, 5, false), get(true, counterVal(5))), true, true},
		{"counter restarted", seq(add(2, 2, false), add(3, 3, false)), false, true},
		{"counter on a value", seq(set("value-1"), add(3, 0, true)), true, true},
		{"counter on a value, evicted", seq(set("value-1"), add(3, 3, false)), false, true},
		{"not a counter when absent", seq(add(3, 0, true)), false, false},
		{"wrong sum", seq(add(2, 2, false), add(3, 6, false)), false, false},
	}
	for _, tc := range cases {
		require.Equal(t, tc.exact, porcupine.CheckOperations(linModel(false), tc.history), "%s: exact model", tc.name)
		require.Equal(t, tc.lossy, porcupine.CheckOperations(linModel(true), tc.history), "%s: evicting model", tc.name)
	}
}
