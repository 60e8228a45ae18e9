package api

import (
	"net/http"
	"strconv"
	"sync"

	"github.com/gorilla/mux"

	"github.com/gridd/gridd/api/tiles"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/store"
)

// Vector tiles are made by api/tiles from the catalogue's features; the
// encoded tiles are cached by layer content hash, so a rebuilt catalogue
// never serves stale tiles.

// tileZooms are the zooms each layer is tiled at: buildings only when a
// tile holds a neighbourhood, not the district.
var tileZooms = map[store.Layer][2]int{
	store.Streets:     {0, 20},
	store.Communities: {0, 20},
	store.Grids:       {0, 20},
	store.Buildings:   {12, 20},
	store.Facilities:  {0, 20},
}

const tileCacheBytes = 128 << 20

// tileCache holds the per-catalogue tile sources and the shared tile cache.
type tileCache struct {
	mu      sync.Mutex
	cat     *catalogue
	sources map[store.Layer]*tiles.Source
	cache   *tiles.Cache
}

func (tc *tileCache) reset() {
	tc.mu.Lock()
	tc.cat, tc.sources = nil, nil
	tc.mu.Unlock()
}

// source returns the tile source of layer l in catalogue c, building it on
// first use.
func (tc *tileCache) source(c *catalogue, l store.Layer) (*tiles.Source, error) {
	zr, ok := tileZooms[l]
	if !ok {
		return nil, errs.E(errs.NotFound, "collectionId", "collection %q has no vector tiles", l)
	}
	tc.mu.Lock()
	defer tc.mu.Unlock()
	if tc.cat != c {
		tc.cat, tc.sources = c, map[store.Layer]*tiles.Source{}
	}
	if tc.cache == nil {
		tc.cache = tiles.NewCache(tileCacheBytes)
	}
	if s, ok := tc.sources[l]; ok {
		return s, nil
	}
	lc := c.layers[l]
	layer := tileLayer(lc)
	s, err := tiles.NewSource(layer, tiles.SourceOptions{Version: lc.etag, MinZoom: zr[0], MaxZoom: zr[1], Cache: tc.cache})
	if err != nil {
		return nil, err
	}
	tc.sources[l] = s
	return s, nil
}

// tileLayer converts a catalogue layer for api/tiles; the feature id is
// kept as an attribute (and as the MVT id when numeric).
func tileLayer(lc *layerCat) tiles.Layer {
	layer := tiles.Layer{Name: string(lc.layer), Features: make([]tiles.Feature, 0, len(lc.entries))}
	for _, e := range lc.entries {
		if e.f.Geom == nil {
			continue
		}
		props := make(map[string]any, len(e.f.Props)+1)
		for k, v := range e.f.Props {
			props[k] = v
		}
		props["id"] = e.f.ID
		f := tiles.Feature{Geometry: e.f.Geom, Properties: props}
		if n, err := strconv.ParseUint(e.f.ID, 10, 64); err == nil {
			f.ID = n
		}
		layer.Features = append(layer.Features, f)
	}
	return layer
}

// tile is GET /tiles/{collectionId}/{z}/{x}/{y}.mvt: one Mapbox Vector
// Tile with a single layer named after the collection; an empty tile is
// 204 No Content.
func (s *Server) tile(w http.ResponseWriter, r *http.Request) error {
	v := mux.Vars(r)
	ci, err := collectionByID(v["collectionId"])
	if err != nil {
		return err
	}
	if err := onlyParams(r, "f"); err != nil {
		return err
	}
	ct, err := negotiate(r, mediaMVT)
	if err != nil {
		return err
	}
	z, errZ := strconv.Atoi(v["z"])
	x, errX := strconv.Atoi(v["x"])
	y, errY := strconv.Atoi(v["y"])
	if errZ != nil || errX != nil || errY != nil || z > tiles.MaxZoom {
		return errs.E(errs.NotFound, "z/x/y", "tile %s/%s/%s does not exist", clip(v["z"], 10), clip(v["x"], 12), clip(v["y"], 12))
	}
	c, err := s.catalogue()
	if err != nil {
		return err
	}
	src, err := s.tiles.source(c, ci.layer)
	if err != nil {
		return err
	}
	b, err := src.Tile(z, x, y)
	if err != nil {
		if errs.Is(err, errs.Invalid) {
			// A tile outside the pyramid or the layer's zooms does not
			// exist, which clients expect as 404.
			e, _ := errs.As(err)
			return errs.E(errs.NotFound, "z/x/y", "%s", e.Msg)
		}
		return err
	}
	etag := etagOf(src.Version(), v["z"], v["x"], v["y"])
	if len(b) == 0 {
		w.Header().Set("ETag", etag)
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	w.Header().Set("Cache-Control", "public, max-age=60")
	return s.writeBody(w, r, ct, etag, b)
}

// tileJSON is GET /tiles/{collectionId}.json: the TileJSON 3.0.0 document
// of a collection's vector tiles.
func (s *Server) tileJSON(w http.ResponseWriter, r *http.Request) error {
	ci, err := collectionByID(mux.Vars(r)["collectionId"])
	if err != nil {
		return err
	}
	if err := onlyParams(r, "f"); err != nil {
		return err
	}
	ct, err := negotiate(r, mediaJSON)
	if err != nil {
		return err
	}
	c, err := s.catalogue()
	if err != nil {
		return err
	}
	src, err := s.tiles.source(c, ci.layer)
	if err != nil {
		return err
	}
	fields := map[string]string{"id": "String"}
	lc := c.layers[ci.layer]
	for p := range lc.props {
		fields[p] = "String"
	}
	if len(lc.entries) > 0 { // a layer's features share their property types
		for k, v := range lc.entries[0].f.Props {
			switch v.(type) {
			case int, int32, int64, float32, float64, uint, uint32, uint64:
				fields[k] = "Number"
			case bool:
				fields[k] = "Boolean"
			}
		}
	}
	minZ, maxZ := src.ZoomRange()
	doc := tiles.TileJSON(string(ci.layer), baseURL(r)+"/tiles/"+string(ci.layer)+"/{z}/{x}/{y}.mvt", src.Bound(), minZ, maxZ, fields)
	doc["description"] = ci.desc
	return writeJSON(w, r, http.StatusOK, ct, doc)
}
