// Package gridplan holds the grid plan domain: plans of grids that tile a
// district's communities, their lifecycle (draft, published, archived), the
// plan file format and the storage interface plans need. The partitioner
// that makes plans is the sub-package gridplan/partition.
// It imports no HTTP and no SQL.
package gridplan

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/errs"
)

// PlanID identifies a plan; stores assign them, starting at 1.
type PlanID int64

// ParsePlanID parses a positive decimal plan id.
func ParsePlanID(s string) (PlanID, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, errs.E(errs.Invalid, "plan", "%q is not a plan id (a positive integer)", s)
	}
	return PlanID(n), nil
}

func (id PlanID) String() string { return strconv.FormatInt(int64(id), 10) }

func (id PlanID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

func (id *PlanID) UnmarshalText(b []byte) (err error) {
	*id, err = ParsePlanID(string(b))
	return err
}

// Status is a plan's lifecycle state. Exactly one plan is published at a time.
type Status string

const (
	Draft     Status = "draft"
	Published Status = "published"
	Archived  Status = "archived"
)

// Valid reports whether s is a known status.
func (s Status) Valid() bool { return s == Draft || s == Published || s == Archived }

// Grid is one grid of a plan: a polygon inside one community.
type Grid struct {
	Code       bundle.GridCode
	Community  bundle.CommunityCode
	Street     bundle.StreetCode
	Kind       bundle.Kind
	Households int
	Target     int // the nominal households a grid for this kind
	Geom       orb.MultiPolygon
	// Locked grids are kept by rebalance and a warm re-plan, and refused
	// by the edits that would change them (stored with the plan).
	Locked bool
}

// Plan is a versioned set of grids covering the district.
type Plan struct {
	ID          PlanID
	Name        string
	Status      Status
	Parent      PlanID // 0 when the plan was not derived from another
	Params      Params
	Report      json.RawMessage // the partition Report as JSON; opaque to stores
	CreatedAt   time.Time
	PublishedAt time.Time // zero unless published (or published once, then archived)
	Grids       []Grid
	// Units are the plan's planning units (cells) with their grid. The
	// partitioner sets them and CreatePlan stores them with the grids;
	// Store.Plan does not read them (UnitStore.PlanUnits does). An edit is
	// given the units of the communities it touches (store.EditPlan);
	// nil for a plan without stored units.
	Units []Unit
}

// Summary is a plan without its grids, for listings.
type Summary struct {
	ID          PlanID
	Name        string
	Status      Status
	Parent      PlanID
	Grids       int
	Households  int
	Report      json.RawMessage
	CreatedAt   time.Time
	PublishedAt time.Time
}

// Store is what plans need from storage. Implementations return errs
// NotFound for a missing plan (never a nil plan and nil error) and Conflict
// for a state change the lifecycle forbids.
type Store interface {
	// CreatePlan stores p as a new draft and returns its id; p.ID and
	// p.Status are ignored.
	CreatePlan(ctx context.Context, p *Plan) (PlanID, error)
	// Plan returns a plan with its grids.
	Plan(ctx context.Context, id PlanID) (*Plan, error)
	// PublishedPlan returns the one published plan with its grids.
	PublishedPlan(ctx context.Context) (*Plan, error)
	// Plans lists all plans, newest first.
	Plans(ctx context.Context) ([]Summary, error)
	// PublishPlan makes a draft the published plan, archiving the one
	// published before, atomically.
	PublishPlan(ctx context.Context, id PlanID) error
	// ArchivePlan archives a draft or published plan.
	ArchivePlan(ctx context.Context, id PlanID) error
	// ReplaceGrids replaces a draft's grids with grids in one transaction
	// (the caller validates them against the bundle first). NotFound for
	// a missing plan, Conflict unless the plan is a draft, Invalid for
	// grids that fail the plan's own checks (Plan.Check).
	ReplaceGrids(ctx context.Context, id PlanID, grids []Grid) error
	// EditGrids writes an edit (ApplyEdit's result) to a draft in one
	// transaction: each grid of put replaces the grid of its code or is
	// added, the grids of removed are deleted, the others are not
	// touched. base are the grids the edit was made from (EditResult.Base):
	// Conflict, and nothing written, when one of them is gone or its
	// households differ, or a new code of put exists already (another
	// edit came first). Other errors as ReplaceGrids.
	EditGrids(ctx context.Context, id PlanID, put []Grid, removed []bundle.GridCode, base []Grid) error
}
