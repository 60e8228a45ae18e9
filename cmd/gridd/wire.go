package main

import (
	"sync/atomic"

	"github.com/gridd/gridd/api"
	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/cases"
	"github.com/gridd/gridd/dispatch"
	"github.com/gridd/gridd/geocode"
	"github.com/gridd/gridd/gridplan"
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
// district, the published plan's grids and the units at their last
// reported positions and statuses (home when they never reported). The
// case service gets the same directory and an address index of the
// buildings.
func (dd *district) newLocator(b *bundle.Bundle, grids []gridplan.Grid, units []dispatch.Unit) (api.Locator, error) {
	d, err := dispatch.NewDirectory(b, grids, nil)
	if err != nil {
		return nil, err
	}
	if err := d.LoadUnits(units); err != nil {
		return nil, err
	}
	dd.dir.Store(d)
	dd.addrs.Store(geocode.New(b.Buildings))
	return d, nil
}
