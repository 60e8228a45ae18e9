package tiles

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/clip"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/maptile"
	"github.com/paulmach/orb/planar"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/fixtures"
	"github.com/gridd/gridd/internal/boxindex"
)

// pukouBound is roughly Pukou district's bounding box.
var pukouBound = orb.Bound{Min: orb.Point{118.45, 31.95}, Max: orb.Point{118.80, 32.30}}

// synthGrids makes an n×n tiling of pukouBound by jagged quadrilaterals:
// every edge is split into `per` segments displaced by up to `jitter` of a
// cell (the same displacement for the two cells sharing the edge), so the
// polygons have real-looking, many-vertex boundaries.
func synthGrids(seed uint64, n, per int) []Feature {
	r := rand.New(rand.NewPCG(seed, 1))
	w := (pukouBound.Max[0] - pukouBound.Min[0]) / float64(n)
	h := (pukouBound.Max[1] - pukouBound.Min[1]) / float64(n)
	node := func(i, j int) orb.Point {
		return orb.Point{pukouBound.Min[0] + float64(i)*w, pukouBound.Min[1] + float64(j)*h}
	}
	// edge(key) → interior points, generated once per shared edge
	type ek struct{ i, j, dir int }
	edges := map[ek][]orb.Point{}
	edge := func(i, j, dir int) []orb.Point {
		k := ek{i, j, dir}
		if e, ok := edges[k]; ok {
			return e
		}
		a := node(i, j)
		b := node(i+1-dir, j+dir) // dir 0: horizontal, 1: vertical
		e := make([]orb.Point, 0, per-1)
		for s := 1; s < per; s++ {
			t := float64(s) / float64(per)
			p := orb.Point{a[0] + (b[0]-a[0])*t, a[1] + (b[1]-a[1])*t}
			d := (r.Float64() - 0.5) * 0.2
			if dir == 0 {
				p[1] += d * h
			} else {
				p[0] += d * w
			}
			e = append(e, p)
		}
		edges[k] = e
		return e
	}
	rev := func(ps []orb.Point) []orb.Point {
		out := make([]orb.Point, len(ps))
		for i := range ps {
			out[i] = ps[len(ps)-1-i]
		}
		return out
	}
	var fs []Feature
	for j := 0; j < n; j++ {
		for i := 0; i < n; i++ {
			var ring orb.Ring
			ring = append(ring, node(i, j))
			ring = append(ring, edge(i, j, 0)...)
			ring = append(ring, node(i+1, j))
			ring = append(ring, edge(i+1, j, 1)...)
			ring = append(ring, node(i+1, j+1))
			ring = append(ring, rev(edge(i, j+1, 0))...)
			ring = append(ring, node(i, j+1))
			ring = append(ring, rev(edge(i, j, 1))...)
			ring = append(ring, ring[0])
			id := j*n + i + 1
			code := bundle.GridCode(fmt.Sprintf("320111001%03d%03d", id/1000+1, id%1000))
			fs = append(fs, Feature{
				ID:       uint64(id),
				Geometry: orb.MultiPolygon{{ring}},
				Properties: map[string]any{
					"code":       code,
					"households": 300 + id%400,
					"kind":       bundle.Urban,
					"share":      float64(id) / 10,
					"locked":     id%2 == 0,
					"note":       nil,
				},
			})
		}
	}
	return fs
}

// tileUnits projects p to fractional tile units of t with orb's own
// maptile projection (independent of the encoder's).
func tileUnits(t maptile.Tile, p orb.Point) orb.Point {
	f := maptile.Fraction(p, t.Z+12)
	return orb.Point{f[0] - float64(uint64(t.X)<<12), f[1] - float64(uint64(t.Y)<<12)}
}

func projectGeom(t maptile.Tile, g orb.Geometry) orb.Geometry {
	switch g := g.(type) {
	case orb.MultiPolygon:
		out := make(orb.MultiPolygon, len(g))
		for i, p := range g {
			out[i] = projectGeom(t, p).(orb.Polygon)
		}
		return out
	case orb.Polygon:
		out := make(orb.Polygon, len(g))
		for i, r := range g {
			nr := make(orb.Ring, len(r))
			for k, q := range r {
				nr[k] = tileUnits(t, q)
			}
			out[i] = nr
		}
		return out
	case orb.LineString:
		out := make(orb.LineString, len(g))
		for k, q := range g {
			out[k] = tileUnits(t, q)
		}
		return out
	case orb.MultiLineString:
		out := make(orb.MultiLineString, len(g))
		for i, l := range g {
			out[i] = projectGeom(t, l).(orb.LineString)
		}
		return out
	case orb.Point:
		return tileUnits(t, g)
	}
	panic(fmt.Sprintf("projectGeom: %T", g))
}

