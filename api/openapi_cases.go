package api

// addCasePaths documents the case loop's routes: incidents, cases, KPIs
// and Open311 GeoReport v2.
func addCasePaths(paths obj, jsonResp func(string, obj) obj) {
	anyObj := obj{"type": "object", "additionalProperties": true}
	anyList := obj{"type": "array", "items": anyObj}
	keyed := []obj{{"bearer": []string{}}, {"apiKey": []string{}}}
	optional := []obj{{}, {"bearer": []string{}}, {"apiKey": []string{}}}
	q := func(name, desc string) obj {
		return obj{"name": name, "in": "query", "required": false, "description": desc, "schema": obj{"type": "string"}}
	}
	id := obj{"name": "id", "in": "path", "required": true, "schema": obj{"type": "integer", "minimum": 1}}
	body := func(desc string, schema obj) obj {
		return obj{"required": true, "description": desc, "content": obj{mediaJSON: obj{"schema": schema}}}
	}
	with := func(o obj, security []obj, params ...obj) obj {
		o["security"] = security
		if len(params) > 0 {
			o["parameters"] = params
		}
		return o
	}
	getOp := func(opID, summary string, ok obj, codes ...string) obj {
		return obj{"operationId": opID, "summary": summary, "responses": mergeObj(problemResponses(codes...), obj{"200": ok})}
	}
	postOp := func(opID, summary string, req obj, ok obj, codes ...string) obj {
		o := getOp(opID, summary, ok, codes...)
		o["requestBody"] = req
		return o
	}
	incident := jsonResp("The incident", anyObj)
	cs := jsonResp("The case", anyObj)
	paths["/incidents"] = obj{
		"get": with(getOp("listIncidents", "Incidents (located=false: the manual-location queue); intake keys see their own", jsonResp("Incidents", anyObj), "400", "401", "403"),
			keyed, q("located", "true or false"), q("channel", "a channel"), q("after", "incident id to list after"), q("limit", "page size")),
		"post": with(postOp("postIncident", "Report an incident (idempotent on channel and external_id: 201 new, 200 stored)",
			body("channel, external_id, category, description, reported_at, location {lon, lat, crs} or address, reporter, media", anyObj),
			incident, "400", "401", "403", "409", "413", "415", "422", "503"), keyed),
	}
	paths["/incidents/{id}"] = obj{"get": with(getOp("getIncident", "One incident", incident, "400", "401", "403", "404"), keyed, id)}
	paths["/incidents/{id}/location"] = obj{"put": with(postOp("locateIncident", "A dispatcher locates a queued incident; it is routed then",
		body("lon, lat, crs", anyObj), incident, "400", "401", "403", "404", "409", "422"), keyed, id)}
	paths["/incidents/{id}/unlink"] = obj{"post": with(getOp("unlinkIncident", "A dispatcher takes a duplicate off its case",
		incident, "400", "401", "403", "404", "409"), keyed, id)}
	paths["/cases"] = obj{"get": with(getOp("listCases", "Cases (dispatcher: all; unit and department: their own)", jsonResp("Cases", anyObj), "400", "401", "403"),
		keyed, q("stage", ""), q("street", ""), q("community", ""), q("grid", ""), q("category", ""), q("channel", ""),
		q("overdue", "true: only overdue"), q("bbox", "lon,lat,lon,lat"), q("datetime", "RFC 3339 instant or interval"),
		q("unit", ""), q("department", ""), q("limit", ""), q("offset", ""))}
	paths["/cases/{id}"] = obj{"get": with(getOp("getCase", "A case with its incidents, events and routing; its ETag is its version (If-Match of an action)", cs, "400", "401", "403", "404"), keyed, id)}
	paths["/cases/{id}/events"] = obj{"post": with(postOp("postCaseEvent",
		"Move a case: file, dispatch (unit or department), accept, arrive, resolve, verify (ok), evaluate (satisfaction or spot_check), escalate, void (reason); 409 names the stage and the allowed actions, or the unit or department a repeated dispatch names; 412 when If-Match names a version the case has left",
		body("action, note, unit, department, ok, satisfaction, spot_check, reason", anyObj), cs, "400", "401", "403", "404", "409", "412", "422", "503"), keyed, id,
		obj{"name": "If-Match", "in": "header", "required": false, "schema": obj{"type": "string"},
			"description": "the ETag of the case as read (GET /cases/{id}, or an action's answer): the action applies only if the case is still at that version, so a retried action or one acting on what another dispatcher changed is refused (412) instead of applied twice"})}
	paths["/kpis"] = obj{"get": with(getOp("kpis", "Evaluation figures for the district, a street, community or grid (dispatcher, planner)",
		jsonResp("KPIs", anyObj), "400", "401", "403"), keyed, q("level", "district, street, community or grid"), q("code", ""),
		q("from", "RFC 3339"), q("to", "RFC 3339"), q("bbox", "minLon,minLat,maxLon,maxLat (CRS84): only the cases located in the box, e.g. the visible map"))}
	open311 := func(desc string) obj {
		return obj{"description": desc, "content": obj{"application/json": obj{"schema": anyList}}}
	}
	paths["/open311/v2/services.json"] = obj{"get": with(getOp("open311Services", "Open311 GeoReport v2 services (the category table)", open311("Services")), optional)}
	paths["/open311/v2/services.xml"] = obj{"get": with(getOp("open311ServicesXML", "Open311 GeoReport v2 services as XML",
		obj{"description": "Services", "content": obj{"text/xml": obj{"schema": obj{"type": "string"}}}}), optional)}
	paths["/open311/v2/requests.json"] = obj{
		"get": with(getOp("open311Requests", "Open311 service requests: the public names its own ids; dispatchers list all", open311("Requests")),
			optional, q("service_request_id", "comma-separated ids"), q("service_code", ""), q("status", "open or closed"),
			q("start_date", ""), q("end_date", ""), q("api_key", "")),
		"post": with(postOp("open311Post", "Open311 POST service request (form-encoded)",
			obj{"required": true, "content": obj{"application/x-www-form-urlencoded": obj{"schema": anyObj}}}, open311("The new request")), optional),
	}
	paths["/open311/v2/requests/{id}.json"] = obj{"get": with(getOp("open311Request", "One Open311 service request's status", open311("The request")), optional, id)}
}
