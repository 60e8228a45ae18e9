package bundle

import (
	"fmt"
	"sort"

	"github.com/paulmach/orb"
	"github.com/peterstace/simplefeatures/geom"

	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/geo"
	"github.com/gridd/gridd/internal/sfgeom"
)

// ToleranceM2 is the gap or overlap area Check tolerates between areas
// that must tile: floating-point overlay noise is far below it, any real
// digitizing error far above.
const ToleranceM2 = 1.0

// Check validates the rules across a bundle's files that Read cannot see
// one file at a time, and returns every problem found (nil when clean).
// Each problem's Field names the file and feature index ("streets.geojson:
// feature 3") or CSV line ("buildings.csv:12", counting the header as line 1
// and assuming one line a record, as Write produces), and its Msg the
// reason:
//   - rings that are invalid or self-intersecting (geo.ValidateMultiPolygon);
//   - duplicate codes or ids, codes that do not nest (a street code starts
//     with the district code, a community code with its street_code, which
//     must exist), unknown kinds;
//   - streets that do not tile the district and communities that do not tile
//     their street: gaps, overlaps or overhangs above ToleranceM2, measured
//     on the sphere with geo.AreaM2;
//   - buildings outside every community, non-positive households, empty
//     addresses;
//   - facilities, patrols and workers naming unknown codes; a missing or
//     second district centre, street sub-centre or community work station.
//
// Check is meant to run before every import, so it is fast: bounding boxes
// filter the pairwise work and overlaps are looked for pair by pair only
// when the areas say there is one.
func Check(b *Bundle) errs.List {
	c := &checker{b: b}
	c.district()
	c.streets()
	c.communities()
	c.tiling()
	c.buildings()
	c.facilities()
	c.patrols()
	c.workers()
	c.departments()
	return c.probs
}

type checker struct {
	b     *Bundle
	probs errs.List

	validStreet []bool // geometry valid
	validComm   []bool
	streetIdx   map[StreetCode]int
	commIdx     map[CommunityCode]int
}

func (c *checker) add(field, format string, args ...any) {
	c.probs = append(c.probs, errs.E(errs.Invalid, field, format, args...))
}

func feat(file string, i int) string { return fmt.Sprintf("%s: feature %d", file, i) }
func line(file string, i int) string { return fmt.Sprintf("%s:%d", file, i+2) }

// geomProblem turns a geo validation error into a message.
func geomProblem(err error) string {
	if e, ok := errs.As(err); ok {
		if e.Field != "" {
			return e.Field + ": " + e.Msg
		}
		return e.Msg
	}
	return err.Error()
}

func (c *checker) district() {
	d := c.b.District
	if _, err := ParseDistrictCode(string(d.Code)); err != nil {
		c.add(feat(DistrictFile, 0), "code %q is not a 6-digit district code", d.Code)
	}
	if len(d.Geom) == 0 {
		c.add(feat(DistrictFile, 0), "geometry is empty")
	} else if err := geo.ValidateMultiPolygon(d.Geom); err != nil {
		c.add(feat(DistrictFile, 0), "invalid geometry: %s", geomProblem(err))
	}
}

func (c *checker) streets() {
	c.streetIdx = map[StreetCode]int{}
	c.validStreet = make([]bool, len(c.b.Streets))
	for i, s := range c.b.Streets {
		w := feat(StreetsFile, i)
		if _, err := ParseStreetCode(string(s.Code)); err != nil {
			c.add(w, "code %q is not a 9-digit street code", s.Code)
		} else if s.Code.District() != c.b.District.Code {
			c.add(w, "code %s does not start with the district code %s", s.Code, c.b.District.Code)
		}
		if j, dup := c.streetIdx[s.Code]; dup {
			c.add(w, "duplicate code %s (also feature %d)", s.Code, j)
		} else {
			c.streetIdx[s.Code] = i
		}
		if len(s.Geom) == 0 {
			c.add(w, "geometry is empty")
		} else if err := geo.ValidateMultiPolygon(s.Geom); err != nil {
			c.add(w, "invalid geometry: %s", geomProblem(err))
		} else {
			c.validStreet[i] = true
		}
	}
}

