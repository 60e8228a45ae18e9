package sqlstore

import (
	"context"
	"errors"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/store"
	"github.com/gridd/gridd/store/sqlq"
)

// BundleDialect is where the backends' reference tables differ.
type BundleDialect interface {
	// InsertRows writes n rows of cols into table; row gives row i's
	// values or the error that stops the write.
	InsertRows(ctx context.Context, table string, cols []string, n int, row func(i int) ([]any, error)) error
	// UnitHomeCols are the units table's columns of a unit's home
	// (after id, kind, name, street_code, community_code); UnitHome
	// appends their values to row (home nil: none), geometries encoded
	// with enc.
	UnitHomeCols() []string
	UnitHome(row []any, home *orb.Point, enc func(orb.Geometry) []byte) []any
	// PatrolHome is the SQL of a patrol's home as two columns, lon and lat.
	PatrolHome() string
}

// ImportBundle replaces the district's reference data with b: Import with
// only a bundle.
func (s *PlanStore) ImportBundle(ctx context.Context, b *bundle.Bundle) error {
	_, err := s.Import(ctx, store.ImportRequest{Bundle: b})
	return err
}

// bundleTables are the reference tables an import replaces, in the order
// their rows are deleted (referring rows first); the patrol position
// history goes with the units it belongs to.
var bundleTables = []string{"unit_positions", "units", "facilities", "buildings", "workers", "departments", "communities", "streets", "district"}

// bundleExtents are the feature tables whose rows an import changes.
var bundleExtents = []string{"district", "streets", "communities", "buildings", "facilities", "units", "patrols"}

// tableRows is what an import writes into one table.
type tableRows struct {
	table string
	cols  []string
	n     int
	row   func(i int) []any
}

// replaceBundle swaps the stored reference data for b's inside tx. Plans
// are kept.
func replaceBundle(ctx context.Context, tx PlansTx, b *bundle.Bundle, encode func(orb.Geometry) ([]byte, error)) error {
	ge := store.NewGeomEncoder(encode)
	enc := ge.Encode
	units := store.UnitRows(b)
	d := b.District
	tables := []tableRows{
		{"district", []string{"code", "name", "geom"}, 1, func(int) []any {
			return []any{string(d.Code), d.Name, enc(d.Geom)}
		}},
		{"streets", []string{"code", "name", "geom"}, len(b.Streets), func(i int) []any {
			s := b.Streets[i]
			return []any{string(s.Code), s.Name, enc(s.Geom)}
		}},
		{"communities", []string{"code", "name", "street_code", "kind", "geom"}, len(b.Communities), func(i int) []any {
			c := b.Communities[i]
			return []any{string(c.Code), c.Name, string(c.Street), string(c.Kind), enc(c.Geom)}
		}},
		{"buildings", []string{"id", "households", "address", "geom"}, len(b.Buildings), func(i int) []any {
			x := b.Buildings[i]
			return []any{string(x.ID), x.Households, x.Address, enc(x.Loc)}
		}},
		{"facilities", []string{"code", "kind", "name", "street_code", "community_code", "geom"}, len(b.Facilities), func(i int) []any {
			x := b.Facilities[i]
			return []any{x.Code, string(x.Kind), x.Name, string(x.Street), string(x.Community), enc(x.Loc)}
		}},
		{"units", append([]string{"id", "kind", "name", "street_code", "community_code"}, tx.UnitHomeCols()...), len(units), func(i int) []any {
			x := units[i]
			return tx.UnitHome(append(make([]any, 0, 8), x.ID, string(x.Kind), x.Name, x.Street, x.Community), x.Home, enc)
		}},
		{"departments", []string{"code", "name"}, len(b.Departments), func(i int) []any {
			x := b.Departments[i]
			return []any{x.Code, x.Name}
		}},
		{"workers", []string{"id", "name", "community_code"}, len(b.Workers), func(i int) []any {
			x := b.Workers[i]
			return []any{x.ID, x.Name, string(x.Community)}
		}},
	}
	// DELETE, not TRUNCATE: readers keep seeing the old data until commit.
	for _, t := range bundleTables {
		if _, err := tx.Exec(ctx, "DELETE FROM "+t); err != nil {
			return err
		}
	}
	for _, t := range tables {
		err := tx.InsertRows(ctx, t.table, t.cols, t.n, func(i int) ([]any, error) {
			r := t.row(i) // encodes, possibly failing
			return r, ge.Err()
		})
		if err != nil {
			return err
		}
	}
	if err := ge.Err(); err != nil {
		return err
	}
	return tx.TablesChanged(ctx, bundleExtents...)
}

