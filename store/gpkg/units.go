package gpkg

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/dispatch"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/store"
	"github.com/gridd/gridd/store/sqlq"
	"github.com/gridd/gridd/store/sqlstore"
)

// rtreeOf is a feature table's R-tree. The patrols layer is a view of the
// units table (fids kept), whose R-tree it uses.
func rtreeOf(table string) string {
	if table == "patrols" {
		table = "units"
	}
	return "rtree_" + table + "_geom"
}

// unitsDialect is the SQLite dialect of the units' SQL: a unit's position
// is its GeoPackage geometry (read by the ST_MinX/ST_MinY functions the
// store registers: a point's bounds are the point), a box narrows by the
// units' R-tree, reports keep lon and lat columns. Times are fixed-width
// UTC text: the text order is the time order.
type unitsDialect struct{ whereDialect }

func (unitsDialect) UnitXY() (x, y string)  { return "ST_MinX(u.geom)", "ST_MinY(u.geom)" }
func (unitsDialect) TrackXY() (x, y string) { return "lon", "lat" }

// UnitInBox narrows by the R-tree, whose float32 bounds are rounded
// outwards: the rows are checked again.
func (unitsDialect) UnitInBox(b orb.Bound, arg func(any) string) string {
	return `u.fid IN (SELECT id FROM rtree_units_geom WHERE minx <= ` + arg(b.Max[0]) + ` AND maxx >= ` + arg(b.Min[0]) +
		` AND miny <= ` + arg(b.Max[1]) + ` AND maxy >= ` + arg(b.Min[1]) + `)`
}

func (db *DB) units() sqlstore.UnitStore {
	return sqlstore.UnitStore{Run: sqlRunner{db}, D: unitsDialect{}}
}

// ReportPositions stores a batch in one transaction (SQLite: one
// statement a report is as fast as an array statement would be).
func (db *DB) ReportPositions(ctx context.Context, rs []dispatch.PositionReport) ([]dispatch.ReportResult, error) {
	rs, err := store.PrepareReports(rs)
	if err != nil {
		return nil, err
	}
	var out []dispatch.ReportResult
	err = db.write(ctx, "units", func(tx *sql.Tx) error {
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
			u, err := sqlstore.ScanUnit(unitsDialect{}, sqlq.Std(tx).QueryRow(ctx,
				`SELECT `+sqlstore.UnitCols(unitsDialect{})+` FROM units u WHERE u.id = $1`, out[i].Unit))
			if err != nil {
				return err
			}
			out[i].Settle(u)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
