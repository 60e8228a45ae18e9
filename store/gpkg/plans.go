package gpkg

import (
	"context"
	"database/sql"
	"strings"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/store"
	"github.com/gridd/gridd/store/sqlq"
	"github.com/gridd/gridd/store/sqlstore"
)

// backend is the file's side of sqlstore's PlanStore and FeatureStore.
type backend struct{ db *DB }

func (backend) EncodeGeom(g orb.Geometry) ([]byte, error) { return encodeGeom(g) }

func (b backend) ReadPlans(ctx context.Context, fn func(sqlstore.PlansTx) error) error {
	return b.db.read(ctx, func(tx *sql.Tx) error { return fn(plansTx{sqlq.Std(tx), whereDialect{}, tx}) })
}

func (b backend) WritePlans(ctx context.Context, what string, fn func(sqlstore.PlansTx) error) error {
	return b.db.write(ctx, what, func(tx *sql.Tx) error { return fn(plansTx{sqlq.Std(tx), whereDialect{}, tx}) })
}

func (b backend) ReadFeatures(ctx context.Context, fn func(sqlstore.FeaturesTx) error) error {
	return b.db.read(ctx, func(tx *sql.Tx) error { return fn(featuresTx{sqlq.Std(tx)}) })
}

// plansTx is the GeoPackage's plan dialect (sqlstore.PlansDialect): the
// plans' grids in plan_grids, the published plan's copied into the grids
// feature table; geometries as GeoPackage blobs, times as fixed-width
// text; plain prepared inserts; and each feature table's extent in
// gpkg_contents kept up to date. The one writer connection serialises
// writes, so nothing needs locking.
type plansTx struct {
	sqlq.Tx
	whereDialect // times
	tx           *sql.Tx
}

func (plansTx) Tables() (grids, locks string)            { return "plan_grids", "plan_grid_locks" }
func (plansTx) Geom(col string) string                   { return col }
func (plansTx) Decode(blob []byte) (orb.Geometry, error) { return decodeGeom(blob) }
func (plansTx) LockPlans(context.Context) error          { return nil }
func (plansTx) RowLock() string                          { return "" }
func (plansTx) UnitCols() string                         { return "units" }
func (plansTx) UnitHomeCols() []string                   { return []string{"home_lon", "home_lat", "geom"} }
func (plansTx) PatrolHome() string                       { return "home_lon, home_lat" }
func (t plansTx) TablesChanged(ctx context.Context, tables ...string) error {
	return updateExtents(ctx, t.tx, tables...)
}

func (t plansTx) GridsGrown(ctx context.Context, b orb.Bound) error {
	return growExtent(ctx, t.tx, "plan_grids", b)
}

func (t plansTx) PublishedChanged(ctx context.Context) error { return refreshGrids(ctx, t.tx) }

func (t plansTx) ReplaceShifts(ctx context.Context, shifts []bundle.Shift) error {
	return replaceShiftsTx(ctx, t.tx, shifts)
}

func (t plansTx) InsertGrids(ctx context.Context, id gridplan.PlanID, grids []gridplan.Grid, blobs [][]byte) error {
	return t.insert(ctx, `INSERT INTO plan_grids (plan_id, code, community_code, street_code, kind, households, target, geom)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, len(grids), func(i int) ([]any, error) {
		g := grids[i]
		return []any{int64(id), string(g.Code), string(g.Community), string(g.Street), string(g.Kind), g.Households, g.Target, blobs[i]}, nil
	})
}

// InsertUnits writes one row a grid, its units packed in one blob.
func (t plansTx) InsertUnits(ctx context.Context, id gridplan.PlanID, grids []bundle.GridCode, by map[bundle.GridCode][]gridplan.Unit) error {
	return t.insert(ctx, `INSERT INTO plan_units (plan_id, grid, units) VALUES (?, ?, ?)`, len(grids), func(i int) ([]any, error) {
		return []any{int64(id), string(grids[i]), store.PackUnits(by[grids[i]])}, nil
	})
}

func (plansTx) ScanUnits(r sqlq.Row) ([]gridplan.Unit, error) {
	var grid string
	var blob []byte
	if err := r.Scan(&grid, &blob); err != nil {
		return nil, err
	}
	return store.UnpackUnits(bundle.GridCode(grid), blob)
}

func (plansTx) InCodes(col string, first int, codes []bundle.GridCode) (string, []any) {
	return sqlstore.InList(col, first, codes)
}

func (t plansTx) InsertRows(ctx context.Context, table string, cols []string, n int, row func(i int) ([]any, error)) error {
	// Anonymous ? parameters: the driver binds them without looking up a
	// name for each value of each row.
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ")
	return t.insert(ctx, "INSERT INTO "+table+" ("+strings.Join(cols, ", ")+") VALUES ("+marks+")", n, row)
}

func (plansTx) UnitHome(row []any, home *orb.Point, enc func(orb.Geometry) []byte) []any {
	if home == nil {
		return append(row, nil, nil, nil)
	}
	return append(row, home[0], home[1], enc(*home))
}

// insert runs the insert query once a row with one prepared statement.
func (t plansTx) insert(ctx context.Context, query string, n int, row func(i int) ([]any, error)) error {
	st, err := t.tx.PrepareContext(ctx, sqlq.Rebind(query))
	if err != nil {
		return err
	}
	defer st.Close()
	for i := 0; i < n; i++ {
		args, err := row(i)
		if err != nil {
			return err
		}
		if _, err := st.ExecContext(ctx, args...); err != nil {
			return err
		}
	}
	return nil
}

// refreshGrids copies the published plan's grids into the grids table.
func refreshGrids(ctx context.Context, tx *sql.Tx) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM grids`); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO grids (plan_id, code, community_code, street_code, kind, households, target, geom)
		SELECT g.plan_id, g.code, g.community_code, g.street_code, g.kind, g.households, g.target, g.geom
		FROM plan_grids g JOIN plans p ON p.id = g.plan_id WHERE p.status = 'published' ORDER BY g.code`)
	if err != nil {
		return err
	}
	return updateExtents(ctx, tx, "grids")
}
