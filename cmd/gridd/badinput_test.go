package main

import (
	"encoding/json"
	"net/http"
	"testing"
)

// checkBadInput: ids and filters holding NUL or bytes that are not UTF-8,
// and query strings net/url would shorten, are 400 or 404 problems naming
// the field (PostgreSQL rejects such bytes, which was a 500). Called by
// TestEmbeddedStoreSeeds and TestPostGIS, so that both stores are checked
// on a gridd they already started; secret is a dispatcher key.
func checkBadInput(t *testing.T, base, secret string) {
	t.Helper()
	for _, c := range []struct {
		path   string
		status int
		field  string
	}{
		{"/collections/patrols/items/%ff", 404, "featureId"},
		{"/collections/patrols/items/%00", 404, "featureId"},
		{"/collections/buildings/items/%ff", 404, "featureId"},
		{"/collections/patrols/items?id=%00", 400, "id"},
		{"/collections/patrols/items?callsign=%ff", 400, "callsign"},
		{"/collections/buildings/items?bbox=118.6,32.0,118.61,32.01%ZZ", 400, "bbox"},
		{"/collections/buildings/items?limit=1;offset=2", 400, "limit"},
		{"/collections/grids/items?=1", 400, "=1"},
		{"/collections/buildings/items?households=abc", 400, "households"},
	} {
		req, err := http.NewRequest("GET", base+c.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-API-Key", secret)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var p struct{ Field string }
		err = json.NewDecoder(res.Body).Decode(&p)
		res.Body.Close()
		if res.StatusCode != c.status || res.Header.Get("Content-Type") != "application/problem+json" || err != nil || p.Field != c.field {
			t.Errorf("%s: %d %s field %q (%v), want %d field %q", c.path, res.StatusCode, res.Header.Get("Content-Type"), p.Field, err, c.status, c.field)
		}
	}
}
