package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/cql2"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/gridplan"
)

// The checks below are shared by every backend, so that bad input is
// rejected with the same Invalid error, naming what and where, before
// anything is written, whichever store holds the data.

// finite reports whether both coordinates are numbers (not NaN or ±Inf).
func finite(p orb.Point) bool {
	return !math.IsNaN(p[0]) && !math.IsNaN(p[1]) && !math.IsInf(p[0], 0) && !math.IsInf(p[1], 0)
}

// lonLat reports whether p is a finite WGS84 lon/lat.
func lonLat(p orb.Point) bool {
	return finite(p) && p[0] >= -180 && p[0] <= 180 && p[1] >= -90 && p[1] <= 90
}

func checkMultiPolygon(field string, mp orb.MultiPolygon) error {
	if len(mp) == 0 {
		return errs.E(errs.Invalid, field, "empty geometry")
	}
	for i, poly := range mp {
		if len(poly) == 0 {
			return errs.E(errs.Invalid, field, "polygon %d is empty", i)
		}
		for j, ring := range poly {
			if len(ring) < 4 {
				return errs.E(errs.Invalid, field, "polygon %d ring %d has %d points (a ring needs at least 4)", i, j, len(ring))
			}
			for k, p := range ring {
				if !lonLat(p) {
					return errs.E(errs.Invalid, field, "polygon %d ring %d vertex %d: %v is not a WGS84 lon/lat", i, j, k, p)
				}
			}
		}
	}
	return nil
}

// CheckBundle rejects a bundle before anything is written: every problem
// bundle.Check finds, as one Invalid error.
func CheckBundle(b *bundle.Bundle) error {
	if b == nil {
		return errs.E(errs.Invalid, "bundle", "no bundle")
	}
	return bundle.Check(b).Err()
}

// CheckPlan rejects a plan a store must not save: no name, a bad parent or
// report, and grids whose codes, hierarchy, kind, counts or geometry are
// wrong (the first problem, as an Invalid error naming the field).
func CheckPlan(p *gridplan.Plan) error {
	if p == nil {
		return errs.E(errs.Invalid, "plan", "no plan")
	}
	if strings.TrimSpace(p.Name) == "" {
		return errs.E(errs.Invalid, "name", "a plan needs a name")
	}
	if p.Parent < 0 {
		return errs.E(errs.Invalid, "parent", "%d is not a plan id", p.Parent)
	}
	if len(p.Report) > 0 && !json.Valid(p.Report) {
		return errs.E(errs.Invalid, "report", "not valid JSON")
	}
	seen := make(map[bundle.GridCode]int, len(p.Grids))
	for i, g := range p.Grids {
		field := fmt.Sprintf("grids[%d]", i)
		if _, err := bundle.ParseGridCode(string(g.Code)); err != nil {
			return errs.E(errs.Invalid, field+".code", "%q is not a 15-digit grid code", g.Code)
		}
		if j, dup := seen[g.Code]; dup {
			return errs.E(errs.Invalid, field+".code", "grid %s repeats grids[%d]", g.Code, j)
		}
		seen[g.Code] = i
		if g.Community != g.Code.Community() {
			return errs.E(errs.Invalid, field+".community", "community %q does not match grid code %s", g.Community, g.Code)
		}
		if g.Street != g.Community.Street() {
			return errs.E(errs.Invalid, field+".street", "street %q does not match community %s", g.Street, g.Community)
		}
		if !g.Kind.Valid() {
			return errs.E(errs.Invalid, field+".kind", "unknown kind %q", g.Kind)
		}
		if g.Households < 0 || g.Target < 0 {
			return errs.E(errs.Invalid, field, "households and target must not be negative")
		}
		if err := checkMultiPolygon(field+".geom", g.Geom); err != nil {
			return err
		}
	}
	return nil
}

// CheckPosition rejects a position report without an id or time, with a
// location that is not a WGS84 lon/lat, or with an unknown status.
func CheckPosition(p PatrolPosition) error {
	switch {
	case strings.TrimSpace(p.ID) == "":
		return errs.E(errs.Invalid, "id", "a position report needs the patrol id")
	case !lonLat(p.Loc):
		return errs.E(errs.Invalid, "loc", "%v is not a WGS84 lon/lat", p.Loc)
	case p.Status != Available && p.Status != Busy && p.Status != Offline:
		return errs.E(errs.Invalid, "status", "unknown patrol status %q", p.Status)
	case p.At.IsZero():
		return errs.E(errs.Invalid, "at", "a position report needs its time")
	}
	return nil
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