func (c *checker) communities() {
	c.commIdx = map[CommunityCode]int{}
	c.validComm = make([]bool, len(c.b.Communities))
	for i, cm := range c.b.Communities {
		w := feat(CommunitiesFile, i)
		if _, err := ParseCommunityCode(string(cm.Code)); err != nil {
			c.add(w, "code %q is not a 12-digit community code", cm.Code)
		} else if cm.Code.Street() != cm.Street {
			c.add(w, "code %s does not start with its street_code %s", cm.Code, cm.Street)
		}
		if _, ok := c.streetIdx[cm.Street]; !ok {
			c.add(w, "street_code %s is not in %s", cm.Street, StreetsFile)
		}
		if !cm.Kind.Valid() {
			c.add(w, "kind %q is not urban, rural or virtual", cm.Kind)
		}
		if j, dup := c.commIdx[cm.Code]; dup {
			c.add(w, "duplicate code %s (also feature %d)", cm.Code, j)
		} else {
			c.commIdx[cm.Code] = i
		}
		if len(cm.Geom) == 0 {
			c.add(w, "geometry is empty")
		} else if err := geo.ValidateMultiPolygon(cm.Geom); err != nil {
			c.add(w, "invalid geometry: %s", geomProblem(err))
		} else {
			c.validComm[i] = true
		}
	}
}

// piece is one area that must tile its parent.
type piece struct {
	idx  int // feature index in its file
	code string
	geom orb.MultiPolygon
}

func (c *checker) tiling() {
	if len(c.b.District.Geom) > 0 && geo.ValidateMultiPolygon(c.b.District.Geom) == nil {
		var ps []piece
		ok := true
		for i, s := range c.b.Streets {
			ok = ok && c.validStreet[i]
			ps = append(ps, piece{i, string(s.Code), s.Geom})
		}
		if ok {
			c.tile(DistrictFile+": feature 0", "the district", c.b.District.Geom, StreetsFile, "street", ps)
		}
	}
	byStreet := map[StreetCode][]piece{}
	okStreet := map[StreetCode]bool{}
	for i, cm := range c.b.Communities {
		byStreet[cm.Street] = append(byStreet[cm.Street], piece{i, string(cm.Code), cm.Geom})
		if _, seen := okStreet[cm.Street]; !seen {
			okStreet[cm.Street] = true
		}
		okStreet[cm.Street] = okStreet[cm.Street] && c.validComm[i]
	}
	for i, s := range c.b.Streets {
		if !c.validStreet[i] {
			continue
		}
		ps := byStreet[s.Code]
		if len(ps) == 0 {
			c.add(feat(StreetsFile, i), "street %s has no communities in %s", s.Code, CommunitiesFile)
			continue
		}
		if j, first := c.streetIdx[s.Code]; first && j == i && okStreet[s.Code] {
			c.tile(feat(StreetsFile, i), "street "+string(s.Code), s.Geom, CommunitiesFile, "community", ps)
		}
	}
}

