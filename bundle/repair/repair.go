// Package repair mends a district bundle's boundaries so that bundle.Check
// passes: it removes repeated points and spikes, makes rings valid, snaps
// near-coincident vertices, clips streets to the district and communities
// to their street, cuts overlaps from one side and gives gaps to a
// neighbour. Every change is a Finding with its place and area; a change
// larger than Options.MaxAreaM2 is not made but listed for a person to
// decide. Pure computation: no files, no flags, no logging.
//
// Geometry is repaired in the lon/lat plane (GeoJSON edges are straight
// there, and bundle.Check overlays in that plane too); areas are reported
// in m² on the sphere (geo.AreaM2).
package repair

import (
	"fmt"
	"math"
	"sort"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
	"github.com/peterstace/simplefeatures/geom"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/geo"
	"github.com/gridd/gridd/internal/sfgeom"
)

// Kind is what a Finding did.
type Kind string

const (
	RepeatedPoint    Kind = "repeated_point"    // a vertex equal to the one before it, dropped
	Spike            Kind = "spike"             // a spike tip dropped with the thin triangle it closed
	SelfIntersection Kind = "self_intersection" // a ring crossing or touching itself (or overlapping parts) made valid
	Snap             Kind = "snap"              // vertices moved onto a near-coincident vertex of this or another area
	GapFilled        Kind = "gap_filled"        // a gap in the parent given to this area, the neighbour sharing its longest edge
	OverlapCut       Kind = "overlap_cut"       // an overlap with Other cut from this area (the smaller one)
	ClippedToParent  Kind = "clipped_to_parent" // a part of this area outside its parent cut off
	LeftForReview    Kind = "left_for_review"   // a change (Would) not made: larger than MaxAreaM2, or not possible
)

// Finding is one change made, or one left for review.
type Finding struct {
	Kind Kind `json:"kind"`
	// Would is the change a LeftForReview finding did not make.
	Would Kind `json:"would,omitempty"`
	// File and Feature name the area as bundle.Check does
	// (streets.geojson, feature 3); Code is its code.
	File    string `json:"file"`
	Feature int    `json:"feature"`
	Code    string `json:"code"`
	// Other is the neighbour's code: the area an overlap was left to.
	Other string `json:"other,omitempty"`
	// Lon, Lat is a point of the changed area (inside it when it has an
	// area), or the moved vertex.
	Lon float64 `json:"lon"`
	Lat float64 `json:"lat"`
	// AreaM2 is the area that changed hands or was removed or added, on
	// the sphere; 0 for a repeated point or an exact spike.
	AreaM2 float64 `json:"area_m2"`
	// Vertices is how many vertices a Snap moved.
	Vertices int `json:"vertices,omitempty"`
	// Buildings and Households are those in the piece a gap, overlap or
	// overhang finding moved (or would move): whose community changes.
	Buildings  int    `json:"buildings,omitempty"`
	Households int    `json:"households,omitempty"`
	Msg        string `json:"msg,omitempty"`

	piece orb.Polygon // the piece moved, for counting its buildings
}

func (f Finding) String() string {
	s := fmt.Sprintf("%s: feature %d (%s): %s", f.File, f.Feature, f.Code, f.Kind)
	if f.Would != "" {
		s += " (" + string(f.Would) + ")"
	}
	s += fmt.Sprintf(" at (%.6f, %.6f), %.1f m²", f.Lon, f.Lat, f.AreaM2)
	if f.Other != "" {
		s += ", other " + f.Other
	}
	if f.Vertices > 0 {
		s += fmt.Sprintf(", %d vertices", f.Vertices)
	}
	if f.Buildings > 0 {
		s += fmt.Sprintf(", %d buildings (%d households)", f.Buildings, f.Households)
	}
	if f.Msg != "" {
		s += ": " + f.Msg
	}
	return s
}

// Report is every finding of a repair, in the order they were made:
// rings (district, streets, communities), snapping, then the streets
// tiled to the district and each street's communities to the street.
type Report struct {
	Findings []Finding `json:"findings"`
}

// Review is the findings left for a person.
func (r Report) Review() []Finding {
	var out []Finding
	for _, f := range r.Findings {
		if f.Kind == LeftForReview {
			out = append(out, f)
		}
	}
	return out
}

// Counts is the number of findings of each kind.
func (r Report) Counts() map[Kind]int {
	m := map[Kind]int{}
	for _, f := range r.Findings {
		m[f.Kind]++
	}
	return m
}

