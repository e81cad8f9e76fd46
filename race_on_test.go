//go:build race

package larder

// raceEnabled reports a -race build: the race runtime's shadow and
// bookkeeping memory grows with the work done and is charged to the
// process RSS, so RSS budget checks do not hold under it.
const raceEnabled = true