// tile reports gaps between the pieces inside parent, pieces reaching
// outside parent and pieces overlapping each other, each above ToleranceM2.
func (c *checker) tile(parentField, parentName string, parent orb.MultiPolygon, file, noun string, ps []piece) {
	// The overlay library may panic on numerically pathological input
	// that passed validation; report it as a problem of this parent.
	defer func() {
		if r := recover(); r != nil {
			c.add(parentField, "cannot overlay its %ss: %v", noun, r)
		}
	}()
	pg := sfgeom.FromOrb(parent)
	gs := make([]geom.Geometry, len(ps))
	sum := 0.0
	for i, p := range ps {
		gs[i] = sfgeom.FromOrb(p.geom)
		sum += geo.AreaM2(p.geom)
	}
	union, err := geom.UnionMany(gs)
	if err != nil {
		c.add(parentField, "cannot overlay its %ss: %v", noun, err)
		return
	}
	unionArea := 0.0
	for _, p := range sfgeom.ToOrb(union) {
		unionArea += geo.AreaM2(p)
	}
	// Gaps: parts of the parent no piece covers.
	if gap, err := geom.Difference(pg, union); err != nil {
		c.add(parentField, "cannot overlay with its %ss: %v", noun, err)
	} else {
		c.reportParts(parentField, sfgeom.ToOrb(gap), func(a float64, at orb.Point) string {
			return fmt.Sprintf("gap of %.1f m² near (%.6f, %.6f) covered by no %s", a, at[0], at[1], noun)
		}, func(a float64) string {
			return fmt.Sprintf("gaps of %.1f m² in all covered by no %s", a, noun)
		})
	}
	// Overhangs: parts of pieces outside the parent, found piece by piece
	// only when the union shows there are some.
	if out, err := geom.Difference(union, pg); err == nil && areaOf(sfgeom.ToOrb(out)) > ToleranceM2 {
		for i, p := range ps {
			d, err := geom.Difference(gs[i], pg)
			if err != nil {
				continue
			}
			if a := areaOf(sfgeom.ToOrb(d)); a > ToleranceM2 {
				c.add(feat(file, p.idx), "%s %s extends %.1f m² outside %s", noun, p.code, a, parentName)
			}
		}
	}
	// Overlaps: the pieces' areas add up to more than their union.
	if sum-unionArea <= ToleranceM2 {
		return
	}
	order := make([]int, len(ps))
	for i := range order {
		order[i] = i
	}
	bounds := make([]orb.Bound, len(ps))
	for i, p := range ps {
		bounds[i] = p.geom.Bound()
	}
	sort.Slice(order, func(a, b int) bool { return bounds[order[a]].Min[0] < bounds[order[b]].Min[0] })
	for a := 0; a < len(order); a++ {
		i := order[a]
		for b := a + 1; b < len(order); b++ {
			j := order[b]
			if bounds[j].Min[0] > bounds[i].Max[0] {
				break
			}
			if !bounds[i].Intersects(bounds[j]) {
				continue
			}
			x, err := geom.Intersection(gs[i], gs[j])
			if err != nil {
				continue
			}
			if ar := areaOf(sfgeom.ToOrb(x)); ar > ToleranceM2 {
				lo, hi := ps[i], ps[j]
				if hi.idx < lo.idx {
					lo, hi = hi, lo
				}
				c.add(feat(file, hi.idx), "%s %s overlaps %s %s (feature %d) by %.1f m²", noun, hi.code, noun, lo.code, lo.idx, ar)
			}
		}
	}
}

func areaOf(ps []orb.Polygon) float64 {
	a := 0.0
	for _, p := range ps {
		a += geo.AreaM2(p)
	}
	return a
}

// reportParts reports each part above ToleranceM2, or their sum when only
// many small ones add up to more.
func (c *checker) reportParts(field string, parts []orb.Polygon, one func(float64, orb.Point) string, all func(float64) string) {
	total := 0.0
	n := 0
	for _, p := range parts {
		a := geo.AreaM2(p)
		total += a
		if a > ToleranceM2 {
			n++
			if n <= 20 {
				c.add(field, "%s", one(a, p.Bound().Center()))
			}
		}
	}
	if n > 20 {
		c.add(field, "%d more such areas", n-20)
	}
	if n == 0 && total > ToleranceM2 {
		c.add(field, "%s", all(total))
	}
}

func (c *checker) buildings() {
	// Which community holds a building is decided as the planner and
	// /locate decide it: geo.PolygonIndex and its tie rule (a point on the
	// closed union of the communities is in one of them).
	var areas []geo.Area
	for i, cm := range c.b.Communities {
		if c.validComm[i] {
			areas = append(areas, geo.Area{Code: string(cm.Code), Geom: cm.Geom})
		}
	}
	idx, err := geo.NewPolygonIndex(areas)
	if err != nil {
		c.add(CommunitiesFile, "cannot index the communities to place the buildings: %v", err)
		idx = nil
	}
	seen := make(map[BuildingID]int, len(c.b.Buildings))
	for i, bl := range c.b.Buildings {
		w := line(BuildingsFile, i)
		if j, dup := seen[bl.ID]; dup {
			c.add(w, "duplicate id %q (also line %d)", bl.ID, j+2)
		} else {
			seen[bl.ID] = i
		}
		if err := bl.ID.Validate(); err != nil {
			c.add(w, "id %q: %s", bl.ID, msgOf(err))
		}
		if bl.Households < 1 {
			c.add(w, "id %s: households %d, want at least 1", bl.ID, bl.Households)
		}
		if bl.Address == "" {
			c.add(w, "id %s: address is empty", bl.ID)
		}
		if err := finite(bl.Loc); err != "" {
			c.add(w, "id %s: %s", bl.ID, err)
			continue
		}
		if idx == nil || len(areas) == 0 {
			continue
		}
		if _, in := idx.Locate(bl.Loc[0], bl.Loc[1]); !in {
			c.add(w, "id %s at (%.7f, %.7f) is outside every community", bl.ID, bl.Loc[0], bl.Loc[1])
		}
	}
}

