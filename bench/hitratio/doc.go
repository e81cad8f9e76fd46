// Package hitratio replays public cache traces through larder, its peers,
// an exact LRU and Belady's optimum at equal entry counts, and reports hit
// ratios.
//
// Every cache sees the same access model (Get each request; Set on a miss)
// and stores the same entry (8-byte key, 16-byte value). Caches sized in
// entries get n; byte-budget caches get the budget at which they hold n
// entries at steady state (±2%), found by calibration, or an explained n/a
// when no budget gets that close. Run returns one Result per (trace, size,
// cache) cell; WriteTables prints them. The traces are read in place from
// ../shared/traces relative to the repository root (see ResolveTracesDir);
// their formats are described in SOURCES.md there.
package hitratio
