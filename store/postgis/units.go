package postgis

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"github.com/gridd/gridd/dispatch"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/store"
	"github.com/gridd/gridd/store/sqlstore"
)

// unitsDialect is the PostgreSQL dialect of the units' SQL: points are
// the GiST-indexed position columns.
type unitsDialect struct{ whereDialect }

func (unitsDialect) UnitXY() (x, y string)  { return "ST_X(u.position)", "ST_Y(u.position)" }
func (unitsDialect) TrackXY() (x, y string) { return "ST_X(position)", "ST_Y(position)" }
func (unitsDialect) UnitInBox(b orb.Bound, arg func(any) string) string {
	env := "ST_MakeEnvelope(" + arg(b.Min[0]) + ", " + arg(b.Min[1]) + ", " + arg(b.Max[0]) + ", " + arg(b.Max[1]) + ", 4326)"
	return "u.position && " + env + " AND ST_Intersects(u.position, " + env + ")"
}

func (db *DB) units() sqlstore.UnitStore {
	return sqlstore.UnitStore{Run: sqlRunner{db}, D: unitsDialect{}}
}

// ReportPositions stores a batch in one transaction and two statements
// whatever its size: the units' state before (locking their rows, which
// also finds unknown units), then one statement that inserts the history
// from arrays (UNNEST, one multi-row INSERT) and moves each unit to its
// newest new report.
func (db *DB) ReportPositions(ctx context.Context, rs []dispatch.PositionReport) ([]dispatch.ReportResult, error) {
	rs, err := store.PrepareReports(rs)
	if err != nil {
		return nil, err
	}
	n := len(rs)
	ids, ats := make([]string, n), make([]time.Time, n)
	lons, lats, sts := make([]float64, n), make([]float64, n), make([]string, n)
	for i, r := range rs {
		ids[i], ats[i], lons[i], lats[i], sts[i] = r.Unit, r.At, r.Loc[0], r.Loc[1], string(r.Status)
	}
	var out []dispatch.ReportResult
	err = db.write(ctx, "units", func(tx pgx.Tx) error {
		// The units' state before the batch, rows locked in id order so
		// that concurrent batches of one unit take turns (and cannot
		// deadlock): the outcomes each reports are what happened.
		rows, err := tx.Query(ctx, `SELECT `+sqlstore.UnitCols(unitsDialect{})+` FROM units u WHERE u.id = ANY($1) ORDER BY u.id FOR UPDATE OF u`, ids)
		if err != nil {
			return err
		}
		before := make(map[string]dispatch.Unit, n)
		for rows.Next() {
			u, err := sqlstore.ScanUnit(unitsDialect{}, rows)
			if err != nil {
				return err
			}
			before[u.ID] = u
		}
		if err := rows.Err(); err != nil {
			return err
		}
		prev := make(map[string]time.Time, len(before))
		for i, id := range ids {
			u, ok := before[id]
			if !ok {
				return errs.E(errs.NotFound, dispatch.FieldAt(i, "unit"), "no unit %q", id)
			}
			if u.ReportedAt != nil {
				prev[id] = *u.ReportedAt
			}
		}
		rows, err = tx.Query(ctx, `WITH r AS (
				SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::float8[], $4::float8[], $5::text[]) WITH ORDINALITY AS r(u, at, lon, lat, st, i)
			), ins AS (
				INSERT INTO unit_positions (unit_id, at, position, status)
				SELECT r.u, r.at, ST_SetSRID(ST_MakePoint(r.lon, r.lat), 4326), r.st FROM r
				ON CONFLICT (unit_id, at) DO NOTHING
				RETURNING unit_id, at
			), newest AS (
				SELECT DISTINCT ON (r.u) r.* FROM r JOIN ins ON ins.unit_id = r.u AND ins.at = r.at
				ORDER BY r.u, r.at DESC, r.i
			), moved AS (
				UPDATE units u SET position = ST_SetSRID(ST_MakePoint(m.lon, m.lat), 4326), status = m.st, reported_at = m.at
				FROM newest m WHERE u.id = m.u AND (u.reported_at IS NULL OR u.reported_at < m.at)
				RETURNING u.id
			)
			SELECT unit_id, at, (SELECT count(*) FROM moved) FROM ins`, ids, ats, lons, lats, sts)
		if err != nil {
			return err
		}
		type key struct {
			id string
			at time.Time
		}
		fresh := make(map[key]bool, n)
		for rows.Next() {
			var k key
			var nMoved int64
			if err := rows.Scan(&k.id, &k.at, &nMoved); err != nil {
				return err
			}
			k.at = k.at.UTC()
			fresh[k] = true
		}
		if err := rows.Err(); err != nil {
			return err
		}
		inserted := make([]bool, n)
		for i, r := range rs {
			k := key{r.Unit, r.At}
			if fresh[k] {
				inserted[i] = true
				delete(fresh, k) // a second copy in the batch is a duplicate
			}
		}
		out = store.Outcomes(rs, inserted, prev)
		// The state after: the unit's newest report if it moved, else as
		// before; busy while it holds a case.
		after := make(map[string]dispatch.Unit, len(before))
		for id, u := range before {
			after[id] = u
		}
		for i, res := range out {
			if res.Outcome == dispatch.Moved {
				u, r := after[res.Unit], rs[i]
				loc := r.Loc
				u.Loc, u.ReportedStatus = &loc, r.Status
				u.Status = dispatch.Effective(u.ReportedStatus, u.HeldCase)
				after[res.Unit] = u
			}
		}
		for i := range out {
			out[i].Settle(after[out[i].Unit])
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
