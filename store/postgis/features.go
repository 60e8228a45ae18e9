package postgis

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/gridd/gridd/cql2"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/store"
)

// Features returns a page of one layer's features in sort-key then id
// order; a CQL2 filter becomes part of the WHERE clause. A bbox uses
// the GiST index (&&) and then ST_Intersects; numberMatched counts the
// whole match in the same snapshot.
func (db *DB) Features(ctx context.Context, q store.Query) (store.Page, error) {
	d, err := store.CheckQuery(q)
	if err != nil {
		return store.Page{}, err
	}
	var page store.Page
	err = db.read(ctx, func(tx pgx.Tx) error {
		var where []string
		var args []any
		arg := func(v any) string {
			args = append(args, v)
			return "$" + strconv.Itoa(len(args))
		}
		from := string(d.Layer) + " t" // the tables are named after their layers
		if q.Layer == store.Grids {
			if q.Plan == 0 {
				from += " JOIN plans p ON p.id = t.plan_id AND p.status = 'published'"
			} else {
				var exists bool
				if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM plans WHERE id = $1)`, int64(q.Plan)).Scan(&exists); err != nil {
					return err
				}
				if !exists {
					return errs.E(errs.NotFound, "plan", "plan %d does not exist", q.Plan)
				}
				where = append(where, "t.plan_id = "+arg(int64(q.Plan)))
			}
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
			p, _ := d.Property(k) // FilterArg checked the name
			where = append(where, expr(d, p)+" = "+arg(v))
		}
		if q.Filter != nil {
			cond, _ := cql2.SQL(q.Filter, dialect(d.Layer, arg)) // exact: PostGIS tests geometries itself
			where = append(where, cond)
		}
		if b := q.BBox; b != nil {
			env := fmt.Sprintf("ST_MakeEnvelope(%s, %s, %s, %s, 4326)", arg(b.Min[0]), arg(b.Min[1]), arg(b.Max[0]), arg(b.Max[1]))
			g := "t." + geomColumn(d.Layer)
			where = append(where, g+" && "+env+" AND ST_Intersects("+g+", "+env+")")
		}
		cond := ""
		if len(where) > 0 {
			cond = " WHERE " + strings.Join(where, " AND ")
		}
		var n int64
		if err := tx.QueryRow(ctx, "SELECT count(*) FROM "+from+cond, args...).Scan(&n); err != nil {
			return err
		}
		page.NumberMatched = int(n)
		sel := d.Select(q)
		cols := make([]string, len(sel.Props))
		for i, c := range sel.Props {
			cols[i] = expr(d, c)
		}
		query := "SELECT " + strings.Join(cols, ", ") + ", ST_AsBinary(t." + geomColumn(d.Layer) + ") FROM " + from + cond + " ORDER BY " + orderBy(d, q.SortBy)
		if q.Limit > 0 {
			query += " LIMIT " + arg(int64(q.Limit))
		}
		if q.Offset > 0 {
			query += " OFFSET " + arg(int64(q.Offset))
		}
		rows, err := tx.Query(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			f, err := store.ScanFeature[pgtype.Text, pgtype.Int8](sel, rows.Scan, wkb.Unmarshal)
			if err != nil {
				return err
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

// dialect is how CQL2 filters read as PostgreSQL: typed bound parameters
// (a bare $n beside another parameter has no type), the columns of the
// layer's schema, bytewise string order and ST_Intersects with the WKT as
// a parameter (exact, and it uses the GiST index).
func dialect(l store.Layer, arg func(any) string) cql2.Dialect {
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

// orderBy is the ORDER BY list: the sort keys (strings bytewise, NULLs
// last ascending and first descending, PostgreSQL's default), then the id.
func orderBy(d store.LayerSchema, keys []store.SortKey) string {
	var parts []string
	for _, k := range keys {
		p, _ := d.Property(k.Prop) // CheckQuery checked the name
		s := expr(d, p)
		if !p.Int {
			s += ` COLLATE "C"`
		}
		if k.Desc {
			s += " DESC NULLS FIRST"
		} else {
			s += " ASC NULLS LAST"
		}
		parts = append(parts, s)
	}
	if d.RowID {
		// Every id is digits: numeric order is store.IDLess's order.
		return strings.Join(append(parts, "t."+d.ID), ", ")
	}
	return strings.Join(append(parts, idOrder("t."+d.ID)), ", ")
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
	digits := col + " ~ '^[0-9]+$'"
	return "(NOT " + digits + "), (CASE WHEN " + digits + " THEN length(" + col + ") ELSE 0 END), " + col + ` COLLATE "C"`
}
