#!/usr/bin/env bash
# The project's test command (README "Tests"; .ci/run runs exactly this).
set -euo pipefail
cd "$(dirname "$0")"
# How much each fuzz target runs, as execution counts (README "Reliability"
# says how to go longer). Counts, not durations: Go 1.26's fuzz coordinator
# can fail a duration-bounded run with a spurious "context deadline
# exceeded" when the deadline races a busy worker (golang/go#75804, fixed in
# Go 1.27); a count has no deadline to race. LARDER_FUZZSCALE multiplies them.
SCALE="${LARDER_FUZZSCALE:-1}"
OPS_EXECS="$((20000 * SCALE))x"
DEGENERATE_EXECS="$((15000 * SCALE))x"
RECORD_EXECS="$((150000 * SCALE))x"

echo "== core: vet, race tests"
go vet ./...
go test -race -count=1 ./...
# Without -race as well: on amd64 lock-free readers copy records with a
# plain memmove (arena/snapshot_copy.go), a path -race builds replace with
# atomic word loads; the concurrency tests must check the fast path too.
echo "== core: tests without -race"
go test -count=1 ./...
echo "== core: invariants build"
go test -tags invariants -count=1 -short ./...
echo "== core: GOMAXPROCS=1"
GOMAXPROCS=1 go test -count=1 -short ./...
# 32-bit: vet only. This machine cannot execute 386 binaries (no IA32
# emulation in the kernel), so the 386 tests cannot run here.
echo "== core: 386 build and vet; other systems build (arena's build tags)"
GOARCH=386 go vet ./...
GOOS=darwin go build ./...
GOOS=windows go build ./...
# The heap fallback (arena/heap_other.go, used where mmap is absent) runs
# here too: its region is Go memory written through atomic words.
# With -race: on the heap fallback the race detector sees the region's
# bytes (it cannot see mmap'd memory), so this is the run that checks every
# arena access of the lock-free paths against the writers'.
echo "== core: heap-arena fallback, race detector"
go test -tags larder_heaparena -race -count=1 -short ./...

echo "== fuzz module: vet, seed corpora and linearizability (race), GOMAXPROCS=1"
(
  cd fuzz
  go vet ./...
  GOARCH=386 go vet ./...
  go test -race -count=1 ./...
  go test -count=1 ./...
  GOMAXPROCS=1 go test -count=1 -short ./...
)
echo "== fuzzing (FuzzOps $OPS_EXECS, FuzzOpsDegenerate $DEGENERATE_EXECS, FuzzRecord $RECORD_EXECS)"
(cd fuzz && go test -run '^$' -fuzz '^FuzzOps$' -fuzztime "$OPS_EXECS" -fuzzminimizetime 200x .)
go test -run '^$' -fuzz '^FuzzOpsDegenerate$' -fuzztime "$DEGENERATE_EXECS" -fuzzminimizetime 200x .
go test -run '^$' -fuzz '^FuzzRecord$' -fuzztime "$RECORD_EXECS" -fuzzminimizetime 200x .

if [ -d bench ]; then
  echo "== bench: vet, smoke tests"
  (cd bench && go vet ./... && go test -count=1 -short ./... &&
    go test -count=1 -short -run '^$' -bench . -benchtime=1x ./...)
fi
