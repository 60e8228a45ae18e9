package api

// addUnitPaths documents the field units' routes.
func addUnitPaths(paths obj, jsonResp func(string, obj) obj) {
	anyObj := obj{"type": "object", "additionalProperties": true}
	keyed := []obj{{"bearer": []string{}}, {"apiKey": []string{}}}
	str := func(name, in, desc string, required bool, enum ...string) obj {
		s := obj{"type": "string"}
		if len(enum) > 0 {
			s["enum"] = enum
		}
		return obj{"name": name, "in": in, "required": required, "description": desc, "schema": s}
	}
	operation := func(opID, summary string, ok obj, params []obj, codes ...string) obj {
		if params == nil {
			params = []obj{}
		}
		return obj{"operationId": opID, "summary": summary, "security": keyed, "parameters": params,
			"responses": mergeObj(problemResponses(codes...), obj{"200": ok})}
	}
	geoResp := func(desc string) obj {
		return obj{"description": desc, "content": obj{mediaGeoJSON: obj{"schema": anyObj}}}
	}
	report := obj{"type": "object", "required": []string{"unit", "lon", "lat", "at", "status"}, "additionalProperties": false,
		"properties": obj{
			"unit":   obj{"type": "string", "maxLength": 64},
			"lon":    obj{"type": "number", "minimum": -180, "maximum": 180},
			"lat":    obj{"type": "number", "minimum": -90, "maximum": 90},
			"crs":    obj{"type": "string", "description": "wgs84 (default, also CRS84/EPSG:4326), cgcs2000, gcj02 or bd09"},
			"at":     obj{"type": "string", "format": "date-time"},
			"status": obj{"type": "string", "enum": []string{"available", "busy", "off_duty"}},
		}}
	post := operation("postUnitPositions", "Report unit positions: a batch (at most 1000) stored in one transaction. "+
		"Each result is moved (now the unit's position), kept_older (kept in the history; the unit has a newer report) or duplicate (stored before). "+
		"A bad report (also one timed more than 5 minutes ahead of the server clock) is 400 naming [i].field (404 for an unknown unit) and the batch changes nothing. "+
		"A unit key reports only for its unit; fleet, dispatcher and admin keys for any.",
		jsonResp("Per-report outcomes {results:[{unit, at, outcome, status, held_case}], moved, kept_older, duplicate}", anyObj),
		nil, "400", "401", "403", "404", "413", "415", "422")
	post["requestBody"] = obj{"required": true, "content": obj{mediaJSON: obj{"schema": obj{"type": "array", "minItems": 1, "maxItems": 1000, "items": report}}}}
	paths["/units/positions"] = obj{"post": post}
	paths["/units"] = obj{"get": operation("listUnits", "Patrols and grid workers at their last reported position (dispatcher): "+
		"a GeoJSON FeatureCollection; status is busy while a unit holds a case",
		geoResp("Units"), []obj{
			str("kind", "query", "patrol or worker", false, "patrol", "worker"),
			str("street", "query", "street code", false),
			str("status", "query", "effective status", false, "available", "busy", "off_duty"),
			str("bbox", "query", "lon,lat,lon,lat (WGS84)", false),
		}, "400", "401", "403")}
	id := str("id", "path", "unit id", true)
	paths["/units/{id}"] = obj{"get": operation("getUnit", "One unit as a GeoJSON Feature (dispatcher, or the unit's own key)",
		geoResp("The unit"), []obj{id}, "401", "403", "404")}
	paths["/units/{id}/track"] = obj{"get": operation("getUnitTrack", "The unit's reported positions from..to (default the last 24 hours, at most 7 days) "+
		"as a GeoJSON Feature: a LineString oldest first, with properties.times and properties.statuses",
		geoResp("The track"), []obj{id,
			{"name": "from", "in": "query", "schema": obj{"type": "string", "format": "date-time"}},
			{"name": "to", "in": "query", "schema": obj{"type": "string", "format": "date-time"}},
		}, "400", "401", "403", "404")}
	paths["/cases/{id}/suggestions"] = obj{"get": operation("caseSuggestions", "Available on-duty units of the kinds the case's category suits: "+
		"the street's nearest first, then the district's, with straight-line distance_m and eta_s (dispatcher)",
		jsonResp("{case, street, category, kinds, suggestions:[{unit, kind, name, street, same_street, distance_m, eta_s}]}", anyObj),
		[]obj{{"name": "id", "in": "path", "required": true, "schema": obj{"type": "integer", "minimum": 1}},
			{"name": "k", "in": "query", "schema": obj{"type": "integer", "minimum": 1, "maximum": 50, "default": 5}}},
		"400", "401", "403", "404", "503")}
}
