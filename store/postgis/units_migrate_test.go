package postgis

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gridd/gridd/internal/testenv"
	"github.com/gridd/gridd/store"
)

// TestMigration020KeepsPatrols: a database with patrols, workers and a
// patrol history from before migration 020 comes out with the same units
// (workers too), positions, statuses ('offline' becoming 'off_duty') and
// history, and the patrols layer reads them through its view.
func TestMigration020KeepsPatrols(t *testing.T) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, testenv.PostGIS(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	ms, err := store.Migrations(migrationFS)
	if err != nil {
		t.Fatal(err)
	}
	var m020 string
	for _, m := range ms {
		if m.Version < 20 {
			if _, err := conn.Exec(ctx, m.SQL, pgx.QueryExecModeSimpleProtocol); err != nil {
				t.Fatalf("%s: %v", m.File, err)
			}
		} else if m.Version == 20 {
			m020 = m.SQL
		}
	}
	at := time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)
	for _, q := range []string{
		`INSERT INTO streets VALUES ('S1', 'street', ST_Multi(ST_MakeEnvelope(118, 32, 119, 33, 4326)))`,
		`INSERT INTO communities VALUES ('C1', 'community', 'S1', 'urban', ST_Multi(ST_MakeEnvelope(118, 32, 119, 33, 4326)))`,
		`INSERT INTO workers VALUES ('W1', 'worker one', 'C1')`,
		`INSERT INTO patrols (id, callsign, street_code, home, position, status, updated_at) VALUES
			('P1', 'one', 'S1', ST_SetSRID(ST_MakePoint(118.1, 32.1), 4326), ST_SetSRID(ST_MakePoint(118.2, 32.2), 4326), 'offline', '2026-05-01T08:00:00Z'),
			('P2', 'two', 'S1', ST_SetSRID(ST_MakePoint(118.3, 32.3), 4326), ST_SetSRID(ST_MakePoint(118.3, 32.3), 4326), 'available', NULL)`,
		`INSERT INTO patrol_positions VALUES ('P1', '2026-05-01T08:00:00Z', ST_SetSRID(ST_MakePoint(118.2, 32.2), 4326), 'offline')`,
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if _, err := conn.Exec(ctx, m020, pgx.QueryExecModeSimpleProtocol); err != nil {
		t.Fatalf("020: %v", err)
	}
	var n int
	var kinds, st string
	if err := conn.QueryRow(ctx, `SELECT count(*), string_agg(id || ':' || kind || ':' || status, ',' ORDER BY id) FROM units`).Scan(&n, &kinds); err != nil {
		t.Fatal(err)
	}
	if n != 3 || kinds != "P1:patrol:off_duty,P2:patrol:available,W1:worker:available" {
		t.Fatalf("units after 020: %d %s", n, kinds)
	}
	var x, y float64
	var rep time.Time
	if err := conn.QueryRow(ctx, `SELECT ST_X(position), ST_Y(position), updated_at, status FROM patrols WHERE id = 'P1'`).Scan(&x, &y, &rep, &st); err != nil {
		t.Fatal(err)
	}
	if x != 118.2 || y != 32.2 || !rep.Equal(at) || st != "off_duty" {
		t.Fatalf("patrols view P1: %v %v %v %s", x, y, rep, st)
	}
	if err := conn.QueryRow(ctx, `SELECT count(*), min(status) FROM unit_positions WHERE unit_id = 'P1'`).Scan(&n, &st); err != nil || n != 1 || st != "off_duty" {
		t.Fatalf("history: %d %s %v", n, st, err)
	}
	if err := conn.QueryRow(ctx, `SELECT street_code FROM units WHERE id = 'W1'`).Scan(&st); err != nil || st != "S1" {
		t.Fatalf("worker street %q %v", st, err)
	}
}
