package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"

	"github.com/gridd/gridd/api"
	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/cases"
	"github.com/gridd/gridd/dispatch"
	"github.com/gridd/gridd/geo"
	"github.com/gridd/gridd/geocode"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/store"
	"github.com/gridd/gridd/store/postgis"
)

// district holds the directory and address index of the catalogue's
// current snapshot, for the case service (which routes and geocodes with
// the same data /locate answers from).
type district struct {
	dir   atomic.Pointer[dispatch.Directory]
	addrs atomic.Pointer[geocode.Index]
}

// Directory is the current directory, nil before the first build.
func (d *district) Directory() cases.Locator {
	if x := d.dir.Load(); x != nil {
		return x
	}
	return nil
}

// Addresses is the current address index, nil before the first build.
func (d *district) Addresses() cases.Geocoder {
	if x := d.addrs.Load(); x != nil {
		return x
	}
	return nil
}

// newLocator builds /locate's directory for a catalogue snapshot: the
// district, the published plan's grids and the patrols at their last
// reported positions (home positions when the store has none). The case
// service gets the same directory and an address index of the buildings.
func (dd *district) newLocator(b *bundle.Bundle, grids []gridplan.Grid, patrols []store.PatrolPosition) (api.Locator, error) {
	var units *geo.UnitIndex
	if len(patrols) > 0 {
		units = geo.NewUnitIndex()
		for _, p := range patrols {
			if err := units.Upsert(p.ID, p.Loc[0], p.Loc[1], unitStatus(p.Status)); err != nil {
				return nil, fmt.Errorf("patrol %s: %w", p.ID, err)
			}
		}
	}
	d, err := dispatch.NewDirectory(b, grids, units)
	if err != nil {
		return nil, err
	}
	dd.dir.Store(d)
	dd.addrs.Store(geocode.New(b.Buildings))
	return d, nil
}

func openPostGIS(ctx context.Context, dsn string, log *slog.Logger) (store.Store, error) {
	db, err := postgis.Open(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("open PostGIS (DATABASE_URL): %w", err)
	}
	log.Info("store", "kind", "postgis")
	return db, nil
}

func unitStatus(s store.PatrolStatus) geo.UnitStatus {
	switch s {
	case store.Busy:
		return geo.UnitBusy
	case store.Offline:
		return geo.UnitOffline
	}
	return geo.UnitAvailable
}
