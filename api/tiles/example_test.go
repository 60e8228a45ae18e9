package tiles_test

import (
	"fmt"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"

	"github.com/gridd/gridd/api/tiles"
)

func ExampleEncode() {
	grid := tiles.Feature{
		ID:         320111001001001,
		Geometry:   orb.Polygon{{{118.70, 32.10}, {118.705, 32.10}, {118.705, 32.105}, {118.70, 32.105}, {118.70, 32.10}}},
		Properties: map[string]any{"code": "320111001001001", "households": 480},
	}
	t := maptile.At(orb.Point{118.702, 32.102}, 14)
	data, err := tiles.Encode(t, []tiles.Layer{{Name: "grids", Features: []tiles.Feature{grid}}})
	if err != nil {
		fmt.Println(err)
		return
	}
	layers, _ := mvt.Unmarshal(data)
	f := layers[0].Features[0]
	fmt.Println(layers[0].Name, f.Properties["code"], f.Properties["households"], f.Geometry.GeoJSONType())
	// Output: grids 320111001001001 480 Polygon
}

func ExampleSource_Tile() {
	pts := []tiles.Feature{
		{ID: 1, Geometry: orb.Point{118.7021, 32.1021}, Properties: map[string]any{"households": 24}},
		{ID: 2, Geometry: orb.Point{118.7031, 32.1031}, Properties: map[string]any{"households": 36}},
	}
	src, err := tiles.NewSource(tiles.Layer{Name: "buildings", Features: pts},
		tiles.SourceOptions{Version: "seed-1", MinZoom: 12, MaxZoom: 18, Cache: tiles.NewCache(32 << 20)})
	if err != nil {
		fmt.Println(err)
		return
	}
	t := maptile.At(orb.Point{118.7025, 32.1025}, 16)
	data, _ := src.Tile(int(t.Z), int(t.X), int(t.Y))
	layers, _ := mvt.Unmarshal(data)
	fmt.Println(len(layers[0].Features), "buildings")
	_, err = src.Tile(5, 0, 0)
	fmt.Println(err)
	// Output:
	// 2 buildings
	// invalid: z: zoom 5 out of range 12..18
}