// Options tune Repair; DefaultOptions is what gridctl uses.
type Options struct {
	// MaxAreaM2: a gap, overlap, overhang, spike tip or self-intersection
	// that would move more area than this is not touched but reported
	// LeftForReview.
	MaxAreaM2 float64
	// SnapM: vertices of different (or the same) areas closer than this
	// are moved onto one; 0 turns snapping off.
	SnapM float64
	// SpikeDeg: a vertex whose edges leave it at a sharper angle is a
	// spike tip (geo.CleanOptions); exact spikes are always removed.
	SpikeDeg float64
}

const (
	// DefaultMaxAreaM2 is about one city block (100 m × 50 m): a
	// digitizing sliver between two offices' boundaries, metres wide along
	// a kilometre of border, stays below it; a larger area may hold
	// buildings whose community matters, and a person decides.
	DefaultMaxAreaM2 = 5000
	// DefaultSnapM is 0.2 m, the accuracy of 1:2000 survey maps: vertices
	// nearer than that are one vertex digitized twice.
	DefaultSnapM = 0.2
	// DefaultSpikeDeg: boundaries do not turn back at less than 1°.
	DefaultSpikeDeg = 1
	// NoiseM2 is the area below which an overlay's left-over (a gap,
	// overlap or overhang) is floating-point noise of the overlay and
	// neither changed nor reported; bundle.Check tolerates 1 m² in all.
	NoiseM2 = 0.01
)

// DefaultOptions are gridctl's defaults.
func DefaultOptions() Options {
	return Options{MaxAreaM2: DefaultMaxAreaM2, SnapM: DefaultSnapM, SpikeDeg: DefaultSpikeDeg}
}

// area is one areal feature under repair.
type area struct {
	file  string
	idx   int
	code  string
	geom  *orb.MultiPolygon
	valid bool // valid after cleaning; invalid areas are not overlaid
}

type repairer struct {
	opt   Options
	rep   Report
	areas []*area // district, streets, communities
}

// Repair returns a copy of b with repaired district, street and community
// geometry, and the report. The other slices of the copy (buildings,
// facilities, ...) are b's. b is not changed.
func Repair(b *bundle.Bundle, opt Options) (*bundle.Bundle, Report) {
	out := *b
	out.District.Geom = b.District.Geom.Clone()
	out.Streets = append([]bundle.Street(nil), b.Streets...)
	out.Communities = append([]bundle.Community(nil), b.Communities...)
	r := &repairer{opt: opt}
	r.areas = append(r.areas, &area{file: bundle.DistrictFile, code: string(b.District.Code), geom: &out.District.Geom})
	streets := make([]*area, len(out.Streets))
	for i := range out.Streets {
		s := &out.Streets[i]
		s.Geom = s.Geom.Clone()
		streets[i] = &area{file: bundle.StreetsFile, idx: i, code: string(s.Code), geom: &s.Geom}
		r.areas = append(r.areas, streets[i])
	}
	comms := make([]*area, len(out.Communities))
	for i := range out.Communities {
		c := &out.Communities[i]
		c.Geom = c.Geom.Clone()
		comms[i] = &area{file: bundle.CommunitiesFile, idx: i, code: string(c.Code), geom: &c.Geom}
		r.areas = append(r.areas, comms[i])
	}
	for _, a := range r.areas {
		r.clean(a, true)
	}
	if opt.SnapM > 0 {
		r.snap()
	}
	r.tile(r.areas[0], streets)
	byStreet := map[bundle.StreetCode][]*area{}
	for i, c := range out.Communities {
		byStreet[c.Street] = append(byStreet[c.Street], comms[i])
	}
	seen := map[bundle.StreetCode]bool{}
	for i, s := range out.Streets {
		if seen[s.Code] {
			continue // a duplicate code: bundle.Check reports it
		}
		seen[s.Code] = true
		if len(byStreet[s.Code]) > 0 {
			r.tile(streets[i], byStreet[s.Code])
		}
	}
	r.countBuildings(b.Buildings)
	return &out, r.rep
}

// countBuildings fills in the buildings and households of each finding
// with a piece: a bounding-box filter, then the exact planar test.
func (r *repairer) countBuildings(bs []bundle.Building) {
	var fs []*Finding
	var boxes []orb.Bound
	for i := range r.rep.Findings {
		if f := &r.rep.Findings[i]; len(f.piece) > 0 {
			fs = append(fs, f)
			boxes = append(boxes, f.piece.Bound())
		}
	}
	if len(fs) == 0 {
		return
	}
	for _, bl := range bs {
		for i, f := range fs {
			if boxes[i].Contains(bl.Loc) && planar.PolygonContains(f.piece, bl.Loc) {
				f.Buildings++
				f.Households += bl.Households
			}
		}
	}
}