// segments lists the boundary segments of an areal or linear geometry.
func segments(g orb.Geometry) [][2]orb.Point {
	var segs [][2]orb.Point
	add := func(ps []orb.Point) {
		for i := 0; i+1 < len(ps); i++ {
			segs = append(segs, [2]orb.Point{ps[i], ps[i+1]})
		}
	}
	switch g := g.(type) {
	case orb.MultiPolygon:
		for _, p := range g {
			for _, r := range p {
				add(r)
			}
		}
	case orb.Polygon:
		for _, r := range g {
			add(r)
		}
	case orb.LineString:
		add(g)
	case orb.MultiLineString:
		for _, l := range g {
			add(l)
		}
	}
	return segs
}

func distToSegs(p orb.Point, segs [][2]orb.Point) float64 {
	best := math.Inf(1)
	for _, s := range segs {
		best = math.Min(best, planar.DistanceFromSegment(s[0], s[1], p))
	}
	return best
}

func points(g orb.Geometry) []orb.Point {
	var ps []orb.Point
	visit(g, func(p orb.Point) { ps = append(ps, p) })
	return ps
}

// onClipEdge reports whether p (tile units) lies on the clip box, where
// clipping adds vertices that are not on the original boundary.
func onClipEdge(p orb.Point) bool {
	const lo, hi = -Buffer, Extent + Buffer
	return math.Abs(p[0]-lo) < 1.5 || math.Abs(p[0]-hi) < 1.5 || math.Abs(p[1]-lo) < 1.5 || math.Abs(p[1]-hi) < 1.5
}

func TestEncodeRoundTrip(t *testing.T) {
	const seed = 7
	t.Logf("seed %d", seed)
	grids := synthGrids(seed, 27, 40) // 729 grids, ~160 vertices each
	line := Feature{ID: 90001, Geometry: orb.LineString{{118.60, 32.10}, {118.61, 32.105}, {118.62, 32.10}, {118.63, 32.11}}, Properties: map[string]any{"name": "road"}}
	pt := Feature{ID: 90002, Geometry: orb.Point{118.605, 32.102}, Properties: map[string]any{"callsign": "浦口1"}}
	layers := []Layer{{Name: "grids", Features: grids}, {Name: "roads", Features: []Feature{line}}, {Name: "patrols", Features: []Feature{pt}}}

	for _, z := range []maptile.Zoom{10, 12, 14, 16} {
		tile := maptile.At(orb.Point{118.605, 32.102}, z)
		t.Run(fmt.Sprintf("z%d", z), func(t *testing.T) { checkRoundTrip(t, tile, layers) })
	}
}

// TestEncodePukou round-trips tiles of the committed Pukou plan (or, before
// it is committed, synthetic grids) and the real community polygons.
func TestEncodePukou(t *testing.T) {
	grids, what := pukouGrids(t)
	t.Logf("grids: %s", what)
	b, err := fixtures.LoadPukou()
	if err != nil {
		t.Fatal(err)
	}
	comms := make([]Feature, len(b.Communities))
	for i, c := range b.Communities {
		comms[i] = Feature{ID: uint64(i + 1), Geometry: c.Geom, Properties: map[string]any{"code": c.Code, "name": c.Name, "kind": c.Kind}}
	}
	layers := []Layer{{Name: "grids", Features: grids}, {Name: "communities", Features: comms}}
	bd := b.District.Geom.Bound()
	r := rand.New(rand.NewPCG(9, 9))
	t.Logf("seed 9")
	for _, z := range []maptile.Zoom{9, 11, 13, 14, 15} {
		tile := maptile.At(orb.Point{bd.Min[0] + r.Float64()*(bd.Max[0]-bd.Min[0]), bd.Min[1] + r.Float64()*(bd.Max[1]-bd.Min[1])}, z)
		t.Run(fmt.Sprintf("z%d", z), func(t *testing.T) { checkRoundTrip(t, tile, layers) })
	}
}

