package api

import (
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/maptile"
	"github.com/paulmach/orb/project"

	"github.com/gridd/gridd/geo"
)

// TestTilesGCJ02 checks that crs=gcj02 tiles carry every grid shifted by
// the GCJ-02 offset (so grids sit on a Chinese basemap) and the default
// tiles do not: each grid's bound in the decoded tile matches its WGS84
// bound moved by geo.WGS84ToGCJ02, to the tile's resolution.
func TestTilesGCJ02(t *testing.T) {
	_, _, ts := newTestServer(t)
	items := do(t, ts, "GET", "/collections/grids/items?limit=1000", nil)
	fc, err := geojson.UnmarshalFeatureCollection(items.body)
	if err != nil || len(fc.Features) == 0 {
		t.Fatalf("grids: %v (%d)", err, len(fc.Features))
	}
	wgs := map[string]orb.Bound{}
	for _, f := range fc.Features {
		wgs[f.Properties.MustString("code")] = f.Geometry.Bound()
	}
	// Zoom 9: a tile is ~60 km wide, the test district fits in one, and
	// its resolution (extent 4096: ~15 m) is far finer than the shift
	// (~500 m around Nanjing).
	const z = 9
	const tol = 3e-4 // degrees, two quantisation steps with margin
	centre := fc.Features[0].Geometry.Bound().Center()
	for _, tc := range []struct {
		query string
		crs   geo.CRS
	}{{"", geo.WGS84}, {"?crs=gcj02", geo.GCJ02}, {"?crs=GCJ-02", geo.GCJ02}, {"?crs=wgs84", geo.WGS84}} {
		tile := maptile.At(orb.Point(centre), z)
		if tc.crs == geo.GCJ02 {
			tile = maptile.At(geo.WGS84ToGCJ02(orb.Point(centre)), z)
		}
		path := "/tiles/grids/" + strconv.Itoa(z) + "/" + strconv.Itoa(int(tile.X)) + "/" + strconv.Itoa(int(tile.Y)) + ".mvt" + tc.query
		r := do(t, ts, "GET", path, nil)
		if r.status != 200 {
			t.Fatalf("%s: status %d %s", path, r.status, r.body)
		}
		layers, err := mvt.Unmarshal(r.body)
		if err != nil {
			t.Fatal(err)
		}
		layers.ProjectToWGS84(tile)
		seen := 0
		for _, f := range layers[0].Features {
			code, _ := f.Properties["code"].(string)
			b, ok := wgs[code]
			if !ok {
				continue
			}
			seen++
			want := b
			if tc.crs == geo.GCJ02 {
				want = project.Geometry(b.ToPolygon(), geo.WGS84ToGCJ02).Bound()
			}
			got := f.Geometry.Bound()
			if d := boundDist(got, want); d > tol {
				t.Errorf("%s grid %s: bound %v, want %v (off by %.6f°)", tc.query, code, got, want, d)
			}
			if tc.crs == geo.GCJ02 && boundDist(got, b) < 10*tol {
				t.Errorf("%s grid %s sits at its WGS84 place %v: not shifted", tc.query, code, b)
			}
		}
		if seen != len(wgs) {
			t.Errorf("%s: %d of %d grids in tile %v", tc.query, seen, len(wgs), tile)
		}
	}
}

func boundDist(a, b orb.Bound) float64 {
	return math.Max(math.Max(math.Abs(a.Min[0]-b.Min[0]), math.Abs(a.Min[1]-b.Min[1])),
		math.Max(math.Abs(a.Max[0]-b.Max[0]), math.Abs(a.Max[1]-b.Max[1])))
}

// TestTileJSONGCJ02 checks the TileJSON of gcj02 tiles points at gcj02
// tiles, and that other systems are refused naming the crs field.
func TestTileJSONGCJ02(t *testing.T) {
	_, _, ts := newTestServer(t)
	m := do(t, ts, "GET", "/tiles/grids.json?crs=gcj02", nil).json(t)
	if u := m["tiles"].([]any)[0].(string); !strings.HasSuffix(u, "/tiles/grids/{z}/{x}/{y}.mvt?crs=gcj02") {
		t.Errorf("gcj02 TileJSON tiles %q", u)
	}
	for _, path := range []string{"/tiles/grids.json?crs=bd09", "/tiles/grids/14/0/0.mvt?crs=mars", "/tiles/grids/14/0/0.mvt?crs=cgcs2000"} {
		r := do(t, ts, "GET", path, nil)
		if r.status != 400 {
			t.Errorf("%s: status %d, want 400", path, r.status)
			continue
		}
		if p := r.json(t); p["field"] != "crs" {
			t.Errorf("%s: problem field %v, want crs", path, p["field"])
		}
	}
}