func (r *repairer) add(a *area, f Finding) {
	f.File, f.Feature, f.Code = a.file, a.idx, a.code
	r.rep.Findings = append(r.rep.Findings, f)
}

func at(p orb.Point) (float64, float64) { return p[0], p[1] }

// clean removes repeated points and spikes from every ring of a and
// makes it valid; report is false when cleaning again after a snap or an
// overlay, whose finding covers the change (what cannot be made valid is
// reported all the same).
func (r *repairer) clean(a *area, report bool) {
	mp := *a.geom
	if len(mp) == 0 {
		a.valid = false
		return
	}
	opts := geo.CleanOptions{SpikeDeg: r.opt.SpikeDeg, MaxSpikeM2: r.opt.MaxAreaM2}
	changed, complex := false, false
	var xAt orb.Point
	parts := make([]loops, len(mp))
	for pi, p := range mp {
		for ri, ring := range p {
			rings, fixes := geo.CleanRing(ring, opts)
			for _, f := range fixes {
				switch {
				case f.Kind == geo.FixRepeatedPoint:
					changed = true
					if report {
						lon, lat := at(f.At)
						r.add(a, Finding{Kind: RepeatedPoint, Lon: lon, Lat: lat})
					}
				case f.Kind == geo.FixSpike && f.Kept:
					if !report {
						continue // reported when the area was first cleaned
					}
					lon, lat := at(f.At)
					r.add(a, Finding{Kind: LeftForReview, Would: Spike, Lon: lon, Lat: lat, AreaM2: f.AreaM2,
						Msg: fmt.Sprintf("spike tip of %.0f m² is above the %.0f m² limit", f.AreaM2, r.opt.MaxAreaM2)})
				case f.Kind == geo.FixSpike:
					changed = true
					if report {
						lon, lat := at(f.At)
						r.add(a, Finding{Kind: Spike, Lon: lon, Lat: lat, AreaM2: f.AreaM2})
					}
				case f.Kind == geo.FixSelfIntersection:
					changed, complex = true, true
					xAt = f.At
				case f.Kind == geo.FixCollapsed:
					changed = true
				}
			}
			if len(rings) != 1 || &rings[0][0] != &ring[0] {
				changed = true
			}
			if len(rings) != 1 {
				complex = true
			}
			if ri == 0 {
				parts[pi].shells = rings
			} else {
				parts[pi].holes = append(parts[pi].holes, rings...)
			}
		}
	}
	if !changed {
		a.valid = geo.ValidateMultiPolygon(mp) == nil
		if a.valid {
			return
		}
		complex = true // overlapping parts, holes outside shells, ...
		xAt = mp[0][0][0]
	}
	var simple orb.MultiPolygon
	if !complex {
		for _, p := range parts {
			if len(p.shells) == 0 {
				continue
			}
			simple = append(simple, append(orb.Polygon{p.shells[0]}, p.holes...))
		}
		if len(simple) > 0 && geo.ValidateMultiPolygon(simple) == nil {
			*a.geom, a.valid = simple, true
			return
		}
		if len(simple) == 0 {
			r.collapsed(a, mp)
			return
		}
		xAt = simple[0][0][0]
	}
	// Make valid as ST_MakeValid's "structure" method: the union of each
	// shell's loops minus the union of its holes' loops, unioned over the
	// parts.
	valid, err := makeValid(parts)
	if err != nil || len(valid) == 0 || geo.ValidateMultiPolygon(valid) != nil {
		if err == nil && len(valid) == 0 {
			r.collapsed(a, mp)
			return
		}
		why := "the repaired rings are still invalid"
		if err != nil {
			why = err.Error()
		}
		lon, lat := at(xAt)
		r.add(a, Finding{Kind: LeftForReview, Would: SelfIntersection, Lon: lon, Lat: lat, Msg: "cannot make valid: " + why})
		a.valid = false
		return
	}
	d := math.Abs(geo.AreaM2(valid) - geo.AreaM2(mp))
	lon, lat := at(xAt)
	if d > r.opt.MaxAreaM2 {
		r.add(a, Finding{Kind: LeftForReview, Would: SelfIntersection, Lon: lon, Lat: lat, AreaM2: d,
			Msg: fmt.Sprintf("making it valid changes its area by %.0f m², above the %.0f m² limit", d, r.opt.MaxAreaM2)})
		a.valid = false
		return
	}
	if report {
		r.add(a, Finding{Kind: SelfIntersection, Lon: lon, Lat: lat, AreaM2: d})
	}
	*a.geom, a.valid = valid, true
}

