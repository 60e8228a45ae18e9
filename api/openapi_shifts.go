package api

// addShiftPaths documents the duty roster's routes (role dispatcher or
// admin).
func addShiftPaths(paths obj, jsonResp func(string, obj) obj) {
	anyObj := obj{"type": "object", "additionalProperties": true}
	keyed := []obj{{"bearer": []string{}}, {"apiKey": []string{}}}
	str := func(desc string) obj { return obj{"type": "string", "description": desc} }
	when := func(desc string) obj { return obj{"type": "string", "format": "date-time", "description": desc} }
	shift := obj{"type": "object", "required": []string{"subject", "start", "end"}, "additionalProperties": false,
		"properties": obj{
			"id":      str("Shift id; default subject@start (UTC RFC 3339)"),
			"subject": str("A unit id (patrol or grid worker) or a duty post's facility code (the centre or a sub-centre)"),
			"start":   when("On duty from this instant (inclusive), RFC 3339 with offset"),
			"end":     when("Up to this instant (exclusive); after start, at most 48 h later"),
			"note":    str("Free text, e.g. the duty officer's name"),
		}}
	query := func(name, desc string, format string) obj {
		sch := obj{"type": "string"}
		if format != "" {
			sch["format"] = format
		}
		return obj{"name": name, "in": "query", "required": false, "description": desc, "schema": sch}
	}
	op := func(opID, summary, okCode string, ok obj, params []obj, codes ...string) obj {
		if params == nil {
			params = []obj{}
		}
		return obj{"operationId": opID, "summary": summary, "security": keyed, "parameters": params,
			"responses": mergeObj(problemResponses(codes...), obj{okCode: ok})}
	}
	id := obj{"name": "id", "in": "path", "required": true, "schema": obj{"type": "string"}}
	post := op("postShifts", "Add or update shifts by id in one transaction, or with replace=true replace the whole roster",
		"200", jsonResp("{created, updated, ids} or {replaced}", anyObj),
		[]obj{query("replace", "true: the body becomes the whole roster", "")}, "400", "401", "403", "409", "413", "415", "422")
	post["requestBody"] = obj{"required": true, "description": "A JSON array of shifts, or shifts.csv (unit_or_post,start,end[,id][,note])",
		"content": obj{mediaJSON: obj{"schema": obj{"type": "array", "items": shift}}, mediaCSV: obj{"schema": obj{"type": "string"}}}}
	paths["/shifts"] = obj{
		"get": op("listShifts", "Shifts of a subject (all when absent) overlapping [from, to), by start",
			"200", jsonResp("{shifts, count}", anyObj),
			[]obj{query("subject", "A unit id or duty post code", ""), query("from", "RFC 3339", "date-time"), query("to", "RFC 3339", "date-time")},
			"400", "401", "403"),
		"post": post,
	}
	put := op("putShift", "Create (201) or replace (200) one shift", "200", jsonResp("The shift", shift), []obj{id}, "400", "401", "403", "409", "415", "422")
	put["requestBody"] = obj{"required": true, "content": obj{mediaJSON: obj{"schema": shift}}}
	paths["/shifts/{id}"] = obj{
		"put": put,
		"delete": obj{"operationId": "deleteShift", "summary": "Delete one shift", "security": keyed, "parameters": []obj{id},
			"responses": mergeObj(problemResponses("401", "403", "404"), obj{"204": obj{"description": "Deleted"}})},
	}
	paths["/duty"] = obj{"get": op("getDuty", "Who is on duty where at an instant (default now): the centre's and each sub-centre's duty officers, each street's patrols and grid workers on duty, with counts; units and posts without shifts are on the default 24-hour duty",
		"200", jsonResp("{at, roster_shifts, centre, streets, totals}", anyObj), []obj{query("at", "RFC 3339; default now", "date-time")}, "400", "401", "403", "404")}
}
