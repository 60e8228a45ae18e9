// Package backend opens the store gridd and gridctl use, by one rule:
// PostGIS when a database URL is given, else the embedded GeoPackage file
// gridd.gpkg in the data folder (created if missing). It is the one place
// that knows both backends, so that package store stays free of them.
package backend

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/store"
	"github.com/gridd/gridd/store/gpkg"
	"github.com/gridd/gridd/store/postgis"
)

// GPKGFile is the embedded store's file name inside the data folder.
const GPKGFile = "gridd.gpkg"

// Opened is an open store and a description of it for logs and output
// ("PostGIS (DATABASE_URL)" or "GeoPackage data/gridd.gpkg").
type Opened struct {
	store.Store
	Kind string // "postgis" or "gpkg"
	What string
}

// Open opens PostGIS at databaseURL when it is set, else the GeoPackage
// file in dataDir. An unreachable PostgreSQL is an Unavailable error (see
// OpenRetrying for waiting).
func Open(ctx context.Context, databaseURL, dataDir string) (*Opened, error) {
	if databaseURL != "" {
		db, err := postgis.Open(ctx, databaseURL)
		if err != nil {
			return nil, fmt.Errorf("open PostGIS (DATABASE_URL): %w", err)
		}
		return &Opened{Store: db, Kind: "postgis", What: "PostGIS (DATABASE_URL)"}, nil
	}
	if dataDir == "" {
		return nil, errs.E(errs.Invalid, "data", "no data folder and no DATABASE_URL")
	}
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return nil, errs.Wrap(errs.Invalid, err, "--data: cannot create the data folder")
	}
	path := filepath.Join(dataDir, GPKGFile)
	db, err := gpkg.Open(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return &Opened{Store: db, Kind: "gpkg", What: "GeoPackage " + path}, nil
}

// Retry says how OpenRetrying waits for a store that is down.
type Retry struct {
	// For is how long to keep trying (0: try once).
	For time.Duration
	// First is the first wait; each next one doubles, up to Max.
	First, Max time.Duration
	// OnFail, when set, is told of each failed try and the wait before
	// the next.
	OnFail func(try int, err error, wait time.Duration)
}

// OpenRetrying is Open that, while the store is Unavailable (PostgreSQL
// down or starting), tries again with exponential backoff until r.For has
// passed or ctx ends; any other error is returned at once.
func OpenRetrying(ctx context.Context, databaseURL, dataDir string, r Retry) (*Opened, error) {
	deadline := time.Now().Add(r.For)
	wait := r.First
	if wait <= 0 {
		wait = 250 * time.Millisecond
	}
	if r.Max < wait {
		r.Max = max(wait, 5*time.Second)
	}
	for try := 1; ; try++ {
		o, err := Open(ctx, databaseURL, dataDir)
		if err == nil || !errs.Is(err, errs.Unavailable) || ctx.Err() != nil || time.Now().Add(wait).After(deadline) {
			return o, err
		}
		if r.OnFail != nil {
			r.OnFail(try, err, wait)
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(wait):
		}
		wait = min(2*wait, r.Max)
	}
}