func (r *repairer) collapsed(a *area, mp orb.MultiPolygon) {
	lon, lat := at(mp[0][0][0])
	r.add(a, Finding{Kind: LeftForReview, Would: SelfIntersection, Lon: lon, Lat: lat, AreaM2: geo.AreaM2(mp),
		Msg: "nothing with an area is left of it"})
	a.valid = false
}

// loops are the simple rings geo.CleanRing made of one polygon's shell
// and of its holes.
type loops struct{ shells, holes []orb.Ring }

// makeValid unions each part's shell loops, subtracts its hole loops
// (and the shell's inverted loops, see orientLoops) and unions the parts.
func makeValid(parts []loops) (out orb.MultiPolygon, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("overlay failed: %v", p)
		}
	}()
	var all []geom.Geometry
	for _, p := range parts {
		if len(p.shells) == 0 {
			continue
		}
		shells, holes := orientLoops(p.shells)
		holes = append(holes, p.holes...)
		g, err := unionRings(shells)
		if err != nil {
			return nil, err
		}
		if len(holes) > 0 {
			h, err := unionRings(holes)
			if err != nil {
				return nil, err
			}
			if g, err = geom.Difference(g, h); err != nil {
				return nil, err
			}
		}
		all = append(all, g)
	}
	if len(all) == 0 {
		return nil, nil
	}
	u, err := unionAll(all)
	if err != nil {
		return nil, err
	}
	return tidy(sfgeom.ToOrbRFC7946(u)), nil
}

// orientLoops sorts the loops of one shell ring: a loop walked the other
// way round from the largest one and lying inside another loop is an
// inverted hole (the ring touched itself around it) and is subtracted;
// every other loop (a bow tie's lobes) is area.
func orientLoops(ls []orb.Ring) (shells, holes []orb.Ring) {
	if len(ls) == 1 {
		return ls, nil
	}
	big := 0
	for i, l := range ls {
		if math.Abs(sfgeom.SignedArea(l[:len(l)-1])) > math.Abs(sfgeom.SignedArea(ls[big][:len(ls[big])-1])) {
			big = i
		}
	}
	ccw := sfgeom.SignedArea(ls[big][:len(ls[big])-1]) > 0
	var inverted []orb.Ring
	for _, l := range ls {
		if (sfgeom.SignedArea(l[:len(l)-1]) > 0) == ccw {
			shells = append(shells, l)
		} else {
			inverted = append(inverted, l)
		}
	}
	for _, l := range inverted {
		xy, ok := sfgeom.FromOrb(orb.MultiPolygon{{l}}).PointOnSurface().XY()
		inside := false
		for _, s := range shells {
			if ok && planar.RingContains(s, orb.Point{xy.X, xy.Y}) {
				inside = true
				break
			}
		}
		if inside {
			holes = append(holes, l)
		} else {
			shells = append(shells, l)
		}
	}
	return shells, holes
}

// tidy drops the polygons and holes of an overlay's output that are no
// more than NoiseM2: slivers of floating-point width where two inputs'
// edges nearly coincide.
func tidy(mp orb.MultiPolygon) orb.MultiPolygon {
	out := mp[:0:0]
	for _, p := range mp {
		if geo.AreaM2(orb.Polygon{p[0]}) <= NoiseM2 {
			continue
		}
		q := orb.Polygon{p[0]}
		for _, h := range p[1:] {
			if geo.AreaM2(orb.Polygon{h}) > NoiseM2 {
				q = append(q, h)
			}
		}
		out = append(out, q)
	}
	return out
}

func unionRings(rs []orb.Ring) (geom.Geometry, error) {
	gs := make([]geom.Geometry, len(rs))
	for i, ring := range rs {
		gs[i] = sfgeom.FromOrb(orb.MultiPolygon{{ring}})
	}
	return unionAll(gs)
}

