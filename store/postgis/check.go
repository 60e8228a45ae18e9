package postgis

import (
	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/errs"
)

// checkBundle rejects a bundle before anything is written.
// TODO(store): switch to bundle.Check(b).Err() as soon as it lands; this
// stand-in only catches what would make the import itself fail.
func checkBundle(b *bundle.Bundle) error {
	if b == nil {
		return errs.E(errs.Invalid, "bundle", "no bundle")
	}
	var l errs.List
	if _, err := bundle.ParseDistrictCode(string(b.District.Code)); err != nil {
		l = append(l, errs.E(errs.Invalid, "district.code", "%q is not a district code", b.District.Code))
	}
	if err := checkMultiPolygon("district.geom", b.District.Geom); err != nil {
		e, _ := errs.As(err)
		l = append(l, e)
	}
	for i, c := range b.Communities {
		if err := checkMultiPolygon("communities["+c.Name+"].geom", c.Geom); err != nil {
			e, _ := errs.As(err)
			l = append(l, e)
		}
		_ = i
	}
	for _, x := range b.Buildings {
		if !lonLat(x.Loc) {
			l = append(l, errs.E(errs.Invalid, "buildings", "building %d: %v is not a lon/lat", x.ID, x.Loc))
		}
	}
	return l.Err()
}
