package api

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/gridd/gridd/access"
	"github.com/gridd/gridd/store"
)

// The OpenAPI 3.0 definition is built once from Go values; a test checks
// it validates and that every registered route appears in it.

type obj = map[string]any

func ref(name string) obj { return obj{"$ref": name} }

func problemResponses(codes ...string) obj {
	out := obj{}
	for _, c := range codes {
		out[c] = ref("#/components/responses/Problem")
	}
	return out
}

func jsonContent(schema obj) obj {
	return obj{mediaJSON: obj{"schema": schema}}
}

func op(id, summary string, params []obj, ok obj, errCodes ...string) obj {
	resp := problemResponses(errCodes...)
	resp["200"] = ok
	o := obj{"operationId": id, "summary": summary, "responses": resp}
	if len(params) > 0 {
		o["parameters"] = params
	}
	return obj{"get": o}
}

func pref(name string) obj { return ref("#/components/parameters/" + name) }

func buildOpenAPI() obj {
	// Every collection's id, who may read it and its tile zooms come from
	// the layer descriptions.
	collIDs := []string{}
	var restricted, zooms []string
	for _, d := range store.Descriptions {
		collIDs = append(collIDs, string(d.Layer))
		if !d.Public() {
			restricted = append(restricted, string(d.Layer)+": role "+access.Of(d.Readers...).String())
		}
		if d.Tiled {
			zooms = append(zooms, fmt.Sprintf("%s %d..%d", d.Layer, d.MinZoom, d.MaxZoom))
		}
	}
	roleNote := ""
	if len(restricted) > 0 {
		roleNote = " (" + strings.Join(restricted, "; ") + ")"
	}
	strSchema := obj{"type": "string"}
	numSchema := obj{"type": "number"}
	linkSchema := ref("#/components/schemas/Link")
	links := obj{"type": "array", "items": linkSchema}

	geometry := obj{"type": "object", "nullable": true, "required": []string{"type"}, "properties": obj{
		"type":        obj{"type": "string", "enum": []string{"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon", "GeometryCollection"}},
		"coordinates": obj{"type": "array", "items": obj{}},
		"geometries":  obj{"type": "array", "items": obj{"type": "object"}},
	}}
	feature := obj{"type": "object", "required": []string{"type", "geometry", "properties"}, "properties": obj{
		"type":       obj{"type": "string", "enum": []string{"Feature"}},
		"id":         obj{"oneOf": []obj{strSchema, {"type": "integer"}}},
		"geometry":   geometry,
		"properties": obj{"type": "object", "nullable": true, "additionalProperties": true},
		"links":      links,
	}}
	featureCollection := obj{"type": "object", "required": []string{"type", "features"}, "properties": obj{
		"type":           obj{"type": "string", "enum": []string{"FeatureCollection"}},
		"features":       obj{"type": "array", "items": ref("#/components/schemas/Feature")},
		"links":          links,
		"timeStamp":      obj{"type": "string", "format": "date-time"},
		"numberMatched":  obj{"type": "integer", "minimum": 0},
		"numberReturned": obj{"type": "integer", "minimum": 0},
	}}
	collection := obj{"type": "object", "required": []string{"id", "links"}, "properties": obj{
		"id":          strSchema,
		"title":       strSchema,
		"description": strSchema,
		"itemType":    strSchema,
		"links":       links,
		"crs":         obj{"type": "array", "items": strSchema},
		"storageCrs":  strSchema,
		"extent": obj{"type": "object", "properties": obj{"spatial": obj{"type": "object", "properties": obj{
			"bbox": obj{"type": "array", "items": obj{"type": "array", "minItems": 4, "maxItems": 6, "items": numSchema}},
			"crs":  strSchema,
		}}}},
	}}
	problem := obj{"type": "object", "required": []string{"type", "title", "status"}, "properties": obj{
		"type":     obj{"type": "string", "format": "uri"},
		"title":    strSchema,
		"status":   obj{"type": "integer"},
		"detail":   strSchema,
		"instance": strSchema,
		"field":    obj{"type": "string", "description": "the query parameter, header or body member at fault"},
	}, "additionalProperties": true}

	geoJSONResp := func(desc, schema string) obj {
		return obj{"description": desc,
			"headers": obj{"Content-Crs": obj{"description": "the CRS of the coordinates, as <URI>", "schema": strSchema},
				"ETag": obj{"schema": strSchema}},
			"content": obj{
				mediaGeoJSON: obj{"schema": ref("#/components/schemas/" + schema)},
				mediaJSON:    obj{"schema": ref("#/components/schemas/" + schema)},
			}}
	}
	jsonResp := func(desc string, schema obj) obj {
		return obj{"description": desc, "content": jsonContent(schema)}
	}
	anyObj := obj{"type": "object", "additionalProperties": true}

	paths := obj{
		"/": op("getLandingPage", "Landing page (JSON); a browser preferring text/html, or f=html, gets the dispatcher console page", []obj{pref("f")},
			jsonResp("The landing page", obj{"type": "object", "required": []string{"links"}, "properties": obj{"title": strSchema, "description": strSchema, "links": links}}), "400", "406"),
		"/conformance": op("getConformanceDeclaration", "Conformance classes implemented", []obj{pref("f")},
			jsonResp("The conformance classes", obj{"type": "object", "required": []string{"conformsTo"}, "properties": obj{"conformsTo": obj{"type": "array", "items": strSchema}}}), "400", "406"),
		"/api": op("getAPIDefinition", "This OpenAPI 3.0 definition", []obj{pref("f")},
			obj{"description": "The OpenAPI definition", "content": obj{
				"application/vnd.oai.openapi+json;version=3.0": obj{"schema": anyObj},
				mediaJSON: obj{"schema": anyObj}}}, "400", "406"),
		"/collections": op("getCollections", "Feature collections", []obj{pref("f")},
			jsonResp("The collections", obj{"type": "object", "required": []string{"links", "collections"}, "properties": obj{
				"links": links, "crs": obj{"type": "array", "items": strSchema},
				"collections": obj{"type": "array", "items": ref("#/components/schemas/Collection")}}}), "400", "406", "503"),
		"/collections/{collectionId}": op("describeCollection", "One collection", []obj{pref("collectionId"), pref("f")},
			jsonResp("The collection"+roleNote, ref("#/components/schemas/Collection")), "400", "401", "403", "404", "406", "503"),
		"/collections/{collectionId}/items": op("getFeatures", "Features of a collection",
			[]obj{pref("collectionId"), pref("limit"), pref("offset"), pref("bbox"), pref("bbox-crs"), pref("crs"), pref("precision"), pref("datetime"), pref("plan"), pref("f"),
				pref("filter"), pref("filter-lang"), pref("filter-crs"), pref("sortby"), pref("properties"),
				{"name": "propertyEquals", "in": "query", "required": false, "style": "form", "explode": true,
					"description": "Property equality filters, e.g. community_code=320111001005 (grids), street_code=..., kind=urban. Unknown names are 400.",
					"schema":      obj{"type": "object", "additionalProperties": strSchema}}},
			geoJSONResp("A page of features"+roleNote, "FeatureCollection"), "304", "400", "401", "403", "404", "406", "503"),
		"/collections/{collectionId}/items/{featureId}": op("getFeature", "One feature",
			[]obj{pref("collectionId"), pref("featureId"), pref("crs"), pref("precision"), pref("plan"), pref("f")},
			geoJSONResp("The feature"+roleNote, "Feature"), "304", "400", "401", "403", "404", "406", "503"),
		"/collections/{collectionId}/queryables": obj{"get": obj{"operationId": "getQueryables",
			"summary":    "The properties filter, sortby and properties may name, as JSON Schema (OGC API Features Part 3)",
			"parameters": []obj{pref("collectionId"), pref("f")},
			"responses": mergeObj(problemResponses("400", "401", "403", "404", "406"), obj{"200": obj{"description": "The queryables",
				"content": obj{mediaSchemaJSON: obj{"schema": anyObj}, mediaJSON: obj{"schema": anyObj}}}})}},
		"/tiles/{collectionId}.json": op("getTileJSON", "TileJSON 3.0.0 of a collection's vector tiles", []obj{pref("collectionId"), {"name": "crs", "in": "query", "required": false, "description": "gcj02 shifts the geometry for Chinese basemaps (default wgs84)",
			"schema": obj{"type": "string", "default": "wgs84", "enum": []string{"wgs84", "gcj02"}}}, pref("f")},
			jsonResp("The TileJSON document"+roleNote, anyObj), "400", "401", "403", "404", "406", "503"),
		"/tiles/{collectionId}/{z}/{x}/{y}.mvt": op("getTile", "A Mapbox Vector Tile (one layer named after the collection)",
			[]obj{pref("collectionId"), intPath("z", "zoom, at most: "+strings.Join(zooms, ", ")+"; TileJSON's minzoom is the first zoom at which the layer shows"), intPath("x", "column"), intPath("y", "row"), {"name": "crs", "in": "query", "required": false, "description": "gcj02 shifts the geometry for Chinese basemaps (default wgs84)",
				"schema": obj{"type": "string", "default": "wgs84", "enum": []string{"wgs84", "gcj02"}}}, pref("f")},
			obj{"description": "The tile" + roleNote, "content": obj{mediaMVT: obj{"schema": obj{"type": "string", "format": "binary"}}}},
			"204", "304", "400", "401", "403", "404", "406", "503"),
		"/locate": op("locate", "Who is responsible at a point",
			[]obj{
				{"name": "lon", "in": "query", "required": true, "schema": obj{"type": "number", "minimum": -180, "maximum": 180}},
				{"name": "lat", "in": "query", "required": true, "schema": obj{"type": "number", "minimum": -90, "maximum": 90}},
				{"name": "crs", "in": "query", "required": false, "description": "the coordinate system of lon/lat (default wgs84); the answer's point is the WGS84 point located",
					"schema": obj{"type": "string", "default": "wgs84", "enum": locateCRSNames()}},
				{"name": "k", "in": "query", "required": false, "description": "how many nearest available patrols",
					"schema": obj{"type": "integer", "minimum": 0, "maximum": maxK, "default": 3}},
				pref("f")},
			jsonResp("Street, community, grid, sub-centre, work station, workers and nearest patrols", anyObj), "400", "404", "406", "503"),
		"/planner": op("getPlanner", "The planner view (an HTML page)", nil,
			obj{"description": "The page", "content": obj{"text/html": obj{"schema": strSchema}}}, "404"),
		"/static/{path}": op("getStaticAsset", "A built asset of the map pages (scripts, styles, LICENSES.txt)",
			[]obj{{"name": "path", "in": "path", "required": true, "schema": strSchema}},
			obj{"description": "The asset", "content": obj{"*/*": obj{"schema": obj{"type": "string", "format": "binary"}}}}, "304", "404"),
		"/healthz": op("healthz", "Liveness: the process is up", nil, jsonResp("Up", anyObj)),
		"/readyz": obj{"get": obj{"operationId": "readyz",
			"summary": "Readiness: 200 ready; 503 degraded (store unreachable: reads served from memory, writes failing; the same JSON members) or, as a problem, no catalogue built yet",
			"responses": obj{"200": jsonResp("Ready", anyObj), "503": obj{
				"description": "Not ready: degraded (application/json, status \"degraded\") or no catalogue (a problem)",
				"content":     obj{mediaJSON: obj{"schema": anyObj}, mediaProblem: obj{"schema": ref("#/components/schemas/Problem")}}}}}},
		"/metrics": op("metrics", "Prometheus metrics", nil,
			obj{"description": "Metrics in the Prometheus text format", "content": obj{"text/plain": obj{"schema": strSchema}}}),
		"/admin/reload": obj{"post": obj{
			"operationId": "reload", "summary": "Rebuild the in-memory catalogue from the store (role admin)",
			"security":  []obj{{"bearer": []string{}}, {"apiKey": []string{}}},
			"responses": mergeObj(problemResponses("401", "403", "413", "503"), obj{"200": jsonResp("Rebuilt", anyObj)}),
		}},
	}
	addCasePaths(paths, jsonResp)
	addPlanPaths(paths, jsonResp)
	addUnitPaths(paths, jsonResp)
	addShiftPaths(paths, jsonResp)
	addEventPaths(paths, jsonResp)
	// Keys are optional (public) except for patrols, which need dispatcher.
	optionalKey := []obj{{}, {"bearer": []string{}}, {"apiKey": []string{}}}
	for _, p := range []string{"/collections", "/collections/{collectionId}", "/collections/{collectionId}/items", "/collections/{collectionId}/items/{featureId}", "/tiles/{collectionId}.json", "/tiles/{collectionId}/{z}/{x}/{y}.mvt"} {
		paths[p].(obj)["get"].(obj)["security"] = optionalKey
	}
	return obj{
		"openapi": "3.0.3",
		"info": obj{
			"title":       "gridd",
			"version":     "1.0.0",
			"description": "OGC API – Features (Part 1 Core, GeoJSON, OpenAPI 3.0; Part 2 CRS; Part 3 queryables and CQL2-text filters) for district grid management, vector tiles and point location. GCJ-02 output is identified by " + GCJ02URI + " (axis order lon, lat). Errors are RFC 9457 application/problem+json.",
		},
		"servers": []obj{{"url": "/"}},
		"paths":   paths,
		"components": obj{
			"schemas": obj{
				"Link": obj{"type": "object", "required": []string{"href"}, "properties": obj{
					"href": strSchema, "rel": strSchema, "type": strSchema, "title": strSchema}},
				"Feature":           feature,
				"FeatureCollection": featureCollection,
				"Collection":        collection,
				"Problem":           problem,
			},
			"responses": obj{
				"Problem": obj{"description": "A problem (RFC 9457)", "content": obj{mediaProblem: obj{"schema": ref("#/components/schemas/Problem")}}},
			},
			"parameters": obj{
				"collectionId": obj{"name": "collectionId", "in": "path", "required": true, "schema": obj{"type": "string", "enum": collIDs}},
				"featureId":    obj{"name": "featureId", "in": "path", "required": true, "schema": strSchema},
				"limit": obj{"name": "limit", "in": "query", "required": false, "style": "form", "explode": false,
					"description": "page size; larger values are served as 10000",
					"schema":      obj{"type": "integer", "minimum": 1, "maximum": maxLimit, "default": defaultLimit}},
				"offset": obj{"name": "offset", "in": "query", "required": false, "schema": obj{"type": "integer", "minimum": 0, "default": 0}},
				"bbox": obj{"name": "bbox", "in": "query", "required": false, "style": "form", "explode": false,
					"description": "minx,miny,maxx,maxy in the axis order of bbox-crs (lat first for EPSG:4326 and EPSG:4490)",
					"schema":      obj{"type": "array", "minItems": 4, "maxItems": 6, "items": numSchema}},
				"bbox-crs": obj{"name": "bbox-crs", "in": "query", "required": false, "schema": obj{"type": "string", "format": "uri", "enum": crsURIs(), "default": CRS84URI}},
				"crs":      obj{"name": "crs", "in": "query", "required": false, "schema": obj{"type": "string", "format": "uri", "enum": crsURIs(), "default": CRS84URI}},
				"precision": obj{"name": "precision", "in": "query", "required": false,
					"description": "decimals of output coordinates in every crs; the default 7 is about 1 cm",
					"schema":      obj{"type": "integer", "minimum": 0, "maximum": maxDecimals, "default": defaultDecimals}},
				"datetime": obj{"name": "datetime", "in": "query", "required": false, "style": "form", "explode": false,
					"description": "an RFC 3339 instant or interval (start/end, either may be ..); applied to updated_at where features have it",
					"schema":      strSchema},
				"plan": obj{"name": "plan", "in": "query", "required": false, "description": "grids only: a plan id other than the published plan",
					"schema": obj{"type": "integer", "minimum": 1}},
				"filter": obj{"name": "filter", "in": "query", "required": false,
					"description": "a CQL2-text filter on the collection's queryables: =, <>, <, <=, >, >=, AND, OR, NOT, IN, BETWEEN, LIKE (% and _, case-sensitive), IS NULL, S_INTERSECTS(geometry, <WKT or BBOX>) in lon/lat; e.g. kind = 'urban' AND households > 400",
					"schema":      strSchema},
				"filter-lang": obj{"name": "filter-lang", "in": "query", "required": false, "description": "cql-text is accepted as the draft's name of cql2-text (GDAL up to 3.6 sends it)",
					"schema": obj{"type": "string", "enum": []string{"cql2-text", "cql-text"}, "default": "cql2-text"}},
				"filter-crs": obj{"name": "filter-crs", "in": "query", "required": false, "schema": obj{"type": "string", "format": "uri", "enum": []string{CRS84URI}, "default": CRS84URI}},
				"sortby": obj{"name": "sortby", "in": "query", "required": false, "style": "form", "explode": false,
					"description": "comma-separated queryables, each ascending or with a leading - descending (+ ascending, sent as %2B); ties keep the id order, NULLs sort last ascending",
					"schema":      obj{"type": "array", "items": obj{"type": "string", "pattern": `^[+-]?[A-Za-z_][A-Za-z0-9_]*$`}}},
				"properties": obj{"name": "properties", "in": "query", "required": false, "style": "form", "explode": false,
					"description": "comma-separated properties to return (empty: none); unknown names are 400",
					"schema":      obj{"type": "array", "items": strSchema}},
				"f": obj{"name": "f", "in": "query", "required": false, "description": "response format, overriding Accept",
					"schema": obj{"type": "string", "enum": []string{"json", "geojson", "mvt", "openapi"}}},
			},
			"securitySchemes": obj{
				"bearer": obj{"type": "http", "scheme": "bearer", "description": "an API key as a bearer token"},
				"apiKey": obj{"type": "apiKey", "in": "header", "name": "X-API-Key"},
			},
		},
	}
}

func intPath(name, desc string) obj {
	return obj{"name": name, "in": "path", "required": true, "description": desc, "schema": obj{"type": "integer", "minimum": 0}}
}

func mergeObj(a, b obj) obj {
	for k, v := range b {
		a[k] = v
	}
	return a
}

// openAPI is GET /api: the OpenAPI 3.0 definition of every route.
func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) error {
	ct, err := negotiate(r, mediaOpenAPI, mediaJSON)
	if err != nil {
		return err
	}
	if err := onlyParams(r, "f"); err != nil {
		return err
	}
	s.openapiOnce.Do(func() { s.openapiDoc = buildOpenAPI() })
	return writeJSON(w, r, http.StatusOK, ct, s.openapiDoc)
}
