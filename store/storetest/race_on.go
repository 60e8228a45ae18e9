//go:build race

package storetest

// raceEnabled: the race detector slows the pure-Go SQLite several times
// over, so time budgets are only logged under it.
const raceEnabled = true
