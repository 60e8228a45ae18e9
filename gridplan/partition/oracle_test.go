package partition_test

import (
	"context"
	"fmt"
	"math"
	"sort"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/gridplan/partition"
	"github.com/gridd/gridd/internal/testenv"
)

// The quality the issue asks for, checked by PostGIS as an independent
// oracle: it never sees the H3 cells, only the plan and the bundle.
const (
	maxSymDiffM2     = 1.0  // per community, union of grids vs community
	maxOverlapM2     = 1.0  // all grids together
	maxOutsideM2     = 0.1  // per grid, area outside its community
	minWithinMean    = 0.95 // share within ±10% of the community mean
	minWithinNominal = 0.90 // share within ±15% of the nominal target
	minMedianPP      = 0.45
)

func geomJSON(t *testing.T, mp orb.MultiPolygon) string {
	t.Helper()
	data, err := geojson.NewGeometry(mp).MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// checkWithPostGIS loads b and grids into a fresh PostGIS database and
// checks tiling, containment, overlaps, contiguity, enclaves, households
// per grid and the balance and compactness figures of rep; the median
// Polsby-Popper must reach minPP.
func checkWithPostGIS(t *testing.T, b *bundle.Bundle, grids []gridplan.Grid, rep *partition.Report, minPP float64) {
	t.Helper()
	checkWithPostGISGoals(t, b, grids, rep, goals{minWithinMean, minWithinNominal, minPP})
}

// goals are the balance and compactness floors checkWithPostGISGoals
// holds a plan to.
type goals struct {
	withinMean, withinNominal, medianPP float64
}

// checkWithPostGISGoals is checkWithPostGIS with the balance floors given.
func checkWithPostGISGoals(t *testing.T, b *bundle.Bundle, grids []gridplan.Grid, rep *partition.Report, want goals) {
	t.Helper()
	minPP := want.medianPP
	dsn := testenv.PostGIS(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	db, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(ctx)
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := db.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	exec(`CREATE TABLE comm (code text PRIMARY KEY, parts int, geom geometry(MultiPolygon, 4326))`)
	exec(`CREATE TABLE bld (id text PRIMARY KEY, households int, lon float8, lat float8, geom geometry(Point, 4326))`)
	exec(`CREATE TABLE grid (code text PRIMARY KEY, community text, households int, target int, geom geometry(MultiPolygon, 4326))`)
	batch := &pgx.Batch{}
	for _, c := range b.Communities {
		batch.Queue(`INSERT INTO comm VALUES ($1, $2, ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON($3), 4326)))`, string(c.Code), len(c.Geom), geomJSON(t, c.Geom))
	}
	for _, g := range grids {
		batch.Queue(`INSERT INTO grid VALUES ($1, $2, $3, $4, ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON($5), 4326)))`,
			string(g.Code), string(g.Community), g.Households, g.Target, geomJSON(t, g.Geom))
	}
	if err := db.SendBatch(ctx, batch).Close(); err != nil {
		t.Fatal(err)
	}
	rows := make([][]any, len(b.Buildings))
	for i, bl := range b.Buildings {
		rows[i] = []any{string(bl.ID), bl.Households, bl.Loc[0], bl.Loc[1]}
	}
	if _, err := db.CopyFrom(ctx, pgx.Identifier{"bld"}, []string{"id", "households", "lon", "lat"}, pgx.CopyFromRows(rows)); err != nil {
		t.Fatal(err)
	}
	exec(`UPDATE bld SET geom = ST_SetSRID(ST_MakePoint(lon, lat), 4326)`)
	exec(`CREATE INDEX ON grid USING gist (geom)`)
	exec(`CREATE INDEX ON bld USING gist (geom)`)
	exec(`ANALYZE`)
	// Areas of tiling errors are measured in the plane the plan is drawn in:
	// plan and bundle are planar lon/lat geometry (RFC 7946: straight edges
	// in lon/lat), so the area is taken in degrees² and scaled to m² at the
	// district's latitude. Geography (great-circle edges) or a projection
	// (where lon/lat lines curve) would report the few centimetres between
	// two edge models along every kilometre-long boundary as m² of gaps.
	bd := b.District.Geom.Bound()
	if len(b.District.Geom) == 0 {
		bd = b.Communities[0].Geom.Bound()
	}
	scale := 111320 * math.Cos(bd.Center()[1]*math.Pi/180) * 110574
	m2 := func(expr string) string { return fmt.Sprintf("(ST_Area(%s) * %f)", expr, scale) }

	query := func(sql string, scan func(r pgx.Rows) error) {
		t.Helper()
		r, err := db.Query(ctx, sql)
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		defer r.Close()
		for r.Next() {
			if err := scan(r); err != nil {
				t.Fatal(err)
			}
		}
		if err := r.Err(); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}

	t.Run("valid", func(t *testing.T) {
		query(`SELECT code, ST_IsValidReason(geom) FROM grid WHERE NOT ST_IsValid(geom)`, func(r pgx.Rows) error {
			var code, why string
			err := r.Scan(&code, &why)
			t.Errorf("grid %s is not valid: %s", code, why)
			return err
		})
	})
	t.Run("inside community", func(t *testing.T) {
		query(`SELECT g.code, `+m2("ST_Difference(g.geom, c.geom)")+` FROM grid g JOIN comm c ON c.code = g.community`, func(r pgx.Rows) error {
			var code string
			var out float64
			err := r.Scan(&code, &out)
			if out > maxOutsideM2 {
				t.Errorf("grid %s: %.3f m² outside its community", code, out)
			}
			return err
		})
		var orphans int
		query(`SELECT count(*) FROM grid g LEFT JOIN comm c ON c.code = g.community WHERE c.code IS NULL`, func(r pgx.Rows) error { return r.Scan(&orphans) })
		if orphans > 0 {
			t.Errorf("%d grids name no community", orphans)
		}
	})
	t.Run("union equals community", func(t *testing.T) {
		n := 0
		query(`SELECT c.code, COALESCE(`+m2("ST_SymDifference(ST_Union(g.geom), c.geom)")+`, -1)
			FROM comm c LEFT JOIN grid g ON g.community = c.code GROUP BY c.code, c.geom`, func(r pgx.Rows) error {
			var code string
			var d float64
			err := r.Scan(&code, &d)
			n++
			if d < 0 {
				t.Errorf("community %s has no grid", code)
			} else if d >= maxSymDiffM2 {
				t.Errorf("community %s: union of grids differs by %.3f m²", code, d)
			}
			return err
		})
		if n != len(b.Communities) {
			t.Errorf("checked %d communities, want %d", n, len(b.Communities))
		}
	})
	t.Run("overlaps", func(t *testing.T) {
		var total float64
		query(`SELECT COALESCE(SUM(`+m2("ST_Intersection(a.geom, b.geom)")+`), 0)
			FROM grid a JOIN grid b ON a.code < b.code AND ST_Intersects(a.geom, b.geom)`, func(r pgx.Rows) error { return r.Scan(&total) })
		t.Logf("total overlap %.4f m²", total)
		if total >= maxOverlapM2 {
			t.Errorf("grids overlap by %.3f m² in all", total)
		}
	})
	t.Run("single part", func(t *testing.T) {
		query(`SELECT g.code, ST_NumGeometries(g.geom) FROM grid g JOIN comm c ON c.code = g.community
			WHERE c.parts = 1 AND ST_NumGeometries(g.geom) <> 1`, func(r pgx.Rows) error {
			var code string
			var n int
			err := r.Scan(&code, &n)
			t.Errorf("grid %s has %d parts in a single-part community", code, n)
			return err
		})
	})
	t.Run("no enclaves", func(t *testing.T) {
		query(`WITH rings AS (
				SELECT g.code, g.community, (ST_DumpRings((ST_Dump(g.geom)).geom)).*
				FROM grid g)
			SELECT r.code, o.code FROM rings r JOIN grid o
				ON o.community = r.community AND o.code <> r.code AND r.path[1] > 0
				AND ST_Intersects(r.geom, o.geom)
				AND `+m2("ST_Intersection(r.geom, o.geom)")+` > 1`, func(r pgx.Rows) error {
			var a, o string
			err := r.Scan(&a, &o)
			t.Errorf("grid %s lies in a hole of grid %s", o, a)
			return err
		})
	})
	// Households per grid as PostGIS counts them.
	// A grid holding a building with more households than a grid may have
	// (target + 10%) is that building's own grid: it must hold exactly one
	// such building, and it is left out of the balance figures.
	type gh struct {
		code, comm      string
		have, counted   int
		target          int
		area, perim, pp float64
		big             int
	}
	var ghs []gh
	query(`SELECT g.code, g.community, g.households, g.target, COALESCE(SUM(b.households), 0),
			ST_Area(g.geom::geography), ST_Perimeter(g.geom::geography),
			count(b.id) FILTER (WHERE b.households > g.target * 1.10)
		FROM grid g LEFT JOIN bld b ON ST_Intersects(g.geom, b.geom)
		GROUP BY g.code, g.community, g.households, g.target, g.geom ORDER BY g.code`, func(r pgx.Rows) error {
		var x gh
		var counted, big int64
		err := r.Scan(&x.code, &x.comm, &x.have, &x.target, &counted, &x.area, &x.perim, &big)
		x.counted, x.big = int(counted), int(big)
		if x.big > 1 {
			t.Errorf("grid %s holds %d buildings too big for a grid, want each in its own grid", x.code, x.big)
		}
		x.pp = 4 * math.Pi * x.area / (x.perim * x.perim)
		ghs = append(ghs, x)
		return err
	})
	t.Run("households", func(t *testing.T) {
		for _, x := range ghs {
			if x.have != x.counted {
				t.Errorf("grid %s says %d households, PostGIS counts %d", x.code, x.have, x.counted)
			}
		}
		var multi, none int
		query(`SELECT count(*) FILTER (WHERE n > 1), count(*) FILTER (WHERE n = 0 AND incomm)
			FROM (SELECT b.id, count(g.code) n, EXISTS (SELECT 1 FROM comm c WHERE ST_Intersects(c.geom, b.geom)) incomm
				FROM bld b LEFT JOIN grid g ON ST_Intersects(g.geom, b.geom) GROUP BY b.id, b.geom) s`, func(r pgx.Rows) error {
			return r.Scan(&multi, &none)
		})
		if multi > 0 || none > 0 {
			t.Errorf("%d buildings in several grids, %d in a community but in no grid", multi, none)
		}
	})
	t.Run("balance and compactness", func(t *testing.T) {
		sum := map[string]int{}
		cnt := map[string]int{}
		tgt := map[string]int{}
		own := 0
		for _, x := range ghs {
			if x.big > 0 {
				own++
				continue
			}
			sum[x.comm] += x.counted
			cnt[x.comm]++
			tgt[x.comm] = x.target
		}
		if own != rep.OwnBuildingGrids {
			t.Errorf("PostGIS finds %d grids of one too-big building, the report %d", own, rep.OwnBuildingGrids)
		}
		var within, balanced, nomIn, nom int
		excluded := map[string]bool{}
		pps := make([]float64, 0, len(ghs))
		for _, x := range ghs {
			pps = append(pps, x.pp)
			if sum[x.comm] == 0 || x.big > 0 {
				continue
			}
			mean := float64(sum[x.comm]) / float64(cnt[x.comm])
			balanced++
			if math.Abs(float64(x.counted)-mean) <= 0.10*mean {
				within++
			}
			if math.Abs(mean-float64(x.target)) > 0.15*float64(x.target) {
				excluded[x.comm] = true
				continue
			}
			nom++
			if math.Abs(float64(x.counted-x.target)) <= 0.15*float64(x.target) {
				nomIn++
			}
		}
		sort.Float64s(pps)
		shareMean := float64(within) / float64(balanced)
		shareNom := float64(nomIn) / float64(nom)
		median := pps[len(pps)/2]
		if len(pps)%2 == 0 {
			median = (pps[len(pps)/2-1] + pps[len(pps)/2]) / 2
		}
		t.Logf("PostGIS: %d grids, %.1f%% within ±10%% of community mean, %.1f%% within ±15%% of nominal (%d communities excluded), median Polsby-Popper %.3f",
			len(ghs), 100*shareMean, 100*shareNom, len(excluded), median)
		if shareMean < want.withinMean {
			t.Errorf("%.3f of grids within ±10%% of their community mean, want ≥ %.2f", shareMean, want.withinMean)
		}
		if shareNom < want.withinNominal {
			t.Errorf("%.3f of grids within ±15%% of the nominal target, want ≥ %.2f", shareNom, want.withinNominal)
		}
		if median < minPP {
			t.Errorf("median Polsby-Popper %.3f, want ≥ %.2f", median, minPP)
		}
		// The report must say what PostGIS measures.
		if math.Abs(rep.WithinCommunityMeanShare-shareMean) > 1e-9 || math.Abs(rep.WithinNominalShare-shareNom) > 1e-9 ||
			rep.NominalExcludedCommunities != len(excluded) {
			t.Errorf("report says %.4f / %.4f (%d excluded), PostGIS %.4f / %.4f (%d)", rep.WithinCommunityMeanShare,
				rep.WithinNominalShare, rep.NominalExcludedCommunities, shareMean, shareNom, len(excluded))
		}
		if math.Abs(rep.MedianPolsbyPopper-median) > 0.01 {
			t.Errorf("report median Polsby-Popper %.4f, PostGIS %.4f", rep.MedianPolsbyPopper, median)
		}
		if rep.Grids != len(ghs) {
			t.Errorf("report counts %d grids, PostGIS %d", rep.Grids, len(ghs))
		}
	})
}
