package gpkg

import (
	"github.com/gridd/gridd/geo"

	"context"
	"path/filepath"
	"testing"

	"github.com/paulmach/orb"
)

func TestGeomRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name string
		g    orb.Geometry
	}{
		{"point", orb.Point{118.7, 32.1}},
		{"multipolygon with hole", orb.MultiPolygon{
			{{{0, 0}, {4, 0}, {4, 4}, {0, 4}, {0, 0}}, {{1, 1}, {1, 2}, {2, 2}, {2, 1}, {1, 1}}},
			{{{10, 10}, {11, 10}, {11, 11}, {10, 10}}},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			blob, err := encodeGeom(tc.g)
			if err != nil {
				t.Fatal(err)
			}
			if string(blob[:2]) != "GP" || blob[2] != 0 || blob[3] != 0x03 {
				t.Fatalf("header % x: want GP, version 0, flags 0x03 (little-endian, xy envelope)", blob[:4])
			}
			back, err := decodeGeom(blob)
			if err != nil {
				t.Fatal(err)
			}
			if !orb.Equal(back, tc.g) {
				t.Fatalf("round trip: got %v, want %v", back, tc.g)
			}
			b, empty, err := envelope(blob)
			if err != nil || empty || b != tc.g.Bound() {
				t.Fatalf("envelope %v %v %v, want %v", b, empty, err, tc.g.Bound())
			}
		})
	}
}

func TestIntersects(t *testing.T) {
	// A square with a square hole, and boxes around it.
	mp := orb.MultiPolygon{{{{0, 0}, {4, 0}, {4, 4}, {0, 4}, {0, 0}}, {{1, 1}, {1, 3}, {3, 3}, {3, 1}, {1, 1}}}}
	for _, tc := range []struct {
		name string
		box  orb.Bound
		want bool
	}{
		{"inside the ring", orb.Bound{Min: orb.Point{0.2, 0.2}, Max: orb.Point{0.5, 0.5}}, true},
		{"inside the hole", orb.Bound{Min: orb.Point{1.5, 1.5}, Max: orb.Point{2.5, 2.5}}, false},
		{"touching the hole's edge", orb.Bound{Min: orb.Point{1.5, 1.5}, Max: orb.Point{3, 2.5}}, true},
		{"covering everything", orb.Bound{Min: orb.Point{-1, -1}, Max: orb.Point{5, 5}}, true},
		{"outside", orb.Bound{Min: orb.Point{5, 5}, Max: orb.Point{6, 6}}, false},
		{"touching a corner", orb.Bound{Min: orb.Point{4, 4}, Max: orb.Point{5, 5}}, true},
		{"crossing an edge only", orb.Bound{Min: orb.Point{-1, 2}, Max: orb.Point{0.5, 2.1}}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := geo.IntersectsBound(mp, tc.box); got != tc.want {
				t.Fatalf("intersects = %v, want %v", got, tc.want)
			}
		})
	}
}

// FuzzDecodeGeom: any blob is either rejected or decoded, never a panic;
// what decodes has a finite-or-NaN envelope the R-tree functions can read.
func FuzzDecodeGeom(f *testing.F) {
	for _, g := range []orb.Geometry{orb.Point{1, 2}, orb.MultiPolygon{{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}}} {
		blob, _ := encodeGeom(g)
		f.Add(blob)
	}
	f.Add([]byte("GP\x00\x01\xe6\x10\x00\x00"))
	f.Add([]byte("GP\x00\x09"))
	f.Fuzz(func(t *testing.T, blob []byte) {
		g, err := decodeGeom(blob)
		if err != nil {
			return
		}
		if _, _, err := envelope(blob); err != nil {
			t.Fatalf("decoded %v but envelope failed: %v", g, err)
		}
		_ = geo.IntersectsBound(g, orb.Bound{Min: orb.Point{-1, -1}, Max: orb.Point{1, 1}})
	})
}

// TestFileHeader checks the GeoPackage identity and the journal mode.
func TestFileHeader(t *testing.T) {
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "h.gpkg"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, tc := range []struct {
		pragma string
		want   any
	}{
		{"application_id", int64(0x47504B47)},
		{"user_version", int64(10300)},
		{"journal_mode", "wal"},
		{"foreign_keys", int64(1)},
		{"busy_timeout", int64(10000)},
	} {
		var got any
		if err := db.rd.QueryRow("PRAGMA " + tc.pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("PRAGMA %s = %v (%T), want %v", tc.pragma, got, got, tc.want)
		}
	}
	var n int
	if err := db.rd.QueryRow(`SELECT count(*) FROM gpkg_spatial_ref_sys WHERE srs_id IN (-1, 0, 4326)`).Scan(&n); err != nil || n != 3 {
		t.Fatalf("required spatial reference systems: %d (%v), want 3", n, err)
	}
	var features int
	if err := db.rd.QueryRow(`SELECT count(*) FROM gpkg_contents c JOIN sqlite_master m ON m.name = c.table_name AND m.type = 'table' WHERE c.data_type = 'features'`).Scan(&features); err != nil || features < 8 {
		t.Fatalf("feature tables: %d (%v), want the layers and plan grids", features, err)
	}
	if err := db.rd.QueryRow(`SELECT count(*) FROM gpkg_extensions WHERE extension_name = 'gpkg_rtree_index'`).Scan(&n); err != nil || n != features {
		t.Fatalf("R-tree extension rows: %d (%v), want %d (one a feature table)", n, err, features)
	}
}
