package gpkg

import (
	"context"
	"database/sql"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/store/sqlstore"
)

// updateExtents refreshes gpkg_contents' bounds and last_change for tables,
// which GIS tools use for the layer extent.
func updateExtents(ctx context.Context, tx *sql.Tx, tables ...string) error {
	for _, t := range tables {
		// From the geometry headers, not the R-tree, whose float32 bounds
		// are rounded outwards.
		_, err := tx.ExecContext(ctx, `UPDATE gpkg_contents SET
			(min_x, max_x, min_y, max_y) = (SELECT min(ST_MinX(geom)), max(ST_MaxX(geom)), min(ST_MinY(geom)), max(ST_MaxY(geom)) FROM `+t+`),
			last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now')
			WHERE table_name = ?`, t)
		if err != nil {
			return err
		}
	}
	return nil
}

// growExtent widens table's gpkg_contents bounds to cover b and sets
// last_change: what a write that only adds or replaces a few rows needs,
// without updateExtents' scan of the whole table (a planner edit rewrites
// a few grids of a table of every plan's grids). The bounds stay a cover
// of the rows; after a removal they may be wider than the rows, which the
// GeoPackage extent allows (it is informative).
func growExtent(ctx context.Context, tx *sql.Tx, table string, b orb.Bound) error {
	_, err := tx.ExecContext(ctx, `UPDATE gpkg_contents SET
		min_x = min(coalesce(min_x, ?1), ?1), max_x = max(coalesce(max_x, ?2), ?2),
		min_y = min(coalesce(min_y, ?3), ?3), max_y = max(coalesce(max_y, ?4), ?4),
		last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now')
		WHERE table_name = ?5`, b.Min[0], b.Max[0], b.Min[1], b.Max[1], table)
	return err
}

// decodePoint decodes a stored point.
var decodePoint = sqlstore.Point(decodeGeom)
