package gpkg

import (
	"context"
	"database/sql"
	"sort"
	"strings"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/cql2"
	"github.com/gridd/gridd/geo"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/store"
	"github.com/gridd/gridd/store/sqlq"
	"github.com/gridd/gridd/store/sqlstore"
)

// Features returns a page of one layer's features in sort-key then id
// order. The R-tree narrows a bbox query or a CQL2 S_INTERSECTS to
// candidates; each candidate is then tested exactly (geometry and whole
// filter), so the answer matches PostGIS's.
func (db *DB) Features(ctx context.Context, q store.Query) (store.Page, error) {
	d, err := store.CheckQuery(q)
	if err != nil {
		return store.Page{}, err
	}
	var page store.Page
	err = db.read(ctx, func(tx *sql.Tx) error {
		table := string(d.Layer) // the tables are named after their layers
		var where []string
		var args []any
		if q.Layer == store.Grids && q.Plan != 0 {
			if _, err := sqlstore.PlanStatus(ctx, sqlq.Std(tx), q.Plan); err != nil {
				return err
			}
			table = "plan_grids"
			where = append(where, "t.plan_id = ?")
			args = append(args, int64(q.Plan))
		}
		keys := make([]string, 0, len(q.Filters))
		for k := range q.Filters {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			v, err := d.FilterArg(k, q.Filters[k])
			if err != nil {
				return err
			}
			where = append(where, "t."+k+" = ?")
			args = append(args, v)
		}
		exact := true // whether SQL alone decides, with no check in memory
		if q.Filter != nil {
			cond, ok := cql2.SQL(q.Filter, dialect(table, &args))
			where = append(where, cond)
			exact = ok
		}
		from := table + " t"
		if b := q.BBox; b != nil {
			exact = false
			from += " JOIN " + rtreeOf(table) + " r ON r.id = t." + pkOf(table)
			where = append(where, "r.minx <= ? AND r.maxx >= ? AND r.miny <= ? AND r.maxy >= ?")
			args = append(args, b.Max[0], b.Min[0], b.Max[1], b.Min[1])
		}
		cond := ""
		if len(where) > 0 {
			cond = " WHERE " + strings.Join(where, " AND ")
		}
		sel := d.Select(q)
		cols := make([]string, len(sel.Props))
		for i, c := range sel.Props {
			cols[i] = "t." + c.Name
		}
		query := "SELECT " + strings.Join(cols, ", ") + ", t.geom FROM " + from + cond + " ORDER BY " + orderBy(d, q.SortBy)
		if exact {
			if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM "+from+cond, args...).Scan(&page.NumberMatched); err != nil {
				return err
			}
			limit := int64(-1)
			if q.Limit > 0 {
				limit = int64(q.Limit)
			}
			query += " LIMIT ? OFFSET ?"
			args = append(args, limit, int64(q.Offset))
		}
		rows, err := tx.QueryContext(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			f, err := store.ScanFeature[sql.NullString, sql.NullInt64](sel, rows.Scan, decodeGeom)
			if err != nil {
				return err
			}
			if !exact {
				if q.BBox != nil && !geo.IntersectsBound(f.Geom, *q.BBox) {
					continue
				}
				if q.Filter != nil && !cql2.Match(q.Filter, f.Props, f.Geom) {
					continue
				}
				page.NumberMatched++
				if page.NumberMatched <= q.Offset || (q.Limit > 0 && len(page.Features) >= q.Limit) {
					continue
				}
			}
			store.Trim(&f, q)
			page.Features = append(page.Features, f)
		}
		return rows.Err()
	})
	if err != nil {
		return store.Page{}, err
	}
	return page, nil
}

// dialect is how CQL2 filters read as SQLite: ? parameters appended to
// args, the columns of the layer's schema, GLOB for LIKE (SQLite's LIKE
// ignores case) and, for S_INTERSECTS, the R-tree's bounding-box test,
// which only narrows: Features then checks each row with cql2.Match.
func dialect(table string, args *[]any) cql2.Dialect {
	return cql2.Dialect{
		Param: func(v any) string {
			*args = append(*args, v)
			return "?"
		},
		Column: func(name string) string {
			if name == store.GeometryProperty {
				return "t.geom"
			}
			return "t." + name
		},
		Glob: true,
		Intersects: func(_ string, g orb.Geometry) (string, bool) {
			b := g.Bound()
			*args = append(*args, b.Max[0], b.Min[0], b.Max[1], b.Min[1])
			return "t." + pkOf(table) + " IN (SELECT id FROM " + rtreeOf(table) + " WHERE minx <= ? AND maxx >= ? AND miny <= ? AND maxy >= ?)", false
		},
	}
}

// orderBy is the ORDER BY list: the sort keys (NULLs last ascending and
// first descending, as PostgreSQL orders), then the id.
func orderBy(d store.LayerSchema, keys []store.SortKey) string {
	var parts []string
	for _, k := range keys {
		if k.Desc {
			parts = append(parts, "t."+k.Prop+" DESC NULLS FIRST")
		} else {
			parts = append(parts, "t."+k.Prop+" ASC NULLS LAST")
		}
	}
	if d.RowID {
		// Integer row ids: numeric order is store.IDLess's.
		return strings.Join(append(parts, "t."+d.ID), ", ")
	}
	return strings.Join(append(parts, idOrder("t."+d.ID)), ", ")
}

// pkOf is the integer primary key of a feature table, which its R-tree
// index is keyed on: fid, or the id of a layer described with row ids.
func pkOf(table string) string {
	if s, err := store.Schema(store.Layer(table)); err == nil && s.RowID {
		return s.ID
	}
	return "fid"
}

// Feature returns one feature by id; plan selects the grids' plan (0: the
// published one).
func (db *DB) Feature(ctx context.Context, layer store.Layer, plan gridplan.PlanID, id string) (store.Feature, error) {
	return store.FeatureByID(ctx, db.Features, layer, plan, id)
}

// idOrder is the ORDER BY list for a text id column: ids of digits only
// numerically (by length, then bytes), before all other ids, bytewise, as
// store.IDLess. Migration 030 indexes these expressions for buildings.
func idOrder(col string) string {
	other := "(" + col + " = '' OR " + col + " GLOB '*[^0-9]*')"
	return other + ", (CASE WHEN " + other + " THEN 0 ELSE length(" + col + ") END), " + col
}
