//go:build race

package partition_test

// raceEnabled: the race detector makes a plan 5-10× slower; the tower
// district's goal tests then skip (they run without -race).
const raceEnabled = true
