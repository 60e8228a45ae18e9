package api

// addPlanPaths documents the planner's routes (role planner or admin).
func addPlanPaths(paths obj, jsonResp func(string, obj) obj) {
	anyObj := obj{"type": "object", "additionalProperties": true}
	keyed := []obj{{"bearer": []string{}}, {"apiKey": []string{}}}
	pathID := func(name string) obj {
		return obj{"name": name, "in": "path", "required": true, "schema": obj{"type": "integer", "minimum": 1}}
	}
	operation := func(opID, summary string, okCode string, ok obj, params []obj, codes ...string) obj {
		return obj{"operationId": opID, "summary": summary, "security": keyed, "parameters": params,
			"responses": mergeObj(problemResponses(codes...), obj{okCode: ok})}
	}
	id := []obj{pathID("id")}
	paths["/plans"] = obj{"get": operation("listPlans", "Plans, newest first (id, status, parent, created, report)",
		"200", jsonResp("Plans", anyObj), nil, "401", "403")}
	paths["/plans/{id}"] = obj{"get": operation("getPlan", "One plan with its grids' figures",
		"200", jsonResp("The plan", anyObj), id, "400", "401", "403", "404")}
	paths["/plans/{id}/validation"] = obj{"get": operation("planValidation", "The plan validated against the stored bundle: {errors, warnings}",
		"200", jsonResp("Findings", anyObj), id, "400", "401", "403", "404")}
	paths["/plans/{a}/diff/{b}"] = obj{"get": operation("planDiff", "Grids added, removed and changed from plan a to plan b, and the impact (households, workers moved)",
		"200", jsonResp("The diff", anyObj), []obj{pathID("a"), pathID("b")}, "400", "401", "403", "404")}
	paths["/plans/{id}/drafts"] = obj{"post": operation("postDraft", "Copy the plan into a new draft whose parent it is",
		"201", jsonResp("The draft's id", anyObj), id, "400", "401", "403", "404")}
	paths["/plans/{id}/publish"] = obj{"post": operation("publishPlan", "Publish the plan (a rollback when it was published before); 409 lists the validation errors",
		"200", jsonResp("Published", anyObj), id, "400", "401", "403", "404", "409")}
	upload := operation("putPlanGrids", "Replace a draft's grids with a GeoJSON FeatureCollection after full validation; 422 lists every problem and changes nothing",
		"200", jsonResp("The new validation", anyObj), id, "400", "401", "403", "404", "409", "413", "415", "422")
	upload["requestBody"] = obj{"required": true, "description": "GeoJSON FeatureCollection of grids (code, community_code, street_code, kind, households, target)",
		"content": obj{mediaGeoJSON: obj{"schema": anyObj}, mediaJSON: obj{"schema": anyObj}}}
	paths["/plans/{id}/grids"] = obj{"post": upload}
	addPlanEditPath(paths, operation, jsonResp, id)
	addPlanUnitsPath(paths, operation, id)
	addPlanJobPaths(paths, operation, jsonResp) // api/openapi_jobs.go
}

// addPlanEditPath documents POST /plans/{id}/edits (api/edits.go).
func addPlanEditPath(paths obj, operation func(string, string, string, obj, []obj, ...string) obj, jsonResp func(string, obj) obj, id []obj) {
	codes := []obj{{"type": "string"}}
	edit := operation("postEdit", "One edit of a draft (merge, split, redraw, move, rebalance, lock, unlock), atomic; answers {changed: grid Features, removed: codes, validation: {errors, warnings}}; 422 lists the findings of a refused edit, 409 names a locked grid or a plan that is not a draft",
		"200", jsonResp("The changed grids and the validation", obj{"type": "object", "properties": obj{
			"plan": obj{"type": "integer"}, "op": obj{"type": "string"},
			"changed":    obj{"type": "array", "items": obj{"type": "object"}},
			"removed":    obj{"type": "array", "items": codes[0]},
			"validation": obj{"type": "object"}}}), id, "400", "401", "403", "404", "409", "413", "415", "422")
	edit["requestBody"] = obj{"required": true, "content": obj{mediaJSON: obj{"schema": obj{
		"type": "object", "required": []string{"op"}, "additionalProperties": false,
		"properties": obj{
			"op":          obj{"type": "string", "enum": []string{"merge", "split", "redraw", "move", "rebalance", "lock", "unlock"}},
			"grids":       obj{"type": "array", "items": codes[0], "description": "merge: two adjacent grids of one community; lock/unlock: grids"},
			"grid":        obj{"type": "string", "description": "split, redraw: the grid"},
			"n":           obj{"type": "integer", "minimum": 2, "maximum": 20, "description": "split: into n grids"},
			"polygon":     obj{"type": "object", "description": "redraw: a GeoJSON Polygon or MultiPolygon"},
			"units":       obj{"type": "array", "items": obj{"type": "string", "pattern": "^[0-9a-fA-F]{15}$"}, "description": "move: planning units (H3 cell ids, GET /plans/{id}/units) of grids adjacent to `to` in its community"},
			"buildings":   obj{"type": "array", "items": codes[0], "description": "move: building ids (their units move); instead of units"},
			"to":          obj{"type": "string", "description": "move: the receiving grid"},
			"communities": obj{"type": "array", "items": codes[0], "description": "rebalance: community codes"},
		}}}}}
	paths["/plans/{id}/edits"] = obj{"post": edit}
}
