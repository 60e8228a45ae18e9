package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/cql2"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/geo"
)

// The checks below are shared by every backend, so that bad input is
// rejected with the same Invalid error, naming what and where, before
// anything is written, whichever store holds the data.

// lonLat reports whether p is a finite WGS84 lon/lat, by geo's one range
// check.
func lonLat(p orb.Point) bool { return geo.ValidLonLat(p[0], p[1]) }

// CheckBundle rejects a bundle before anything is written: every problem
// bundle.Check finds, as one Invalid error.
func CheckBundle(b *bundle.Bundle) error {
	if b == nil {
		return errs.E(errs.Invalid, "bundle", "no bundle")
	}
	return bundle.Check(b).Err()
}

// CheckQuery rejects a query on an unknown layer, with a negative limit,
// offset or plan, a bbox that is not a WGS84 box, or a filter, sort key
// or property selection naming a property the layer does not have. It
// returns the layer's schema.
func CheckQuery(q Query) (LayerSchema, error) {
	s, err := Schema(q.Layer)
	if err != nil {
		return s, err
	}
	if q.Limit < 0 || q.Offset < 0 {
		return s, errs.E(errs.Invalid, "limit", "limit and offset must not be negative")
	}
	if q.Plan < 0 {
		return s, errs.E(errs.Invalid, "plan", "%d is not a plan id", q.Plan)
	}
	if b := q.BBox; b != nil {
		if !lonLat(b.Min) || !lonLat(b.Max) || b.Min[0] > b.Max[0] || b.Min[1] > b.Max[1] {
			return s, errs.E(errs.Invalid, "bbox", "%v is not a WGS84 box (min before max)", *b)
		}
	}
	for k := range q.Filters {
		if _, ok := s.Property(k); !ok {
			return s, s.noProperty(k)
		}
	}
	return s, checkQueryProps(s, q)
}

// checkQueryProps checks the names in q's CQL2 filter, sort keys and
// property selection against s: the stores put only schema names in SQL.
func checkQueryProps(s LayerSchema, q Query) error {
	known := s.Queryables()
	check := func(field, name string, geomOK bool) error {
		t, ok := known[name]
		if !ok || (t == cql2.Geometry && !geomOK) {
			return errs.E(errs.Invalid, field, "layer %s has no property %q", s.Layer, name)
		}
		return nil
	}
	if q.Filter != nil {
		for _, n := range cql2.Props(q.Filter) {
			if err := check("filter", n, true); err != nil {
				return err
			}
		}
	}
	for _, k := range q.SortBy {
		if err := check("sortby", k.Prop, false); err != nil {
			return err
		}
	}
	for _, n := range q.Properties {
		if err := check("properties", n, false); err != nil {
			return err
		}
	}
	return nil
}

// Now is the stores' clock, truncated to the precision both stores keep
// (PostgreSQL timestamps hold microseconds).
func Now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// CommonErr classifies the errors every backend treats alike: a domain
// error (from errs) is returned as it is, and cancellation becomes
// Unavailable while staying recognisable with errors.Is. It returns nil
// for any other error (and for nil), which the backend classifies by its
// driver's codes.
func CommonErr(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if _, ok := errs.As(err); ok {
		return err
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return errs.Wrap(errs.Unavailable, fmt.Errorf("%w (%v)", ctxErr, err), "request cancelled")
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return errs.Wrap(errs.Unavailable, err, "request cancelled")
	}
	return nil
}
