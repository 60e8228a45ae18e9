// Package store defines the contract that gridd's storage backends
// implement: the PostGIS system of record (store/postgis) and the embedded
// GeoPackage file (store/gpkg). The contract suite in store/storetest runs
// against every implementation.
package store

import (
	"context"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/gridplan"
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
	Limit   int // 0 means no limit
	Offset  int
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

// PatrolStatus is a patrol unit's availability.
type PatrolStatus string

const (
	Available PatrolStatus = "available"
	Busy      PatrolStatus = "busy"
	Offline   PatrolStatus = "offline"
)

// PatrolPosition is a patrol unit's reported position.
type PatrolPosition struct {
	ID     string
	Loc    orb.Point
	Status PatrolStatus
	At     time.Time
}

// Store is the whole storage contract.
type Store interface {
	gridplan.Store

	// ImportBundle replaces the district's reference data with b in one
	// transaction. A bundle that fails bundle.Check is rejected with an
	// Invalid error and leaves nothing behind.
	ImportBundle(ctx context.Context, b *bundle.Bundle) error
	// Bundle reads the district's reference data back (NotFound when none
	// was imported).
	Bundle(ctx context.Context) (*bundle.Bundle, error)
	// Features returns a page of one layer's features.
	Features(ctx context.Context, q Query) (Page, error)
	// Feature returns one feature by id (NotFound when absent).
	Feature(ctx context.Context, layer Layer, plan gridplan.PlanID, id string) (Feature, error)
	// UpsertPatrolPosition records a position report; reports older than
	// the stored one are kept in the history but do not move the unit,
	// so replays are idempotent.
	UpsertPatrolPosition(ctx context.Context, p PatrolPosition) error
	// Ping checks the store is reachable.
	Ping(ctx context.Context) error
	// Close releases the store's resources.
	Close() error
}
