package api

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/gridd/gridd/cql2"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/internal/clip"
	"github.com/gridd/gridd/store"
)

// OGC API – Features conformance classes gridd implements.
var conformanceClasses = []string{
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
	"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
	"http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
}

// collectionByID is the description of collection id; every collection
// is a described store layer (store.Descriptions).
func collectionByID(id string) (*store.LayerDesc, error) {
	if d, ok := store.Describe(store.Layer(id)); ok {
		return d, nil
	}
	return nil, errs.E(errs.NotFound, "collectionId", "there is no collection %q", clip.Text(id, 60))
}

type link struct {
	Href  string `json:"href"`
	Rel   string `json:"rel"`
	Type  string `json:"type,omitempty"`
	Title string `json:"title,omitempty"`
}

// landing is GET /: the OGC API landing page.
func (s *Server) landing(w http.ResponseWriter, r *http.Request) error {
	ct, err := negotiate(r, mediaJSON)
	if err != nil {
		return err
	}
	if err := onlyParams(r, "f"); err != nil {
		return err
	}
	b := baseURL(r)
	return writeJSON(w, r, http.StatusOK, ct, map[string]any{
		"title":       "gridd",
		"description": "Grid management for district-level social governance: streets, communities, grids, buildings, facilities and patrols as OGC API – Features, vector tiles and point location.",
		"links": []link{
			{Href: b + "/", Rel: "self", Type: mediaJSON, Title: "This document"},
			{Href: b + "/api", Rel: "service-desc", Type: mediaOpenAPI, Title: "The OpenAPI 3.0 definition"},
			{Href: b + "/conformance", Rel: "conformance", Type: mediaJSON, Title: "Conformance classes"},
			{Href: b + "/collections", Rel: "data", Type: mediaJSON, Title: "Feature collections"},
		},
	})
}

// conformance is GET /conformance: the conformance classes implemented.
func (s *Server) conformance(w http.ResponseWriter, r *http.Request) error {
	ct, err := negotiate(r, mediaJSON)
	if err != nil {
		return err
	}
	if err := onlyParams(r, "f"); err != nil {
		return err
	}
	return writeJSON(w, r, http.StatusOK, ct, map[string]any{"conformsTo": append(slices.Clip(conformanceClasses), filterConformance...)})
}

// collectionDoc builds one collection's metadata.
func (s *Server) collectionDoc(r *http.Request, c *catalogue, ci *store.LayerDesc) map[string]any {
	b := baseURL(r)
	id := string(ci.Layer)
	doc := map[string]any{
		"id":          id,
		"title":       ci.Title,
		"description": ci.Description,
		"itemType":    "feature",
		"crs":         crsURIs(),
		"storageCrs":  CRS84URI,
		"links": []link{
			{Href: b + "/collections/" + id, Rel: "self", Type: mediaJSON, Title: ci.Title},
			{Href: b + "/collections/" + id + "/items", Rel: "items", Type: mediaGeoJSON, Title: ci.Title + " as GeoJSON"},
			{Href: b + "/collections/" + id + "/queryables", Rel: "http://www.opengis.net/def/rel/ogc/1.0/queryables", Type: mediaSchemaJSON, Title: "What filter, sortby and properties may name"},
			{Href: b + "/collections/" + id + "/queryables", Rel: "queryables", Type: mediaJSON, Title: "The queryables (the draft's relation, which GDAL up to 3.6 follows)"},
			{Href: b + "/tiles/" + id + ".json", Rel: "alternate", Type: mediaTileJSON, Title: ci.Title + " as vector tiles (TileJSON)"},
		},
	}
	if lc, ok := c.layers[ci.Layer]; ok && len(lc.entries) > 0 {
		e := lc.extent
		doc["extent"] = map[string]any{"spatial": map[string]any{
			"bbox": [][]float64{{e.Min[0], e.Min[1], e.Max[0], e.Max[1]}},
			"crs":  CRS84URI,
		}}
	} else if c.bundle != nil && len(c.bundle.District.Geom) > 0 {
		e := c.bundle.District.Geom.Bound()
		doc["extent"] = map[string]any{"spatial": map[string]any{
			"bbox": [][]float64{{e.Min[0], e.Min[1], e.Max[0], e.Max[1]}},
			"crs":  CRS84URI,
		}}
	}
	return doc
}

