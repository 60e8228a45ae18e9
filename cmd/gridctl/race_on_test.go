//go:build race

package main

// raceEnabled: the race detector slows child processes about tenfold, so
// the kill test runs fewer rounds.
const raceEnabled = true