// checkRoundTrip encodes layers into tile, decodes the result with orb and
// checks features, attributes, geometry (within a pixel both ways) and
// windings.
func checkRoundTrip(t *testing.T, tile maptile.Tile, layers []Layer) {
	t.Helper()
	{
		{
			data, err := Encode(tile, layers)
			if err != nil {
				t.Fatal(err)
			}
			got, err := mvt.Unmarshal(data)
			if err != nil {
				t.Fatal(err)
			}
			byName := map[string]*mvt.Layer{}
			for _, l := range got {
				byName[l.Name] = l
				if l.Extent != Extent || l.Version != 2 {
					t.Errorf("layer %s extent %d version %d", l.Name, l.Extent, l.Version)
				}
			}
			// Every original feature that overlaps the tile itself must
			// be there, and nothing that lies wholly outside tile+buffer.
			inner := tile.Bound()
			outer := tileBound(tile)
			for _, l := range layers {
				ml := byName[l.Name]
				ids := map[uint64]bool{}
				if ml != nil {
					for _, f := range ml.Features {
						ids[decodedID(t, f)] = true
					}
				}
				byID := map[uint64]Feature{}
				for _, f := range l.Features {
					byID[f.ID] = f
					b := f.Geometry.Bound()
					if mustAppear(tile, f.Geometry, inner) && !ids[f.ID] {
						t.Errorf("%s: feature %d overlaps the tile but is missing", l.Name, f.ID)
					}
					if !b.Intersects(outer) && ids[f.ID] {
						t.Errorf("%s: feature %d is outside the tile but present", l.Name, f.ID)
					}
				}
				if ml == nil {
					continue
				}
				maxOut, maxIn := 0.0, 0.0
				for _, f := range ml.Features {
					orig := byID[decodedID(t, f)]
					// attributes: all non-nil properties, numbers as float64
					for k, v := range orig.Properties {
						want, _ := normValue(v)
						gv, present := f.Properties[k]
						if want == nil {
							if present {
								t.Errorf("%s/%d: nil property %s encoded as %v", l.Name, f.ID, k, gv)
							}
							continue
						}
						switch w := want.(type) {
						case int64:
							want = float64(w)
						case uint64:
							want = float64(w)
						}
						if gv != want {
							t.Errorf("%s/%d: property %s = %#v, want %#v", l.Name, f.ID, k, gv, want)
						}
					}
					// geometry: every decoded vertex not made by clipping lies
					// within a pixel of the original boundary, measured after
					// un-projecting to WGS84 and projecting back with orb's
					// maptile (a different code path from the encoder).
					tileGeom := f.Geometry
					wgs := mvt.Layers{&mvt.Layer{Name: "x", Extent: Extent, Features: []*geojson.Feature{{Geometry: orb.Clone(tileGeom)}}}}
					wgs.ProjectToWGS84(tile)
					back := projectGeom(tile, wgs[0].Features[0].Geometry)
					origSegs := segments(projectGeom(tile, orig.Geometry))
					tps := points(tileGeom)
					for i, p := range points(back) {
						if onClipEdge(tps[i]) {
							continue
						}
						var d float64
						if len(origSegs) == 0 { // a point
							d = planar.Distance(p, projectGeom(tile, orig.Geometry).(orb.Point))
						} else {
							d = distToSegs(p, origSegs)
						}
						maxOut = math.Max(maxOut, d)
					}
					// and every original vertex inside the tile lies within
					// a pixel of the decoded boundary (nothing big was lost)
					backSegs := segments(back)
					if len(backSegs) > 0 {
						for _, q := range points(projectGeom(tile, orig.Geometry)) {
							if q[0] > 0 && q[0] < Extent && q[1] > 0 && q[1] < Extent {
								maxIn = math.Max(maxIn, distToSegs(q, backSegs))
							}
						}
					}
				}
				const pixel = Extent / 256 // one pixel of a 256-pixel tile
				t.Logf("%s: %d features, max decoded→original %.2f units, original→decoded %.2f units (pixel = %d)", l.Name, len(ml.Features), maxOut, maxIn, pixel)
				if maxOut > pixel || maxIn > pixel {
					t.Errorf("%s: geometry off by more than a pixel: %.2f / %.2f units", l.Name, maxOut, maxIn)
				}
			}
			// orientation: decoded polygons have shells (orb decodes by
			// winding, so a wrong winding shows up as extra polygons)
			if gl := byName["grids"]; gl != nil {
				for _, f := range gl.Features {
					if mp, ok := f.Geometry.(orb.MultiPolygon); ok && !isMulti(layers[0], decodedID(t, f)) {
						t.Errorf("grid %v decoded as %d polygons; windings wrong?", f.ID, len(mp))
					}
				}
			}
		}
	}
}