// collections is GET /collections: every served collection.
func (s *Server) collections(w http.ResponseWriter, r *http.Request) error {
	ct, err := negotiate(r, mediaJSON)
	if err != nil {
		return err
	}
	if err := onlyParams(r, "f"); err != nil {
		return err
	}
	c, err := s.catalogue()
	if err != nil {
		return err
	}
	// Each caller sees only the collections it may read.
	who := s.principalOf(r)
	cols := []map[string]any{}
	for i := range store.Descriptions {
		if d := &store.Descriptions[i]; who.Any(d.Readers...) {
			cols = append(cols, s.collectionDoc(r, c, d))
		}
	}
	b := baseURL(r)
	return writeJSON(w, r, http.StatusOK, ct, map[string]any{
		"links":       []link{{Href: b + "/collections", Rel: "self", Type: mediaJSON}},
		"collections": cols,
		"crs":         crsURIs(),
	})
}

// collection is GET /collections/{collectionId}: one collection, for
// callers who may read it (as /collections lists it).
func (s *Server) collection(w http.ResponseWriter, r *http.Request) error {
	ci, err := collectionByID(mux.Vars(r)["collectionId"])
	if err != nil {
		return err
	}
	if err := s.checkAny(r, ci.Readers...); err != nil {
		return err
	}
	ct, err := negotiate(r, mediaJSON)
	if err != nil {
		return err
	}
	if err := onlyParams(r, "f"); err != nil {
		return err
	}
	c, err := s.catalogue()
	if err != nil {
		return err
	}
	return writeJSON(w, r, http.StatusOK, ct, s.collectionDoc(r, c, ci))
}

// onlyParams rejects query parameters outside allowed (OGC API Features
// requires 400 for unknown parameters rather than ignoring a typo).
func onlyParams(r *http.Request, allowed ...string) error {
	for k := range queryOf(r) {
		ok := false
		for _, a := range allowed {
			if k == a {
				ok = true
				break
			}
		}
		if !ok {
			return errs.E(errs.Invalid, k, "unknown query parameter; this resource takes %s", strings.Join(allowed, ", "))
		}
	}
	return nil
}

// itemsParams are the parameters items takes besides property filters.
var itemsParams = map[string]bool{"limit": true, "offset": true, "bbox": true, "bbox-crs": true, "crs": true, "datetime": true, "f": true, "precision": true,
	"filter": true, "filter-lang": true, "filter-crs": true, "sortby": true, "properties": true}

// parsedItems is an items request after validation.
type parsedItems struct {
	q        itemsQuery
	crs      *outCRS
	decimals int // coordinate precision
	// plan is the requested plan for grids (0: published).
	plan gridplan.PlanID
}

