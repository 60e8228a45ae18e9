package api

// addPlanUnitsPath documents GET /plans/{id}/units (api/planunits.go).
func addPlanUnitsPath(paths obj, operation func(string, string, string, obj, []obj, ...string) obj, id []obj) {
	grid := obj{"name": "grid", "in": "query", "required": true, "description": "the grid whose units to list",
		"schema": obj{"type": "string", "pattern": "^[0-9]{15}$"}}
	feature := obj{"type": "object", "properties": obj{
		"id":       obj{"type": "string", "description": "the unit: an H3 cell index (15 hex digits), what a move names"},
		"geometry": obj{"type": "object", "description": "the cell's hexagon (GeoJSON Polygon); its part in the grid is the hexagon cut to the grid"},
		"properties": obj{"type": "object", "properties": obj{
			"unit": obj{"type": "string"}, "grid": obj{"type": "string"},
			"households": obj{"type": "integer"}, "resolution": obj{"type": "integer"}}}}}
	ok := obj{"description": "The grid's units as a GeoJSON FeatureCollection",
		"content": obj{mediaGeoJSON: obj{"schema": obj{"type": "object", "properties": obj{
			"type": obj{"type": "string", "enum": []string{"FeatureCollection"}}, "plan": obj{"type": "integer"},
			"grid":     obj{"type": "string"},
			"derived":  obj{"type": "boolean", "description": "true when the plan stores no units for the grid's community (imported from a file): derived from its grids, as a move does"},
			"features": obj{"type": "array", "items": feature}}}}}}
	paths["/plans/{id}/units"] = obj{"get": operation("planUnits",
		"The planning units (H3 cells) of one grid of a plan, with their grid and households, for the planner map (a move names them)",
		"200", ok, append(append([]obj(nil), id...), grid), "400", "401", "403", "404")}
}