// isMulti reports whether feature id of l has several polygons.
func isMulti(l Layer, id uint64) bool {
	for _, f := range l.Features {
		if f.ID == id {
			mp, ok := f.Geometry.(orb.MultiPolygon)
			return ok && len(mp) > 1
		}
	}
	return false
}

// mustAppear reports whether g must be in tile: it overlaps the tile
// itself and, for a polygon, covers at least two pixels of it (smaller ones
// may vanish under simplification, by design).
func mustAppear(tile maptile.Tile, g orb.Geometry, inner orb.Bound) bool {
	if !hitsInterior(g, inner) {
		return false
	}
	mp, ok := g.(orb.MultiPolygon)
	if !ok {
		if p, isP := g.(orb.Polygon); isP {
			mp, ok = orb.MultiPolygon{p}, true
		}
	}
	if !ok {
		return true
	}
	in := clip.MultiPolygon(orb.Bound{Max: orb.Point{Extent, Extent}}, projectGeom(tile, mp).(orb.MultiPolygon))
	return planar.Area(in) >= 2*minAreaPx
}

// hitsInterior reports whether g has a vertex strictly inside b or b's
// centre lies in g (so g certainly overlaps the tile itself).
func hitsInterior(g orb.Geometry, b orb.Bound) bool {
	for _, p := range points(g) {
		if p[0] > b.Min[0] && p[0] < b.Max[0] && p[1] > b.Min[1] && p[1] < b.Max[1] {
			return true
		}
	}
	if mp, ok := g.(orb.MultiPolygon); ok {
		return planar.MultiPolygonContains(mp, b.Center())
	}
	return false
}

func TestEncodeHoleAndWinding(t *testing.T) {
	// A square with a hole, both rings given in the "wrong" orientation.
	shell := orb.Ring{{118.60, 32.10}, {118.60, 32.11}, {118.61, 32.11}, {118.61, 32.10}, {118.60, 32.10}}
	hole := orb.Ring{{118.603, 32.103}, {118.607, 32.103}, {118.607, 32.107}, {118.603, 32.107}, {118.603, 32.103}}
	f := Feature{ID: 1, Geometry: orb.Polygon{shell, hole}}
	tile := maptile.At(orb.Point{118.605, 32.105}, 13)
	data, err := Encode(tile, []Layer{{Name: "p", Features: []Feature{f}}})
	if err != nil {
		t.Fatal(err)
	}
	ls, err := mvt.Unmarshal(data)
	if err != nil {
		t.Fatal(err)
	}
	p, ok := ls[0].Features[0].Geometry.(orb.Polygon)
	if !ok || len(p) != 2 {
		t.Fatalf("got %T %v, want a polygon with one hole", ls[0].Features[0].Geometry, ls[0].Features[0].Geometry)
	}
	if p[0].Orientation() != orb.CCW || p[1].Orientation() != orb.CW {
		t.Errorf("orientations %v %v, want shell positive (orb CCW) and hole negative in tile coordinates", p[0].Orientation(), p[1].Orientation())
	}
}

func TestEncodeEmptyAndTiny(t *testing.T) {
	grids := synthGrids(1, 5, 4)
	for _, tc := range []struct {
		name string
		tile maptile.Tile
	}{
		{"far away", maptile.At(orb.Point{-70, 40}, 14)},
		{"next to the data", maptile.At(orb.Point{118.3, 32.1}, 14)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data, err := Encode(tc.tile, []Layer{{Name: "grids", Features: grids}})
			if err != nil {
				t.Fatal(err)
			}
			ls, err := mvt.Unmarshal(data)
			if err != nil {
				t.Fatal(err)
			}
			if len(ls) != 0 {
				t.Errorf("got %d layers, want none", len(ls))
			}
		})
	}
	t.Run("sub-pixel polygon dropped at low zoom", func(t *testing.T) {
		tiny := Feature{ID: 1, Geometry: orb.Polygon{{{118.6, 32.1}, {118.60001, 32.1}, {118.60001, 32.10001}, {118.6, 32.1}}}}
		data, err := Encode(maptile.At(orb.Point{118.6, 32.1}, 8), []Layer{{Name: "x", Features: []Feature{tiny}}})
		if err != nil {
			t.Fatal(err)
		}
		if ls, _ := mvt.Unmarshal(data); len(ls) != 0 {
			t.Errorf("got %d layers, want none", len(ls))
		}
	})
}

