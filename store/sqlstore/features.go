package sqlstore

import (
	"context"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/cql2"
	"github.com/gridd/gridd/geo"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/store"
	"github.com/gridd/gridd/store/sqlq"
)

// FeatureStore is the layers' features of a SQL backend (store.Features),
// written once over the backend's FeaturesBackend. Both backends embed
// it.
type FeatureStore struct{ b FeaturesBackend }

// NewFeatureStore is the FeatureStore of backend b.
func NewFeatureStore(b FeaturesBackend) FeatureStore { return FeatureStore{b: b} }

// FeaturesBackend is a backend's side of FeatureStore: its read
// transactions.
type FeaturesBackend interface {
	ReadFeatures(ctx context.Context, fn func(FeaturesTx) error) error
}

// FeaturesTx is one read transaction of a backend with its features
// dialect.
type FeaturesTx interface {
	sqlq.Tx
	FeaturesDialect
}

// FeaturesDialect is where the backends' feature queries differ. arg
// binds a value and answers its placeholder.
type FeaturesDialect interface {
	// From is the FROM of layer l's rows, as t, with the conditions that
	// select them: a grid's are its plan's (plan 0: the published plan).
	From(l store.Layer, plan gridplan.PlanID, arg func(any) string) (from string, where []string)
	// Column is the SQL of property p of row t.
	Column(s store.LayerSchema, p store.Property) string
	// Geom is the SQL of row t's geometry as the bytes ScanFeature decodes.
	Geom(l store.Layer) string
	// CQL is how CQL2 filters on the layer (of plan's grids) read
	// (cql2.SQL).
	CQL(l store.Layer, plan gridplan.PlanID, arg func(any) string) cql2.Dialect
	// BBox is the join and condition of rows whose geometry may intersect
	// b; exact says they all do.
	BBox(l store.Layer, plan gridplan.PlanID, b orb.Bound, arg func(any) string) (join, cond string, exact bool)
	// SortKey is the SQL a sort key orders by; IDOrder the ORDER BY list
	// of text id column col in store.IDLess's order.
	SortKey(s store.LayerSchema, k store.SortKey) string
	IDOrder(col string) string
	// ScanFeature reads a row of sel's properties then the geometry.
	ScanFeature(sel store.LayerSchema, scan func(dest ...any) error) (store.Feature, error)
}

// Features returns a page of one layer's features in sort-key then id
// order. A condition the SQL only narrows (the dialect's BBox or CQL2
// S_INTERSECTS not exact) is checked again on each row read, and then the
// page is cut here; NumberMatched counts the whole match in the same
// snapshot.
func (s *FeatureStore) Features(ctx context.Context, q store.Query) (store.Page, error) {
	d, err := store.CheckQuery(q)
	if err != nil {
		return store.Page{}, err
	}
	var page store.Page
	err = s.b.ReadFeatures(ctx, func(tx FeaturesTx) error {
		var args []any
		arg := func(v any) string {
			args = append(args, v)
			return "$" + strconv.Itoa(len(args))
		}
		from, where := tx.From(d.Layer, q.Plan, arg)
		if q.Plan != 0 && q.Layer == store.Grids {
			if _, err := PlanStatus(ctx, tx, q.Plan); err != nil {
				return err
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
			where = append(where, tx.Column(d, p)+" = "+arg(v))
		}
		exact := true // whether SQL alone decides, with no check in memory
		if q.Filter != nil {
			cond, ok := cql2.SQL(q.Filter, tx.CQL(d.Layer, q.Plan, arg))
			where = append(where, cond)
			exact = ok
		}
		if b := q.BBox; b != nil {
			join, cond, ok := tx.BBox(d.Layer, q.Plan, *b, arg)
			from += join
			where = append(where, cond)
			exact = exact && ok
		}
		cond := ""
		if len(where) > 0 {
			cond = " WHERE " + strings.Join(where, " AND ")
		}
		sel := d.Select(q)
		cols := make([]string, len(sel.Props))
		for i, c := range sel.Props {
			cols[i] = tx.Column(d, c)
		}
		query := "SELECT " + strings.Join(cols, ", ") + ", " + tx.Geom(d.Layer) + " FROM " + from + cond + " ORDER BY " + orderBy(tx, d, q.SortBy)
		if exact {
			if err := tx.QueryRow(ctx, "SELECT count(*) FROM "+from+cond, args...).Scan(&page.NumberMatched); err != nil {
				return err
			}
			if q.Limit > 0 || q.Offset > 0 {
				limit := int64(math.MaxInt64)
				if q.Limit > 0 {
					limit = int64(q.Limit)
				}
				query += " LIMIT " + arg(limit)
			}
			if q.Offset > 0 {
				query += " OFFSET " + arg(int64(q.Offset))
			}
		}
		return sqlq.Each(ctx, tx, func(r sqlq.Row) error {
			f, err := tx.ScanFeature(sel, r.Scan)
			if err != nil {
				return err
			}
			if !exact {
				if q.BBox != nil && !geo.IntersectsBound(f.Geom, *q.BBox) {
					return nil
				}
				if q.Filter != nil && !cql2.Match(q.Filter, f.Props, f.Geom) {
					return nil
				}
				page.NumberMatched++
				if page.NumberMatched <= q.Offset || (q.Limit > 0 && len(page.Features) >= q.Limit) {
					return nil
				}
			}
			store.Trim(&f, q)
			page.Features = append(page.Features, f)
			return nil
		}, query, args...)
	})
	if err != nil {
		return store.Page{}, err
	}
	return page, nil
}

// Feature returns one feature by id; plan selects the grids' plan (0: the
// published one).
func (s *FeatureStore) Feature(ctx context.Context, layer store.Layer, plan gridplan.PlanID, id string) (store.Feature, error) {
	return store.FeatureByID(ctx, s.Features, layer, plan, id)
}

// orderBy is the ORDER BY list: the sort keys (NULLs last ascending and
// first descending, PostgreSQL's default), then the id.
func orderBy(tx FeaturesTx, d store.LayerSchema, keys []store.SortKey) string {
	parts := make([]string, 0, len(keys)+1)
	for _, k := range keys {
		if k.Desc {
			parts = append(parts, tx.SortKey(d, k)+" DESC NULLS FIRST")
		} else {
			parts = append(parts, tx.SortKey(d, k)+" ASC NULLS LAST")
		}
	}
	if d.RowID {
		// Integer row ids: numeric order is store.IDLess's.
		return strings.Join(append(parts, "t."+d.ID), ", ")
	}
	return strings.Join(append(parts, tx.IDOrder("t."+d.ID)), ", ")
}
