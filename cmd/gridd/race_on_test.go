//go:build race

package main

// raceOn: this test binary (and the gridd it runs in process) is built
// with -race, several times slower, so timing budgets are reported, not
// judged.
const raceOn = true
