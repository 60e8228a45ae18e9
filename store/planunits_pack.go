package store

import (
	"encoding/binary"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/gridplan"
)

// A grid's units are stored as one row (plan_units, migration 080): the
// GeoPackage packs them into a blob of unitRecord-byte records (H3 index
// as uint64, households as uint32, little-endian, in id order); PostGIS
// keeps two arrays. One row a grid keeps a partitioned Pukou (about 290 k
// units in 719 grids) to 719 rows: a draft copies them in milliseconds.
const unitRecord = 12

// GridUnits groups units by grid, each group in id order, grids in code
// order.
func GridUnits(units []gridplan.Unit) (grids []bundle.GridCode, by map[bundle.GridCode][]gridplan.Unit) {
	sorted := append([]gridplan.Unit(nil), units...)
	gridplan.SortUnits(sorted)
	by = map[bundle.GridCode][]gridplan.Unit{}
	for _, u := range sorted {
		if _, ok := by[u.Grid]; !ok {
			grids = append(grids, u.Grid)
		}
		by[u.Grid] = append(by[u.Grid], u)
	}
	return grids, by
}

// PackUnits is the blob of one grid's units (in the order given).
func PackUnits(units []gridplan.Unit) []byte {
	out := make([]byte, unitRecord*len(units))
	for i, u := range units {
		binary.LittleEndian.PutUint64(out[unitRecord*i:], uint64(u.ID))
		binary.LittleEndian.PutUint32(out[unitRecord*i+8:], uint32(u.Households))
	}
	return out
}

// UnpackUnits reads a blob PackUnits wrote as the units of grid; a blob
// of the wrong length, or with a record that is not a unit, is Internal
// (the store's own data is broken), never a silent zero.
func UnpackUnits(grid bundle.GridCode, blob []byte) ([]gridplan.Unit, error) {
	if len(blob)%unitRecord != 0 {
		return nil, errs.E(errs.Internal, "units", "units of grid %s: %d bytes, not a multiple of %d", grid, len(blob), unitRecord)
	}
	out := make([]gridplan.Unit, len(blob)/unitRecord)
	for i := range out {
		hh := binary.LittleEndian.Uint32(blob[unitRecord*i+8:])
		out[i] = gridplan.Unit{ID: gridplan.UnitID(binary.LittleEndian.Uint64(blob[unitRecord*i:])), Grid: grid, Households: int(hh)}
		if hh > 1<<30 || !out[i].ID.Cell().IsValid() {
			return nil, errs.E(errs.Internal, "units", "units of grid %s: record %d is not a unit", grid, i)
		}
	}
	return out, nil
}
