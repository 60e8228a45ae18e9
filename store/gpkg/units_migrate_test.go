package gpkg

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/paulmach/orb"
	"modernc.org/sqlite"

	"github.com/gridd/gridd/store"
)

// TestMigration020KeepsPatrols: a GeoPackage with patrols, workers and a
// patrol history from before migration 020 comes out with the same units
// (workers too), positions, statuses ('offline' becoming 'off_duty') and
// history; the patrols layer reads them through its view and finds them
// in a bbox through the units' R-tree.
func TestMigration020KeepsPatrols(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.gpkg")
	drv := &sqlite.Driver{}
	if err := registerFunctions(drv); err != nil {
		t.Fatal(err)
	}
	conn := sql.OpenDB(connector{drv, "file:" + path + "?_pragma=foreign_keys(1)"})
	defer conn.Close()
	conn.SetMaxOpenConns(1)
	ms, err := store.Migrations(migrationFS)
	if err != nil {
		t.Fatal(err)
	}
	exec := func(what, q string, args ...any) {
		t.Helper()
		if _, err := conn.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	var m020 string
	for _, m := range ms {
		src, err := expand(m.SQL)
		if err != nil {
			t.Fatal(err)
		}
		if m.Version < 20 {
			exec(m.File, src)
		} else if m.Version == 20 {
			m020 = src
		}
	}
	box, err := encodeGeom(square())
	if err != nil {
		t.Fatal(err)
	}
	p1, _ := encodeGeom(pt(118.2, 32.2))
	p2, _ := encodeGeom(pt(118.3, 32.3))
	exec("street", `INSERT INTO streets (code, name, geom) VALUES ('S1', 'street', ?)`, box)
	exec("community", `INSERT INTO communities (code, name, street_code, kind, geom) VALUES ('C1', 'community', 'S1', 'urban', ?)`, box)
	exec("worker", `INSERT INTO workers (id, name, community_code) VALUES ('W1', 'worker one', 'C1')`)
	exec("patrol 1", `INSERT INTO patrols (id, callsign, street_code, home_lon, home_lat, status, updated_at, geom)
		VALUES ('P1', 'one', 'S1', 118.1, 32.1, 'offline', '2026-05-01T08:00:00.000000Z', ?)`, p1)
	exec("patrol 2", `INSERT INTO patrols (id, callsign, street_code, home_lon, home_lat, geom) VALUES ('P2', 'two', 'S1', 118.3, 32.3, ?)`, p2)
	exec("history", `INSERT INTO patrol_positions (patrol_id, at, lon, lat, status) VALUES ('P1', '2026-05-01T08:00:00.000000Z', 118.2, 32.2, 'offline')`)
	exec("020", m020)

	var n int
	var kinds string
	if err := conn.QueryRowContext(ctx, `SELECT count(*), group_concat(id || ':' || kind || ':' || status, ',') FROM (SELECT * FROM units ORDER BY id)`).Scan(&n, &kinds); err != nil {
		t.Fatal(err)
	}
	if n != 3 || kinds != "P1:patrol:off_duty,P2:patrol:available,W1:worker:available" {
		t.Fatalf("units after 020: %d %s", n, kinds)
	}
	// The patrols layer through the store's own query path.
	db := newDB(path, conn, conn)
	b := store.Query{Layer: store.Patrols}
	bb := square().Bound()
	b.BBox = &bb
	page, err := db.Features(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Features) != 2 || page.Features[0].ID != "P1" || page.Features[0].Props["status"] != "off_duty" {
		t.Fatalf("patrols after 020: %+v", page.Features)
	}
	if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM unit_positions WHERE unit_id = 'P1' AND status = 'off_duty'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("history: %d %v", n, err)
	}
}

func square() orb.MultiPolygon {
	return orb.MultiPolygon{{{{118, 32}, {119, 32}, {119, 33}, {118, 33}, {118, 32}}}}
}

func pt(lon, lat float64) orb.Point { return orb.Point{lon, lat} }
