//go:build race

package geo

// validateUnderRace relaxes wall-clock budgets: the race detector slows code
// 5–10×, so timings under it say nothing about production.
const validateUnderRace = true