// parseItems validates every query parameter of an items request: the
// known ones and property filters; anything else is 400.
func parseItems(v url.Values, d *store.LayerDesc, props map[string]bool) (parsedItems, error) {
	var p parsedItems
	one := func(name string) (string, bool, error) {
		vs, ok := v[name]
		if !ok {
			return "", false, nil
		}
		if len(vs) != 1 {
			return "", false, errs.E(errs.Invalid, name, "given %d times; give it once", len(vs))
		}
		return vs[0], true, nil
	}
	var err error
	s, ok, err := one("limit")
	if err != nil {
		return p, err
	}
	if p.q.limit, err = parseLimit(s, ok); err != nil {
		return p, err
	}
	if s, ok, err = one("offset"); err != nil {
		return p, err
	}
	if p.q.offset, err = parseOffset(s, ok); err != nil {
		return p, err
	}
	if s, ok, err = one("crs"); err != nil {
		return p, err
	}
	if p.crs, err = parseCRSParam("crs", s, ok); err != nil {
		return p, err
	}
	if s, ok, err = one("bbox-crs"); err != nil {
		return p, err
	}
	bboxCRS, err := parseCRSParam("bbox-crs", s, ok)
	if err != nil {
		return p, err
	}
	if s, ok, err = one("bbox"); err != nil {
		return p, err
	}
	if ok {
		b, err := parseBBox(s, bboxCRS)
		if err != nil {
			return p, err
		}
		p.q.bbox = &b
	}
	if s, ok, err = one("datetime"); err != nil {
		return p, err
	}
	if ok {
		iv, err := parseDatetime(s)
		if err != nil {
			return p, err
		}
		p.q.datetime = &iv
	}
	if s, ok, err = one("precision"); err != nil {
		return p, err
	}
	if p.decimals, err = parsePrecision(s, ok); err != nil {
		return p, err
	}
	if _, _, err = one("f"); err != nil {
		return p, err
	}
	if err := parseFilterParams(v, d.Layer, &p.q); err != nil {
		return p, err
	}
	names := make([]string, 0, len(v))
	for k := range v {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if itemsParams[k] {
			continue
		}
		if k == "plan" && d.PlanVersioned {
			s, _, err := one("plan")
			if err != nil {
				return p, err
			}
			if p.plan, err = gridplan.ParsePlanID(s); err != nil {
				return p, err
			}
			continue
		}
		if !props[k] {
			return p, errs.E(errs.Invalid, k, "unknown query parameter or property of %s; properties are %s", d.Layer, strings.Join(sortedKeys(props), ", "))
		}
		s, _, err := one(k)
		if err != nil {
			return p, err
		}
		if dp, ok := d.Schema().Property(k); ok && dp.Int {
			if _, err := strconv.ParseInt(s, 10, 64); err != nil {
				return p, errs.E(errs.Invalid, k, "%s is an integer property; %q is not an integer", k, clip.Text(s, 40))
			}
		}
		p.q.filters = append(p.q.filters, filter{name: k, value: s})
	}
	return p, nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// items is GET /collections/{collectionId}/items: a page of features as
// GeoJSON, with bbox, limit/offset paging, property filters, datetime and
// Part 2 crs/bbox-crs.
func (s *Server) items(w http.ResponseWriter, r *http.Request) error {
	ci, err := collectionByID(mux.Vars(r)["collectionId"])
	if err != nil {
		return err
	}
	if err := s.checkAny(r, ci.Readers...); err != nil {
		return err
	}
	ct, err := negotiate(r, mediaGeoJSON, mediaJSON)
	if err != nil {
		return err
	}
	c, err := s.catalogue()
	if err != nil {
		return err
	}
	var lc *layerCat
	props := map[string]bool{}
	if ci.Cached {
		lc = c.layers[ci.Layer]
		props = lc.props
	} else {
		for _, p := range ci.Props {
			props[p.Name] = true
		}
	}
	v := queryOf(r)
	p, err := parseItems(v, ci, props)
	if err != nil {
		return err
	}
	if p.plan != 0 {
		if lc, err = c.planLayer(r.Context(), s.st, p.plan); err != nil {
			if !errs.Is(err, errs.NotFound) {
				s.metrics.storeErrors.WithLabelValues("plan").Inc()
			}
			return err
		}
	}
	w.Header().Set("Content-Crs", p.crs.header())
	if lc == nil {
		return s.liveItems(w, r, ci, p, ct)
	}
	// The body's links are absolute, so the base URL is part of its identity.
	etag := etagOf(lc.etag, baseURL(r), r.URL.Path, canonicalQuery(v), ct)
	if notModified(r, etag) {
		w.Header().Set("ETag", etag)
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	if body, ok := s.bodies.load(etag); ok {
		return s.writeBody(w, r, ct, etag, body)
	}
	page, matched := lc.query(p.q)
	buf := bufPool.Get().(*bytes.Buffer)
	defer bufPool.Put(buf)
	buf.Reset()
	writeCollectionHead(buf, r, c.builtAt, matched, len(page), p.q)
	for i, e := range page {
		if i > 0 {
			buf.WriteByte(',')
		}
		if p.q.props != nil {
			// A property selection is encoded per request, not cached.
			f := selectProps(&e.f, p.q.props)
			b, err := appendFeature(buf.AvailableBuffer(), &f, p.crs, p.decimals)
			if err != nil {
				return err
			}
			buf.Write(b)
			continue
		}
		b, err := e.encoded(p.crs, p.decimals)
		if err != nil {
			return err
		}
		buf.Write(b)
	}
	buf.WriteString("]}")
	if buf.Len() >= bodyCacheMin {
		// Big pages (a GIS client's "all grids") are kept whole, so a
		// repeat costs one write instead of re-assembling megabytes.
		s.bodies.store(etag, bytes.Clone(buf.Bytes()))
	}
	return s.writeBody(w, r, ct, etag, buf.Bytes())
}

// storeTimeLayout is how both stores write a live layer's date-times:
// fixed-width UTC with microseconds, so text order is time order.
const storeTimeLayout = "2006-01-02T15:04:05.000000Z"

// timeFilter is the CQL2 form of an OGC datetime interval on property
// prop (both ends included; open ends unbounded; prop must not be null).
func timeFilter(prop string, iv interval) cql2.Expr {
	terms := []cql2.Expr{&cql2.Not{X: &cql2.IsNull{Prop: prop, Type: cql2.String}}}
	if !iv.start.IsZero() {
		terms = append(terms, &cql2.Compare{Op: cql2.Ge, L: cql2.Operand{Prop: prop},
			R: cql2.Operand{Value: iv.start.UTC().Format(storeTimeLayout)}, Type: cql2.String})
	}
	if !iv.end.IsZero() {
		terms = append(terms, &cql2.Compare{Op: cql2.Le, L: cql2.Operand{Prop: prop},
			R: cql2.Operand{Value: iv.end.UTC().Format(storeTimeLayout)}, Type: cql2.String})
	}
	if len(terms) == 1 {
		return terms[0]
	}
	return &cql2.Logic{Op: cql2.And, Args: terms}
}

// andFilter is a AND b, either possibly nil.
func andFilter(a, b cql2.Expr) cql2.Expr {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	return &cql2.Logic{Op: cql2.And, Args: []cql2.Expr{a, b}}
}

// liveItems serves a layer that is not cached (patrols) straight from the
// store.
func (s *Server) liveItems(w http.ResponseWriter, r *http.Request, ci *store.LayerDesc, p parsedItems, ct string) error {
	q := store.Query{Layer: ci.Layer, BBox: p.q.bbox, Limit: p.q.limit, Offset: p.q.offset,
		Filter: p.q.filter, SortBy: p.q.sortBy, Properties: p.q.props}
	if len(p.q.filters) > 0 {
		q.Filters = map[string]string{}
		for _, f := range p.q.filters {
			q.Filters[f.name] = f.value
		}
	}
	if p.q.datetime != nil {
		// The store pages with the time filter too: live layers keep their
		// temporal property as fixed-width UTC text, so the interval is a
		// string range on it (and a feature without a time matches none).
		q.Filter = andFilter(q.Filter, timeFilter(ci.Temporal, *p.q.datetime))
	}
	pg, err := s.storeFeatures(r.Context(), q)
	if err != nil {
		return err
	}
	features, matched := pg.Features, pg.NumberMatched
	var fb []byte
	for i := range features {
		if i > 0 {
			fb = append(fb, ',')
		}
		var err error
		if fb, err = appendFeature(fb, &features[i], p.crs, p.decimals); err != nil {
			return err
		}
	}
	etag := etagOf(string(fb), ct, strconv.Itoa(matched), baseURL(r), r.URL.Path, canonicalQuery(queryOf(r)))
	var buf bytes.Buffer
	writeCollectionHead(&buf, r, time.Now().UTC(), matched, len(features), p.q)
	buf.Write(fb)
	buf.WriteString("]}")
	return s.writeBody(w, r, ct, etag, buf.Bytes())
}

func (s *Server) storeFeatures(ctx context.Context, q store.Query) (store.Page, error) {
	pg, err := s.st.Features(ctx, q)
	if err != nil && !errs.Is(err, errs.Invalid) && !errs.Is(err, errs.NotFound) {
		s.metrics.storeErrors.WithLabelValues("features").Inc()
	}
	return pg, err
}

// writeCollectionHead writes a FeatureCollection up to the opening bracket
// of its features.
func writeCollectionHead(buf *bytes.Buffer, r *http.Request, ts time.Time, matched, returned int, q itemsQuery) {
	buf.WriteString(`{"type":"FeatureCollection","timeStamp":"`)
	buf.WriteString(ts.Format(time.RFC3339))
	buf.WriteString(`","numberMatched":`)
	buf.WriteString(strconv.Itoa(matched))
	buf.WriteString(`,"numberReturned":`)
	buf.WriteString(strconv.Itoa(returned))
	buf.WriteString(`,"links":[`)
	writeLink(buf, pageURL(r, -1), "self", mediaGeoJSON, "this page")
	if q.offset+returned < matched {
		buf.WriteByte(',')
		writeLink(buf, pageURL(r, q.offset+returned), "next", mediaGeoJSON, "next page")
	}
	// Past the end, prev is the last page that has features (none when
	// nothing matches), not another empty page.
	if q.offset > 0 && matched > 0 {
		buf.WriteByte(',')
		writeLink(buf, pageURL(r, max(0, min(q.offset, matched)-q.limit)), "prev", mediaGeoJSON, "previous page")
	}
	buf.WriteString(`],"features":[`)
}

func writeLink(buf *bytes.Buffer, href, rel, typ, title string) {
	buf.WriteString(`{"href":`)
	writeJSONString(buf, href)
	buf.WriteString(`,"rel":"` + rel + `","type":"` + typ + `","title":"` + title + `"}`)
}

// writeJSONString writes s as a JSON string literal.
func writeJSONString(buf *bytes.Buffer, s string) {
	buf.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			buf.WriteByte('\\')
			buf.WriteByte(c)
		case c < 0x20 || c == '<' || c == '>' || c == '&':
			buf.WriteString(`\u00`)
			buf.WriteByte("0123456789abcdef"[c>>4])
			buf.WriteByte("0123456789abcdef"[c&0xf])
		default:
			buf.WriteByte(c)
		}
	}
	buf.WriteByte('"')
}

