package tiles

import (
	"errors"
	"io/fs"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"github.com/gridd/gridd/fixtures"
	"github.com/gridd/gridd/gridplan"
)

// pukouGrids returns the committed Pukou plan's grids as tile features or,
// before the plan is committed, 729 synthetic jagged grids over Pukou.
func pukouGrids(tb testing.TB) ([]Feature, string) {
	tb.Helper()
	f, err := fixtures.PukouFS().Open("plan.geojson")
	if errors.Is(err, fs.ErrNotExist) {
		return synthGrids(1, 27, 40), "synthetic 27×27 grids, 160 vertices each"
	}
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	grids, err := gridplan.ReadGeoJSON(f)
	if err != nil {
		tb.Fatal(err)
	}
	out := make([]Feature, len(grids))
	for i, g := range grids {
		out[i] = Feature{ID: uint64(i + 1), Geometry: g.Geom, Properties: map[string]any{
			"code": g.Code, "community_code": g.Community, "street_code": g.Street, "kind": g.Kind, "households": g.Households,
		}}
	}
	return out, "Pukou plan.geojson"
}

// BenchmarkTile measures a zoom-14 grids tile: Encode over all features
// (bound prefilter only), a Source (grid index) without and with cache,
// and the p50/p99 of uncached Source tiles over every z14 tile of the data.
//
//	go test -run '^$' -bench Tile -benchmem ./api/tiles
func BenchmarkTile(b *testing.B) {
	feats, what := pukouGrids(b)
	b.Logf("%d features: %s", len(feats), what)
	layer := Layer{Name: "grids", Features: feats}
	src, err := NewSource(layer, SourceOptions{Version: "1"})
	if err != nil {
		b.Fatal(err)
	}
	bd := src.Bound()
	// the z14 tile at the centre of the data
	t := maptile.At(bd.Center(), 14)
	b.Run("Encode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Encode(t, []Layer{layer}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Source", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := src.Tile(int(t.Z), int(t.X), int(t.Y)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Source cached", func(b *testing.B) {
		cached, _ := NewSource(layer, SourceOptions{Version: "1", Cache: NewCache(64 << 20)})
		b.ReportAllocs()
		for b.Loop() {
			if _, err := cached.Tile(int(t.Z), int(t.X), int(t.Y)); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, z := range []maptile.Zoom{8, 10, 12} {
		lt := maptile.At(bd.Center(), z)
		b.Run("Source z"+strconv.Itoa(int(z)), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := src.Tile(int(lt.Z), int(lt.X), int(lt.Y)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("Source all z14 tiles", func(b *testing.B) {
		lo := maptile.At(orb.Point{bd.Min[0], bd.Max[1]}, 14)
		hi := maptile.At(orb.Point{bd.Max[0], bd.Min[1]}, 14)
		var tiles []maptile.Tile
		for x := lo.X; x <= hi.X; x++ {
			for y := lo.Y; y <= hi.Y; y++ {
				tiles = append(tiles, maptile.New(x, y, 14))
			}
		}
		var durs []time.Duration
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			tt := tiles[i%len(tiles)]
			start := time.Now()
			if _, err := src.Tile(int(tt.Z), int(tt.X), int(tt.Y)); err != nil {
				b.Fatal(err)
			}
			durs = append(durs, time.Since(start))
			i++
		}
		slices.Sort(durs)
		b.ReportMetric(float64(durs[len(durs)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(durs[len(durs)*99/100].Microseconds())/1000, "p99-ms")
		b.ReportMetric(float64(len(tiles)), "tiles")
	})
}

// BenchmarkBuildingsTile measures uncached tiles of the 24,504 Pukou
// building points at the district centre by zoom, to choose a minimum
// zoom for the buildings layer.
//
//	go test -run '^$' -bench BuildingsTile -benchmem ./api/tiles
func BenchmarkBuildingsTile(b *testing.B) {
	bun, err := fixtures.LoadPukou()
	if err != nil {
		b.Fatal(err)
	}
	feats := make([]Feature, len(bun.Buildings))
	for i, bl := range bun.Buildings {
		feats[i] = Feature{ID: uint64(i + 1), Geometry: bl.Loc, Properties: map[string]any{"id": string(bl.ID), "households": bl.Households, "address": bl.Address}}
	}
	src, err := NewSource(Layer{Name: "buildings", Features: feats}, SourceOptions{Version: "1"})
	if err != nil {
		b.Fatal(err)
	}
	c := bun.Buildings[len(bun.Buildings)/2].Loc // a built-up spot
	for _, z := range []maptile.Zoom{10, 12, 14, 16} {
		t := maptile.At(c, z)
		data, _ := src.Tile(int(t.Z), int(t.X), int(t.Y))
		b.Run("z"+strconv.Itoa(int(z)), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := src.Tile(int(t.Z), int(t.X), int(t.Y)); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(data)), "tile-bytes")
		})
	}
}
