package api

import (
	"context"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/cql2"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/geo"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/internal/boxindex"
	"github.com/gridd/gridd/store"
)

// The catalogue is gridd's read-mostly in-memory copy of the feature
// layers, built from the store at start and rebuilt when the published plan
// changes (or on /admin/reload). The store stays the source of truth; the
// catalogue exists so that /collections/grids/items?limit=1000 costs a
// memcpy of pre-encoded features rather than a query and a GeoJSON encode.

// entry is one feature with its GeoJSON encodings, made once per CRS on
// first use.
type entry struct {
	f     store.Feature
	bound orb.Bound
	enc   [nEncodings]atomic.Pointer[[]byte]
}

// encoded returns the feature's GeoJSON in c at decimals; the default
// precision's encodings are cached. Two goroutines may race to fill the
// cache; both produce identical bytes, so either wins.
func (e *entry) encoded(c *outCRS, decimals int) ([]byte, error) {
	if decimals != defaultDecimals {
		return appendFeature(nil, &e.f, c, decimals)
	}
	if p := e.enc[c.enc].Load(); p != nil {
		return *p, nil
	}
	b, err := appendFeature(nil, &e.f, c, decimals)
	if err != nil {
		return nil, err
	}
	e.enc[c.enc].Store(&b)
	return b, nil
}

// layerCat is one layer's features, sorted by id (numerically when ids are
// numbers), with an id map and a spatial index of their bounds.
type layerCat struct {
	layer   store.Layer
	desc    *store.LayerDesc
	entries []*entry
	byID    map[string]*entry
	props   map[string]bool // property names seen, the queryables
	extent  orb.Bound
	index   *boxindex.Index // the entries' bounds, for bbox queries
	etag    string          // content hash of the layer
}

func newLayerCat(layer store.Layer, fs []store.Feature) (*layerCat, error) {
	d, ok := store.Describe(layer)
	if !ok {
		return nil, fmt.Errorf("layer %s is not described", layer)
	}
	lc := &layerCat{layer: layer, desc: d, byID: make(map[string]*entry, len(fs)), props: map[string]bool{}}
	for _, p := range d.Props {
		lc.props[p.Name] = true
	}
	lc.entries = make([]*entry, 0, len(fs))
	for i := range fs {
		e := &entry{f: fs[i]}
		if e.f.Geom != nil {
			e.bound = e.f.Geom.Bound()
		}
		if _, dup := lc.byID[e.f.ID]; dup {
			return nil, fmt.Errorf("layer %s: duplicate feature id %q", layer, e.f.ID)
		}
		lc.byID[e.f.ID] = e
		for k := range e.f.Props {
			lc.props[k] = true
		}
		lc.entries = append(lc.entries, e)
	}
	sort.Slice(lc.entries, func(i, j int) bool { return store.IDLess(lc.entries[i].f.ID, lc.entries[j].f.ID) })
	h := fnv.New64a()
	bounds := make([]orb.Bound, len(lc.entries))
	for i, e := range lc.entries {
		// Encoding the default CRS now both warms the cache and gives the
		// content hash behind the ETags.
		b, err := e.encoded(&supportedCRS[0], defaultDecimals)
		if err != nil {
			return nil, fmt.Errorf("layer %s feature %s: %w", layer, e.f.ID, err)
		}
		h.Write(b)
		bounds[i] = e.bound
		if i == 0 {
			lc.extent = e.bound
		} else {
			lc.extent = lc.extent.Union(e.bound)
		}
	}
	lc.etag = hex.EncodeToString(h.Sum(nil))
	lc.index = boxindex.New(bounds)
	return lc, nil
}

// filter is a property equality filter.
type filter struct{ name, value string }

// itemsQuery is a parsed items request.
type itemsQuery struct {
	bbox     *orb.Bound
	filters  []filter
	datetime *interval
	filter   cql2.Expr       // CQL2 filter, nil for none
	sortBy   []store.SortKey // before the id order
	props    []string        // properties to return; nil for all
	limit    int
	offset   int
}

// query returns the page of entries matching q and how many match in all.
func (lc *layerCat) query(q itemsQuery) (page []*entry, matched int) {
	simple := q.bbox == nil && len(q.filters) == 0 && q.datetime == nil && q.filter == nil && q.sortBy == nil
	if simple {
		// The common GIS-client case: a plain page, no allocation but the
		// result slice header.
		n := len(lc.entries)
		lo := min(q.offset, n)
		hi := min(lo+q.limit, n)
		return lc.entries[lo:hi], n
	}
	match := func(e *entry) bool {
		if q.bbox != nil && !geo.IntersectsBound(e.f.Geom, *q.bbox) {
			return false
		}
		for _, f := range q.filters {
			v, ok := e.f.Props[f.name]
			if !ok || propString(v) != f.value {
				return false
			}
		}
		if q.datetime != nil && !q.datetime.matches(lc.desc, e.f.Props) {
			return false
		}
		return q.filter == nil || cql2.Match(q.filter, e.f.Props, e.f.Geom)
	}
	var sorted []*entry // every match, when sort keys reorder them before paging
	take := func(e *entry) {
		if q.sortBy != nil {
			sorted = append(sorted, e)
			return
		}
		if matched >= q.offset && len(page) < q.limit {
			page = append(page, e)
		}
		matched++
	}
	if q.sortBy != nil {
		defer func() {
			sortEntries(sorted, q.sortBy)
			matched = len(sorted)
			lo := min(q.offset, matched)
			page = sorted[lo:min(lo+q.limit, matched)]
		}()
	}
	if q.bbox != nil {
		for _, i := range lc.index.Search(*q.bbox, nil) {
			if e := lc.entries[i]; match(e) {
				take(e)
			}
		}
		return page, matched
	}
	for _, e := range lc.entries {
		if match(e) {
			take(e)
		}
	}
	return page, matched
}

