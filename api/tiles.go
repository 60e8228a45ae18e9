package api

import (
	"net/http"
	"strconv"
	"sync"

	"github.com/gorilla/mux"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/project"

	"github.com/gridd/gridd/api/tiles"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/geo"
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
	sources map[tileKey]*tiles.Source
	cache   *tiles.Cache
}

// tileKey names one tile source: a layer in a coordinate system (WGS84,
// or GCJ-02 for Chinese basemaps, whose geometry is shifted before
// tiling).
type tileKey struct {
	layer store.Layer
	crs   geo.CRS
}

// tileCRS reads the tiles routes' optional crs parameter: wgs84 (the
// default) or gcj02, the offset system of Chinese basemaps (Amap, Tencent).
func tileCRS(r *http.Request) (geo.CRS, error) {
	v := queryOf(r)
	if !v.Has("crs") {
		return geo.WGS84, nil
	}
	c, err := geo.ParseCRS(v.Get("crs"))
	if err != nil || (c != geo.WGS84 && c != geo.GCJ02) {
		return "", errs.E(errs.Invalid, "crs", "tiles are served in wgs84 (the default) or gcj02, not %q", clip(v.Get("crs"), 40))
	}
	return c, nil
}

func (tc *tileCache) reset() {
	tc.mu.Lock()
	tc.cat, tc.sources = nil, nil
	tc.mu.Unlock()
}

// source returns the tile source of layer l in catalogue c, building it on
// first use.
func (tc *tileCache) source(c *catalogue, l store.Layer, crs geo.CRS) (*tiles.Source, error) {
	zr, ok := tileZooms[l]
	if !ok {
		return nil, errs.E(errs.NotFound, "collectionId", "collection %q has no vector tiles", l)
	}
	tc.mu.Lock()
	defer tc.mu.Unlock()
	if tc.cat != c {
		tc.cat, tc.sources = c, map[tileKey]*tiles.Source{}
	}
	if tc.cache == nil {
		tc.cache = tiles.NewCache(tileCacheBytes)
	}
	key := tileKey{layer: l, crs: crs}
	if s, ok := tc.sources[key]; ok {
		return s, nil
	}
	lc := c.layers[l]
	layer := tileLayer(lc, crs)
	s, err := tiles.NewSource(layer, tiles.SourceOptions{Version: lc.etag + "/" + string(crs), MinZoom: zr[0], MaxZoom: zr[1], Cache: tc.cache})
	if err != nil {
		return nil, err
	}
	tc.sources[key] = s
	return s, nil
}

// tileLayer converts a catalogue layer for api/tiles, its geometry in crs
// (WGS84 or GCJ-02); the feature id is kept as an attribute (and as the
// MVT id when numeric).
func tileLayer(lc *layerCat, crs geo.CRS) tiles.Layer {
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
		g := e.f.Geom
		if crs == geo.GCJ02 {
			g = project.Geometry(orb.Clone(g), geo.WGS84ToGCJ02)
		}
		f := tiles.Feature{Geometry: g, Properties: props}
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
	if err := onlyParams(r, "f", "crs"); err != nil {
		return err
	}
	crs, err := tileCRS(r)
	if err != nil {
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
	src, err := s.tiles.source(c, ci.layer, crs)
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
	if err := onlyParams(r, "f", "crs"); err != nil {
		return err
	}
	crs, err := tileCRS(r)
	if err != nil {
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
	src, err := s.tiles.source(c, ci.layer, crs)
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
	tileURL := baseURL(r) + "/tiles/" + string(ci.layer) + "/{z}/{x}/{y}.mvt"
	if crs != geo.WGS84 {
		tileURL += "?crs=" + string(crs)
	}
	doc := tiles.TileJSON(string(ci.layer), tileURL, src.Bound(), minZ, maxZ, fields)
	doc["description"] = ci.desc
	return writeJSON(w, r, http.StatusOK, ct, doc)
}
