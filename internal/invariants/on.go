//go:build invariants

// Package invariants gates larder's internal consistency checks. Build
// with -tags invariants to compile them in; without the tag Enabled is a
// false constant and the checks are dead code the compiler removes.
package invariants

// Enabled is true when built with -tags invariants.
const Enabled = true
