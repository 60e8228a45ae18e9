package tiles

import (
	"math"
	"sync"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"

	"github.com/gridd/gridd/errs"
)

// FuzzEncode feeds arbitrary triangles and tiles: Encode must return a tile
// orb can decode or an errs.Invalid error, never panic.
func FuzzEncode(f *testing.F) {
	f.Add(118.6, 32.1, 118.61, 32.1, 118.6, 32.11, uint8(14))
	f.Add(-180.0, -85.0, 180.0, 85.0, 0.0, 0.0, uint8(0))
	f.Add(math.NaN(), 1.0, 2.0, 3.0, 4.0, 5.0, uint8(30))
	f.Add(118.6, 32.1, 118.6, 32.1, 118.6, 32.1, uint8(24))
	f.Fuzz(func(t *testing.T, x0, y0, x1, y1, x2, y2 float64, z uint8) {
		g := orb.Polygon{{{x0, y0}, {x1, y1}, {x2, y2}, {x0, y0}}}
		tile := maptile.New(0, 0, maptile.Zoom(z))
		if z <= MaxZoom && !math.IsNaN(x0) && !math.IsNaN(y0) {
			tile = maptile.At(orb.Point{max(-180, min(180, x0)), max(-85, min(85, y0))}, maptile.Zoom(z))
		}
		data, err := Encode(tile, []Layer{{Name: "f", Features: []Feature{{ID: 1, Geometry: g}, {Geometry: orb.LineString{{x0, y0}, {x1, y1}}}}}})
		if err != nil {
			if !errs.Is(err, errs.Invalid) {
				t.Fatalf("error %v is not Invalid", err)
			}
			return
		}
		if _, err := mvt.Unmarshal(data); err != nil {
			t.Fatalf("tile does not decode: %v", err)
		}
	})
}

func TestSourceConcurrent(t *testing.T) {
	c := NewCache(1 << 20)
	src, err := NewSource(Layer{Name: "g", Features: synthGrids(5, 10, 8)}, SourceOptions{Version: "v", Cache: c})
	if err != nil {
		t.Fatal(err)
	}
	tile := maptile.At(pukouBound.Center(), 13)
	want, err := Encode(tile, []Layer{{Name: "g", Features: synthGrids(5, 10, 8)}})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 20 {
				b, err := src.Tile(int(tile.Z), int(tile.X), int(tile.Y))
				if err != nil || string(b) != string(want) {
					t.Errorf("concurrent tile differs: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	if st := c.Stats(); st.Entries != 1 || st.Hits+st.Misses != 160 {
		t.Errorf("cache stats %+v", st)
	}
}
