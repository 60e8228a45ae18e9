package geo

import (
	"math"

	"github.com/paulmach/orb"
	orbgeo "github.com/paulmach/orb/geo"
)

// EarthRadiusM is the sphere radius used for distances and areas (the WGS84
// semi-major axis, as orb/geo and PostGIS's spherical functions use).
const EarthRadiusM = orb.EarthRadius

// DistanceM is the great-circle (haversine) distance in metres between two
// lon/lat points.
func DistanceM(a, b orb.Point) float64 { return orbgeo.DistanceHaversine(a, b) }

// AreaM2 is the area in square metres of a Polygon or MultiPolygon (holes
// subtracted) on the sphere; other geometries have zero area.
func AreaM2(g orb.Geometry) float64 { return math.Abs(orbgeo.Area(g)) }

// PerimeterM is the length in metres of all rings of a Polygon or
// MultiPolygon (holes included), on the sphere.
func PerimeterM(g orb.Geometry) float64 {
	switch x := g.(type) {
	case orb.Polygon:
		s := 0.0
		for _, r := range x {
			s += orbgeo.Length(orb.LineString(r))
		}
		return s
	case orb.MultiPolygon:
		s := 0.0
		for _, p := range x {
			s += PerimeterM(p)
		}
		return s
	}
	return 0
}

// PolsbyPopper is the compactness 4πA/P² of an areal geometry: 1 for a
// disc, about 0.91 for a hexagon, towards 0 for long or ragged shapes.
func PolsbyPopper(g orb.Geometry) float64 {
	p := PerimeterM(g)
	if p == 0 {
		return 0
	}
	return 4 * math.Pi * AreaM2(g) / (p * p)
}