// snap moves every vertex within SnapM of an earlier-seen distinct vertex
// onto it, areas in order (district, streets, communities), so that
// children snap to their parents' boundaries and later areas to earlier
// ones; areas it changed are cleaned again (a snap can make a vertex
// repeat or a ring fold).
func (r *repairer) snap() {
	lat0 := 0.0
	if len(*r.areas[0].geom) > 0 {
		lat0 = r.areas[0].geom.Bound().Center()[1]
	}
	ky := math.Pi / 180 * geo.EarthRadiusM
	kx := ky * math.Cos(lat0*math.Pi/180)
	tol := r.opt.SnapM
	type cell [2]int64
	cellOf := func(p orb.Point) cell {
		return cell{int64(math.Floor(p[0] * kx / tol)), int64(math.Floor(p[1] * ky / tol))}
	}
	grid := map[cell][]orb.Point{}
	for _, a := range r.areas {
		before := *a.geom
		var moved []orb.Point
		var nextGeom orb.MultiPolygon
		for _, p := range before {
			np := make(orb.Polygon, len(p))
			for ri, ring := range p {
				nr := make(orb.Ring, len(ring))
				for vi, v := range ring {
					c := cellOf(v)
					best, bestD, same := v, math.Inf(1), false
					for dx := int64(-1); dx <= 1 && !same; dx++ {
						for dy := int64(-1); dy <= 1; dy++ {
							for _, q := range grid[cell{c[0] + dx, c[1] + dy}] {
								if q == v {
									same = true
									break
								}
								d := math.Hypot((q[0]-v[0])*kx, (q[1]-v[1])*ky)
								if d <= tol && d < bestD {
									best, bestD = q, d
								}
							}
						}
					}
					switch {
					case same:
					case bestD <= tol:
						if vi != len(ring)-1 { // the closing vertex moves with the first
							moved = append(moved, v)
						}
					default:
						grid[c] = append(grid[c], v)
					}
					if same {
						best = v
					}
					nr[vi] = best
				}
				nr[len(nr)-1] = nr[0]
				np[ri] = nr
			}
			nextGeom = append(nextGeom, np)
		}
		if len(moved) == 0 {
			continue
		}
		*a.geom = nextGeom
		r.clean(a, false)
		if !a.valid {
			// The snap broke it beyond repair: keep it as it was.
			*a.geom = before
			a.valid = geo.ValidateMultiPolygon(before) == nil
			lon, lat := at(moved[0])
			r.add(a, Finding{Kind: LeftForReview, Would: Snap, Lon: lon, Lat: lat, Vertices: len(moved),
				Msg: "snapping would make it invalid"})
			continue
		}
		lon, lat := at(moved[0])
		r.add(a, Finding{Kind: Snap, Lon: lon, Lat: lat, Vertices: len(moved), AreaM2: math.Abs(geo.AreaM2(*a.geom) - geo.AreaM2(before))})
	}
}

// piece is a polygon the overlays found, with its area and a point in it.
type piece struct {
	poly   orb.Polygon
	areaM2 float64
	at     orb.Point
}

// pieces splits an overlay result into polygons of more than NoiseM2.
func pieces(g geom.Geometry) []piece {
	var out []piece
	for _, p := range sfgeom.ToOrbRFC7946(g) {
		a := geo.AreaM2(p)
		if a <= NoiseM2 {
			continue
		}
		pt := orb.Point(p.Bound().Center())
		if xy, ok := sfgeom.FromOrb(orb.MultiPolygon{p}).PointOnSurface().XY(); ok {
			pt = orb.Point{xy.X, xy.Y}
		}
		out = append(out, piece{p, a, pt})
	}
	return out
}

// planarM2 is mp's area in the lon/lat plane in m², scaled by the metres
// of a degree at lat0.
func planarM2(mp orb.MultiPolygon, lat0 float64) float64 {
	k := math.Pi / 180 * geo.EarthRadiusM
	return planar.Area(mp) * k * k * math.Cos(lat0*math.Pi/180)
}

func areaOf(ps []piece) float64 {
	a := 0.0
	for _, p := range ps {
		a += p.areaM2
	}
	return a
}

// union is the union of pieces, which may overlap one another (the
// overlaps of one area with several larger ones do).
func union(ps []piece) (geom.Geometry, error) {
	gs := make([]geom.Geometry, len(ps))
	for i, p := range ps {
		gs[i] = sfgeom.FromOrb(orb.MultiPolygon{p.poly})
	}
	return unionAll(gs)
}

// unionAll folds geom.Union over gs, two operands at a time. UnionMany
// takes them as one collection, and where members of it overlap with
// nearly coincident edges it has been seen to leave a hole in their
// overlap (FuzzRepair found one); two operands it overlays correctly.
func unionAll(gs []geom.Geometry) (geom.Geometry, error) {
	var u geom.Geometry
	for i, g := range gs {
		if i == 0 {
			u = g
			continue
		}
		var err error
		if u, err = geom.Union(u, g); err != nil {
			return geom.Geometry{}, err
		}
	}
	if len(gs) == 1 {
		return geom.UnaryUnion(u)
	}
	return u, nil
}

