package postgis

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/ewkb"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/store"
)

// geomBytes encodes g as EWKB with SRID 4326, the form COPY hands to
// PostGIS's binary input.
func geomBytes(g orb.Geometry) ([]byte, error) { return ewkb.Marshal(g, 4326) }

// ImportBundle replaces the district's reference data with b: Import with
// only a bundle.
func (db *DB) ImportBundle(ctx context.Context, b *bundle.Bundle) error {
	_, err := db.Import(ctx, store.ImportRequest{Bundle: b})
	return err
}

// bundleCopy is a checked bundle ready to be copied into its tables.
type bundleCopy struct {
	ge     *store.GeomEncoder
	copies []tableCopy
}

type tableCopy struct {
	table string
	cols  []string
	src   pgx.CopyFromSource
}

// newBundleCopy prepares b's rows; geometries are encoded as the rows
// are read, their first error kept in ge.
func newBundleCopy(b *bundle.Bundle) *bundleCopy {
	ge := store.NewGeomEncoder(geomBytes)
	enc := ge.Encode
	units := store.UnitRows(b)
	rows := func(n int, row func(i int) []any) pgx.CopyFromSource {
		return pgx.CopyFromSlice(n, func(i int) ([]any, error) {
			r := row(i) // encodes, possibly failing
			return r, ge.Err()
		})
	}
	return &bundleCopy{ge: ge, copies: []tableCopy{
		{"district", []string{"code", "name", "geom"}, rows(1, func(int) []any {
			return []any{string(b.District.Code), b.District.Name, enc(b.District.Geom)}
		})},
		{"streets", []string{"code", "name", "geom"}, rows(len(b.Streets), func(i int) []any {
			s := b.Streets[i]
			return []any{string(s.Code), s.Name, enc(s.Geom)}
		})},
		{"communities", []string{"code", "name", "street_code", "kind", "geom"}, rows(len(b.Communities), func(i int) []any {
			c := b.Communities[i]
			return []any{string(c.Code), c.Name, string(c.Street), string(c.Kind), enc(c.Geom)}
		})},
		{"buildings", []string{"id", "households", "address", "geom"}, rows(len(b.Buildings), func(i int) []any {
			x := b.Buildings[i]
			return []any{string(x.ID), int32(x.Households), x.Address, enc(x.Loc)}
		})},
		{"facilities", []string{"code", "kind", "name", "street_code", "community_code", "geom"}, rows(len(b.Facilities), func(i int) []any {
			x := b.Facilities[i]
			return []any{x.Code, string(x.Kind), x.Name, string(x.Street), string(x.Community), enc(x.Loc)}
		})},
		{"units", []string{"id", "kind", "name", "street_code", "community_code", "home", "position"}, rows(len(units), func(i int) []any {
			x := units[i]
			var loc any
			if x.Home != nil {
				loc = enc(*x.Home)
			}
			return []any{x.ID, string(x.Kind), x.Name, x.Street, x.Community, loc, loc}
		})},
		{"departments", []string{"code", "name"}, rows(len(b.Departments), func(i int) []any {
			x := b.Departments[i]
			return []any{x.Code, x.Name}
		})},
		{"workers", []string{"id", "name", "community_code"}, rows(len(b.Workers), func(i int) []any {
			x := b.Workers[i]
			return []any{x.ID, x.Name, string(x.Community)}
		})},
	}}
}

// replace swaps the stored reference data for the bundle's inside tx.
// Plans are kept; the units' position history goes with the units.
func (bc *bundleCopy) replace(ctx context.Context, tx pgx.Tx) error {
	// DELETE, not TRUNCATE: readers keep seeing the old data until commit.
	for _, t := range []string{"unit_positions", "units", "facilities", "buildings", "workers", "departments", "communities", "streets", "district"} {
		if _, err := tx.Exec(ctx, "DELETE FROM "+t); err != nil {
			return err
		}
	}
	for _, c := range bc.copies {
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{c.table}, c.cols, c.src); err != nil {
			return err
		}
	}
	return bc.ge.Err()
}

