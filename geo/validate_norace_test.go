//go:build !race

package geo

const validateUnderRace = false