func TestEncodeInvalid(t *testing.T) {
	ok := Feature{Geometry: orb.Point{118.6, 32.1}}
	tile := maptile.At(orb.Point{118.6, 32.1}, 14)
	for _, tc := range []struct {
		name   string
		tile   maptile.Tile
		layers []Layer
		field  string
	}{
		{"zoom too high", maptile.New(0, 0, MaxZoom+1), nil, "z"},
		{"x out of range", maptile.New(4, 0, 2), nil, "x"},
		{"y out of range", maptile.New(0, 4, 2), nil, "y"},
		{"NaN coordinate", tile, []Layer{{Name: "a", Features: []Feature{ok, {Geometry: orb.Point{math.NaN(), 32}}}}}, "layers[a].features[1].geometry"},
		{"Inf coordinate", tile, []Layer{{Name: "a", Features: []Feature{{Geometry: orb.LineString{{118, 32}, {math.Inf(1), 32}}}}}}, "layers[a].features[0].geometry"},
		{"latitude out of range", tile, []Layer{{Name: "a", Features: []Feature{{Geometry: orb.Point{118, 95}}}}}, "layers[a].features[0].geometry"},
		{"nil geometry", tile, []Layer{{Name: "a", Features: []Feature{{}}}}, "layers[a].features[0].geometry"},
		{"collection", tile, []Layer{{Name: "a", Features: []Feature{{Geometry: orb.Collection{orb.Point{118, 32}}}}}}, "layers[a].features[0].geometry"},
		{"bad property", tile, []Layer{{Name: "a", Features: []Feature{{Geometry: orb.Point{118, 32}, Properties: map[string]any{"m": map[string]int{}}}}}}, "layers[a].features[0].properties.m"},
		{"no layer name", tile, []Layer{{Features: []Feature{ok}}}, "layers"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Encode(tc.tile, tc.layers)
			e, isE := errs.As(err)
			if !isE || e.Code != errs.Invalid || e.Field != tc.field {
				t.Fatalf("got %v, want invalid on %s", err, tc.field)
			}
		})
	}
}

func TestIndexMatchesBruteForce(t *testing.T) {
	seed := uint64(42)
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 2))
	var bounds []orb.Bound
	for range 5000 {
		p := orb.Point{pukouBound.Min[0] + r.Float64()*0.35, pukouBound.Min[1] + r.Float64()*0.35}
		s := r.ExpFloat64() * 0.003
		if r.IntN(50) == 0 {
			s = 0.2 // a few big ones spanning many cells
		}
		bounds = append(bounds, orb.Bound{Min: p, Max: orb.Point{p[0] + s, p[1] + s*r.Float64()}})
	}
	ix := boxindex.New(bounds)
	for q := range 500 {
		z := maptile.Zoom(8 + r.IntN(10))
		tile := maptile.At(orb.Point{pukouBound.Min[0] - 0.05 + r.Float64()*0.45, pukouBound.Min[1] - 0.05 + r.Float64()*0.45}, z)
		qb := tileBound(tile)
		got := ix.Search(qb, nil)
		var want []int
		for i, b := range bounds {
			if b.Intersects(qb) {
				want = append(want, i)
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("query %d (tile %v): got %d features, want %d", q, tile, len(got), len(want))
		}
	}
	if got := boxindex.New(nil).Search(pukouBound, nil); len(got) != 0 {
		t.Errorf("empty index returned %v", got)
	}
}

