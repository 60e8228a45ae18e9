package gridplan

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/geo"
)

// Check rejects a plan no store may save, whatever the bundle: no name, a
// bad parent or report, and grids whose codes, hierarchy, kind, counts or
// geometry are malformed (the first problem, as an Invalid error naming
// the field). Validate checks a plan against the district's bundle.
func (p *Plan) Check() error {
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

// lonLat reports whether p is a finite WGS84 lon/lat.
func lonLat(p orb.Point) bool { return geo.ValidLonLat(p[0], p[1]) }

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