// Bundle reads the district's reference data back, each list in id order.
func (s *PlanStore) Bundle(ctx context.Context) (*bundle.Bundle, error) {
	var b *bundle.Bundle
	err := s.b.ReadPlans(ctx, func(tx PlansTx) (err error) {
		b, err = readBundle(ctx, tx)
		return err
	})
	if err != nil {
		return nil, err
	}
	return b, nil
}

// readBundle reads the reference data in tx (NotFound when none).
func readBundle(ctx context.Context, tx PlansTx) (*bundle.Bundle, error) {
	var b bundle.Bundle
	decodeMulti, decodePoint := Multi(tx.Decode), Point(tx.Decode)
	var blob []byte
	err := tx.QueryRow(ctx, `SELECT code, name, `+tx.Geom("geom")+` FROM district LIMIT 1`).Scan(&b.District.Code, &b.District.Name, &blob)
	if errors.Is(err, sqlq.ErrNoRows) {
		return nil, errs.E(errs.NotFound, "district", "no district data has been imported")
	}
	if err != nil {
		return nil, err
	}
	if b.District.Geom, err = decodeMulti(blob); err != nil {
		return nil, err
	}
	steps := []struct {
		query string
		scan  func(r sqlq.Row) error
	}{
		{`SELECT code, name, ` + tx.Geom("geom") + ` FROM streets ORDER BY code`, func(r sqlq.Row) error {
			s, err := store.ScanStreet(r, decodeMulti)
			b.Streets = append(b.Streets, s)
			return err
		}},
		{`SELECT code, name, street_code, kind, ` + tx.Geom("geom") + ` FROM communities ORDER BY code`, func(r sqlq.Row) error {
			c, err := store.ScanCommunity(r, decodeMulti)
			b.Communities = append(b.Communities, c)
			return err
		}},
		{`SELECT id, households, address, ` + tx.Geom("geom") + ` FROM buildings ORDER BY id`, func(r sqlq.Row) error {
			var x bundle.Building
			if err := r.Scan(&x.ID, &x.Households, &x.Address, &blob); err != nil {
				return err
			}
			x.Loc, err = decodePoint(blob)
			b.Buildings = append(b.Buildings, x)
			return err
		}},
		{`SELECT code, kind, name, street_code, community_code, ` + tx.Geom("geom") + ` FROM facilities ORDER BY code`, func(r sqlq.Row) error {
			var x bundle.Facility
			if err := r.Scan(&x.Code, &x.Kind, &x.Name, &x.Street, &x.Community, &blob); err != nil {
				return err
			}
			x.Loc, err = decodePoint(blob)
			b.Facilities = append(b.Facilities, x)
			return err
		}},
		{`SELECT id, callsign, street_code, ` + tx.PatrolHome() + ` FROM patrols ORDER BY id`, func(r sqlq.Row) error {
			var x bundle.Patrol
			err := r.Scan(&x.ID, &x.Callsign, &x.Street, &x.Loc[0], &x.Loc[1])
			b.Patrols = append(b.Patrols, x)
			return err
		}},
		{`SELECT id, name, community_code FROM workers ORDER BY id`, func(r sqlq.Row) error {
			var x bundle.Worker
			err := r.Scan(&x.ID, &x.Name, &x.Community)
			b.Workers = append(b.Workers, x)
			return err
		}},
		{`SELECT code, name FROM departments ORDER BY code`, func(r sqlq.Row) error {
			var x bundle.Department
			err := r.Scan(&x.Code, &x.Name)
			b.Departments = append(b.Departments, x)
			return err
		}},
	}
	for _, s := range steps {
		if err := sqlq.Each(ctx, tx, s.scan, s.query); err != nil {
			return nil, err
		}
	}
	return &b, nil
}