func TestSourceMatchesEncode(t *testing.T) {
	seed := uint64(3)
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 3))
	grids := synthGrids(seed, 27, 20)
	var pts []Feature
	for i := range 30000 {
		pts = append(pts, Feature{ID: uint64(i + 1), Geometry: orb.Point{pukouBound.Min[0] + r.Float64()*0.35, pukouBound.Min[1] + r.Float64()*0.35}, Properties: map[string]any{"households": i % 40}})
	}
	for _, l := range []Layer{{Name: "grids", Features: grids}, {Name: "buildings", Features: pts}} {
		src, err := NewSource(l, SourceOptions{Version: "1", Cache: NewCache(1 << 20)})
		if err != nil {
			t.Fatal(err)
		}
		for range 40 {
			z := maptile.Zoom(10 + r.IntN(7))
			tile := maptile.At(orb.Point{pukouBound.Min[0] + r.Float64()*0.35, pukouBound.Min[1] + r.Float64()*0.35}, z)
			want, err := Encode(tile, []Layer{l})
			if err != nil {
				t.Fatal(err)
			}
			for pass := range 2 { // second pass from the cache
				got, err := src.Tile(int(tile.Z), int(tile.X), int(tile.Y))
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("%s tile %v pass %d: Source and Encode differ (%d vs %d bytes)", l.Name, tile, pass, len(got), len(want))
				}
			}
		}
	}
}

func TestSourceTileErrors(t *testing.T) {
	src, err := NewSource(Layer{Name: "g", Features: synthGrids(1, 3, 2)}, SourceOptions{MinZoom: 10, MaxZoom: 16})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		z, x, y int
		field   string
	}{
		{9, 0, 0, "z"}, {17, 0, 0, "z"}, {-1, 0, 0, "z"}, {99, 0, 0, "z"},
		{10, 1024, 0, "x/y"}, {10, 0, -1, "x/y"},
	} {
		t.Run(fmt.Sprintf("%d/%d/%d", tc.z, tc.x, tc.y), func(t *testing.T) {
			_, err := src.Tile(tc.z, tc.x, tc.y)
			if e, ok := errs.As(err); !ok || e.Code != errs.Invalid || e.Field != tc.field {
				t.Fatalf("got %v, want invalid on %s", err, tc.field)
			}
		})
	}
	t.Run("empty tile", func(t *testing.T) {
		b, err := src.Tile(10, 0, 0)
		if err != nil || len(b) != 0 {
			t.Fatalf("got %d bytes, %v; want an empty tile", len(b), err)
		}
	})
	t.Run("bad zoom range", func(t *testing.T) {
		for _, o := range []SourceOptions{{MinZoom: 5, MaxZoom: 4}, {MaxZoom: MaxZoom + 1}, {MinZoom: -1, MaxZoom: 3}} {
			if _, err := NewSource(Layer{Name: "g"}, o); !errs.Is(err, errs.Invalid) {
				t.Errorf("%+v: got %v, want invalid", o, err)
			}
		}
	})
	t.Run("bad feature", func(t *testing.T) {
		_, err := NewSource(Layer{Name: "g", Features: []Feature{{Geometry: orb.Point{math.NaN(), 1}}}}, SourceOptions{})
		if !errs.Is(err, errs.Invalid) {
			t.Errorf("got %v, want invalid", err)
		}
	})
}

func TestCache(t *testing.T) {
	c := NewCache(10 * (100 + entryOverhead))
	k := func(v string, x uint32) cacheKey { return cacheKey{layer: "g", version: v, z: 14, x: x} }
	for i := range uint32(20) {
		c.put(k("1", i), make([]byte, 100))
	}
	st := c.Stats()
	if st.Entries != 10 || st.Bytes > 10*(100+entryOverhead) {
		t.Fatalf("stats %+v, want 10 entries within budget", st)
	}
	if _, ok := c.get(k("1", 0)); ok {
		t.Error("oldest entry not evicted")
	}
	if _, ok := c.get(k("1", 19)); !ok {
		t.Error("newest entry missing")
	}
	if _, ok := c.get(k("2", 19)); ok {
		t.Error("another version hit the cache")
	}
	// touching an entry keeps it through the next eviction
	c.get(k("1", 10))
	c.put(k("1", 100), make([]byte, 100))
	if _, ok := c.get(k("1", 10)); !ok {
		t.Error("recently used entry evicted")
	}
	if _, ok := c.get(k("1", 11)); ok {
		t.Error("least recently used entry kept")
	}
	c.put(k("1", 200), make([]byte, 1<<20)) // larger than the whole cache
	if _, ok := c.get(k("1", 200)); ok {
		t.Error("oversized entry cached")
	}
}

