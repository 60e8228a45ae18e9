package dispatch

import (
	"fmt"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/errs"
)

// Answer is who is responsible at a point. Field order and JSON names are
// part of the API.
type Answer struct {
	Street    StreetRef    `json:"street"`
	Community CommunityRef `json:"community"`
	// Grid is nil (absent in JSON) when there is no published plan or the
	// plan leaves the point uncovered.
	Grid *GridRef `json:"grid,omitempty"`
	// Subcentre and Workstation are nil (null) when the bundle has none
	// for the street or community.
	Subcentre   *FacilityRef `json:"subcentre"`
	Workstation *FacilityRef `json:"workstation"`
	// Workers are the grid's workers; without a grid, all the community's
	// workers. Never nil; shared with the Directory, so read-only.
	Workers []WorkerRef `json:"workers"`
	// Patrols are the k nearest available patrols, nearest first. Never nil.
	Patrols []PatrolRef `json:"patrols"`
}

// StreetRef names a street.
type StreetRef struct {
	Code bundle.StreetCode `json:"code"`
	Name string            `json:"name"`
}

// CommunityRef names a community and its kind.
type CommunityRef struct {
	Code bundle.CommunityCode `json:"code"`
	Name string               `json:"name"`
	Kind bundle.Kind          `json:"kind"`
}

// GridRef names a grid of the plan.
type GridRef struct {
	Code       bundle.GridCode `json:"code"`
	Households int             `json:"households"`
}

// FacilityRef is a sub-centre or work station with its position and its
// great-circle distance from the located point.
type FacilityRef struct {
	Code      string  `json:"code"`
	Name      string  `json:"name"`
	Lon       float64 `json:"lon"`
	Lat       float64 `json:"lat"`
	DistanceM float64 `json:"distance_m"`
}

// WorkerRef names a grid worker.
type WorkerRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// PatrolRef is an available patrol and its distance from the point.
type PatrolRef struct {
	ID        string            `json:"id"`
	Callsign  string            `json:"callsign"`
	Street    bundle.StreetCode `json:"street"`
	DistanceM float64           `json:"distance_m"`
}

// OutsideError says a point lies outside the district and what is
// nearest: the nearest grid of the plan (and its community) or, with no
// plan, the nearest community. It wraps an errs.NotFound *errs.Error, so
// errs.CodeOf(err) is NotFound; use errors.As to read the details.
type OutsideError struct {
	NearestGrid      bundle.GridCode      `json:"nearest_grid,omitempty"`
	NearestCommunity bundle.CommunityCode `json:"nearest_community"`
	DistanceM        float64              `json:"distance_m"`
	err              *errs.Error
}

func newOutsideError(lon, lat float64, g bundle.GridCode, c bundle.CommunityCode, distM float64) *OutsideError {
	what := fmt.Sprintf("grid %s", g)
	if g == "" {
		what = fmt.Sprintf("community %s", c)
	}
	return &OutsideError{
		NearestGrid:      g,
		NearestCommunity: c,
		DistanceM:        distM,
		err: errs.E(errs.NotFound, "lon,lat", "point (%.6f, %.6f) is outside the district; the nearest %s is %.0f m away",
			lon, lat, what, distM),
	}
}

func (e *OutsideError) Error() string { return e.err.Error() }

// Unwrap returns the errs.NotFound *errs.Error.
func (e *OutsideError) Unwrap() error { return e.err }
