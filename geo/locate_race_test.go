//go:build race

package geo

// Under -race (about 10× slower) the property tests use fewer random points;
// the default run uses the full million.
const propertyPoints = 100_000
const raceEnabled = true
