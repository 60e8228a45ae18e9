package postgis

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"github.com/gridd/gridd/cases"
	"github.com/gridd/gridd/dispatch"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/store"
)

// unitStages is the SQL list of the stages that hold a unit.
var unitStages = func() []string {
	out := make([]string, len(cases.UnitStages))
	for i, s := range cases.UnitStages {
		out[i] = string(s)
	}
	return out
}()

// ReportPositions stores a batch in one transaction and two statements
// whatever its size: the units' state before (locking their rows, which
// also finds unknown units), then one statement that inserts the history
// from arrays (UNNEST, one multi-row INSERT) and moves each unit to its
// newest new report.
func (db *DB) ReportPositions(ctx context.Context, rs []dispatch.PositionReport) ([]dispatch.ReportResult, error) {
	if err := dispatch.ValidateReports(rs, store.MaxReportBatch); err != nil {
		return nil, err
	}
	rs = store.NormaliseReports(rs)
	n := len(rs)
	ids, ats := make([]string, n), make([]time.Time, n)
	lons, lats, sts := make([]float64, n), make([]float64, n), make([]string, n)
	for i, r := range rs {
		ids[i], ats[i], lons[i], lats[i], sts[i] = r.Unit, r.At, r.Loc[0], r.Loc[1], string(r.Status)
	}
	var out []dispatch.ReportResult
	err := db.write(ctx, "units", func(tx pgx.Tx) error {
		// The units' state before the batch, rows locked in id order so
		// that concurrent batches of one unit take turns (and cannot
		// deadlock): the outcomes each reports are what happened.
		rows, err := tx.Query(ctx, `SELECT `+unitCols+` FROM units u WHERE u.id = ANY($2) ORDER BY u.id FOR UPDATE OF u`, unitStages, ids)
		if err != nil {
			return err
		}
		before := make(map[string]dispatch.Unit, n)
		for rows.Next() {
			u, err := scanUnit(rows)
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
			u := after[out[i].Unit]
			out[i].Status, out[i].HeldCase = u.Status, u.HeldCase
			if u.Loc != nil {
				out[i].Loc = *u.Loc
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

const unitCols = `u.id, u.kind, u.name, u.street_code, u.community_code, ST_X(u.position), ST_Y(u.position), u.status, u.reported_at,
	(SELECT c.id FROM cases c WHERE c.unit = u.id AND c.stage = ANY($1) ORDER BY c.id LIMIT 1)`

func scanUnit(r pgx.Row) (dispatch.Unit, error) {
	var u dispatch.Unit
	var kind, st string
	var x, y *float64
	var at *time.Time
	var held *int64
	if err := r.Scan(&u.ID, &kind, &u.Name, &u.Street, &u.Community, &x, &y, &st, &at, &held); err != nil {
		return u, err
	}
	u.Kind, u.ReportedStatus = dispatch.UnitKind(kind), dispatch.UnitStatus(st)
	if x != nil && y != nil {
		u.Loc = &orb.Point{*x, *y}
	}
	if at != nil {
		t := at.UTC()
		u.ReportedAt = &t
	}
	if held != nil {
		u.HeldCase = *held
	}
	u.Status = dispatch.Effective(u.ReportedStatus, u.HeldCase)
	u.OnDuty = true
	return u, nil
}

// Units lists units matching f, by id.
func (db *DB) Units(ctx context.Context, f store.UnitFilter) ([]dispatch.Unit, error) {
	out := []dispatch.Unit{}
	err := db.read(ctx, func(tx pgx.Tx) error {
		q := `SELECT ` + unitCols + ` FROM units u WHERE ($2 = '' OR u.kind = $2) AND ($3 = '' OR u.street_code = $3)`
		args := []any{unitStages, string(f.Kind), f.Street}
		if f.BBox != nil {
			q += ` AND u.position && ST_MakeEnvelope($4, $5, $6, $7, 4326) AND ST_Intersects(u.position, ST_MakeEnvelope($4, $5, $6, $7, 4326))`
			args = append(args, f.BBox.Min[0], f.BBox.Min[1], f.BBox.Max[0], f.BBox.Max[1])
		}
		rows, err := tx.Query(ctx, q+` ORDER BY u.id`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			u, err := scanUnit(rows)
			if err != nil {
				return err
			}
			if f.Status == "" || u.Status == f.Status {
				out = append(out, u)
			}
		}
		return rows.Err()
	})
	return out, err
}

// Unit returns one unit.
func (db *DB) Unit(ctx context.Context, id string) (dispatch.Unit, error) {
	var u dispatch.Unit
	err := db.read(ctx, func(tx pgx.Tx) error {
		var err error
		u, err = scanUnit(tx.QueryRow(ctx, `SELECT `+unitCols+` FROM units u WHERE u.id = $2`, unitStages, id))
		if err == pgx.ErrNoRows {
			return errs.E(errs.NotFound, "id", "no unit %q", id)
		}
		return err
	})
	return u, err
}

// Track returns the unit's reports in [from, to], oldest first.
func (db *DB) Track(ctx context.Context, id string, from, to time.Time) ([]dispatch.TrackPoint, error) {
	out := []dispatch.TrackPoint{}
	err := db.read(ctx, func(tx pgx.Tx) error {
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM units WHERE id = $1)`, id).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			return errs.E(errs.NotFound, "id", "no unit %q", id)
		}
		rows, err := tx.Query(ctx, `SELECT at, ST_X(position), ST_Y(position), status FROM unit_positions
			WHERE unit_id = $1 AND at >= $2 AND at <= $3 ORDER BY at LIMIT $4`, id, from, to, store.MaxTrackPoints)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var p dispatch.TrackPoint
			var st string
			if err := rows.Scan(&p.At, &p.Loc[0], &p.Loc[1], &st); err != nil {
				return err
			}
			p.At, p.Status = p.At.UTC(), dispatch.UnitStatus(st)
			out = append(out, p)
		}
		return rows.Err()
	})
	return out, err
}
