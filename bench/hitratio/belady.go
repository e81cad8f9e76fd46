package hitratio

import (
	"container/heap"
	"math"
)

// never marks a request whose key is not requested again.
const never = math.MaxInt32

// nextUses returns, for each request i, the index of the next request for
// the same key, or never. One backward pass with a map: O(n). int32 halves
// the memory of the largest traces (5.3M requests) and is checked to fit.
func nextUses(keys []uint64) []int32 {
	if len(keys) >= never {
		panic("hitratio: trace too long for int32 next-use indices")
	}
	next := make([]int32, len(keys))
	last := make(map[uint64]int32, len(keys)/4)
	for i := len(keys) - 1; i >= 0; i-- {
		if j, ok := last[keys[i]]; ok {
			next[i] = j
		} else {
			next[i] = never
		}
		last[keys[i]] = int32(i)
	}
	return next
}

// beladyHits replays keys through Belady's MIN with capacity n and returns
// the hit count. It is the variant that may decline to admit: on a miss with
// a full cache, the candidate whose next use is farthest among the cached
// keys *and the requested one* goes, and if that is the requested key it is
// simply not stored. That is the optimum for any cache that can reject a
// write (larder, otter, theine and ristretto all can), so it is the right
// ceiling for them; it also matches the published Scarab figure (79.25 at
// 100,000: every non-compulsory miss avoided).
//
// Cached keys sit in a max-heap on next use. A hit re-pushes the key with
// its new next use and leaves the old heap item stale; stale items are
// recognised (their next use no longer equals the key's current one) and
// dropped when they surface. Each request pushes at most one item, so the
// whole replay is O(len(keys) log len(keys)).
func beladyHits(keys []uint64, next []int32, n int) int {
	return int(beladyIntervalHits(keys, next, n, max(len(keys), 1))[0])
}

// beladyIntervalHits is beladyHits counted per interval of every requests:
// element i holds the hits among requests [i·every, (i+1)·every). The
// victims are still chosen from the whole trace's future. Preconditions:
// every ≥ 1.
func beladyIntervalHits(keys []uint64, next []int32, n, every int) []int64 {
	hits := make([]int64, max((len(keys)+every-1)/every, 1))
	if n <= 0 {
		return hits
	}
	cached := make(map[uint64]int32, n) // key -> its current next use
	h := &useHeap{}
	for i, k := range keys {
		nu := next[i]
		if _, ok := cached[k]; ok {
			hits[i/every]++
			cached[k] = nu
			heap.Push(h, useItem{next: nu, key: k})
			continue
		}
		if len(cached) < n {
			cached[k] = nu
			heap.Push(h, useItem{next: nu, key: k})
			continue
		}
		// Stale items only cost memory and pops; when they outnumber the
		// live ones, rebuild the heap from the live set (O(n), amortised
		// over the >= n pushes that made them).
		if h.Len() > 2*n+1024 {
			*h = (*h)[:0]
			for ck, cn := range cached {
				*h = append(*h, useItem{next: cn, key: ck})
			}
			heap.Init(h)
		}
		// Full: find the live item with the farthest next use.
		for {
			top := (*h)[0]
			if cur, ok := cached[top.key]; ok && cur == top.next {
				break
			}
			heap.Pop(h)
		}
		top := (*h)[0]
		// Several keys can share `never`; any of them is as good a victim.
		// Evict only if the cached victim is needed later than the newcomer
		// (ties: keep what we have; it changes nothing in the hit count).
		if top.next > nu {
			heap.Pop(h)
			delete(cached, top.key)
			cached[k] = nu
			heap.Push(h, useItem{next: nu, key: k})
		}
	}
	return hits
}

type useItem struct {
	next int32
	key  uint64
}

// useHeap is a max-heap on next use.
type useHeap []useItem

func (h useHeap) Len() int           { return len(h) }
func (h useHeap) Less(i, j int) bool { return h[i].next > h[j].next }
func (h useHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *useHeap) Push(x any)        { *h = append(*h, x.(useItem)) }
func (h *useHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	*h = old[:len(old)-1]
	return it
}
