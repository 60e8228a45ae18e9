package api

import (
	"net/http"
	"strconv"
	"sync"

	"github.com/gorilla/mux"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
	"github.com/paulmach/orb/project"

	"github.com/gridd/gridd/api/tiles"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/geo"
	"github.com/gridd/gridd/internal/clip"
	"github.com/gridd/gridd/store"
)

// Vector tiles are made by api/tiles from the catalogue's features; the
// encoded tiles are cached by layer content hash, so a rebuilt catalogue
// never serves stale tiles.

const tileCacheBytes = 128 << 20

// tileCache holds the per-catalogue tile sources and the shared tile cache.
type tileCache struct {
	mu      sync.Mutex
	cat     *catalogue
	sources map[tileKey]*tiles.Source
	cache   *tiles.Cache
}

func (tc *tileCache) reset() {
	tc.mu.Lock()
	tc.cat, tc.sources = nil, nil
	tc.mu.Unlock()
}

// source returns the tile source of layer l in catalogue c, building it on
// first use.
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
		return "", errs.E(errs.Invalid, "crs", "tiles are served in wgs84 (the default) or gcj02, not %q", clip.Text(v.Get("crs"), 40))
	}
	return c, nil
}

func (tc *tileCache) source(c *catalogue, l store.Layer, crs geo.CRS) (*tiles.Source, error) {
	d, ok := store.Describe(l)
	if !ok || !d.Tiled || !d.Cached {
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
	s, err := tiles.NewSource(layer, tiles.SourceOptions{Version: lc.etag + "/" + string(crs), MinZoom: d.MinZoom, MaxZoom: d.MaxZoom, Cache: tc.cache, VisibleMinZoom: true})
	if err != nil {
		return nil, err
	}
	tc.sources[key] = s
	return s, nil
}

// tileLayer converts a catalogue layer for api/tiles; the feature id is
// kept as an attribute (and as the MVT id when numeric).
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

// tiledRequest checks what a tile and a TileJSON request share: the
// collection exists, the caller may read it, it has tiles, only f and crs
// are given, and media can be answered. It answers the collection, the
// CRS asked and the content type.
func (s *Server) tiledRequest(r *http.Request, media string) (ci *store.LayerDesc, crs geo.CRS, ct string, err error) {
	if ci, err = collectionByID(mux.Vars(r)["collectionId"]); err != nil {
		return
	}
	if err = s.checkAny(r, ci.Readers...); err != nil {
		return
	}
	if !ci.Tiled {
		err = errs.E(errs.NotFound, "collectionId", "collection %q has no vector tiles", ci.Layer)
		return
	}
	if err = onlyParams(r, "f", "crs"); err != nil {
		return
	}
	if crs, err = tileCRS(r); err != nil {
		return
	}
	ct, err = negotiate(r, media)
	return
}

// tile is GET /tiles/{collectionId}/{z}/{x}/{y}.mvt: one Mapbox Vector
// Tile with a single layer named after the collection; an empty tile is
// 204 No Content. The layer's readers are checked as on its items.
func (s *Server) tile(w http.ResponseWriter, r *http.Request) error {
	v := mux.Vars(r)
	ci, crs, ct, err := s.tiledRequest(r, mediaMVT)
	if err != nil {
		return err
	}
	z, errZ := strconv.Atoi(v["z"])
	x, errX := strconv.Atoi(v["x"])
	y, errY := strconv.Atoi(v["y"])
	if errZ != nil || errX != nil || errY != nil || z > tiles.MaxZoom {
		return errs.E(errs.NotFound, "z/x/y", "tile %s/%s/%s does not exist", clip.Text(v["z"], 10), clip.Text(v["x"], 12), clip.Text(v["y"], 12))
	}
	c, err := s.catalogue()
	if err != nil {
		return err
	}
	var b []byte
	var version string
	if ci.Cached {
		src, err := s.tiles.source(c, ci.Layer, crs)
		if err != nil {
			return err
		}
		b, err = src.Tile(z, x, y)
		if err != nil {
			return tileNotFound(err)
		}
		version = src.Version()
	} else {
		if b, err = s.liveTile(r, ci, crs, z, x, y); err != nil {
			return tileNotFound(err)
		}
		version = etagOf(string(b))
	}
	etag := etagOf(version, v["z"], v["x"], v["y"])
	if len(b) == 0 {
		w.Header().Set("ETag", etag)
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	if ci.Public() {
		w.Header().Set("Cache-Control", "public, max-age=60")
	} else {
		w.Header().Set("Cache-Control", "private, no-cache")
	}
	return s.writeBody(w, r, ct, etag, b)
}

// tileNotFound maps a tile outside the pyramid or the layer's zooms to
// 404, which clients expect for a tile that does not exist.
func tileNotFound(err error) error {
	if e, ok := errs.As(err); ok && e.Code == errs.Invalid {
		return errs.E(errs.NotFound, "z/x/y", "%s", e.Msg)
	}
	return err
}

// liveTile encodes a tile of a layer read from the store on every request
// (patrol positions move): the features in the tile's bound, its buffer
// included.
func (s *Server) liveTile(r *http.Request, d *store.LayerDesc, crs geo.CRS, z, x, y int) ([]byte, error) {
	if z < d.MinZoom || z > d.MaxZoom {
		return nil, errs.E(errs.Invalid, "z", "zoom %d out of range %d..%d", z, d.MinZoom, d.MaxZoom)
	}
	if x < 0 || y < 0 || x >= 1<<z || y >= 1<<z {
		return nil, errs.E(errs.Invalid, "x/y", "tile %d/%d/%d does not exist: x and y must be within 0..%d", z, x, y, (1<<z)-1)
	}
	t := maptile.New(uint32(x), uint32(y), maptile.Zoom(z))
	bound := t.Bound()
	pad := tiles.Buffer / float64(tiles.Extent)
	w, h := bound.Max[0]-bound.Min[0], bound.Max[1]-bound.Min[1]
	bound.Min[0], bound.Max[0] = bound.Min[0]-w*pad, bound.Max[0]+w*pad
	bound.Min[1], bound.Max[1] = bound.Min[1]-h*pad, bound.Max[1]+h*pad
	page, err := s.storeFeatures(r.Context(), store.Query{Layer: d.Layer, BBox: &bound})
	if err != nil {
		return nil, err
	}
	lc := &layerCat{layer: d.Layer, desc: d}
	for i := range page.Features {
		lc.entries = append(lc.entries, &entry{f: page.Features[i]})
	}
	return tiles.Encode(t, []tiles.Layer{tileLayer(lc, crs)})
}

// tileJSON is GET /tiles/{collectionId}.json: the TileJSON 3.0.0 document
// of a collection's vector tiles, its zooms and fields from the layer's
// description.
func (s *Server) tileJSON(w http.ResponseWriter, r *http.Request) error {
	ci, crs, ct, err := s.tiledRequest(r, mediaJSON)
	if err != nil {
		return err
	}
	c, err := s.catalogue()
	if err != nil {
		return err
	}
	fields := map[string]string{"id": "String"}
	for _, p := range ci.Props {
		fields[p.Name] = "String"
		if p.Int {
			fields[p.Name] = "Number"
		}
	}
	minZ, maxZ := ci.MinZoom, ci.MaxZoom
	var bound orb.Bound
	if ci.Cached {
		src, err := s.tiles.source(c, ci.Layer, crs)
		if err != nil {
			return err
		}
		minZ, maxZ = src.ZoomRange()
		bound = src.Bound()
	} else if c.bundle != nil && len(c.bundle.District.Geom) > 0 {
		bound = c.bundle.District.Geom.Bound()
	} else {
		bound = orb.Bound{Min: orb.Point{-180, -85.0511}, Max: orb.Point{180, 85.0511}}
	}
	tileURL := baseURL(r) + "/tiles/" + string(ci.Layer) + "/{z}/{x}/{y}.mvt"
	if crs != geo.WGS84 {
		tileURL += "?crs=" + string(crs)
	}
	doc := tiles.TileJSON(string(ci.Layer), tileURL, bound, minZ, maxZ, fields)
	doc["description"] = ci.Description
	return writeJSON(w, r, http.StatusOK, ct, doc)
}
