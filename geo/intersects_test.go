package geo_test

import (
	"context"
	"math/rand"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/gridd/gridd/geo"
	"github.com/gridd/gridd/internal/testenv"
)

func TestIntersects(t *testing.T) {
	square := orb.Polygon{{{0, 0}, {4, 0}, {4, 4}, {0, 4}, {0, 0}}}
	holed := orb.Polygon{square[0], {{1, 1}, {1, 3}, {3, 3}, {3, 1}, {1, 1}}}
	for _, tc := range []struct {
		name string
		a, b orb.Geometry
		want bool
	}{
		{"point inside", orb.Point{2, 2}, square, true},
		{"point on edge", orb.Point{4, 2}, square, true},
		{"point at vertex", orb.Point{4, 4}, square, true},
		{"point outside", orb.Point{5, 2}, square, false},
		{"point in hole", orb.Point{2, 2}, holed, false},
		{"point on hole edge", orb.Point{1, 2}, holed, true},
		{"points equal", orb.Point{1, 1}, orb.Point{1, 1}, true},
		{"points differ", orb.Point{1, 1}, orb.Point{1, 1.000001}, false},
		{"point on line", orb.Point{1, 1}, orb.LineString{{0, 0}, {2, 2}}, true},
		{"point off line", orb.Point{1, 1.1}, orb.LineString{{0, 0}, {2, 2}}, false},
		{"lines cross", orb.LineString{{0, 0}, {2, 2}}, orb.LineString{{0, 2}, {2, 0}}, true},
		{"lines touch at end", orb.LineString{{0, 0}, {1, 1}}, orb.LineString{{1, 1}, {2, 0}}, true},
		{"lines collinear apart", orb.LineString{{0, 0}, {1, 1}}, orb.LineString{{2, 2}, {3, 3}}, false},
		{"line inside polygon", orb.LineString{{0.5, 0.5}, {0.6, 0.6}}, holed, true},
		{"line inside hole", orb.LineString{{1.5, 1.5}, {2.5, 2.5}}, holed, false},
		{"polygon inside polygon", orb.Polygon{{{1, 1}, {2, 1}, {2, 2}, {1, 1}}}, square, true},
		{"polygon around polygon", square, orb.Polygon{{{1, 1}, {2, 1}, {2, 2}, {1, 1}}}, true},
		{"polygon in hole", orb.Polygon{{{1.5, 1.5}, {2.5, 1.5}, {2.5, 2.5}, {1.5, 1.5}}}, holed, false},
		{"polygons share an edge", orb.Polygon{{{4, 0}, {5, 0}, {5, 4}, {4, 4}, {4, 0}}}, square, true},
		{"polygons beside", orb.Polygon{{{4.1, 0}, {5, 0}, {5, 4}, {4.1, 0}}}, square, false},
		{"bound overlaps triangle bbox only", orb.Bound{Min: orb.Point{3, 3}, Max: orb.Point{4, 4}}, orb.Polygon{{{0, 0}, {4, 0}, {0, 4}, {0, 0}}}, false},
		{"bound touches triangle", orb.Bound{Min: orb.Point{2, 2}, Max: orb.Point{4, 4}}, orb.Polygon{{{0, 0}, {4, 0}, {0, 4}, {0, 0}}}, true},
		{"multipolygon second part", orb.Point{10, 10}, orb.MultiPolygon{square, {{{9, 9}, {11, 9}, {11, 11}, {9, 9}}}}, true},
		{"nil", nil, square, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := geo.Intersects(tc.a, tc.b); got != tc.want {
				t.Errorf("Intersects(a, b) = %v, want %v", got, tc.want)
			}
			if got := geo.Intersects(tc.b, tc.a); got != tc.want {
				t.Errorf("Intersects(b, a) = %v, want %v", got, tc.want)
			}
		})
	}
}

// randomShape is a point, a short line, a triangle or a two-part
// multipolygon around a random spot of a 10x10 square, on a 0.5 lattice
// so that shared edges and vertices occur often. Areas are valid (PostGIS
// refuses invalid ones).
func randomShape(rng *rand.Rand) orb.Geometry {
	at := func(x0, w int) orb.Point {
		return orb.Point{float64(x0+rng.Intn(w)) / 2, float64(rng.Intn(21)) / 2}
	}
	pt := func() orb.Point { return at(0, 21) }
	// a non-degenerate triangle with x in [x0/2, (x0+w-1)/2]
	tri := func(x0, w int) orb.Polygon {
		for {
			a, b, c := at(x0, w), at(x0, w), at(x0, w)
			if (b[0]-a[0])*(c[1]-a[1]) != (b[1]-a[1])*(c[0]-a[0]) {
				return orb.Polygon{{a, b, c, a}}
			}
		}
	}
	switch rng.Intn(4) {
	case 0:
		return pt()
	case 1:
		return orb.LineString{pt(), pt(), pt()}
	case 2:
		return tri(0, 21)
	}
	return orb.MultiPolygon{tri(0, 10), tri(11, 10)} // parts apart: a valid multipolygon
}

// TestIntersectsPostGIS compares Intersects with ST_Intersects on 3,000
// random pairs of points, lines, triangles and multipolygons.
func TestIntersectsPostGIS(t *testing.T) {
	dsn := testenv.PostGIS(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	rng := rand.New(rand.NewSource(11))
	const n = 3000
	as, bs := make([]orb.Geometry, n), make([]orb.Geometry, n)
	batch := &pgx.Batch{}
	for i := range as {
		as[i], bs[i] = randomShape(rng), randomShape(rng)
		wa, err := wkb.Marshal(as[i])
		if err != nil {
			t.Fatal(err)
		}
		wb, err := wkb.Marshal(bs[i])
		if err != nil {
			t.Fatal(err)
		}
		batch.Queue(`SELECT ST_Intersects(ST_GeomFromWKB($1, 4326), ST_GeomFromWKB($2, 4326))`, wa, wb)
	}
	res := conn.SendBatch(ctx, batch)
	defer res.Close()
	hits := 0
	for i := range as {
		var want bool
		if err := res.QueryRow().Scan(&want); err != nil {
			t.Fatal(err)
		}
		if want {
			hits++
		}
		if got := geo.Intersects(as[i], bs[i]); got != want {
			t.Errorf("pair %d: Intersects = %v, PostGIS %v\n a %v\n b %v", i, got, want, as[i], bs[i])
		}
	}
	if hits < n/10 || hits > n*9/10 {
		t.Errorf("%d of %d pairs intersect: the sample does not exercise both answers", hits, n)
	}
}
