package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/gridd/gridd/api"
	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/dispatch"
	"github.com/gridd/gridd/geo"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/store"
	"github.com/gridd/gridd/store/postgis"
)

// newLocator builds /locate's directory for a catalogue snapshot: the
// district, the published plan's grids and the patrols at their last
// reported positions (home positions when the store has none).
func newLocator(b *bundle.Bundle, grids []gridplan.Grid, patrols []store.PatrolPosition) (api.Locator, error) {
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
