package repair_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/bundle/repair"
	"github.com/gridd/gridd/internal/testenv"
)

// TestRepairTilesInPostGIS recomputes the tiling of the repaired broken
// copies with PostGIS (GEOS), independently of the overlay the repair
// and bundle.Check share: every street and community ST_IsValid; no two
// communities of a street (nor two streets) overlap by more than 1 m²
// (ST_Overlaps, ST_Area of ST_Intersection); and the
// symmetric difference of each street with the ST_Union of its
// communities, and of the district with the union of the streets, is at
// most 1 m². The clean district passes the same checks, and the broken
// copy fails them, to show they bite.
func TestRepairTilesInPostGIS(t *testing.T) {
	dsn := testenv.PostGIS(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	s := seed(t)
	for name, b := range districts(t) {
		t.Run(name, func(t *testing.T) {
			k := newBreaker(t, b, s)
			breakAll(k)
			fixed, rep := repair.Repair(k.b, repair.DefaultOptions())
			if len(rep.Review()) > 0 {
				t.Fatalf("left for review: %v", rep.Review())
			}
			for _, msg := range pgTiling(t, ctx, conn, b) {
				t.Errorf("the clean district: %s", msg)
			}
			bad := pgTiling(t, ctx, conn, k.b)
			if len(bad) == 0 {
				t.Errorf("PostGIS finds nothing wrong with the broken copy")
			}
			t.Logf("PostGIS on the broken copy: %q", bad)
			for _, msg := range pgTiling(t, ctx, conn, fixed) {
				t.Errorf("repaired: %s", msg)
			}
		})
	}
}

// pgTiling loads b's district, streets and communities and returns what
// PostGIS finds wrong with their tiling.
func pgTiling(t *testing.T, ctx context.Context, conn *pgx.Conn, b *bundle.Bundle) []string {
	t.Helper()
	for _, q := range []string{
		// m² in the lon/lat plane, where GeoJSON edges are straight and
		// the repair works: planar area in degrees² times the metres of a
		// degree at the place. On geography, a vertex of one area lying
		// on a neighbour's straight lon/lat edge would read as a sliver
		// of up to hundreds of m² (the great circle bows away from it).
		`CREATE OR REPLACE FUNCTION m2(g geometry) RETURNS float8 LANGUAGE sql IMMUTABLE AS
			$$ SELECT CASE WHEN ST_IsEmpty(g) THEN 0 ELSE ST_Area(g) * (pi() / 180 * 6378137)^2 * cos(radians(ST_Y(ST_Centroid(g)))) END $$`,
		`DROP TABLE IF EXISTS areas`,
		`CREATE TABLE areas (layer text, code text, parent text, geom geometry(MultiPolygon, 4326))`,
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	var rows [][]any
	add := func(layer, code, parent string, g orb.MultiPolygon) {
		data, err := wkb.Marshal(g)
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, []any{layer, code, parent, data})
	}
	add("district", string(b.District.Code), "", b.District.Geom)
	for _, s := range b.Streets {
		add("street", string(s.Code), string(b.District.Code), s.Geom)
	}
	for _, c := range b.Communities {
		add("community", string(c.Code), string(c.Street), c.Geom)
	}
	if _, err := conn.Exec(ctx, `DROP TABLE IF EXISTS areas_in; CREATE TEMP TABLE areas_in (layer text, code text, parent text, g bytea)`); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.CopyFrom(ctx, pgx.Identifier{"areas_in"}, []string{"layer", "code", "parent", "g"}, pgx.CopyFromRows(rows)); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `INSERT INTO areas SELECT layer, code, parent, ST_Multi(ST_GeomFromWKB(g, 4326)) FROM areas_in`); err != nil {
		t.Fatal(err)
	}
	var bad []string
	query := func(q string) {
		rs, err := conn.Query(ctx, q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		defer rs.Close()
		for rs.Next() {
			var msg string
			if err := rs.Scan(&msg); err != nil {
				t.Fatal(err)
			}
			bad = append(bad, msg)
		}
		if err := rs.Err(); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	query(`SELECT layer || ' ' || code || ' not valid: ' || ST_IsValidReason(geom) FROM areas WHERE NOT ST_IsValid(geom)`)
	// The overlay checks need valid input; invalid areas are reported above.
	query(`WITH v AS (SELECT * FROM areas WHERE ST_IsValid(geom))
		SELECT a.layer || ' ' || a.code || ' overlaps ' || b.code || ' by ' || round(m2(ST_Intersection(a.geom, b.geom))::numeric, 1) || ' m²'
		FROM v a JOIN v b ON a.layer = b.layer AND a.parent = b.parent AND a.code < b.code AND a.geom && b.geom
		WHERE ST_Overlaps(a.geom, b.geom) AND m2(ST_Intersection(a.geom, b.geom)) > 1`)
	query(`WITH v AS (SELECT * FROM areas WHERE ST_IsValid(geom)),
		kids AS (SELECT parent, ST_Union(geom) AS u FROM v WHERE layer <> 'district' GROUP BY parent)
		SELECT p.layer || ' ' || p.code || ': its parts differ from it by ' || round(m2(ST_SymDifference(p.geom, k.u))::numeric, 1) || ' m²'
		FROM v p JOIN kids k ON k.parent = p.code
		WHERE m2(ST_SymDifference(p.geom, k.u)) > 1`)
	return bad
}
