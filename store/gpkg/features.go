package gpkg

import (
	"database/sql"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/cql2"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/store"
	"github.com/gridd/gridd/store/sqlq"
)

// featuresTx is the GeoPackage's features dialect
// (sqlstore.FeaturesDialect): the R-tree narrows a bbox query or a CQL2
// S_INTERSECTS to candidates, which sqlstore.FeatureStore then tests
// exactly (geometry and whole filter), so the answer matches PostGIS's.
type featuresTx struct{ sqlq.Tx }

// tableOf is the table of a layer's rows: the tables are named after
// their layers; a plan's grids are in plan_grids, the published plan's
// copied into grids.
func tableOf(l store.Layer, plan gridplan.PlanID) string {
	if l == store.Grids && plan != 0 {
		return "plan_grids"
	}
	return string(l)
}

func (featuresTx) From(l store.Layer, plan gridplan.PlanID, arg func(any) string) (string, []string) {
	if t := tableOf(l, plan); t == "plan_grids" {
		return t + " t", []string{"t.plan_id = " + arg(int64(plan))}
	}
	return string(l) + " t", nil
}

func (featuresTx) Column(_ store.LayerSchema, p store.Property) string { return "t." + p.Name }
func (featuresTx) Geom(store.Layer) string                             { return "t.geom" }
func (featuresTx) SortKey(_ store.LayerSchema, k store.SortKey) string { return "t." + k.Prop }

func (featuresTx) ScanFeature(sel store.LayerSchema, scan func(dest ...any) error) (store.Feature, error) {
	return store.ScanFeature[sql.NullString, sql.NullInt64](sel, scan, decodeGeom)
}

// BBox is the R-tree's bounding-box test, which only narrows.
func (featuresTx) BBox(l store.Layer, plan gridplan.PlanID, b orb.Bound, arg func(any) string) (string, string, bool) {
	table := tableOf(l, plan)
	return " JOIN " + rtreeOf(table) + " r ON r.id = t." + pkOf(table),
		"r.minx <= " + arg(b.Max[0]) + " AND r.maxx >= " + arg(b.Min[0]) + " AND r.miny <= " + arg(b.Max[1]) + " AND r.maxy >= " + arg(b.Min[1]), false
}

// CQL is how CQL2 filters read as SQLite: the columns of the layer's
// schema, GLOB for LIKE (SQLite's LIKE ignores case) and, for
// S_INTERSECTS, the R-tree's bounding-box test, which only narrows.
func (featuresTx) CQL(l store.Layer, plan gridplan.PlanID, arg func(any) string) cql2.Dialect {
	table := tableOf(l, plan)
	return cql2.Dialect{
		Param: arg,
		Column: func(name string) string {
			if name == store.GeometryProperty {
				return "t.geom"
			}
			return "t." + name
		},
		Glob: true,
		Intersects: func(_ string, g orb.Geometry) (string, bool) {
			b := g.Bound()
			return "t." + pkOf(table) + " IN (SELECT id FROM " + rtreeOf(table) + " WHERE minx <= " + arg(b.Max[0]) + " AND maxx >= " + arg(b.Min[0]) +
				" AND miny <= " + arg(b.Max[1]) + " AND maxy >= " + arg(b.Min[1]) + ")", false
		},
	}
}

// pkOf is the integer primary key of a feature table, which its R-tree
// index is keyed on: fid, or the id of a layer described with row ids.
func pkOf(table string) string {
	if s, err := store.Schema(store.Layer(table)); err == nil && s.RowID {
		return s.ID
	}
	return "fid"
}

// IDOrder is the ORDER BY list for a text id column: ids of digits only
// numerically (by length, then bytes), before all other ids, bytewise, as
// store.IDLess. Migration 030 indexes these expressions for buildings.
func (featuresTx) IDOrder(col string) string {
	other := "(" + col + " = '' OR " + col + " GLOB '*[^0-9]*')"
	return other + ", (CASE WHEN " + other + " THEN 0 ELSE length(" + col + ") END), " + col
}
