#!/usr/bin/env bash
# The project's test command (README "Tests"; .ci/run runs exactly this).
set -euo pipefail
cd "$(dirname "$0")"
echo "== core: vet, race tests"
go vet ./...
go test -race -count=1 ./...
echo "== core: invariants build"
go test -tags invariants -count=1 -short ./...
if [ -d bench ]; then
  echo "== bench: vet, smoke tests"
  (cd bench && go vet ./... && go test -count=1 -short ./...)
fi
