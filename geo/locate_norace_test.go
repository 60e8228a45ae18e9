//go:build !race

package geo

// propertyPoints is the number of random points the property tests check
// against brute force (the issue asks for at least a million).
const propertyPoints = 1_000_000
const raceEnabled = false
