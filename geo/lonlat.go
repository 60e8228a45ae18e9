package geo

import (
	"math"

	"github.com/gridd/gridd/errs"
)

// ValidLonLat reports whether lon and lat are a finite WGS84 coordinate:
// lon within [-180, 180] and lat within [-90, 90], bounds included; NaN
// and ±Inf are not. It is CheckLonLat without the error, for hot paths
// and for callers that report the problem under their own field.
func ValidLonLat(lon, lat float64) bool {
	return lon >= -180 && lon <= 180 && lat >= -90 && lat <= 90 // false for NaN
}

// CheckLonLat is the one WGS84 range check of gridd: nil when lon and lat
// are finite, lon within [-180, 180] and lat within [-90, 90]; otherwise
// an errs.Invalid *errs.Error whose Field is "lon" or "lat" (the first
// coordinate at fault) and whose Msg names the coordinate pair, e.g.
// "coordinate (200, 32) is outside lon [-180, 180], lat [-90, 90]", so that
// callers checking a vertex or a CSV row can reuse Msg under their own
// field.
func CheckLonLat(lon, lat float64) error {
	field := "lon"
	switch {
	case math.IsNaN(lon) || math.IsInf(lon, 0):
	case math.IsNaN(lat) || math.IsInf(lat, 0):
		field = "lat"
	case lon < -180 || lon > 180:
		return errs.E(errs.Invalid, "lon", "coordinate (%v, %v) is outside lon [-180, 180], lat [-90, 90]", lon, lat)
	case lat < -90 || lat > 90:
		return errs.E(errs.Invalid, "lat", "coordinate (%v, %v) is outside lon [-180, 180], lat [-90, 90]", lon, lat)
	default:
		return nil
	}
	return errs.E(errs.Invalid, field, "coordinate (%v, %v) is not finite", lon, lat)
}

// errMsg is an *errs.Error's client message, err's text otherwise.
func errMsg(err error) string {
	if e, ok := errs.As(err); ok {
		return e.Msg
	}
	return err.Error()
}
