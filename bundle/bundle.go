// Package bundle is the district data model and its on-disk exchange format:
// a folder of GeoJSON and CSV files (district, streets, communities,
// buildings, facilities, patrols, workers, departments), all WGS84 lon/lat.
// Every later stage (planning, storage, the service) starts from a Bundle.
package bundle

import (
	"math"
	"unicode"
	"unicode/utf8"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/errs"
)

// Kind is a community's kind: urban communities (社区) are gridded at about
// 500 households a grid, rural villages (村) at about 300; virtual communities
// are development-zone placeholders with no households of their own.
type Kind string

const (
	Urban   Kind = "urban"
	Rural   Kind = "rural"
	Virtual Kind = "virtual"
)

// Valid reports whether k is one of the known kinds.
func (k Kind) Valid() bool { return k == Urban || k == Rural || k == Virtual }

// GridCount is the number of grids for h households at target households a
// grid: floor or ceiling of h/target, whichever brings the mean grid size
// closer to target, and at least 1 (a community without households is still
// one grid). The switch from k to k+1 grids is at h = 2·target·k(k+1)/(2k+1),
// a little below (k+½)·target. It lives here, beside Kind, so that the
// planner (gridplan) and the generator (fixtures) share one rule without
// importing each other.
func GridCount(h, target int) int {
	if h <= 0 || target <= 0 {
		return 1
	}
	f := h / target
	if f < 1 {
		return 1
	}
	lo := math.Abs(float64(h)/float64(f) - float64(target))
	hi := math.Abs(float64(h)/float64(f+1) - float64(target))
	if hi < lo {
		return f + 1
	}
	return f
}

// FacilityKind is the kind of a fixed facility of the joint-duty model.
type FacilityKind string

const (
	Centre      FacilityKind = "centre"      // the district command centre
	Subcentre   FacilityKind = "subcentre"   // a street's command sub-centre (联勤指挥分中心)
	Workstation FacilityKind = "workstation" // a community's work station
)

// Valid reports whether k is one of the known kinds.
func (k FacilityKind) Valid() bool { return k == Centre || k == Subcentre || k == Workstation }

// District is the whole area under one command centre.
type District struct {
	Code DistrictCode
	Name string
	Geom orb.MultiPolygon
}

// Street is a street (街道) or special zone with its command sub-centre.
type Street struct {
	Code StreetCode
	Name string
	Geom orb.MultiPolygon
}

// Community is a community (社区居委会) or village (村委会).
type Community struct {
	Code   CommunityCode
	Name   string
	Street StreetCode
	Kind   Kind
	Geom   orb.MultiPolygon
}

// Building is one building with its households and standard address
// (road + number); buildings are never split between grids.
type Building struct {
	ID         BuildingID
	Loc        orb.Point
	Households int
	Address    string
}

// BuildingID is a building's id as its source gives it: an opaque string
// (standard address codes of 19 or more digits, or alphanumeric codes such
// as B0000001), kept byte for byte; leading zeros are significant.
type BuildingID string

// MaxIDLen is the longest building id accepted, in bytes.
const MaxIDLen = 64

// ParseBuildingID accepts s as a building id: not empty, at most MaxIDLen
// bytes, valid UTF-8 without spaces or control characters. It does not
// trim: an id with surrounding spaces is refused rather than changed.
func ParseBuildingID(s string) (BuildingID, error) {
	id := BuildingID(s)
	return id, id.Validate()
}

// Validate reports an id ParseBuildingID would refuse, as errs.Invalid
// naming "id".
func (id BuildingID) Validate() error {
	s := string(id)
	switch {
	case s == "":
		return errs.E(errs.Invalid, "id", "is empty")
	case len(s) > MaxIDLen:
		return errs.E(errs.Invalid, "id", "%q is longer than %d bytes", s[:16]+"…", MaxIDLen)
	case !utf8.ValidString(s):
		return errs.E(errs.Invalid, "id", "is not valid UTF-8")
	}
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return errs.E(errs.Invalid, "id", "%q contains a space or control character %U", s, r)
		}
	}
	return nil
}

// Facility is a command centre, sub-centre or work station.
type Facility struct {
	Kind      FacilityKind
	Code      string
	Name      string
	Street    StreetCode    // empty for the district centre
	Community CommunityCode // set for work stations only
	Loc       orb.Point
}

// Patrol is a joint patrol unit at its home position.
type Patrol struct {
	ID       string
	Callsign string
	Loc      orb.Point
	Street   StreetCode
}

// Worker is a grid worker attached to a community.
type Worker struct {
	ID        string
	Name      string
	Community CommunityCode
}

// Department is a participating department that cases can be sent to.
type Department struct {
	Code string
	Name string
}

// Bundle is a whole district's reference data.
type Bundle struct {
	District    District
	Streets     []Street
	Communities []Community
	Buildings   []Building
	Facilities  []Facility
	Patrols     []Patrol
	Workers     []Worker
	Departments []Department
}

// Households returns the total households of all buildings.
func (b *Bundle) Households() int {
	n := 0
	for _, bl := range b.Buildings {
		n += bl.Households
	}
	return n
}

// Street returns the street with code c.
func (b *Bundle) Street(c StreetCode) (*Street, bool) {
	for i := range b.Streets {
		if b.Streets[i].Code == c {
			return &b.Streets[i], true
		}
	}
	return nil, false
}

// Community returns the community with code c.
func (b *Bundle) Community(c CommunityCode) (*Community, bool) {
	for i := range b.Communities {
		if b.Communities[i].Code == c {
			return &b.Communities[i], true
		}
	}
	return nil, false
}
