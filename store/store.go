// Package store defines the contract that gridd's storage backends
// implement: the PostGIS system of record (store/postgis) and the embedded
// GeoPackage file (store/gpkg). The contract suite in store/storetest runs
// against every implementation.
package store

import (
	"context"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/cql2"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/jobs"
)

// Layer names a feature table.
type Layer string

const (
	Streets     Layer = "streets"
	Communities Layer = "communities"
	Grids       Layer = "grids"
	Buildings   Layer = "buildings"
	Facilities  Layer = "facilities"
	Patrols     Layer = "patrols"
	Cases       Layer = "cases"
	Incidents   Layer = "incidents"
)

// Layers lists the feature layers in a stable order: Descriptions' order.
var Layers = func() []Layer {
	out := make([]Layer, len(Descriptions))
	for i, d := range Descriptions {
		out[i] = d.Layer
	}
	return out
}()

// Query selects features of one layer.
type Query struct {
	Layer Layer
	Plan  gridplan.PlanID // grids only: 0 means the published plan
	BBox  *orb.Bound      // features whose geometry intersects it (WGS84)
	// Filters are property equality filters, e.g. {"community_code": "320111001005"}.
	Filters map[string]string
	// Filter is a CQL2 filter parsed against the layer's Queryables; nil
	// selects every feature.
	Filter cql2.Expr
	// SortBy orders the features before paging (after it, the id).
	SortBy []SortKey
	// Properties, when not nil, are the only properties returned
	// (Feature.ID is always set).
	Properties []string
	Limit      int // 0 means no limit
	Offset     int
}

// SortKey orders by one property, ascending unless Desc. NULLs sort
// after every value ascending and before them descending, as PostgreSQL
// orders by default; strings order bytewise.
type SortKey struct {
	Prop string
	Desc bool
}

// Feature is one feature of a layer; ID is its stable id within the layer
// (a code for areas, the building id, the facility code, the patrol id).
type Feature struct {
	ID    string
	Geom  orb.Geometry
	Props map[string]any
}

// Page is a page of features and the number matching the query in all.
type Page struct {
	Features      []Feature
	NumberMatched int
}

// Bundles is the district's reference data. ImportBundle is Import with
// only a bundle.
type Bundles interface {
	// ImportBundle replaces the district's reference data with b in one
	// transaction. A bundle that fails bundle.Check is rejected with an
	// Invalid error and leaves nothing behind; so is a bundle that the
	// published plan no longer fits (see Import).
	ImportBundle(ctx context.Context, b *bundle.Bundle) error
	// Bundle reads the district's reference data back (NotFound when none
	// was imported).
	Bundle(ctx context.Context) (*bundle.Bundle, error)
}

// Features serves layers as features.
type Features interface {
	// Features returns a page of one layer's features.
	Features(ctx context.Context, q Query) (Page, error)
	// Feature returns one feature by id (NotFound when absent).
	Feature(ctx context.Context, layer Layer, plan gridplan.PlanID, id string) (Feature, error)
}

// Pinger checks a store is reachable.
type Pinger interface {
	// Ping checks the store answers (Unavailable when it does not).
	Ping(ctx context.Context) error
}

// Warmer is a store that can ready its connections for serving (open them
// and start what each needs on first use) so that the first requests do
// not pay for it. Call Warm once, before the store is used concurrently.
type Warmer interface {
	Warm(ctx context.Context) error
}

// Store is the whole storage contract: one small interface per entity.
// A new entity adds its interface here (in its own file where it is
// defined) and its cases to store/storetest.
type Store interface {
	gridplan.Store
	gridplan.UnitStore
	Bundles
	Importer
	Features
	Units
	Shifts
	jobs.Store
	Idempotency
	Pinger
	// Close releases the store's resources.
	Close() error
}
