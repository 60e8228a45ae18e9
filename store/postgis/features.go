package postgis

import (
	"fmt"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/gridd/gridd/cql2"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/store"
	"github.com/gridd/gridd/store/sqlq"
)

// featuresTx is PostGIS's features dialect (sqlstore.FeaturesDialect):
// every condition is exact (a bbox uses the GiST index (&&) and then
// ST_Intersects, a CQL2 filter is all SQL), so the database counts and
// cuts the page.
type featuresTx struct{ sqlq.Tx }

// From: the tables are named after their layers; the grids table holds
// every plan's grids.
func (featuresTx) From(l store.Layer, plan gridplan.PlanID, arg func(any) string) (string, []string) {
	switch {
	case l != store.Grids:
		return string(l) + " t", nil
	case plan == 0:
		return "grids t JOIN plans p ON p.id = t.plan_id AND p.status = 'published'", nil
	}
	return "grids t", []string{"t.plan_id = " + arg(int64(plan))}
}

func (featuresTx) Column(s store.LayerSchema, p store.Property) string { return expr(s, p) }
func (featuresTx) Geom(l store.Layer) string                           { return "ST_AsBinary(t." + geomColumn(l) + ")" }

func (featuresTx) ScanFeature(sel store.LayerSchema, scan func(dest ...any) error) (store.Feature, error) {
	return store.ScanFeature[pgtype.Text, pgtype.Int8](sel, scan, wkb.Unmarshal)
}

func (featuresTx) BBox(l store.Layer, _ gridplan.PlanID, b orb.Bound, arg func(any) string) (string, string, bool) {
	env := fmt.Sprintf("ST_MakeEnvelope(%s, %s, %s, %s, 4326)", arg(b.Min[0]), arg(b.Min[1]), arg(b.Max[0]), arg(b.Max[1]))
	g := "t." + geomColumn(l)
	return "", g + " && " + env + " AND ST_Intersects(" + g + ", " + env + ")", true
}

// CQL is how CQL2 filters read as PostgreSQL: typed bound parameters
// (a bare $n beside another parameter has no type), the columns of the
// layer's schema, bytewise string order and ST_Intersects with the WKT as
// a parameter (exact, and it uses the GiST index).
func (featuresTx) CQL(l store.Layer, _ gridplan.PlanID, arg func(any) string) cql2.Dialect {
	return cql2.Dialect{
		Param: func(v any) string {
			switch v.(type) {
			case int64:
				return arg(v) + "::int8"
			case float64:
				return arg(v) + "::float8"
			case bool:
				return arg(v) + "::boolean"
			}
			return arg(v) + "::text"
		},
		Column: func(name string) string {
			if name == store.GeometryProperty {
				return "t." + geomColumn(l)
			}
			s, _ := store.Schema(l)
			p, _ := s.Property(name) // cql2 checked the name against the queryables
			p.Name = name
			return expr(s, p)
		},
		Collate: ` COLLATE "C"`,
		Intersects: func(col string, g orb.Geometry) (string, bool) {
			return "ST_Intersects(" + col + ", ST_GeomFromText(" + arg(cql2.WKT(g)) + ", 4326))", true
		},
	}
}

// SortKey orders strings bytewise.
func (featuresTx) SortKey(d store.LayerSchema, k store.SortKey) string {
	p, _ := d.Property(k.Prop) // CheckQuery checked the name
	if p.Int {
		return expr(d, p)
	}
	return expr(d, p) + ` COLLATE "C"`
}

// IDOrder is the ORDER BY list for a text id column: ids of digits only
// numerically (by length, then bytes), before all other ids, bytewise, as
// store.IDLess. Migration 030 indexes these expressions for buildings.
func (featuresTx) IDOrder(col string) string {
	digits := col + " ~ '^[0-9]+$'"
	return "(NOT " + digits + "), (CASE WHEN " + digits + " THEN length(" + col + ") ELSE 0 END), " + col + ` COLLATE "C"`
}
