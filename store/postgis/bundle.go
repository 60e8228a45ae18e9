package postgis

import (
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/ewkb"
)

// geomBytes encodes g as EWKB with SRID 4326, the form COPY hands to
// PostGIS's binary input.
func geomBytes(g orb.Geometry) ([]byte, error) { return ewkb.Marshal(g, 4326) }