// tile makes kids tile parent: parts outside it cut off, overlaps cut from
// the smaller area, gaps given to the neighbour sharing their longest
// edge; each change at most MaxAreaM2, larger ones reported instead. An
// invalid parent or area, or an overlay that fails, leaves them as they
// are, reported for review.
func (r *repairer) tile(parent *area, kids []*area) {
	if !r.tileable(parent, kids) {
		return
	}
	fail := func(err error) {
		lon, lat := at(parent.geom.Bound().Center())
		r.add(parent, Finding{Kind: LeftForReview, Would: GapFilled, Lon: lon, Lat: lat, Msg: fmt.Sprintf("cannot overlay its areas: %v", err)})
	}
	defer func() {
		if p := recover(); p != nil {
			fail(fmt.Errorf("%v", p))
		}
	}()
	t := &tiling{r: r, parent: parent, kids: kids, P: sfgeom.FromOrb(*parent.geom), gs: make([]geom.Geometry, len(kids)),
		lat0: parent.geom.Bound().Center()[1]}
	for i, k := range kids {
		t.gs[i] = sfgeom.FromOrb(*k.geom)
	}
	if err := t.clipToParent(); err != nil {
		fail(err)
		return
	}
	overlapsLeft, err := t.cutOverlaps()
	if err != nil {
		fail(err)
		return
	}
	if err := t.fillGaps(overlapsLeft); err != nil {
		fail(err)
	}
}

// tileable reports whether parent and kids are valid, reporting the first
// that is not for review.
func (r *repairer) tileable(parent *area, kids []*area) bool {
	if !parent.valid {
		lon, lat := 0.0, 0.0
		if len(*parent.geom) > 0 {
			lon, lat = at((*parent.geom)[0][0][0])
		}
		r.add(parent, Finding{Kind: LeftForReview, Would: GapFilled, Lon: lon, Lat: lat, Msg: "its areas are not tiled: it is not valid"})
		return false
	}
	for _, k := range kids {
		if !k.valid {
			lon, lat := at(parent.geom.Bound().Center())
			r.add(parent, Finding{Kind: LeftForReview, Would: GapFilled, Lon: lon, Lat: lat,
				Msg: fmt.Sprintf("its areas are not tiled: %s feature %d (%s) is not valid", k.file, k.idx, k.code)})
			return false
		}
	}
	return true
}

// tiling is one parent's areas being made to tile it: gs[i] is kids[i]'s
// current geometry for the overlays, P the parent's.
type tiling struct {
	r      *repairer
	parent *area
	kids   []*area
	P      geom.Geometry
	gs     []geom.Geometry
	lat0   float64 // the latitude of the planar area scale
}

// set replaces kid i by g, the result of cutting movedM2 off it (would =
// ClippedToParent, OverlapCut) or adding it (GapFilled), unless nothing
// with an area would be left of it: an area is never removed, a person
// decides. The overlay's output is cleaned as the input was (it can hold
// slivers and spikes of floating-point width where edges nearly
// coincide) and then must be plausible: nothing of the area gone, its
// area changed by about movedM2 the right way, a cut inside the old box.
// Otherwise the area is kept and left for review: the overlay misread
// near-degenerate input.
func (t *tiling) set(i int, g geom.Geometry, would Kind, movedM2 float64) bool {
	k := t.kids[i]
	lon, lat := at((*k.geom)[0][0][0])
	review := func(msg string) bool {
		t.r.add(k, Finding{Kind: LeftForReview, Would: would, Lon: lon, Lat: lat, AreaM2: movedM2, Msg: msg})
		return false
	}
	mp := tidy(sfgeom.ToOrbRFC7946(g))
	if len(mp) == 0 || geo.AreaM2(mp) <= NoiseM2 {
		return review("nothing of it would be left")
	}
	tmp := &area{file: k.file, idx: k.idx, code: k.code, geom: &mp}
	t.r.clean(tmp, false)
	if !tmp.valid {
		return false // clean said why
	}
	// Planar areas (one scale for the parent), which add up where an
	// overlay puts a vertex on an edge; spherical ones do not quite.
	before, after := planarM2(*k.geom, t.lat0), planarM2(mp, t.lat0)
	tol := 1 + 1e-9*before
	moved := 1.01 * movedM2 // pieces were measured on the sphere
	ok := true
	if would == GapFilled {
		ok = after <= before+moved+tol && after >= before-tol
	} else {
		ok = after <= before+tol && after >= before-moved-tol && k.geom.Bound().Pad(1e-9).Contains(mp.Bound().Min) && k.geom.Bound().Pad(1e-9).Contains(mp.Bound().Max)
	}
	if !ok {
		return review(fmt.Sprintf("the overlay gave %.0f m² from %.0f m² and %.0f m² moved: not trusted (near-degenerate input), not changed", after, before, movedM2))
	}
	t.gs[i] = sfgeom.FromOrb(mp)
	*k.geom = mp
	return true
}

