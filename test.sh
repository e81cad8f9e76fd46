#!/usr/bin/env bash
# The project's test command (README "Tests"; .ci/run runs exactly this).
set -euo pipefail
cd "$(dirname "$0")"
# How long each fuzz target runs (README "Reliability" says how to go longer).
FUZZTIME="${LARDER_FUZZTIME:-10s}"

echo "== core: vet, race tests"
go vet ./...
go test -race -count=1 ./...
echo "== core: invariants build"
go test -tags invariants -count=1 -short ./...
echo "== core: GOMAXPROCS=1"
GOMAXPROCS=1 go test -count=1 -short ./...
# 32-bit: vet only. This machine cannot execute 386 binaries (no IA32
# emulation in the kernel), so the 386 tests cannot run here.
echo "== core: 386 build and vet"
GOARCH=386 go vet ./...

echo "== fuzz module: vet, seed corpora and linearizability (race), GOMAXPROCS=1"
(
  cd fuzz
  go vet ./...
  GOARCH=386 go vet ./...
  go test -race -count=1 ./...
  GOMAXPROCS=1 go test -count=1 -short ./...
)
echo "== fuzzing, $FUZZTIME per target"
(cd fuzz && go test -run '^$' -fuzz '^FuzzOps$' -fuzztime "$FUZZTIME" -fuzzminimizetime 5s .)
go test -run '^$' -fuzz '^FuzzOpsDegenerate$' -fuzztime "$FUZZTIME" -fuzzminimizetime 5s .
go test -run '^$' -fuzz '^FuzzRecord$' -fuzztime "$FUZZTIME" -fuzzminimizetime 5s .

if [ -d bench ]; then
  echo "== bench: vet, smoke tests"
  (cd bench && go vet ./... && go test -count=1 -short ./... &&
    go test -count=1 -short -run '^$' -bench . -benchtime=1x ./...)
fi
