package store

import "github.com/gridd/gridd/access"

// LayerDesc describes one feature layer, once: every place that lists
// layers derives from it (the backends' property reads through Schema, the
// HTTP catalogue, the OpenAPI document, the tiles' zooms and the role
// checks). A new layer is one entry in Descriptions plus its tables.
type LayerDesc struct {
	Layer       Layer
	Title       string
	Description string
	// ID is the property that is the feature id.
	ID string
	// RowID marks an ID that is the table's integer row key (cases and
	// incidents number their rows); it is served as text like every id.
	RowID bool
	// Props are the properties in the order the backends read them; each
	// is a column of the layer's table in every backend.
	Props []Property
	// Geometry is the geometry type of every feature (GeoJSON spelling).
	Geometry string
	// Readers are the roles that may read the layer's features (admin
	// always may); none means the public.
	Readers []access.Role
	// Cached layers are served from an in-memory copy rebuilt when the
	// published plan changes; the others (moving things) are read from the
	// store on every request.
	Cached bool
	// Tiled layers have vector tiles from MinZoom to MaxZoom.
	Tiled            bool
	MinZoom, MaxZoom int
	// PlanVersioned layers hold one set of features per plan (?plan=ID).
	PlanVersioned bool
	// Temporal is the property datetime filters apply to ("" for none).
	Temporal string
}

func str(name string) Property      { return Property{Name: name} }
func integ(name string) Property    { return Property{Name: name, Int: true} }
func datetime(name string) Property { return Property{Name: name, DateTime: true} }

// Descriptions are the served feature layers, in the order they are listed.
var Descriptions = []LayerDesc{
	{Layer: Streets, Title: "Streets", Description: "Streets (街道) and special zones, each with its command sub-centre.",
		ID: "code", Props: []Property{str("code"), str("name")}, Geometry: "MultiPolygon",
		Cached: true, Tiled: true, MinZoom: 0, MaxZoom: 20},
	{Layer: Communities, Title: "Communities", Description: "Communities (社区) and villages (村) with their kind: urban, rural or virtual.",
		ID: "code", Props: []Property{str("code"), str("name"), str("street_code"), str("kind")}, Geometry: "MultiPolygon",
		Cached: true, Tiled: true, MinZoom: 0, MaxZoom: 20},
	{Layer: Grids, Title: "Grids", Description: "Grids of the published plan (about 500 households urban, 300 rural); ?plan=ID serves another plan.",
		ID: "code", Props: []Property{str("code"), integ("plan_id"), str("community_code"), str("street_code"), str("kind"), integ("households"), integ("target")},
		Geometry: "MultiPolygon", Cached: true, Tiled: true, MinZoom: 0, MaxZoom: 20, PlanVersioned: true},
	// Buildings are tiled only where a tile holds a neighbourhood.
	{Layer: Buildings, Title: "Buildings", Description: "Buildings with households and standard address.",
		ID: "id", Props: []Property{str("id"), integ("households"), str("address")}, Geometry: "Point",
		Cached: true, Tiled: true, MinZoom: 12, MaxZoom: 20},
	{Layer: Facilities, Title: "Facilities", Description: "The district command centre, street sub-centres and community work stations.",
		ID: "code", Props: []Property{str("code"), str("kind"), str("name"), str("street_code"), str("community_code")}, Geometry: "Point",
		Cached: true, Tiled: true, MinZoom: 0, MaxZoom: 20},
	// Patrol positions are operational information for dispatchers.
	{Layer: Patrols, Title: "Patrols", Description: "Joint patrols, the patrol kind of field units (GET /units has workers too), at their last reported position and status available, busy or off_duty (live; role dispatcher).",
		ID: "id", Props: []Property{str("id"), str("callsign"), str("street_code"), str("status"), datetime("updated_at")}, Geometry: "Point",
		Readers: []access.Role{access.Dispatcher}, Tiled: true, MinZoom: 10, MaxZoom: 20, Temporal: "updated_at"},
	// Cases and incidents for GIS tools: the same rows /cases and
	// /incidents serve, read live (role dispatcher). An unlocated
	// incident has a null geometry.
	{Layer: Cases, Title: "Cases", Description: "Joint-duty cases at their location: stage, path, routing, unit or department, deadlines (live; role dispatcher).",
		ID: "id", RowID: true, Props: []Property{str("id"), str("stage"), str("path"), str("category"), str("channel"), str("street_code"), str("community_code"),
			str("grid_code"), str("unit"), str("department"), datetime("reported_at"), datetime("dispatched_at"), datetime("accepted_at"), datetime("arrived_at"),
			datetime("resolved_at"), datetime("closed_at"), datetime("evaluated_at"), datetime("due_at"), datetime("deadline"), integ("escalation"),
			integ("rework"), integ("satisfaction"), str("void_reason"), datetime("updated_at")},
		Geometry: "Point", Readers: []access.Role{access.Dispatcher}, Temporal: "reported_at"},
	{Layer: Incidents, Title: "Incidents", Description: "Reports from every channel with their channel, external id, category and the case they opened or joined (live; role dispatcher).",
		ID: "id", RowID: true, Props: []Property{str("id"), str("channel"), str("external_id"), str("category"), str("address"), datetime("reported_at"),
			datetime("received_at"), str("located_by"), str("reason"), str("street_code"), str("community_code"), str("grid_code"), integ("case_id")},
		Geometry: "Point", Readers: []access.Role{access.Dispatcher}, Temporal: "reported_at"},
}

// Describe returns layer l's description.
func Describe(l Layer) (*LayerDesc, bool) {
	for i := range Descriptions {
		if Descriptions[i].Layer == l {
			return &Descriptions[i], true
		}
	}
	return nil, false
}

// Schema is the part of the description the backends read with.
func (d *LayerDesc) Schema() LayerSchema {
	return LayerSchema{Layer: d.Layer, ID: d.ID, RowID: d.RowID, Props: d.Props}
}

// Public reports whether anyone may read the layer.
func (d *LayerDesc) Public() bool { return len(d.Readers) == 0 }