// clipToParent cuts off the parts of the areas outside the parent. One
// overlay of the union of the areas says where there are any; only areas
// near those, or outside the parent's box, are overlaid one by one.
func (t *tiling) clipToParent() error {
	r, parent := t.r, t.parent
	pb := parent.geom.Bound()
	var outBoxes []orb.Bound
	if all, err := geom.UnionMany(t.gs); err == nil {
		if out, err := geom.Difference(all, t.P); err == nil {
			for _, p := range pieces(out) {
				outBoxes = append(outBoxes, p.poly.Bound())
			}
		}
	}
	for i, k := range t.kids {
		kb := k.geom.Bound()
		near := !(pb.Contains(kb.Min) && pb.Contains(kb.Max))
		for _, ob := range outBoxes {
			near = near || ob.Intersects(kb)
		}
		if !near {
			continue
		}
		out, err := geom.Difference(t.gs[i], t.P)
		if err != nil {
			return err
		}
		ps := pieces(out)
		if len(ps) == 0 {
			continue
		}
		var cut []piece
		for _, p := range ps {
			lon, lat := at(p.at)
			if p.areaM2 > r.opt.MaxAreaM2 {
				r.add(k, Finding{Kind: LeftForReview, Would: ClippedToParent, Lon: lon, Lat: lat, AreaM2: p.areaM2, piece: p.poly, Other: parent.code,
					Msg: fmt.Sprintf("reaches %.0f m² outside %s %s, above the %.0f m² limit", p.areaM2, parent.file, parent.code, r.opt.MaxAreaM2)})
				continue
			}
			cut = append(cut, p)
			r.add(k, Finding{Kind: ClippedToParent, Lon: lon, Lat: lat, AreaM2: p.areaM2, piece: p.poly, Other: parent.code})
		}
		if len(cut) == 0 {
			continue
		}
		var g geom.Geometry
		if len(cut) == len(ps) {
			g, err = geom.Intersection(t.gs[i], t.P)
		} else {
			var u geom.Geometry
			if u, err = union(cut); err == nil {
				g, err = geom.Difference(t.gs[i], u)
			}
		}
		if err != nil {
			return err
		}
		t.set(i, g, ClippedToParent, areaOf(cut))
	}
	return nil
}

// cutOverlaps leaves each overlap to the larger area (mapshaper -clean's
// default rule) and cuts it from the smaller. It reports whether an
// overlap was left for review (above the limit).
func (t *tiling) cutOverlaps() (overlapsLeft bool, err error) {
	r, kids := t.r, t.kids
	order := make([]int, len(kids))
	sizes := make([]float64, len(kids))
	for i := range kids {
		order[i] = i
		sizes[i] = geo.AreaM2(*kids[i].geom)
	}
	sort.SliceStable(order, func(a, b int) bool { return sizes[order[a]] > sizes[order[b]] })
	bounds := make([]orb.Bound, len(kids))
	for i, k := range kids {
		bounds[i] = k.geom.Bound()
	}
	orig := append([]geom.Geometry(nil), t.gs...)
	for oj, j := range order { // j: the smaller
		var cut []piece
		for _, i := range order[:oj] { // i: larger
			if !bounds[i].Intersects(bounds[j]) {
				continue
			}
			x, err := geom.Intersection(orig[i], orig[j])
			if err != nil {
				return overlapsLeft, err
			}
			for _, p := range pieces(x) {
				lon, lat := at(p.at)
				if p.areaM2 > r.opt.MaxAreaM2 {
					overlapsLeft = true
					r.add(kids[j], Finding{Kind: LeftForReview, Would: OverlapCut, Lon: lon, Lat: lat, AreaM2: p.areaM2, piece: p.poly, Other: kids[i].code,
						Msg: fmt.Sprintf("overlaps %s by %.0f m², above the %.0f m² limit", kids[i].code, p.areaM2, r.opt.MaxAreaM2)})
					continue
				}
				cut = append(cut, p)
				r.add(kids[j], Finding{Kind: OverlapCut, Lon: lon, Lat: lat, AreaM2: p.areaM2, piece: p.poly, Other: kids[i].code})
			}
		}
		if len(cut) == 0 {
			continue
		}
		u, err := union(cut)
		if err != nil {
			return overlapsLeft, err
		}
		g, err := geom.Difference(t.gs[j], u)
		if err != nil {
			return overlapsLeft, err
		}
		t.set(j, g, OverlapCut, areaOf(cut))
	}
	return overlapsLeft, nil
}

