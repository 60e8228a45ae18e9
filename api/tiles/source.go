package tiles

import (
	"container/list"
	"strconv"
	"sync"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"
	"golang.org/x/sync/singleflight"

	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/internal/boxindex"
)

// SourceOptions configure a Source.
type SourceOptions struct {
	// Version identifies the data (e.g. a plan id or a content hash); it is
	// part of the cache key, so a Source built from new data with a new
	// version never serves stale tiles from a shared Cache.
	Version string
	// MinZoom and MaxZoom bound the zooms served (0..MaxZoom; both zero
	// means 0..MaxZoom). Tiles outside are errs.Invalid: a building layer
	// can refuse zoom 5, where one tile would carry the whole district.
	MinZoom, MaxZoom int
	// Cache, when set, keeps encoded tiles; it may be shared by Sources.
	Cache *Cache
	// VisibleMinZoom raises MinZoom to the first zoom at which the layer
	// shows: the first whose tile over the largest feature holds anything
	// (polygons smaller than about a pixel are dropped, so a layer of
	// small areas is empty at the lowest zooms). ZoomRange and TileJSON
	// then promise no empty zooms.
	VisibleMinZoom bool
}

// Source serves the tiles of one layer: its features, a spatial index to
// pick those a tile needs, and an optional cache. It is immutable after
// NewSource and safe for concurrent use.
type Source struct {
	layer            Layer
	version          string
	minZoom, maxZoom int
	idx              *boxindex.Index
	prep             *prepared
	cache            *Cache
	flight           singleflight.Group
}