// propString renders a property value the way a query string spells it.
func propString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case fmt.Stringer:
		return v.String()
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(v), 'f', -1, 32)
	case int:
		return strconv.Itoa(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case int32:
		return strconv.FormatInt(int64(v), 10)
	case bool:
		return strconv.FormatBool(v)
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

// featureTime is a feature's value of its layer's temporal property; a
// feature without one (a unit that never reported) has none.
func featureTime(d *store.LayerDesc, props map[string]any) (time.Time, bool) {
	if d.Temporal == "" {
		return time.Time{}, false
	}
	switch v := props[d.Temporal].(type) {
	case time.Time:
		return v, true
	case string:
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// matches reports whether a feature of layer d lies in the interval: only
// features with a time do.
func (iv *interval) matches(d *store.LayerDesc, props map[string]any) bool {
	t, ok := featureTime(d, props)
	return ok && iv.contains(t)
}

// catalogue is one immutable snapshot; the Server swaps whole snapshots.
type catalogue struct {
	builtAt time.Time
	plan    gridplan.PlanID // the published plan, 0 when none
	bundle  *bundle.Bundle  // nil when the store is empty
	grids   []gridplan.Grid
	layers  map[store.Layer]*layerCat
	locate  Locator     // nil when no locator is configured or no data
	answers answerCache // encoded /locate answer segments of this snapshot

	mu    sync.Mutex
	plans map[gridplan.PlanID]*layerCat // other plans' grids, loaded on demand
}

// buildCatalogue reads every cached layer from the store.
func buildCatalogue(ctx context.Context, st store.Store, newLocator NewLocatorFunc) (*catalogue, error) {
	c := &catalogue{builtAt: time.Now().UTC(), layers: map[store.Layer]*layerCat{}, plans: map[gridplan.PlanID]*layerCat{}}
	b, err := st.Bundle(ctx)
	switch {
	case errs.Is(err, errs.NotFound):
	case err != nil:
		return nil, fmt.Errorf("read bundle: %w", err)
	default:
		c.bundle = b
	}
	p, err := st.PublishedPlan(ctx)
	switch {
	case errs.Is(err, errs.NotFound):
	case err != nil:
		return nil, fmt.Errorf("read published plan: %w", err)
	default:
		c.plan, c.grids = p.ID, p.Grids
	}
	for _, d := range store.Descriptions {
		if !d.Cached {
			continue
		}
		l := d.Layer
		var fs []store.Feature
		if !d.PlanVersioned || c.plan != 0 {
			page, err := st.Features(ctx, store.Query{Layer: l, Plan: c.plan})
			if err != nil && !errs.Is(err, errs.NotFound) {
				return nil, fmt.Errorf("read layer %s: %w", l, err)
			}
			fs = page.Features
		}
		lc, err := newLayerCat(l, fs)
		if err != nil {
			return nil, err
		}
		c.layers[l] = lc
	}
	if newLocator != nil && c.bundle != nil {
		units, err := st.Units(ctx, store.UnitFilter{})
		if err != nil {
			return nil, fmt.Errorf("read units: %w", err)
		}
		loc, err := newLocator(c.bundle, c.grids, units)
		if err != nil {
			return nil, fmt.Errorf("build locator: %w", err)
		}
		c.locate = loc
	}
	return c, nil
}

// maxPlanCache bounds how many non-published plans stay in memory.
const maxPlanCache = 4

// planLayer returns the grids of plan id as a layer, loading it from the
// store on first use.
func (c *catalogue) planLayer(ctx context.Context, st store.Store, id gridplan.PlanID) (*layerCat, error) {
	if id == c.plan {
		return c.layers[store.Grids], nil
	}
	c.mu.Lock()
	lc, ok := c.plans[id]
	c.mu.Unlock()
	if ok {
		return lc, nil
	}
	if _, err := st.Plan(ctx, id); err != nil {
		if errs.Is(err, errs.NotFound) {
			return nil, errs.E(errs.NotFound, "plan", "there is no plan %d", id)
		}
		return nil, err
	}
	page, err := st.Features(ctx, store.Query{Layer: store.Grids, Plan: id})
	if err != nil {
		return nil, err
	}
	lc, err = newLayerCat(store.Grids, page.Features)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.plans) >= maxPlanCache {
		for k := range c.plans {
			delete(c.plans, k)
			break
		}
	}
	c.plans[id] = lc
	return lc, nil
}
