package tiles

import "github.com/paulmach/orb"

// TileJSON returns a TileJSON 3.0.0 document for a one-layer vector tile
// set: tilesURL is the template (".../{z}/{x}/{y}.mvt"), bounds the data's
// WGS84 bound, fields the layer's attribute names and types ("String",
// "Number", "Boolean" as TileJSON suggests). The vector layer's id is name,
// as Encode and Source name the MVT layer. The result marshals with
// encoding/json.
func TileJSON(name, tilesURL string, bounds orb.Bound, minzoom, maxzoom int, fields map[string]string) map[string]any {
	if fields == nil {
		fields = map[string]string{}
	}
	c := bounds.Center()
	centerZoom := min(max(minzoom, 12), maxzoom)
	return map[string]any{
		"tilejson": "3.0.0",
		"name":     name,
		"scheme":   "xyz",
		"tiles":    []string{tilesURL},
		"minzoom":  minzoom,
		"maxzoom":  maxzoom,
		"bounds":   []float64{bounds.Min[0], bounds.Min[1], bounds.Max[0], bounds.Max[1]},
		"center":   []float64{c[0], c[1], float64(centerZoom)},
		"vector_layers": []map[string]any{{
			"id":      name,
			"fields":  fields,
			"minzoom": minzoom,
			"maxzoom": maxzoom,
		}},
	}
}
