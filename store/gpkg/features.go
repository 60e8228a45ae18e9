package gpkg

import (
	"context"
	"database/sql"
	"sort"
	"strings"

	"github.com/gridd/gridd/geo"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/store"
)

// Features returns a page of one layer's features in id order. The R-tree
// narrows a bbox query to candidates; each candidate's geometry is then
// tested exactly, so the answer matches PostGIS's ST_Intersects.
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
			if _, err := planStatus(ctx, tx, q.Plan); err != nil {
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
		from := table + " t"
		if b := q.BBox; b != nil {
			from += " JOIN rtree_" + table + "_geom r ON r.id = t.fid"
			where = append(where, "r.minx <= ? AND r.maxx >= ? AND r.miny <= ? AND r.maxy >= ?")
			args = append(args, b.Max[0], b.Min[0], b.Max[1], b.Min[1])
		}
		cond := ""
		if len(where) > 0 {
			cond = " WHERE " + strings.Join(where, " AND ")
		}
		cols := make([]string, len(d.Props))
		for i, c := range d.Props {
			cols[i] = "t." + c.Name
		}
		query := "SELECT " + strings.Join(cols, ", ") + ", t.geom FROM " + from + cond + " ORDER BY " + idOrder("t."+d.ID)
		if q.BBox == nil {
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
			f, err := store.ScanFeature[sql.NullString, sql.NullInt64](d, rows.Scan, decodeGeom)
			if err != nil {
				return err
			}
			if q.BBox != nil {
				if !geo.IntersectsBound(f.Geom, *q.BBox) {
					continue
				}
				page.NumberMatched++
				if page.NumberMatched <= q.Offset || (q.Limit > 0 && len(page.Features) >= q.Limit) {
					continue
				}
			}
			page.Features = append(page.Features, f)
		}
		return rows.Err()
	})
	if err != nil {
		return store.Page{}, err
	}
	return page, nil
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
