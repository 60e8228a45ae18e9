package api

// addPlanJobPaths documents POST /plans, GET /jobs/{id} (api/jobs.go),
// the GeoJSON form of GET /plans/{a}/diff/{b} and the Idempotency-Key of
// POST /plans/{id}/edits (api/idempotency.go), on paths addPlanPaths made.
func addPlanJobPaths(paths obj, operation func(string, string, string, obj, []obj, ...string) obj, jsonResp func(string, obj) obj) {
	str, intg := obj{"type": "string"}, obj{"type": "integer"}
	job := obj{"type": "object", "required": []string{"id", "kind", "status", "progress", "created", "updated"}, "properties": obj{
		"id":     intg,
		"kind":   obj{"type": "string", "enum": []string{string(JobKindPlan)}},
		"status": obj{"type": "string", "enum": []string{"queued", "running", "succeeded", "failed"}},
		"params": obj{"type": "object", "description": "the parameters the job was accepted with"},
		"progress": obj{"type": "object", "properties": obj{
			"done": intg, "total": intg,
			"fraction": obj{"type": "number", "nullable": true, "description": "done/total; null until the total is known (communities planned of the communities)"}}},
		"created":  obj{"type": "string", "format": "date-time"},
		"started":  obj{"type": "string", "format": "date-time", "nullable": true},
		"finished": obj{"type": "string", "format": "date-time", "nullable": true},
		"updated":  obj{"type": "string", "format": "date-time", "description": "the last write of the process running the job (every second while queued or running)"},
		"result": obj{"type": "object", "description": "succeeded: {plan (the new draft's id), url, grids, households, report (the partition report without per_grid), validation: {errors, warnings} (counts)}",
			"properties": obj{"plan": str, "url": str, "grids": intg, "households": intg, "report": obj{"type": "object"},
				"validation": obj{"type": "object", "properties": obj{"errors": intg, "warnings": intg}}}},
		"error": obj{"type": "object", "description": "failed: RFC 9457 problem details (503 with detail \"interrupted: ...\" when the process running it stopped)"},
	}}
	post := operation("postPlan", "Plan the stored district with these parameters (gridctl plan's) in the background: 202 with the job (Location: /jobs/{id}); it stores a new draft. Parameters are checked first (400 naming the field; no job starts); jobs run one at a time per gridd process (--plan-jobs), the others queue",
		"202", jsonResp("The job, queued", job), nil, "400", "401", "403", "413", "415", "422", "503")
	post["requestBody"] = obj{"required": true, "content": obj{mediaJSON: obj{"schema": obj{
		"type": "object", "additionalProperties": false, "properties": obj{
			"name":             obj{"type": "string", "maxLength": maxPlanNameLen, "description": "the draft's name (default: the seed and targets)"},
			"seed":             obj{"type": "integer", "format": "int64", "description": "random seed; the same seed and data give the same plan (default 1)"},
			"urban_target":     obj{"type": "integer", "minimum": 1, "maximum": maxPlanTarget, "description": "households a grid in urban communities (default 500)"},
			"rural_target":     obj{"type": "integer", "minimum": 1, "maximum": maxPlanTarget, "description": "households a grid in rural villages (default 300)"},
			"tolerance_pct":    obj{"type": "number", "exclusiveMinimum": true, "minimum": 0, "exclusiveMaximum": true, "maximum": 100, "description": "tolerance around the community mean, percent (default 10)"},
			"refine_share_pct": obj{"type": "number", "exclusiveMinimum": true, "minimum": 0, "exclusiveMaximum": true, "maximum": 100, "description": "a cell of several buildings holding more than this percent of its grid target is refined (default 10)"},
			"previous":         obj{"type": "integer", "minimum": 1, "description": "plan to start from (warm start: most households keep their grid and code); the draft's parent"},
			"locked":           obj{"type": "array", "items": str, "maxItems": maxPlanCodes, "description": "grids of previous kept as they are (needs previous)"},
			"communities":      obj{"type": "array", "items": str, "maxItems": maxPlanCodes, "description": "communities to re-plan; the other grids of previous are kept (needs previous)"},
		}}}}}
	if p, ok := paths["/plans"].(obj); ok {
		p["post"] = post
	}
	paths["/jobs/{id}"] = obj{"get": operation("getJob", "A background job: status, progress, times, and the result or the error (problem details); any replica answers",
		"200", jsonResp("The job", job), []obj{{"name": "id", "in": "path", "required": true, "schema": obj{"type": "integer", "minimum": 1}}}, "400", "401", "403", "404")}

	// The diff's GeoJSON form.
	if p, ok := paths["/plans/{a}/diff/{b}"].(obj); ok {
		if g, ok := p["get"].(obj); ok {
			g["summary"] = "Grids added, removed and changed from plan a to plan b, and the impact (households, workers moved); with Accept: application/geo+json or f=geojson the changed areas as a FeatureCollection"
			g["parameters"] = append(g["parameters"].([]obj), obj{"name": "f", "in": "query", "required": false,
				"schema": obj{"type": "string", "enum": []string{"json", "geojson"}}, "description": "json (default) or geojson: overrides Accept"})
			ok200 := g["responses"].(obj)["200"].(obj)
			ok200["content"].(obj)[mediaGeoJSON] = obj{"schema": obj{"type": "object", "description": "FeatureCollection: one feature per added, removed and changed grid; properties code, community, change (added|removed|changed), households_from, households_to (null where the grid is absent), geometry_kind (grid: the grid's polygon, new for added/changed, old for removed; symmetric_difference: the area that changed hands, old polygon XOR new)"}}
			g["responses"] = mergeObj(g["responses"].(obj), problemResponses("406"))
		}
	}
	// The Idempotency-Key of the edits and the drafts.
	for path, what := range map[string]string{"/plans/{id}/edits": "edit", "/plans/{id}/drafts": "draft", "/plans": "job"} {
		if p, ok := paths[path].(obj); ok {
			if e, ok := p["post"].(obj); ok {
				params, _ := e["parameters"].([]obj)
				e["parameters"] = append(append([]obj(nil), params...), obj{"name": idemHeader, "in": "header", "required": false,
					"schema":      obj{"type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[\\x20-\\x7e]+$"},
					"description": "makes a retry safe: the first answer to this key (per plan; for POST /plans, per service) is stored with the " + what + "; the same key and body answer it again (header Idempotent-Replayed: true) without a second " + what + "; the same key with another body or on another route is 422 naming the header. Refused requests store nothing"})
			}
		}
	}
}