func (c *checker) facilities() {
	seen := map[string]int{}
	centres := 0
	sub := map[StreetCode]int{}
	ws := map[CommunityCode]int{}
	for i, f := range c.b.Facilities {
		w := feat(FacilitiesFile, i)
		if j, dup := seen[f.Code]; dup {
			c.add(w, "duplicate code %q (also feature %d)", f.Code, j)
		} else {
			seen[f.Code] = i
		}
		if err := finite(f.Loc); err != "" {
			c.add(w, "%s", err)
		}
		if !f.Kind.Valid() {
			c.add(w, "kind %q is not centre, subcentre or workstation", f.Kind)
		}
		if f.Street != "" {
			if _, ok := c.streetIdx[f.Street]; !ok {
				c.add(w, "street_code %s is not in %s", f.Street, StreetsFile)
			}
		}
		if f.Community != "" {
			j, ok := c.commIdx[f.Community]
			switch {
			case !ok:
				c.add(w, "community_code %s is not in %s", f.Community, CommunitiesFile)
			case f.Street != "" && c.b.Communities[j].Street != f.Street:
				c.add(w, "community %s is in street %s, not street_code %s", f.Community, c.b.Communities[j].Street, f.Street)
			}
		}
		switch f.Kind {
		case Centre:
			centres++
			if centres == 2 {
				c.add(w, "a second district centre")
			}
		case Subcentre:
			if f.Street == "" {
				c.add(w, "a subcentre needs street_code")
			} else if sub[f.Street]++; sub[f.Street] == 2 {
				c.add(w, "a second subcentre for street %s", f.Street)
			}
		case Workstation:
			if f.Community == "" {
				c.add(w, "a workstation needs community_code")
			} else if ws[f.Community]++; ws[f.Community] == 2 {
				c.add(w, "a second workstation for community %s", f.Community)
			}
		}
	}
	if centres == 0 {
		c.add(FacilitiesFile, "no district centre (kind centre)")
	}
	for i, s := range c.b.Streets {
		if sub[s.Code] == 0 {
			c.add(feat(StreetsFile, i), "street %s has no subcentre in %s", s.Code, FacilitiesFile)
		}
	}
	for i, cm := range c.b.Communities {
		if ws[cm.Code] == 0 {
			c.add(feat(CommunitiesFile, i), "community %s has no workstation in %s", cm.Code, FacilitiesFile)
		}
	}
}

func (c *checker) patrols() {
	seen := map[string]int{}
	for i, p := range c.b.Patrols {
		w := line(PatrolsFile, i)
		if j, dup := seen[p.ID]; dup {
			c.add(w, "duplicate id %q (also line %d)", p.ID, j+2)
		} else {
			seen[p.ID] = i
		}
		if err := finite(p.Loc); err != "" {
			c.add(w, "id %s: %s", p.ID, err)
		}
		if _, ok := c.streetIdx[p.Street]; !ok {
			c.add(w, "id %s: street_code %s is not in %s", p.ID, p.Street, StreetsFile)
		}
	}
}

func (c *checker) workers() {
	seen := map[string]int{}
	patrols := make(map[string]bool, len(c.b.Patrols))
	for _, p := range c.b.Patrols {
		patrols[p.ID] = true
	}
	for i, wk := range c.b.Workers {
		w := line(WorkersFile, i)
		if j, dup := seen[wk.ID]; dup {
			c.add(w, "duplicate id %q (also line %d)", wk.ID, j+2)
		} else {
			seen[wk.ID] = i
		}
		if patrols[wk.ID] {
			// patrols and workers are both field units, under one id
			c.add(w, "id %q is also a patrol's in %s; units share one id space", wk.ID, PatrolsFile)
		}
		if _, ok := c.commIdx[wk.Community]; !ok {
			c.add(w, "id %s: community_code %s is not in %s", wk.ID, wk.Community, CommunitiesFile)
		}
	}
}

func (c *checker) departments() {
	seen := map[string]int{}
	for i, d := range c.b.Departments {
		w := line(DepartmentsFile, i)
		if j, dup := seen[d.Code]; dup {
			c.add(w, "duplicate code %q (also line %d)", d.Code, j+2)
		} else {
			seen[d.Code] = i
		}
		if d.Name == "" {
			c.add(w, "code %s: name is empty", d.Code)
		}
	}
}

// finite describes what is wrong with a point's coordinates, "" if nothing.
func finite(p orb.Point) string {
	if err := finitePoint(p); err != nil {
		return err.Error()
	}
	return ""
}