// NewSource checks the layer's features (as Encode would) and indexes
// them. The Source keeps layer.Features; the caller must not modify them
// afterwards.
func NewSource(layer Layer, opt SourceOptions) (*Source, error) {
	bounds, err := checkLayer(&layer)
	if err != nil {
		return nil, err
	}
	if opt.MinZoom == 0 && opt.MaxZoom == 0 {
		opt.MaxZoom = MaxZoom
	}
	if opt.MinZoom < 0 || opt.MaxZoom > MaxZoom || opt.MinZoom > opt.MaxZoom {
		return nil, errs.E(errs.Invalid, "zoom", "zoom range %d..%d not within 0..%d", opt.MinZoom, opt.MaxZoom, MaxZoom)
	}
	prep, err := prepare(&layer)
	if err != nil {
		return nil, err
	}
	s := &Source{
		prep:    prep,
		layer:   layer,
		version: opt.Version,
		minZoom: opt.MinZoom,
		maxZoom: opt.MaxZoom,
		idx:     boxindex.New(bounds),
		cache:   opt.Cache,
	}
	if opt.VisibleMinZoom {
		if s.minZoom, err = s.visibleMinZoom(bounds); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// visibleMinZoom is the first zoom from minZoom whose tile over the
// centre of the largest feature (by bound area) is not empty; maxZoom when
// none is, or when there are no features.
func (s *Source) visibleMinZoom(bounds []orb.Bound) (int, error) {
	largest, area := -1, -1.0
	for i, b := range bounds {
		if a := (b.Max[0] - b.Min[0]) * (b.Max[1] - b.Min[1]); a > area {
			largest, area = i, a
		}
	}
	if largest < 0 {
		return s.minZoom, nil
	}
	c := bounds[largest].Center()
	for z := s.minZoom; z < s.maxZoom; z++ {
		b, err := s.Tile(z, int(maptile.At(c, maptile.Zoom(z)).X), int(maptile.At(c, maptile.Zoom(z)).Y))
		if err != nil {
			return 0, err
		}
		if len(b) > 0 {
			return z, nil
		}
	}
	return s.maxZoom, nil
}

// Name is the layer name.
func (s *Source) Name() string { return s.layer.Name }

// Version is the data version given to NewSource.
func (s *Source) Version() string { return s.version }

// ZoomRange is the zooms served.
func (s *Source) ZoomRange() (minZoom, maxZoom int) { return s.minZoom, s.maxZoom }

// Bound is the WGS84 bound of all features (empty for no features).
func (s *Source) Bound() orb.Bound { return s.idx.Bound() }

// Len is the number of features.
func (s *Source) Len() int { return len(s.layer.Features) }

// Tile returns the uncompressed MVT of tile z/x/y. z outside the Source's
// zoom range or x, y outside 0..2^z-1 is errs.Invalid. A tile with no
// features is a valid empty tile (zero bytes). The returned slice may be
// shared with the cache and other callers: do not modify it.
func (s *Source) Tile(z, x, y int) ([]byte, error) {
	if z < s.minZoom || z > s.maxZoom {
		return nil, errs.E(errs.Invalid, "z", "zoom %d out of range %d..%d", z, s.minZoom, s.maxZoom)
	}
	if x < 0 || y < 0 || x >= 1<<z || y >= 1<<z {
		return nil, errs.E(errs.Invalid, "x/y", "tile %d/%d/%d does not exist: x and y must be within 0..%d", z, x, y, (1<<z)-1)
	}
	t := maptile.New(uint32(x), uint32(y), maptile.Zoom(z))
	if s.cache == nil {
		return s.encode(t)
	}
	k := cacheKey{layer: s.layer.Name, version: s.version, z: uint8(z), x: uint32(x), y: uint32(y)}
	if b, ok := s.cache.get(k); ok {
		return b, nil
	}
	// Concurrent first requests for one tile (a map opening) encode it once.
	v, err, _ := s.flight.Do(k.String(), func() (any, error) {
		b, err := s.encode(t)
		if err == nil {
			s.cache.put(k, b)
		}
		return b, err
	})
	if err != nil {
		return nil, err
	}
	return v.([]byte), nil
}

func (s *Source) encode(t maptile.Tile) ([]byte, error) {
	idx := s.idx.Search(tileBound(t), nil)
	ml, err := encodeLayer(t, &s.layer, idx, s.prep)
	if err != nil || ml == nil {
		return []byte{}, err
	}
	return marshal(mvt.Layers{ml})
}

// Cache is a byte-bounded LRU of encoded tiles, safe for concurrent use
// and shareable between Sources (keys carry layer name and version).
type Cache struct {
	mu       sync.Mutex
	maxBytes int
	bytes    int
	ll       *list.List
	m        map[cacheKey]*list.Element
	hits     uint64
	misses   uint64
}

type cacheKey struct {
	layer, version string
	z              uint8
	x, y           uint32
}

func (k cacheKey) String() string {
	return k.layer + "@" + k.version + "/" + strconv.Itoa(int(k.z)) + "/" + strconv.FormatUint(uint64(k.x), 10) + "/" + strconv.FormatUint(uint64(k.y), 10)
}

type cacheEntry struct {
	k cacheKey
	b []byte
}

// NewCache makes a cache holding up to maxBytes of tile data (plus a small
// per-entry overhead it counts as 64 bytes).
func NewCache(maxBytes int) *Cache {
	return &Cache{maxBytes: maxBytes, ll: list.New(), m: make(map[cacheKey]*list.Element)}
}

// entryOverhead approximates the bookkeeping of one entry, so that many
// empty tiles still count against the budget.
const entryOverhead = 64

func (c *Cache) get(k cacheKey) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	if !ok {
		c.misses++
		return nil, false
	}
	c.hits++
	c.ll.MoveToFront(e)
	return e.Value.(*cacheEntry).b, true
}

func (c *Cache) put(k cacheKey, b []byte) {
	size := len(b) + entryOverhead
	c.mu.Lock()
	defer c.mu.Unlock()
	if size > c.maxBytes {
		return
	}
	if e, ok := c.m[k]; ok {
		c.bytes -= len(e.Value.(*cacheEntry).b) + entryOverhead
		c.ll.Remove(e)
	}
	c.m[k] = c.ll.PushFront(&cacheEntry{k: k, b: b})
	c.bytes += size
	for c.bytes > c.maxBytes {
		e := c.ll.Back()
		ce := e.Value.(*cacheEntry)
		c.ll.Remove(e)
		delete(c.m, ce.k)
		c.bytes -= len(ce.b) + entryOverhead
	}
}

// CacheStats are counters for metrics.
type CacheStats struct {
	Entries, Bytes int
	Hits, Misses   uint64
}

// Stats returns the current counters.
func (c *Cache) Stats() CacheStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return CacheStats{Entries: c.ll.Len(), Bytes: c.bytes, Hits: c.hits, Misses: c.misses}
}