// pageURL is the request URL with offset replaced (offset < 0 keeps it).
func pageURL(r *http.Request, offset int) string {
	if offset < 0 {
		return baseURL(r) + r.URL.RequestURI()
	}
	v := make(url.Values, len(queryOf(r)))
	for k, vs := range queryOf(r) {
		v[k] = vs
	}
	if offset == 0 {
		v.Del("offset")
	} else {
		v.Set("offset", strconv.Itoa(offset))
	}
	u := baseURL(r) + r.URL.Path
	if q := v.Encode(); q != "" {
		u += "?" + q
	}
	return u
}

// canonicalQuery renders the query sorted, so equivalent URLs share an ETag.
func canonicalQuery(v url.Values) string { return v.Encode() }

// feature is GET /collections/{collectionId}/items/{featureId}: one
// feature, with links to itself and its collection.
func (s *Server) feature(w http.ResponseWriter, r *http.Request) error {
	ci, err := collectionByID(mux.Vars(r)["collectionId"])
	if err != nil {
		return err
	}
	if err := s.checkAny(r, ci.Readers...); err != nil {
		return err
	}
	id := mux.Vars(r)["featureId"]
	if !cleanText(id) {
		// No layer's ids hold such bytes (and PostgreSQL rejects them).
		return errs.E(errs.NotFound, "featureId", "%s has no feature %q", ci.Layer, clip.Text(strconv.QuoteToASCII(id), 60))
	}
	ct, err := negotiate(r, mediaGeoJSON, mediaJSON)
	if err != nil {
		return err
	}
	allowed := []string{"crs", "f", "precision"}
	if ci.PlanVersioned {
		allowed = append(allowed, "plan")
	}
	if err := onlyParams(r, allowed...); err != nil {
		return err
	}
	v := queryOf(r)
	oc, err := parseCRSParam("crs", v.Get("crs"), v.Has("crs"))
	if err != nil {
		return err
	}
	decimals, err := parsePrecision(v.Get("precision"), v.Has("precision"))
	if err != nil {
		return err
	}
	c, err := s.catalogue()
	if err != nil {
		return err
	}
	var fb []byte
	if ci.Cached {
		lc := c.layers[ci.Layer]
		if v.Has("plan") {
			pid, err := gridplan.ParsePlanID(v.Get("plan"))
			if err != nil {
				return err
			}
			if lc, err = c.planLayer(r.Context(), s.st, pid); err != nil {
				return err
			}
		}
		e, ok := lc.byID[id]
		if !ok {
			return errs.E(errs.NotFound, "featureId", "%s has no feature %q", ci.Layer, clip.Text(id, 60))
		}
		if fb, err = e.encoded(oc, decimals); err != nil {
			return err
		}
	} else {
		f, err := s.st.Feature(r.Context(), ci.Layer, 0, id)
		if err != nil {
			if errs.Is(err, errs.NotFound) {
				return errs.E(errs.NotFound, "featureId", "%s has no feature %q", ci.Layer, clip.Text(id, 60))
			}
			s.metrics.storeErrors.WithLabelValues("feature").Inc()
			return err
		}
		if fb, err = appendFeature(nil, &f, oc, decimals); err != nil {
			return err
		}
	}
	b := baseURL(r)
	var buf bytes.Buffer
	buf.Write(fb[:len(fb)-1])
	buf.WriteString(`,"links":[`)
	writeLink(&buf, pageURL(r, -1), "self", mediaGeoJSON, "this feature")
	buf.WriteByte(',')
	writeLink(&buf, b+"/collections/"+string(ci.Layer), "collection", mediaJSON, "the collection")
	buf.WriteString("]}")
	w.Header().Set("Content-Crs", oc.header())
	return s.writeBody(w, r, ct, etagOf(buf.String(), ct), buf.Bytes()) // the body holds its links
}
