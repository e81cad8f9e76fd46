// Package fuzz holds larder's fuzz targets and linearizability checks that
// use only the public API. It is a module of its own so that its test-only
// dependencies (porcupine) stay out of larder's go.mod.
//
//   - FuzzOps (ops_test.go) decodes the fuzzer's bytes into operations and
//     checks every answer against a model (see internal/opsmodel); the
//     root package runs the same decoder with a degenerate hash.
//   - TestLinearizable (lin_test.go) records concurrent histories and checks
//     them with porcupine.
//
// Seeds under testdata/fuzz run as ordinary tests with go test; to fuzz
// longer: go test -run '^$' -fuzz FuzzOps -fuzztime 10m .
package fuzz
