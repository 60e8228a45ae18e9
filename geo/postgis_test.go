package geo_test

import (
	"context"
	"fmt"
	"math"
	"math/rand"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/gridd/gridd/geo"
	"github.com/gridd/gridd/internal/testenv"
)

// PostGIS comparisons. ST_Covers on geometry is planar and boundary-
// inclusive, the same model as PolygonIndex, except that a point on a shared
// edge is covered by both areas where the index picks one by its tie rule.
// So the index agrees with PostGIS when its answer is one of the covering
// areas (or both say "none"); any other disagreement must be a point within
// 1e-9° of an edge (where PostGIS's floating-point predicates and the exact
// ones here may differ).

// pgLoad creates areas(idx, code, geom) and pts(id, geom) with GiST indexes.
func pgLoad(tb testing.TB, ctx context.Context, dsn string, areas []geo.Area, pts []orb.Point) *pgx.Conn {
	tb.Helper()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { conn.Close(context.Background()) })
	for _, q := range []string{
		`CREATE TABLE areas (idx int PRIMARY KEY, code text, geom geometry(MultiPolygon, 4326))`,
		`CREATE TABLE pts (id int PRIMARY KEY, lon float8, lat float8, geom geometry(Point, 4326))`,
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			tb.Fatal(err)
		}
	}
	rows := make([][]any, len(areas))
	for i, a := range areas {
		b, err := wkb.Marshal(a.Geom)
		if err != nil {
			tb.Fatal(err)
		}
		rows[i] = []any{i, a.Code, b}
	}
	if _, err := conn.Exec(ctx, `CREATE TEMP TABLE areas_in (idx int, code text, g bytea)`); err != nil {
		tb.Fatal(err)
	}
	if _, err := conn.CopyFrom(ctx, pgx.Identifier{"areas_in"}, []string{"idx", "code", "g"}, pgx.CopyFromRows(rows)); err != nil {
		tb.Fatal(err)
	}
	prows := make([][]any, len(pts))
	for i, p := range pts {
		prows[i] = []any{i, p[0], p[1]}
	}
	if _, err := conn.CopyFrom(ctx, pgx.Identifier{"pts"}, []string{"id", "lon", "lat"}, pgx.CopyFromRows(prows)); err != nil {
		tb.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO areas SELECT idx, code, ST_Multi(ST_GeomFromWKB(g, 4326)) FROM areas_in`,
		`UPDATE pts SET geom = ST_SetSRID(ST_MakePoint(lon, lat), 4326)`,
		`CREATE INDEX ON areas USING gist (geom)`,
		`CREATE INDEX ON pts USING gist (geom)`,
		`ANALYZE areas`, `ANALYZE pts`,
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			tb.Fatalf("%s: %v", q, err)
		}
	}
	return conn
}

// comparisonAreas is the Pukou plan when committed, else its communities.
func comparisonAreas(tb testing.TB) (string, []geo.Area) {
	if g, ok := pukouGrids(tb); ok {
		return "Pukou plan grids", g
	}
	return "Pukou communities (no plan.geojson yet)", pukouCommunities(tb)
}

func TestLocateVsPostGIS(t *testing.T) {
	dsn := testenv.PostGIS(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	name, areas := comparisonAreas(t)
	ix, err := geo.NewPolygonIndex(areas)
	if err != nil {
		t.Fatal(err)
	}
	var bb orb.Bound
	for i, a := range areas {
		if i == 0 {
			bb = a.Geom.Bound()
		}
		bb = bb.Union(a.Geom.Bound())
	}
	const seed = 20261126
	t.Logf("%s: %d areas; seed %d", name, len(areas), seed)
	rng := rand.New(rand.NewSource(seed))
	var pts []orb.Point
	for k := 0; k < 100_000; k++ {
		pts = append(pts, orb.Point{bb.Min[0] + rng.Float64()*(bb.Max[0]-bb.Min[0]), bb.Min[1] + rng.Float64()*(bb.Max[1]-bb.Min[1])})
	}
	nRandom := len(pts)
	// plus every vertex and edge midpoint, where the tie rule applies
	for _, a := range areas {
		for _, poly := range a.Geom {
			for _, ring := range poly {
				for k := 0; k+1 < len(ring); k++ {
					pts = append(pts, ring[k], orb.Point{(ring[k][0] + ring[k+1][0]) / 2, (ring[k][1] + ring[k+1][1]) / 2})
				}
			}
		}
	}
	conn := pgLoad(t, ctx, dsn, areas, pts)

	covers := make([][]int, len(pts))
	rows, err := conn.Query(ctx, `SELECT p.id, a.idx FROM pts p JOIN areas a ON ST_Covers(a.geom, p.geom)`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id, idx int
		if err := rows.Scan(&id, &idx); err != nil {
			t.Fatal(err)
		}
		covers[id] = append(covers[id], idx)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	agree, ties, multi := 0, 0, 0
	for id, p := range pts {
		i, ok := ix.Locate(p[0], p[1])
		c := covers[id]
		if len(c) > 1 {
			multi++
		}
		good := (!ok && len(c) == 0)
		for _, j := range c {
			if ok && j == i {
				good = true
			}
		}
		if good {
			agree++
			continue
		}
		if !geo.TestOnSomeEdge(areas, p, 1e-9) {
			t.Fatalf("point %d %v: index says %d, %v; PostGIS ST_Covers by %v; not an edge tie", id, p, i, ok, c)
		}
		ties++
	}
	t.Logf("%d points (%d random, %d vertices/midpoints): %d agree with ST_Covers (%d covered by several areas, the index picking one of them), %d disagreements, all within 1e-9° of an edge", len(pts), nRandom, len(pts)-nRandom, agree, multi, ties)
	if agree < nRandom {
		t.Fatalf("only %d agreements", agree)
	}

	// Nearest for points outside: PostGIS KNN on geography (sphere distance)
	// against the index's local equirectangular distance.
	checked := 0
	for k := 0; checked < 500 && k < 100_000; k++ {
		p := orb.Point{bb.Min[0] - 0.1 + rng.Float64()*(bb.Max[0]-bb.Min[0]+0.2), bb.Min[1] - 0.1 + rng.Float64()*(bb.Max[1]-bb.Min[1]+0.2)}
		if _, ok := ix.Locate(p[0], p[1]); ok {
			continue
		}
		i, d := ix.Nearest(p[0], p[1])
		var pgIdx int
		var pgD, pgDi float64
		err := conn.QueryRow(ctx, `
			WITH q AS (SELECT ST_SetSRID(ST_MakePoint($1, $2), 4326)::geography AS g)
			SELECT a.idx, ST_Distance(a.geom::geography, q.g, false),
			       (SELECT ST_Distance(b.geom::geography, q.g, false) FROM areas b WHERE b.idx = $3)
			FROM areas a, q ORDER BY a.geom::geography <-> q.g LIMIT 1`, p[0], p[1], i).Scan(&pgIdx, &pgD, &pgDi)
		if err != nil {
			t.Fatal(err)
		}
		tol := 0.5 + 2e-3*pgD
		if math.Abs(d-pgD) > tol || math.Abs(pgDi-pgD) > tol {
			t.Fatalf("Nearest(%v) = %d at %.2f m (PostGIS: %.2f m to it); PostGIS KNN: %d at %.2f m", p, i, d, pgDi, pgIdx, pgD)
		}
		checked++
	}
	t.Logf("Nearest agrees with PostGIS geography KNN on %d outside points (within 0.5 m + 0.2%%)", checked)
}

// BenchmarkLocatePostGIS is the PostGIS peer of BenchmarkLocate: one bulk
// ST_Covers join over the same 65,536 points per iteration; ns/point is
// comparable to BenchmarkLocate's ns/op.
func BenchmarkLocatePostGIS(b *testing.B) {
	if testing.Short() {
		b.Skip("short")
	}
	dsn := testenv.PostGIS(b)
	ctx := context.Background()
	for _, name := range []string{"grids719", "communities125"} {
		s := loadBenchSets(b)[name]
		b.Run(name, func(b *testing.B) {
			conn := pgLoad(b, ctx, dsn, s.areas, s.pts)
			b.Cleanup(func() {
				for _, q := range []string{`DROP TABLE areas`, `DROP TABLE pts`, `DROP TABLE areas_in`} {
					_, _ = conn.Exec(context.Background(), q)
				}
			})
			// JIT compilation only adds latency to this query
			if _, err := conn.Exec(ctx, `SET jit = off`); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			n := 0
			for b.Loop() {
				var cnt int
				if err := conn.QueryRow(ctx, `SELECT count(*) FROM (SELECT p.id, min(a.idx) FROM pts p JOIN areas a ON ST_Covers(a.geom, p.geom) GROUP BY p.id) x`).Scan(&cnt); err != nil {
					b.Fatal(err)
				}
				n++
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n*len(s.pts)), "ns/point")
		})
	}
}

// TestNearestUnitsVsPostGIS: UnitIndex.Nearest against PostGIS KNN on
// geography (`ORDER BY g <-> q`, sphere distance), for 3,000 units and
// 1,000 query points, k=5, with and without a status filter. PostGIS's
// sphere has the mean radius (6,371,008.771 m) and ours orb's equatorial
// one, so distances are compared after scaling. The id lists must be equal
// except where two units are tied within 1 mm at the k-th place.
func TestNearestUnitsVsPostGIS(t *testing.T) {
	dsn := testenv.PostGIS(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	seed := int64(20261127)
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewSource(seed))
	ix := geo.NewUnitIndex()
	var rows [][]any
	status := map[string]geo.UnitStatus{}
	for i := 0; i < 3000; i++ {
		id := fmt.Sprintf("P%04d", i)
		lon, lat := 118.45+rng.Float64()*0.4, 31.9+rng.Float64()*0.32
		st := geo.UnitStatus(1 + rng.Intn(3))
		if i%97 == 0 && i > 0 { // exact duplicates of another unit's position: distance ties
			lon, lat = rows[i-1][1].(float64), rows[i-1][2].(float64)
		}
		if err := ix.Upsert(id, lon, lat, st); err != nil {
			t.Fatal(err)
		}
		status[id] = st
		rows = append(rows, []any{id, lon, lat, int(st)})
	}
	for _, q := range []string{
		`CREATE TEMP TABLE units (id text PRIMARY KEY, lon float8, lat float8, st int, g geography(Point, 4326))`,
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := conn.CopyFrom(ctx, pgx.Identifier{"units"}, []string{"id", "lon", "lat", "st"}, pgx.CopyFromRows(rows)); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`UPDATE units SET g = ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geography`,
		`CREATE INDEX ON units USING gist (g)`,
		`ANALYZE units`,
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	const k, scale = 5, 6371008.771 / geo.EarthRadiusM
	ties := 0
	for n := 0; n < 1000; n++ {
		lon, lat := 118.40+rng.Float64()*0.5, 31.85+rng.Float64()*0.42
		for _, filtered := range []bool{false, true} {
			var keep func(string, geo.UnitStatus) bool
			where := ""
			if filtered {
				keep = func(_ string, st geo.UnitStatus) bool { return st == geo.UnitAvailable }
				where = fmt.Sprintf("WHERE st = %d", int(geo.UnitAvailable))
			}
			got := ix.Nearest(lon, lat, k, keep)
			pg, err := conn.Query(ctx, `SELECT id, ST_Distance(g, q, false) FROM units,
				(SELECT ST_SetSRID(ST_MakePoint($1, $2), 4326)::geography AS q) s `+where+`
				ORDER BY g <-> q LIMIT $3`, lon, lat, k+3)
			if err != nil {
				t.Fatal(err)
			}
			var want []pgHit
			for pg.Next() {
				var h pgHit
				if err := pg.Scan(&h.id, &h.d); err != nil {
					t.Fatal(err)
				}
				want = append(want, h)
			}
			if err := pg.Err(); err != nil {
				t.Fatal(err)
			}
			if len(got) != k || len(want) < k {
				t.Fatalf("(%v, %v) filtered=%v: %d neighbours, PostGIS %d", lon, lat, filtered, len(got), len(want))
			}
			for i := 0; i < k; i++ {
				d := got[i].DistanceM * scale
				if math.Abs(d-want[i].d) > 1e-3+1e-9*want[i].d {
					t.Fatalf("(%v, %v) filtered=%v: neighbour %d at %.4f m (scaled), PostGIS's %d-th at %.4f m", lon, lat, filtered, i, d, i, want[i].d)
				}
				if got[i].ID != want[i].id {
					// allowed only within a tie: PostGIS's order among
					// equal distances is not by id
					if math.Abs(want[i].d-pgDist(want, got[i].ID)) > 1e-3 {
						t.Fatalf("(%v, %v) filtered=%v: neighbour %d is %s, PostGIS says %s (%.4f m vs %.4f m)", lon, lat, filtered, i, got[i].ID, want[i].id, d, want[i].d)
					}
					ties++
				}
				if filtered && status[got[i].ID] != geo.UnitAvailable {
					t.Fatalf("filter let %s (%v) through", got[i].ID, status[got[i].ID])
				}
			}
		}
	}
	t.Logf("2,000 k=%d queries agree with PostGIS geography KNN (%d places differ only in the order of units tied within 1 mm)", k, ties)
}

// pgHit is one row of a PostGIS KNN answer.
type pgHit struct {
	id string
	d  float64
}

// pgDist is the distance PostGIS gave id in hits, or +Inf.
func pgDist(hits []pgHit, id string) float64 {
	for _, h := range hits {
		if h.id == id {
			return h.d
		}
	}
	return math.Inf(1)
}