// fillGaps gives each gap to the neighbour sharing its longest edge. The
// areas overlap no more now, unless an overlap was left for review: only
// then is the slower pairwise union needed (see unionAll).
func (t *tiling) fillGaps(overlapsLeft bool) error {
	r, parent, kids := t.r, t.parent, t.kids
	unionKids := geom.UnionMany
	if overlapsLeft {
		unionKids = unionAll
	}
	u, err := unionKids(t.gs)
	if err != nil {
		return err
	}
	gap, err := geom.Difference(t.P, u)
	if err != nil {
		return err
	}
	given := make([][]piece, len(kids))
	for _, p := range pieces(gap) {
		lon, lat := at(p.at)
		if p.areaM2 > r.opt.MaxAreaM2 {
			r.add(parent, Finding{Kind: LeftForReview, Would: GapFilled, Lon: lon, Lat: lat, AreaM2: p.areaM2, piece: p.poly,
				Msg: fmt.Sprintf("gap of %.0f m² covered by none of its areas, above the %.0f m² limit", p.areaM2, r.opt.MaxAreaM2)})
			continue
		}
		best, bestLen := -1, 0.0
		for i, k := range kids {
			if l := sharedM(p.poly, *k.geom); l > bestLen {
				best, bestLen = i, l
			}
		}
		if best < 0 {
			r.add(parent, Finding{Kind: LeftForReview, Would: GapFilled, Lon: lon, Lat: lat, AreaM2: p.areaM2, piece: p.poly,
				Msg: "gap shares no edge with any of its areas"})
			continue
		}
		given[best] = append(given[best], p)
		r.add(kids[best], Finding{Kind: GapFilled, Lon: lon, Lat: lat, AreaM2: p.areaM2, piece: p.poly, Other: parent.code,
			Msg: fmt.Sprintf("shares %.1f m of edge with it", bestLen)})
	}
	for i, ps := range given {
		if len(ps) == 0 {
			continue
		}
		u, err := union(ps)
		if err != nil {
			return err
		}
		g, err := geom.Union(t.gs[i], u)
		if err != nil {
			return err
		}
		t.set(i, g, GapFilled, areaOf(ps))
	}
	return nil
}

// sharedM is the length in metres of the edges of gap that lie on mp's
// boundary: each gap edge whose midpoint is within 1e-9° (0.1 mm) of an
// edge of mp counts whole. A gap's edges are pieces of its neighbours'
// edges (noded by the overlay), so the midpoint test finds them.
func sharedM(gap orb.Polygon, mp orb.MultiPolygon) float64 {
	const tol = 1e-9
	b := mp.Bound().Pad(tol)
	if !b.Intersects(gap.Bound()) {
		return 0
	}
	total := 0.0
	for _, gr := range gap {
		for i := 0; i+1 < len(gr); i++ {
			m := orb.Point{(gr[i][0] + gr[i+1][0]) / 2, (gr[i][1] + gr[i+1][1]) / 2}
			if !b.Contains(m) {
				continue
			}
			if onBoundary(m, mp, tol) {
				total += geo.DistanceM(gr[i], gr[i+1])
			}
		}
	}
	return total
}

func onBoundary(m orb.Point, mp orb.MultiPolygon, tol float64) bool {
	for _, p := range mp {
		for _, ring := range p {
			for i := 0; i+1 < len(ring); i++ {
				a, b := ring[i], ring[i+1]
				if m[0] < math.Min(a[0], b[0])-tol || m[0] > math.Max(a[0], b[0])+tol ||
					m[1] < math.Min(a[1], b[1])-tol || m[1] > math.Max(a[1], b[1])+tol {
					continue
				}
				if segDist(m, a, b) <= tol {
					return true
				}
			}
		}
	}
	return false
}

// segDist is the planar distance from p to segment ab, in degrees.
func segDist(p, a, b orb.Point) float64 {
	dx, dy := b[0]-a[0], b[1]-a[1]
	t := 0.0
	if l := dx*dx + dy*dy; l > 0 {
		t = math.Max(0, math.Min(1, ((p[0]-a[0])*dx+(p[1]-a[1])*dy)/l))
	}
	return math.Hypot(p[0]-a[0]-t*dx, p[1]-a[1]-t*dy)
}
