package gpkg

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/gridd/gridd/cases"
	"github.com/gridd/gridd/dispatch"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/store"
)

// heldCaseSQL is the case (lowest id) a unit u holds.
var heldCaseSQL = func() string {
	q := make([]string, len(cases.UnitStages))
	for i, s := range cases.UnitStages {
		q[i] = "'" + string(s) + "'"
	}
	return `(SELECT c.id FROM cases c WHERE c.unit = u.id AND c.stage IN (` + strings.Join(q, ", ") + `) ORDER BY c.id LIMIT 1)`
}()

// rtreeOf is a feature table's R-tree. The patrols layer is a view of the
// units table (fids kept), whose R-tree it uses.
func rtreeOf(table string) string {
	if table == "patrols" {
		table = "units"
	}
	return "rtree_" + table + "_geom"
}

const unitColsGpkg = `u.id, u.kind, u.name, u.street_code, u.community_code, u.geom, u.status, u.reported_at, `

// ReportPositions stores a batch in one transaction (SQLite: one
// statement a report is as fast as an array statement would be).
func (db *DB) ReportPositions(ctx context.Context, rs []dispatch.PositionReport) ([]dispatch.ReportResult, error) {
	if err := dispatch.ValidateReports(rs, store.MaxReportBatch); err != nil {
		return nil, err
	}
	rs = store.NormaliseReports(rs)
	var out []dispatch.ReportResult
	err := db.write(ctx, "units", func(tx *sql.Tx) error {
		prev := map[string]time.Time{}
		seen := map[string]bool{}
		for i, r := range rs {
			if seen[r.Unit] {
				continue
			}
			var at sql.NullString
			err := tx.QueryRowContext(ctx, `SELECT reported_at FROM units WHERE id = ?`, r.Unit).Scan(&at)
			if errors.Is(err, sql.ErrNoRows) {
				return errs.E(errs.NotFound, dispatch.FieldAt(i, "unit"), "no unit %q", r.Unit)
			}
			if err != nil {
				return err
			}
			seen[r.Unit] = true
			if at.Valid {
				t, err := parseTime(at.String)
				if err != nil {
					return err
				}
				prev[r.Unit] = t
			}
		}
		ins, err := tx.PrepareContext(ctx, `INSERT INTO unit_positions (unit_id, at, lon, lat, status) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (unit_id, at) DO NOTHING`)
		if err != nil {
			return err
		}
		defer ins.Close()
		inserted := make([]bool, len(rs))
		for i, r := range rs {
			res, err := ins.ExecContext(ctx, r.Unit, fmtTime(r.At), r.Loc[0], r.Loc[1], string(r.Status))
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			inserted[i] = n == 1
		}
		out = store.Outcomes(rs, inserted, prev)
		for i, res := range out {
			if res.Outcome != dispatch.Moved {
				continue
			}
			r := rs[i]
			blob, err := encodeGeom(r.Loc)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE units SET geom = ?, status = ?, reported_at = ? WHERE id = ?`,
				blob, string(r.Status), fmtTime(r.At), r.Unit); err != nil {
				return err
			}
		}
		for i := range out {
			u, err := scanUnitGpkg(tx.QueryRowContext(ctx, `SELECT `+unitColsGpkg+heldCaseSQL+` FROM units u WHERE u.id = ?`, out[i].Unit))
			if err != nil {
				return err
			}
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

func scanUnitGpkg(r interface{ Scan(...any) error }) (dispatch.Unit, error) {
	var u dispatch.Unit
	var kind, st string
	var blob []byte
	var at sql.NullString
	var held sql.NullInt64
	if err := r.Scan(&u.ID, &kind, &u.Name, &u.Street, &u.Community, &blob, &st, &at, &held); err != nil {
		return u, err
	}
	u.Kind, u.ReportedStatus = dispatch.UnitKind(kind), dispatch.UnitStatus(st)
	if len(blob) > 0 {
		p, err := decodePoint(blob)
		if err != nil {
			return u, err
		}
		u.Loc = &p
	}
	if at.Valid {
		t, err := parseTime(at.String)
		if err != nil {
			return u, err
		}
		u.ReportedAt = &t
	}
	u.HeldCase = held.Int64
	u.Status = dispatch.Effective(u.ReportedStatus, u.HeldCase)
	u.OnDuty = true
	return u, nil
}

// Units lists units matching f, by id.
func (db *DB) Units(ctx context.Context, f store.UnitFilter) ([]dispatch.Unit, error) {
	out := []dispatch.Unit{}
	err := db.read(ctx, func(tx *sql.Tx) error {
		q := `SELECT ` + unitColsGpkg + heldCaseSQL + ` FROM units u WHERE (? = '' OR u.kind = ?) AND (? = '' OR u.street_code = ?)`
		args := []any{string(f.Kind), string(f.Kind), f.Street, f.Street}
		if f.BBox != nil {
			q += ` AND u.fid IN (SELECT id FROM rtree_units_geom WHERE minx <= ? AND maxx >= ? AND miny <= ? AND maxy >= ?)`
			args = append(args, f.BBox.Max[0], f.BBox.Min[0], f.BBox.Max[1], f.BBox.Min[1])
		}
		rows, err := tx.QueryContext(ctx, q+` ORDER BY u.id`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			u, err := scanUnitGpkg(rows)
			if err != nil {
				return err
			}
			// the R-tree's float32 bounds are rounded outwards: check again
			if (f.Status == "" || u.Status == f.Status) && store.InBBox(f.BBox, u.Loc) {
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
	err := db.read(ctx, func(tx *sql.Tx) error {
		var err error
		u, err = scanUnitGpkg(tx.QueryRowContext(ctx, `SELECT `+unitColsGpkg+heldCaseSQL+` FROM units u WHERE u.id = ?`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return errs.E(errs.NotFound, "id", "no unit %q", id)
		}
		return err
	})
	return u, err
}

// Track returns the unit's reports in [from, to], oldest first.
func (db *DB) Track(ctx context.Context, id string, from, to time.Time) ([]dispatch.TrackPoint, error) {
	out := []dispatch.TrackPoint{}
	err := db.read(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM units WHERE id = ?`, id).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return errs.E(errs.NotFound, "id", "no unit %q", id)
		}
		// fixed-width UTC text: the text order is the time order
		rows, err := tx.QueryContext(ctx, `SELECT at, lon, lat, status FROM unit_positions
			WHERE unit_id = ? AND at >= ? AND at <= ? ORDER BY at LIMIT ?`, id, fmtTime(from), fmtTime(to), store.MaxTrackPoints)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var p dispatch.TrackPoint
			var at, st string
			if err := rows.Scan(&at, &p.Loc[0], &p.Loc[1], &st); err != nil {
				return err
			}
			t, err := parseTime(at)
			if err != nil {
				return err
			}
			p.At, p.Status = t, dispatch.UnitStatus(st)
			out = append(out, p)
		}
		return rows.Err()
	})
	return out, err
}
