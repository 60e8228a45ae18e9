package postgis

import (
	"context"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/store/sqlq"
	"github.com/gridd/gridd/store/sqlstore"
)

// planLock serialises lifecycle changes (publish, archive) so that two
// concurrent publishes cannot both archive "the previous" plan; the
// partial unique index is the backstop.
const planLock = 0x706c616e73

// backend is the database's side of sqlstore's PlanStore and
// FeatureStore.
type backend struct{ db *DB }

func (backend) EncodeGeom(g orb.Geometry) ([]byte, error) { return geomBytes(g) }

func (b backend) ReadPlans(ctx context.Context, fn func(sqlstore.PlansTx) error) error {
	return b.db.read(ctx, func(tx pgx.Tx) error { return fn(plansTx{sqlq.Pgx(tx), whereDialect{}, tx}) })
}

func (b backend) WritePlans(ctx context.Context, what string, fn func(sqlstore.PlansTx) error) error {
	return b.db.write(ctx, what, func(tx pgx.Tx) error { return fn(plansTx{sqlq.Pgx(tx), whereDialect{}, tx}) })
}

func (b backend) ReadFeatures(ctx context.Context, fn func(sqlstore.FeaturesTx) error) error {
	return b.db.read(ctx, func(tx pgx.Tx) error { return fn(featuresTx{sqlq.Pgx(tx)}) })
}

// plansTx is PostGIS's plan dialect (sqlstore.PlansDialect): every
// plan's grids in the grids table (the published plan's served through
// a join), geometries as WKB out and EWKB in, timestamptz times, plan
// units as arrays, bulk writes with COPY, and an advisory lock with row
// locks for lifecycle changes. Locks go with their grids (ON DELETE
// CASCADE) and nothing is derived from the tables, so the change hooks
// do nothing.
type plansTx struct {
	sqlq.Tx
	whereDialect // times
	tx           pgx.Tx
}

func (plansTx) Tables() (grids, locks string)                  { return "grids", "grid_locks" }
func (plansTx) Geom(col string) string                         { return "ST_AsBinary(" + col + ")" }
func (plansTx) Decode(blob []byte) (orb.Geometry, error)       { return wkb.Unmarshal(blob) }
func (plansTx) RowLock() string                                { return " FOR UPDATE" }
func (plansTx) UnitCols() string                               { return "cells, households" }
func (plansTx) UnitHomeCols() []string                         { return []string{"home", "position"} }
func (plansTx) PatrolHome() string                             { return "ST_X(home), ST_Y(home)" }
func (plansTx) TablesChanged(context.Context, ...string) error { return nil }
func (plansTx) GridsGrown(context.Context, orb.Bound) error    { return nil }
func (plansTx) PublishedChanged(context.Context) error         { return nil }
func (t plansTx) LockPlans(ctx context.Context) error {
	_, err := t.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(planLock))
	return err
}

func (t plansTx) ReplaceShifts(ctx context.Context, shifts []bundle.Shift) error {
	return replaceShiftsTx(ctx, t.tx, shifts)
}

func (t plansTx) InsertGrids(ctx context.Context, id gridplan.PlanID, grids []gridplan.Grid, blobs [][]byte) error {
	return t.InsertRows(ctx, "grids", []string{"plan_id", "code", "community_code", "street_code", "kind", "households", "target", "geom"},
		len(grids), func(i int) ([]any, error) {
			g := grids[i]
			return []any{int64(id), string(g.Code), string(g.Community), string(g.Street), string(g.Kind),
				int32(g.Households), int32(g.Target), blobs[i]}, nil
		})
}

// InsertUnits writes one row a grid, its units' cells and households as
// two arrays.
func (t plansTx) InsertUnits(ctx context.Context, id gridplan.PlanID, grids []bundle.GridCode, by map[bundle.GridCode][]gridplan.Unit) error {
	return t.InsertRows(ctx, "plan_units", []string{"plan_id", "grid", "cells", "households"}, len(grids), func(i int) ([]any, error) {
		us := by[grids[i]]
		cells, hh := make([]int64, len(us)), make([]int32, len(us))
		for k, u := range us {
			cells[k], hh[k] = int64(u.ID), int32(u.Households)
		}
		return []any{int64(id), string(grids[i]), cells, hh}, nil
	})
}

func (plansTx) ScanUnits(r sqlq.Row) ([]gridplan.Unit, error) {
	var grid bundle.GridCode
	var cells []int64
	var hh []int32
	if err := r.Scan(&grid, &cells, &hh); err != nil {
		return nil, err
	}
	out := make([]gridplan.Unit, len(cells))
	for k := range cells {
		out[k] = gridplan.Unit{ID: gridplan.UnitID(cells[k]), Grid: grid, Households: int(hh[k])}
	}
	return out, nil
}

func (plansTx) InCodes(col string, first int, codes []bundle.GridCode) (string, []any) {
	s := make([]string, len(codes))
	for i, c := range codes {
		s[i] = string(c)
	}
	return col + " = ANY($" + strconv.Itoa(first) + "::text[])", []any{s}
}

// InsertRows copies the rows in (COPY).
func (t plansTx) InsertRows(ctx context.Context, table string, cols []string, n int, row func(i int) ([]any, error)) error {
	_, err := t.tx.CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromSlice(n, row))
	return err
}

func (plansTx) UnitHome(row []any, home *orb.Point, enc func(orb.Geometry) []byte) []any {
	var loc any
	if home != nil {
		loc = enc(*home)
	}
	return append(row, loc, loc)
}