func TestTileJSON(t *testing.T) {
	doc := TileJSON("grids", "https://x/tiles/grids/{z}/{x}/{y}.mvt", pukouBound, 8, 16, map[string]string{"code": "String", "households": "Number"})
	if doc["tilejson"] != "3.0.0" || doc["minzoom"] != 8 || doc["maxzoom"] != 16 {
		t.Fatalf("doc %v", doc)
	}
	vl := doc["vector_layers"].([]map[string]any)
	if len(vl) != 1 || vl[0]["id"] != "grids" || vl[0]["fields"].(map[string]string)["households"] != "Number" {
		t.Errorf("vector_layers %v", vl)
	}
	b := doc["bounds"].([]float64)
	if b[0] != 118.45 || b[3] != 32.30 {
		t.Errorf("bounds %v", b)
	}
	c := doc["center"].([]float64)
	if c[2] < 8 || c[2] > 16 || !pukouBound.Contains(orb.Point{c[0], c[1]}) {
		t.Errorf("center %v", c)
	}
}

// decodedID is the feature id as orb's decoder returns it (a float64).
func decodedID(t *testing.T, f *geojson.Feature) uint64 {
	t.Helper()
	id, ok := f.ID.(float64)
	if !ok || id != math.Trunc(id) || id <= 0 {
		t.Fatalf("feature id %T %v", f.ID, f.ID)
	}
	return uint64(id)
}

func visit(g orb.Geometry, fn func(orb.Point)) {
	switch g := g.(type) {
	case orb.Point:
		fn(g)
	case orb.MultiPoint:
		for _, p := range g {
			fn(p)
		}
	case orb.LineString:
		for _, p := range g {
			fn(p)
		}
	case orb.MultiLineString:
		for _, l := range g {
			visit(l, fn)
		}
	case orb.Polygon:
		for _, r := range g {
			for _, p := range r {
				fn(p)
			}
		}
	case orb.MultiPolygon:
		for _, p := range g {
			visit(p, fn)
		}
	}
}

// TestVisibleMinZoom: a layer of small areas is empty at the lowest
// zooms; with VisibleMinZoom the Source's range starts at the first zoom
// that shows it, and every zoom below that was really empty.
func TestVisibleMinZoom(t *testing.T) {
	var feats []Feature
	for i := range 40 { // 40 squares of about 100 m, away from Pukou
		x, y := 113.0+0.003*float64(i%8), 23.0+0.003*float64(i/8)
		feats = append(feats, Feature{Geometry: orb.Polygon{{{x, y}, {x + 0.001, y}, {x + 0.001, y + 0.001}, {x, y + 0.001}, {x, y}}}})
	}
	plain, err := NewSource(Layer{Name: "sq", Features: feats}, SourceOptions{MaxZoom: 20})
	if err != nil {
		t.Fatal(err)
	}
	vis, err := NewSource(Layer{Name: "sq", Features: feats}, SourceOptions{MaxZoom: 20, VisibleMinZoom: true})
	if err != nil {
		t.Fatal(err)
	}
	minZ, maxZ := vis.ZoomRange()
	if minZ == 0 || maxZ != 20 {
		t.Fatalf("range %d..%d: 100 m squares cannot show at zoom 0", minZ, maxZ)
	}
	c := orb.Point{113.0105, 23.0075}
	for z := 0; z <= minZ; z++ {
		tl := maptile.At(c, maptile.Zoom(z))
		b, err := plain.Tile(z, int(tl.X), int(tl.Y))
		if err != nil {
			t.Fatal(err)
		}
		if (len(b) > 0) != (z == minZ) {
			t.Errorf("zoom %d: %d bytes, visible from %d", z, len(b), minZ)
		}
		if _, err := vis.Tile(z, int(tl.X), int(tl.Y)); (err == nil) != (z == minZ) {
			t.Errorf("zoom %d served: %v", z, err)
		}
	}
	// Points show at every zoom.
	pts, err := NewSource(Layer{Name: "p", Features: []Feature{{Geometry: orb.Point{113, 23}}}}, SourceOptions{VisibleMinZoom: true})
	if err != nil {
		t.Fatal(err)
	}
	if minZ, _ := pts.ZoomRange(); minZ != 0 {
		t.Errorf("points from zoom %d", minZ)
	}
}
