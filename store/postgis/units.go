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

// ReportPositions stores a batch in one transaction and three statements
// whatever its size: the units' state before (which also finds unknown
// units), one multi-row INSERT of the history from arrays (UNNEST), and
// one UPDATE moving each unit to its newest new report.
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
		// The units' state before the batch; an id not found is unknown.
		// FOR UPDATE: concurrent batches of one unit take turns, so the
		// outcomes each reports are what happened.
		rows, err := tx.Query(ctx, `SELECT u.id, u.reported_at FROM units u WHERE u.id = ANY($1) ORDER BY u.id FOR UPDATE`, ids)
		if err != nil {
			return err
		}
		prev := make(map[string]time.Time, n)
		known := make(map[string]bool, n)
		for rows.Next() {
			var id string
			var at *time.Time
			if err := rows.Scan(&id, &at); err != nil {
				return err
			}
			known[id] = true
			if at != nil {
				prev[id] = at.UTC()
			}
		}
		if err := rows.Err(); err != nil {
			return err
		}
		for i, id := range ids {
			if !known[id] {
				return errs.E(errs.NotFound, dispatch.FieldAt(i, "unit"), "no unit %q", id)
			}
		}
		rows, err = tx.Query(ctx, `INSERT INTO unit_positions (unit_id, at, position, status)
			SELECT r.u, r.at, ST_SetSRID(ST_MakePoint(r.lon, r.lat), 4326), r.st
			FROM unnest($1::text[], $2::timestamptz[], $3::float8[], $4::float8[], $5::text[]) AS r(u, at, lon, lat, st)
			ON CONFLICT (unit_id, at) DO NOTHING
			RETURNING unit_id, at`, ids, ats, lons, lats, sts)
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
			if err := rows.Scan(&k.id, &k.at); err != nil {
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
		var mIDs []string
		var mAts []time.Time
		var mLons, mLats []float64
		var mSts []string
		for i, res := range out {
			if res.Outcome == dispatch.Moved {
				r := rs[i]
				mIDs, mAts, mLons, mLats, mSts = append(mIDs, r.Unit), append(mAts, r.At), append(mLons, r.Loc[0]), append(mLats, r.Loc[1]), append(mSts, string(r.Status))
			}
		}
		if len(mIDs) > 0 {
			if _, err := tx.Exec(ctx, `UPDATE units u SET position = ST_SetSRID(ST_MakePoint(m.lon, m.lat), 4326), status = m.st, reported_at = m.at
				FROM unnest($1::text[], $2::timestamptz[], $3::float8[], $4::float8[], $5::text[]) AS m(u, at, lon, lat, st)
				WHERE u.id = m.u`, mIDs, mAts, mLons, mLats, mSts); err != nil {
				return err
			}
		}
		// The state after: position, reported status and the held case.
		states, err := unitStates(ctx, tx, ids)
		if err != nil {
			return err
		}
		for i := range out {
			s := states[out[i].Unit]
			out[i].Status, out[i].HeldCase = s.Status, s.HeldCase
			if s.Loc != nil {
				out[i].Loc = *s.Loc
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

func unitStates(ctx context.Context, tx pgx.Tx, ids []string) (map[string]dispatch.Unit, error) {
	rows, err := tx.Query(ctx, `SELECT `+unitCols+` FROM units u WHERE u.id = ANY($2)`, unitStages, ids)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]dispatch.Unit{}
	for rows.Next() {
		u, err := scanUnit(rows)
		if err != nil {
			return nil, err
		}
		out[u.ID] = u
	}
	return out, rows.Err()
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
