package postgis

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/gridd/gridd/cases"
	"github.com/gridd/gridd/internal/testenv"
)

// seedKPICases writes n cases by one INSERT ... SELECT (70 % closed, 10 %
// evaluated, 10 % handling, 10 % filed; a tenth on the department path;
// a fifth reworked), reported every 25 s from t0.
func seedKPICases(tb testing.TB, db *DB, t0 time.Time, n int) {
	tb.Helper()
	ctx := context.Background()
	_, err := db.pool.Exec(ctx, `INSERT INTO cases (stage, path, category, channel, geom, street_code, community_code,
		grid_code, cost_yuan, unit, department, reported_at, dispatched_at, accepted_at, arrived_at, resolved_at,
		closed_at, due_at, rework, satisfaction, updated_at)
		SELECT CASE WHEN i % 10 < 7 THEN 'closed' WHEN i % 10 = 7 THEN 'handling' WHEN i % 10 = 8 THEN 'evaluated' ELSE 'filed' END,
		  CASE WHEN i % 10 = 3 THEN 'department' ELSE 'on_site' END,
		  'cat' || (i % 21), (ARRAY['110','12345','petition','portal','governance','patrol','grid_worker','video','open311'])[1 + i % 9],
		  ST_SetSRID(ST_MakePoint(118.6 + (i % 1000) * 0.0001, 32.0 + (i / 1000) * 0.0001), 4326),
		  'S' || (i % 12), 'C' || (i % 150), 'G' || (i % 700), 50 + i % 500,
		  CASE WHEN i % 10 = 7 THEN 'H' || i WHEN i % 10 NOT IN (3, 9) THEN 'U' || (i % 300) END,
		  CASE WHEN i % 10 = 3 THEN 'D' || (i % 12) END,
		  r, CASE WHEN i % 10 <> 9 THEN r + (i % 37) * interval '1 minute' END,
		  CASE WHEN i % 10 <> 9 THEN r + (i % 37 + i % 11) * interval '1 minute' END,
		  CASE WHEN i % 10 NOT IN (3, 9) THEN r + (i % 37 + i % 23) * interval '1 minute' END,
		  CASE WHEN i % 10 NOT IN (7, 9) THEN r + (i % 37 + 60 + i % 300) * interval '1 minute' END,
		  CASE WHEN i % 10 NOT IN (7, 9) THEN r + (i % 37 + 90 + i % 1700) * interval '1 minute' END,
		  r + interval '24 hours', CASE WHEN i % 5 = 0 THEN 1 ELSE 0 END,
		  CASE WHEN i % 10 = 8 THEN 1 + i % 5 END, r
		FROM generate_series(0, $2::int - 1) AS i, LATERAL (SELECT $1::timestamptz + i * interval '25 seconds' AS r) AS t`, t0, n)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := db.pool.Exec(ctx, `ANALYZE cases`); err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkKPIs100k is the district's KPIs over 100,000 cases (written by
// one INSERT ... SELECT: 70 % closed, 10 % evaluated, 10 % handling, 10 %
// filed; a tenth on the department path; a fifth reworked).
func BenchmarkKPIs100k(b *testing.B) {
	ctx := context.Background()
	db, err := Open(ctx, testenv.PostGIS(b))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	seedKPICases(b, db, t0, 100000)
	q := cases.KPIQuery{Level: cases.LevelDistrict, From: t0, To: t0.Add(60 * 24 * time.Hour), AsOf: t0.Add(60 * 24 * time.Hour)}
	b.ResetTimer()
	for b.Loop() {
		k, err := db.KPIs(ctx, q)
		if err != nil || k.Cases != 100000 {
			b.Fatalf("%d cases: %v", k.Cases, err)
		}
	}
}

// TestKPIsConcurrent: callers beyond the two that scan in parallel take
// the one-connection path; every caller gets the same figures.
func TestKPIsConcurrent(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, testenv.PostGIS(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	seedKPICases(t, db, t0, 3000)
	q := cases.KPIQuery{Level: cases.LevelDistrict, From: t0, To: t0.Add(60 * 24 * time.Hour), AsOf: t0.Add(60 * 24 * time.Hour)}
	want, err := db.KPIs(ctx, q)
	if err != nil || want.Cases != 3000 || len(want.ByChannel) == 0 || len(want.Workload.Units) == 0 {
		t.Fatalf("one caller: %+v %v", want, err)
	}
	got := make([]cases.KPIs, 8)
	errc := make(chan error, len(got))
	for i := range got {
		go func() {
			var err error
			got[i], err = db.KPIs(ctx, q)
			errc <- err
		}()
	}
	for range got {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
	for i, k := range got {
		if !reflect.DeepEqual(k, want) {
			t.Fatalf("caller %d got %+v\nwant %+v", i, k, want)
		}
	}
}