// Bundle reads the district's reference data back, each list in id order.
func (db *DB) Bundle(ctx context.Context) (*bundle.Bundle, error) {
	var b *bundle.Bundle
	err := db.read(ctx, func(tx pgx.Tx) (err error) {
		b, err = readBundle(ctx, tx)
		return err
	})
	if err != nil {
		return nil, err
	}
	return b, nil
}

// readBundle reads the reference data in tx (NotFound when none).
func readBundle(ctx context.Context, tx pgx.Tx) (*bundle.Bundle, error) {
	var b bundle.Bundle
	err := func() error {
		var blob []byte
		err := tx.QueryRow(ctx, `SELECT code, name, ST_AsBinary(geom) FROM district LIMIT 1`).Scan(&b.District.Code, &b.District.Name, &blob)
		if errors.Is(err, pgx.ErrNoRows) {
			return errs.E(errs.NotFound, "district", "no district data has been imported")
		}
		if err != nil {
			return err
		}
		if b.District.Geom, err = decodeMulti(blob); err != nil {
			return err
		}
		each := func(query string, scan func(r store.Rows) error) error {
			rows, err := tx.Query(ctx, query)
			if err != nil {
				return err
			}
			defer rows.Close()
			return store.EachRow(rows, scan)
		}
		steps := []struct {
			query string
			scan  func(r store.Rows) error
		}{
			{`SELECT code, name, ST_AsBinary(geom) FROM streets ORDER BY code`, func(r store.Rows) error {
				s, err := store.ScanStreet(r, decodeMulti)
				b.Streets = append(b.Streets, s)
				return err
			}},
			{`SELECT code, name, street_code, kind, ST_AsBinary(geom) FROM communities ORDER BY code`, func(r store.Rows) error {
				c, err := store.ScanCommunity(r, decodeMulti)
				b.Communities = append(b.Communities, c)
				return err
			}},
			{`SELECT id, households, address, ST_X(geom), ST_Y(geom) FROM buildings ORDER BY id`, func(r store.Rows) error {
				var x bundle.Building
				err := r.Scan(&x.ID, &x.Households, &x.Address, &x.Loc[0], &x.Loc[1])
				b.Buildings = append(b.Buildings, x)
				return err
			}},
			{`SELECT code, kind, name, street_code, community_code, ST_X(geom), ST_Y(geom) FROM facilities ORDER BY code`, func(r store.Rows) error {
				var x bundle.Facility
				err := r.Scan(&x.Code, &x.Kind, &x.Name, &x.Street, &x.Community, &x.Loc[0], &x.Loc[1])
				b.Facilities = append(b.Facilities, x)
				return err
			}},
			{`SELECT id, callsign, street_code, ST_X(home), ST_Y(home) FROM patrols ORDER BY id`, func(r store.Rows) error {
				var x bundle.Patrol
				err := r.Scan(&x.ID, &x.Callsign, &x.Street, &x.Loc[0], &x.Loc[1])
				b.Patrols = append(b.Patrols, x)
				return err
			}},
			{`SELECT id, name, community_code FROM workers ORDER BY id`, func(r store.Rows) error {
				var x bundle.Worker
				err := r.Scan(&x.ID, &x.Name, &x.Community)
				b.Workers = append(b.Workers, x)
				return err
			}},
			{`SELECT code, name FROM departments ORDER BY code`, func(r store.Rows) error {
				var x bundle.Department
				err := r.Scan(&x.Code, &x.Name)
				b.Departments = append(b.Departments, x)
				return err
			}},
		}
		for _, s := range steps {
			if err := each(s.query, s.scan); err != nil {
				return err
			}
		}
		return nil
	}()
	if err != nil {
		return nil, err
	}
	return &b, nil
}

func decodeMulti(blob []byte) (orb.MultiPolygon, error) {
	g, err := wkb.Unmarshal(blob)
	if err != nil {
		return nil, err
	}
	switch g := g.(type) {
	case orb.MultiPolygon:
		return g, nil
	case orb.Polygon:
		return orb.MultiPolygon{g}, nil
	}
	return nil, errs.E(errs.Internal, "geom", "stored %s where a multipolygon belongs", g.GeoJSONType())
}
