package main

import (
	"fmt"
	"testing"
	"time"

	"github.com/gridd/gridd/cases"
)

// TestCaseCollectionsEmbedded and TestCaseCollectionsPostGIS: cases and
// incidents are OGC API collections for GIS tools (dispatcher role), with
// channel and external_id, a bbox, property filters, paging in id order
// and an unlocated incident's null geometry.
func TestCaseCollectionsEmbedded(t *testing.T) {
	dir, b := smallDistrictStore(t)
	k := newCaseKeys(b.Patrols[0].ID, b.Patrols[1].ID, "DEPT-WA")
	base := startGridd(t, []string{"--data", dir, "--seed=false"}, map[string]string{"GRIDD_API_KEYS": k.lines})
	caseCollections(t, base, k, districtFacts(t, b))
}

func TestCaseCollectionsPostGIS(t *testing.T) {
	dsn, b, _ := smallDistrictPostGIS(t)
	k := newCaseKeys(b.Patrols[0].ID, b.Patrols[1].ID, "DEPT-WA")
	base := startGridd(t, []string{"--seed=false"}, map[string]string{"DATABASE_URL": dsn, "GRIDD_API_KEYS": k.lines})
	caseCollections(t, base, k, districtFacts(t, b))
}

func caseCollections(t *testing.T, base string, k caseKeys, d caseDistrict) {
	const n = 11
	var caseIDs []float64
	for i := 0; i < n; i++ {
		p := d.inside[i]
		r := want(t, "report", call(t, "POST", base+"/incidents", k.intakeA,
			incidentBody(cases.Hotline, fmt.Sprintf("gis-%d", i), "oth_other", &p, "", time.Now().UTC().Add(-time.Hour))), 201)
		caseIDs = append(caseIDs, r.num("case_id"))
	}
	want(t, "unlocatable report", call(t, "POST", base+"/incidents", k.intakeA,
		incidentBody(cases.Portal, "gis-lost", "oth_other", nil, "无此地址 999 号", time.Now().UTC())), 201)

	want(t, "public cases", call(t, "GET", base+"/collections/cases/items", "", nil), 401)
	want(t, "planner cases", call(t, "GET", base+"/collections/cases/items", k.planner, nil), 403)

	r := want(t, "cases", call(t, "GET", base+"/collections/cases/items?limit=5&offset=8", k.dispatcher, nil), 200)
	fs, _ := r.m["features"].([]any)
	if r.num("numberMatched") != n || len(fs) != n-8 {
		t.Fatalf("cases page: matched %v, %d features: %s", r.m["numberMatched"], len(fs), r.body)
	}
	// Ids in numeric order: 9, 10, 11 (not "10" < "9").
	for i, f := range fs {
		if got, wantID := f.(map[string]any)["id"], fmt.Sprintf("%.0f", caseIDs[8+i]); got != wantID {
			t.Fatalf("case %d of the page is %v, want %s", i, got, wantID)
		}
	}
	c0 := fmt.Sprintf("%.0f", caseIDs[0])
	r = want(t, "one case", call(t, "GET", base+"/collections/cases/items/"+c0, k.dispatcher, nil), 200)
	props, _ := r.m["properties"].(map[string]any)
	if props["stage"] != "reported" || props["channel"] != "12345" || props["category"] != "oth_other" || props["reported_at"] == nil {
		t.Fatalf("case %s: %s", c0, r.body)
	}
	r = want(t, "filed cases", call(t, "GET", base+"/collections/cases/items?stage=filed", k.dispatcher, nil), 200)
	if r.num("numberMatched") != 0 {
		t.Fatalf("no case is filed: %s", r.body)
	}
	p := d.inside[0]
	box := fmt.Sprintf("%f,%f,%f,%f", p[0]-1e-5, p[1]-1e-5, p[0]+1e-5, p[1]+1e-5)
	r = want(t, "cases in a box", call(t, "GET", base+"/collections/cases/items?bbox="+box, k.dispatcher, nil), 200)
	if fs, _ := r.m["features"].([]any); len(fs) != 1 || fs[0].(map[string]any)["id"] != c0 {
		t.Fatalf("cases around the first report: %s", r.body)
	}

	r = want(t, "incidents", call(t, "GET", base+"/collections/incidents/items?channel=portal", k.dispatcher, nil), 200)
	fs, _ = r.m["features"].([]any)
	if len(fs) != 1 {
		t.Fatalf("portal incidents: %s", r.body)
	}
	lost := fs[0].(map[string]any)
	if lost["geometry"] != nil || lost["properties"].(map[string]any)["external_id"] != "gis-lost" {
		t.Fatalf("the unlocated incident: %v", lost)
	}
	// datetime pages in the store: the 11 reports an hour ago, not the
	// unlocatable one made now (both layers' temporal property is reported_at).
	since := time.Now().UTC().Add(-3 * time.Hour).Format(time.RFC3339)
	until := time.Now().UTC().Add(-30 * time.Minute).Format(time.RFC3339)
	r = want(t, "cases by datetime", call(t, "GET", base+"/collections/cases/items?limit=2&datetime="+since+"/"+until, k.dispatcher, nil), 200)
	if fs, _ := r.m["features"].([]any); r.num("numberMatched") != n || len(fs) != 2 {
		t.Fatalf("cases reported in [%s, %s]: %s", since, until, r.body)
	}
	r = want(t, "incidents by datetime", call(t, "GET", base+"/collections/incidents/items?datetime="+until+"/..", k.dispatcher, nil), 200)
	if fs, _ := r.m["features"].([]any); len(fs) != 1 || fs[0].(map[string]any)["properties"].(map[string]any)["external_id"] != "gis-lost" {
		t.Fatalf("incidents reported since %s: %s", until, r.body)
	}
	want(t, "incident CQL2", call(t, "GET", base+"/collections/incidents/items?filter="+
		"external_id%20LIKE%20%27gis-1%25%27", k.dispatcher, nil), 200)
}
