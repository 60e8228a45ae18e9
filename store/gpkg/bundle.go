package gpkg

import (
	"context"
	"database/sql"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/store"
)

// ImportBundle replaces the district's reference data with b: Import with
// only a bundle.
func (db *DB) ImportBundle(ctx context.Context, b *bundle.Bundle) error {
	_, err := db.Import(ctx, store.ImportRequest{Bundle: b})
	return err
}

// replaceBundle swaps the stored reference data for b's inside tx. Plans
// are kept; the patrol position history goes with the patrols it belongs
// to.
func replaceBundle(ctx context.Context, tx *sql.Tx, b *bundle.Bundle) error {
	ge := store.NewGeomEncoder(encodeGeom)
	enc := ge.Encode
	for _, t := range []string{"unit_positions", "units", "facilities", "buildings", "communities", "streets", "district", "workers", "departments"} {
		if _, err := tx.ExecContext(ctx, "DELETE FROM "+t); err != nil {
			return err
		}
	}
	ins := func(query string, n int, args func(i int) []any) error {
		st, err := tx.PrepareContext(ctx, query)
		if err != nil {
			return err
		}
		defer st.Close()
		for i := 0; i < n; i++ {
			if _, err := st.ExecContext(ctx, args(i)...); err != nil {
				return err
			}
		}
		return nil
	}
	d := b.District
	if err := ins(`INSERT INTO district (code, name, geom) VALUES (?, ?, ?)`, 1, func(int) []any {
		return []any{string(d.Code), d.Name, enc(d.Geom)}
	}); err != nil {
		return err
	}
	if err := ins(`INSERT INTO streets (code, name, geom) VALUES (?, ?, ?)`, len(b.Streets), func(i int) []any {
		s := b.Streets[i]
		return []any{string(s.Code), s.Name, enc(s.Geom)}
	}); err != nil {
		return err
	}
	if err := ins(`INSERT INTO communities (code, name, street_code, kind, geom) VALUES (?, ?, ?, ?, ?)`, len(b.Communities), func(i int) []any {
		c := b.Communities[i]
		return []any{string(c.Code), c.Name, string(c.Street), string(c.Kind), enc(c.Geom)}
	}); err != nil {
		return err
	}
	if err := ins(`INSERT INTO buildings (id, households, address, geom) VALUES (?, ?, ?, ?)`, len(b.Buildings), func(i int) []any {
		x := b.Buildings[i]
		return []any{string(x.ID), x.Households, x.Address, enc(x.Loc)}
	}); err != nil {
		return err
	}
	if err := ins(`INSERT INTO facilities (code, kind, name, street_code, community_code, geom) VALUES (?, ?, ?, ?, ?, ?)`, len(b.Facilities), func(i int) []any {
		x := b.Facilities[i]
		return []any{x.Code, string(x.Kind), x.Name, string(x.Street), string(x.Community), enc(x.Loc)}
	}); err != nil {
		return err
	}
	units := store.UnitRows(b)
	if err := ins(`INSERT INTO units (id, kind, name, street_code, community_code, home_lon, home_lat, geom) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, len(units), func(i int) []any {
		x := units[i]
		if x.Home == nil {
			return []any{x.ID, string(x.Kind), x.Name, x.Street, x.Community, nil, nil, nil}
		}
		return []any{x.ID, string(x.Kind), x.Name, x.Street, x.Community, x.Home[0], x.Home[1], enc(*x.Home)}
	}); err != nil {
		return err
	}
	if err := ins(`INSERT INTO workers (id, name, community_code) VALUES (?, ?, ?)`, len(b.Workers), func(i int) []any {
		x := b.Workers[i]
		return []any{x.ID, x.Name, string(x.Community)}
	}); err != nil {
		return err
	}
	if err := ins(`INSERT INTO departments (code, name) VALUES (?, ?)`, len(b.Departments), func(i int) []any {
		x := b.Departments[i]
		return []any{x.Code, x.Name}
	}); err != nil {
		return err
	}
	if err := ge.Err(); err != nil {
		return err
	}
	return updateExtents(ctx, tx, "district", "streets", "communities", "buildings", "facilities", "units", "patrols")
}

// updateExtents refreshes gpkg_contents' bounds and last_change for tables,
// which GIS tools use for the layer extent.
func updateExtents(ctx context.Context, tx *sql.Tx, tables ...string) error {
	for _, t := range tables {
		// From the geometry headers, not the R-tree, whose float32 bounds
		// are rounded outwards.
		_, err := tx.ExecContext(ctx, `UPDATE gpkg_contents SET
			(min_x, max_x, min_y, max_y) = (SELECT min(ST_MinX(geom)), max(ST_MaxX(geom)), min(ST_MinY(geom)), max(ST_MaxY(geom)) FROM `+t+`),
			last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now')
			WHERE table_name = ?`, t)
		if err != nil {
			return err
		}
	}
	return nil
}

// growExtent widens table's gpkg_contents bounds to cover b and sets
// last_change: what a write that only adds or replaces a few rows needs,
// without updateExtents' scan of the whole table (a planner edit rewrites
// a few grids of a table of every plan's grids). The bounds stay a cover
// of the rows; after a removal they may be wider than the rows, which the
// GeoPackage extent allows (it is informative).
func growExtent(ctx context.Context, tx *sql.Tx, table string, b orb.Bound) error {
	_, err := tx.ExecContext(ctx, `UPDATE gpkg_contents SET
		min_x = min(coalesce(min_x, ?1), ?1), max_x = max(coalesce(max_x, ?2), ?2),
		min_y = min(coalesce(min_y, ?3), ?3), max_y = max(coalesce(max_y, ?4), ?4),
		last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now')
		WHERE table_name = ?5`, b.Min[0], b.Max[0], b.Min[1], b.Max[1], table)
	return err
}

// Bundle reads the district's reference data back, each list in id order.
func (db *DB) Bundle(ctx context.Context) (*bundle.Bundle, error) {
	var b *bundle.Bundle
	err := db.read(ctx, func(tx *sql.Tx) (err error) {
		b, err = readBundle(ctx, tx)
		return err
	})
	if err != nil {
		return nil, err
	}
	return b, nil
}

// readBundle reads the reference data in tx (NotFound when none).
func readBundle(ctx context.Context, tx *sql.Tx) (*bundle.Bundle, error) {
	var b bundle.Bundle
	err := func() error {
		var blob []byte
		err := tx.QueryRowContext(ctx, `SELECT code, name, geom FROM district LIMIT 1`).Scan(&b.District.Code, &b.District.Name, &blob)
		if err == sql.ErrNoRows {
			return errs.E(errs.NotFound, "district", "no district data has been imported")
		}
		if err != nil {
			return err
		}
		if b.District.Geom, err = decodeMulti(blob); err != nil {
			return err
		}
		each := func(query string, scan func(r store.Rows) error) error {
			rows, err := tx.QueryContext(ctx, query)
			if err != nil {
				return err
			}
			defer rows.Close()
			return store.EachRow(rows, scan)
		}
		err = each(`SELECT code, name, geom FROM streets ORDER BY code`, func(r store.Rows) error {
			s, err := store.ScanStreet(r, decodeMulti)
			b.Streets = append(b.Streets, s)
			return err
		})
		if err != nil {
			return err
		}
		err = each(`SELECT code, name, street_code, kind, geom FROM communities ORDER BY code`, func(r store.Rows) error {
			c, err := store.ScanCommunity(r, decodeMulti)
			b.Communities = append(b.Communities, c)
			return err
		})
		if err != nil {
			return err
		}
		err = each(`SELECT id, households, address, geom FROM buildings ORDER BY id`, func(r store.Rows) error {
			var x bundle.Building
			if err := r.Scan(&x.ID, &x.Households, &x.Address, &blob); err != nil {
				return err
			}
			x.Loc, err = decodePoint(blob)
			b.Buildings = append(b.Buildings, x)
			return err
		})
		if err != nil {
			return err
		}
		err = each(`SELECT code, kind, name, street_code, community_code, geom FROM facilities ORDER BY code`, func(r store.Rows) error {
			var x bundle.Facility
			if err := r.Scan(&x.Code, &x.Kind, &x.Name, &x.Street, &x.Community, &blob); err != nil {
				return err
			}
			x.Loc, err = decodePoint(blob)
			b.Facilities = append(b.Facilities, x)
			return err
		})
		if err != nil {
			return err
		}
		err = each(`SELECT id, callsign, street_code, home_lon, home_lat FROM patrols ORDER BY id`, func(r store.Rows) error {
			var x bundle.Patrol
			err := r.Scan(&x.ID, &x.Callsign, &x.Street, &x.Loc[0], &x.Loc[1])
			b.Patrols = append(b.Patrols, x)
			return err
		})
		if err != nil {
			return err
		}
		err = each(`SELECT id, name, community_code FROM workers ORDER BY id`, func(r store.Rows) error {
			var x bundle.Worker
			err := r.Scan(&x.ID, &x.Name, &x.Community)
			b.Workers = append(b.Workers, x)
			return err
		})
		if err != nil {
			return err
		}
		return each(`SELECT code, name FROM departments ORDER BY code`, func(r store.Rows) error {
			var x bundle.Department
			err := r.Scan(&x.Code, &x.Name)
			b.Departments = append(b.Departments, x)
			return err
		})
	}()
	if err != nil {
		return nil, err
	}
	return &b, nil
}

func decodeMulti(blob []byte) (orb.MultiPolygon, error) {
	g, err := decodeGeom(blob)
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

func decodePoint(blob []byte) (orb.Point, error) {
	g, err := decodeGeom(blob)
	if err != nil {
		return orb.Point{}, err
	}
	if p, ok := g.(orb.Point); ok {
		return p, nil
	}
	return orb.Point{}, errs.E(errs.Internal, "geom", "stored %s where a point belongs", g.GeoJSONType())
}
