package gridplan

import (
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/planar"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/internal/sfgeom"
)

// Geometry kinds of DiffFeatures: what a feature's geometry is.
const (
	// GeomGrid is the grid's polygon: the new one for an added or
	// changed grid, the old one for a removed grid.
	GeomGrid = "grid"
	// GeomChanged is the area that changed hands: the symmetric
	// difference of the grid's old and new polygon (exact overlay).
	GeomChanged = "symmetric_difference"
)

// DiffFeatures is d as GeoJSON: one feature per added, removed and
// changed grid (d's order: added, removed, changed, each by code), with
// properties code, community, change (added|removed|changed),
// households_from and households_to (null where the grid is absent) and
// geometry_kind. An added or removed grid's geometry is its polygon
// (GeomGrid). A changed grid whose shape changed has the area that
// changed hands (GeomChanged: the symmetric difference of its old and
// new polygon, from simplefeatures' exact overlay); when only its
// households changed, or the overlay fails or leaves nothing (a change
// below the overlay's precision), it has its new polygon (GeomGrid).
// a and b are d's plans.
func DiffFeatures(a, b *Plan, d *PlanDiff) *geojson.FeatureCollection {
	old := make(map[bundle.GridCode]*Grid, len(a.Grids))
	for i := range a.Grids {
		old[a.Grids[i].Code] = &a.Grids[i]
	}
	cur := make(map[bundle.GridCode]*Grid, len(b.Grids))
	for i := range b.Grids {
		cur[b.Grids[i].Code] = &b.Grids[i]
	}
	fc := geojson.NewFeatureCollection()
	add := func(g orb.MultiPolygon, code bundle.GridCode, comm bundle.CommunityCode, change string, from, to *int, kind string) {
		var geom orb.Geometry = g
		if len(g) == 1 {
			geom = g[0]
		}
		f := geojson.NewFeature(geom)
		f.Properties = geojson.Properties{"code": string(code), "community": string(comm), "change": change,
			"households_from": from, "households_to": to, "geometry_kind": kind}
		fc.Append(f)
	}
	for _, r := range d.Added {
		hh := r.Households
		add(cur[r.Code].Geom, r.Code, r.Community, "added", nil, &hh, GeomGrid)
	}
	for _, r := range d.Removed {
		hh := r.Households
		add(old[r.Code].Geom, r.Code, r.Community, "removed", &hh, nil, GeomGrid)
	}
	for _, c := range d.Changed {
		from, to := c.HouseholdsFrom, c.HouseholdsTo
		was, now := old[c.Code], cur[c.Code]
		geom, kind := now.Geom, GeomGrid
		if c.GeometryChanged {
			if sd, err := sfgeom.SymDifference(was.Geom, now.Geom); err == nil && len(sd) > 0 && planar.Area(sd) > 0 {
				geom, kind = sd, GeomChanged
			}
		}
		add(geom, c.Code, c.Community, "changed", &from, &to, kind)
	}
	return fc
}
