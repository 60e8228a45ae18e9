package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/api"
	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/cases"
	"github.com/gridd/gridd/fixtures"
	"github.com/gridd/gridd/geo"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/internal/testenv"
	"github.com/gridd/gridd/store/gpkg"
	"github.com/gridd/gridd/store/storetest"
)

// caseKeys are the keys the case tests use: secret → key line.
type caseKeys struct {
	dispatcher, intakeA, intakeB, unitA, unitB, dept, planner string
	lines                                                     string
}

func newCaseKeys(unitA, unitB, dept string) caseKeys {
	k := caseKeys{dispatcher: "k-disp", intakeA: "k-intake-a", intakeB: "k-intake-b", unitA: "k-unit-a", unitB: "k-unit-b",
		dept: "k-dept", planner: "k-plan"}
	k.lines = strings.Join([]string{
		api.HashKey(k.dispatcher) + " dispatcher centre",
		api.HashKey(k.intakeA) + " intake platform-a",
		api.HashKey(k.intakeB) + " intake platform-b",
		api.HashKey(k.unitA) + " unit unit=" + unitA + " unit-a",
		api.HashKey(k.unitB) + " unit unit=" + unitB + " unit-b",
		api.HashKey(k.dept) + " department department=" + dept + " dept",
		api.HashKey(k.planner) + " planner planner",
	}, "\n")
	return k
}

// district facts a case test needs, from the bundle the server serves.
type caseDistrict struct {
	b       *bundle.Bundle
	inside  []orb.Point // building locations, far enough apart not to be duplicates
	address string      // a building's standard address
	addrLoc orb.Point
	outside orb.Point
}

func districtFacts(t *testing.T, b *bundle.Bundle) caseDistrict {
	d := caseDistrict{b: b, address: b.Buildings[len(b.Buildings)/2].Address, addrLoc: b.Buildings[len(b.Buildings)/2].Loc}
	for _, bl := range b.Buildings {
		far := true
		for _, p := range d.inside {
			far = far && geo.DistanceM(p, bl.Loc) > 300
		}
		if far {
			d.inside = append(d.inside, bl.Loc)
		}
		if len(d.inside) == 40 {
			break
		}
	}
	if len(d.inside) < 20 {
		t.Fatalf("only %d buildings 300 m apart", len(d.inside))
	}
	bd := b.District.Geom.Bound()
	d.outside = orb.Point{bd.Max[0] + 0.5, bd.Max[1] + 0.5}
	return d
}

type reply struct {
	status int
	body   []byte
	m      map[string]any
}

func call(t *testing.T, method, u, key string, body any) reply {
	t.Helper()
	var rd io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case url.Values:
		rd, ct = strings.NewReader(b.Encode()), "application/x-www-form-urlencoded"
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd, ct = bytes.NewReader(raw), "application/json"
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if key != "" {
		req.Header.Set("X-API-Key", key)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := reply{status: res.StatusCode, body: raw}
	_ = json.Unmarshal(raw, &r.m)
	return r
}

func (r reply) num(k string) float64 {
	f, _ := r.m[k].(float64)
	return f
}

func (r reply) str(k string) string {
	s, _ := r.m[k].(string)
	return s
}

func want(t *testing.T, what string, r reply, status int) reply {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: %d, want %d: %s", what, r.status, status, r.body)
	}
	return r
}

var caseEpoch = time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)

func incidentBody(ch cases.Channel, ext, cat string, p *orb.Point, addr string, at time.Time) map[string]any {
	m := map[string]any{"channel": string(ch), "external_id": ext, "category": cat, "description": "报告 " + ext,
		"reported_at": at.Format(time.RFC3339)}
	if p != nil {
		m["location"] = map[string]any{"lon": p[0], "lat": p[1], "crs": "wgs84"}
	}
	if addr != "" {
		m["address"] = addr
	}
	return m
}

// caseLoop drives the whole loop over HTTP against a running gridd.
func caseLoop(t *testing.T, base string, k caseKeys, d caseDistrict, unitA, unitB, dept string) {
	at := caseEpoch
	post := func(key string, body map[string]any) reply {
		return call(t, "POST", base+"/incidents", key, body)
	}
	act := func(key string, id float64, body map[string]any) reply {
		return call(t, "POST", fmt.Sprintf("%s/cases/%d/events", base, int(id)), key, body)
	}

	// Every channel, located by point and routed.
	var firstCase float64
	for i, ch := range cases.Channels {
		p := d.inside[i]
		r := want(t, "channel "+string(ch), post(k.intakeA, incidentBody(ch, "ch-"+string(ch), "oth_other", &p, "", at)), 201)
		if r.m["located"] != true || r.str("located_by") != "point" || r.str("community_code") == "" || r.num("case_id") == 0 {
			t.Fatalf("channel %s: %s", ch, r.body)
		}
		if rt, _ := r.m["routing"].(map[string]any); rt == nil || rt["subcentre"] == "" {
			t.Fatalf("channel %s: no routing: %s", ch, r.body)
		}
		if i == 0 {
			firstCase = r.num("case_id")
		}
	}

	// Idempotent, also under 20 concurrent retries of one new report.
	p0 := d.inside[0]
	again := want(t, "retry", post(k.intakeA, incidentBody(cases.Police, "ch-110", "oth_other", &p0, "", at)), 200)
	if again.num("case_id") != firstCase {
		t.Fatalf("retry: %s", again.body)
	}
	var wg sync.WaitGroup
	replies := make([]reply, 20)
	p1 := d.inside[20]
	for i := range replies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			replies[i] = post(k.intakeA, incidentBody(cases.Hotline, "retry-storm", "liv_elderly_help", &p1, "", at))
		}()
	}
	wg.Wait()
	created := 0
	for _, r := range replies {
		if r.status == 201 {
			created++
		} else if r.status != 200 {
			t.Fatalf("retry storm: %d %s", r.status, r.body)
		}
		if r.num("id") != replies[0].num("id") {
			t.Fatalf("retry storm: two ids")
		}
	}
	if created != 1 {
		t.Fatalf("retry storm: %d created", created)
	}

	// Address-only, also in full-width digits and 號.
	full := strings.NewReplacer("0", "０", "1", "１", "2", "２", "3", "３", "4", "４", "5", "５", "6", "６", "7", "７", "8", "８", "9", "９", "号", "號").Replace(d.address)
	r := want(t, "address", post(k.intakeA, incidentBody(cases.Portal, "addr-1", "ad_illegal_poster", nil, full, at)), 201)
	loc, _ := r.m["location"].(map[string]any)
	if r.str("located_by") != "address_exact" || loc == nil || loc["lon"] != d.addrLoc[0] || loc["lat"] != d.addrLoc[1] {
		t.Fatalf("address %q: %s", full, r.body)
	}

	// Unlocatable and outside reports are kept, queued, located later.
	lost := want(t, "no address", post(k.intakeA, incidentBody(cases.Hotline, "lost-1", "liv_water_outage", nil, "月球背面路", at)), 201)
	out := d.outside
	far := want(t, "outside", post(k.intakeA, incidentBody(cases.Video, "out-1", "liv_water_outage", &out, "", at)), 201)
	for _, q := range []reply{lost, far} {
		if q.m["located"] != false || q.str("reason") == "" || q.m["case_id"] != nil {
			t.Fatalf("queued: %s", q.body)
		}
	}
	queue := want(t, "queue", call(t, "GET", base+"/incidents?located=false", k.dispatcher, nil), 200)
	if n := len(queue.m["incidents"].([]any)); n != 2 {
		t.Fatalf("queue has %d: %s", n, queue.body)
	}
	p2 := d.inside[21]
	want(t, "intake locates", call(t, "PUT", fmt.Sprintf("%s/incidents/%d/location", base, int(lost.num("id"))), k.intakeA,
		map[string]any{"lon": p2[0], "lat": p2[1]}), 403)
	located := want(t, "dispatcher locates", call(t, "PUT", fmt.Sprintf("%s/incidents/%d/location", base, int(lost.num("id"))),
		k.dispatcher, map[string]any{"lon": p2[0], "lat": p2[1]}), 200)
	if located.str("located_by") != "manual" || located.num("case_id") == 0 {
		t.Fatalf("located: %s", located.body)
	}
	want(t, "locate outside", call(t, "PUT", fmt.Sprintf("%s/incidents/%d/location", base, int(far.num("id"))),
		k.dispatcher, map[string]any{"lon": out[0], "lat": out[1]}), 422)

	// Duplicates: linked within 50 m, counted once; unlinked by a dispatcher.
	p3 := d.inside[22]
	a := want(t, "dup a", post(k.intakeA, incidentBody(cases.Hotline, "dup-a", "env_litter", &p3, "", at)), 201)
	near := orb.Point{p3[0] + 0.0002, p3[1]} // about 20 m east
	b := want(t, "dup b", post(k.intakeB, incidentBody(cases.Petition, "dup-b", "env_litter", &near, "", at.Add(time.Hour))), 201)
	if b.m["duplicate"] != true || b.num("case_id") != a.num("case_id") {
		t.Fatalf("not linked: %s", b.body)
	}
	c := want(t, "dup case", call(t, "GET", fmt.Sprintf("%s/cases/%d", base, int(a.num("case_id"))), k.dispatcher, nil), 200)
	if n := len(c.m["incidents"].([]any)); n != 2 {
		t.Fatalf("dup case has %d incidents", n)
	}
	want(t, "intake unlinks", call(t, "POST", fmt.Sprintf("%s/incidents/%d/unlink", base, int(b.num("id"))), k.intakeB, nil), 403)
	un := want(t, "unlink", call(t, "POST", fmt.Sprintf("%s/incidents/%d/unlink", base, int(b.num("id"))), k.dispatcher, nil), 200)
	if un.m["duplicate"] != false || un.num("case_id") == a.num("case_id") {
		t.Fatalf("unlinked: %s", un.body)
	}

	// Intake boundaries: a platform sees only its own reports.
	want(t, "other platform's report", call(t, "GET", fmt.Sprintf("%s/incidents/%d", base, int(a.num("id"))), k.intakeB, nil), 404)
	want(t, "own report", call(t, "GET", fmt.Sprintf("%s/incidents/%d", base, int(b.num("id"))), k.intakeB, nil), 200)
	mine := want(t, "own list", call(t, "GET", base+"/incidents", k.intakeB, nil), 200)
	if n := len(mine.m["incidents"].([]any)); n != 1 {
		t.Fatalf("platform b lists %d incidents", n)
	}
	want(t, "public POST /incidents", post("", incidentBody(cases.Hotline, "pub", "env_litter", &p3, "", at)), 401)
	want(t, "public cases", call(t, "GET", base+"/cases", "", nil), 401)
	want(t, "intake cases", call(t, "GET", base+"/cases", k.intakeA, nil), 403)

	// The on-site path to evaluated, with a rework; each step also tries
	// an action the stage does not allow.
	id := a.num("case_id")
	illegal := func(action string, stage string) {
		t.Helper()
		r := want(t, "illegal "+action+" at "+stage, act(k.dispatcher, id, map[string]any{"action": action, "ok": true, "satisfaction": 3, "reason": "x", "unit": unitB}), 409)
		cur := want(t, "case", call(t, "GET", fmt.Sprintf("%s/cases/%d", base, int(id)), k.dispatcher, nil), 200)
		if r.str("stage") != stage || fmt.Sprint(r.m["allowed_actions"]) != fmt.Sprint(cur.m["allowed_actions"]) {
			t.Fatalf("409 at %s: %s (case allows %v)", stage, r.body, cur.m["allowed_actions"])
		}
	}
	illegal("accept", "reported")
	want(t, "planner files", act(k.planner, id, map[string]any{"action": "file"}), 403)
	want(t, "file", act(k.dispatcher, id, map[string]any{"action": "file"}), 200)
	illegal("resolve", "filed")
	want(t, "planner dispatches", act(k.planner, id, map[string]any{"action": "dispatch", "unit": unitA}), 403)
	want(t, "unit dispatches", act(k.unitA, id, map[string]any{"action": "dispatch", "unit": unitA}), 403)
	want(t, "dispatch", act(k.dispatcher, id, map[string]any{"action": "dispatch", "unit": unitA}), 200)
	// unit A now holds this case: dispatching another case to it is 409.
	other := un.num("case_id")
	want(t, "file other", act(k.dispatcher, other, map[string]any{"action": "file"}), 200)
	busy := want(t, "busy unit", act(k.dispatcher, other, map[string]any{"action": "dispatch", "unit": unitA}), 409)
	if busy.num("held_case") != id || busy.str("unit") != unitA {
		t.Fatalf("busy: %s", busy.body)
	}
	illegal("verify", "dispatched")
	want(t, "other unit accepts", act(k.unitB, id, map[string]any{"action": "accept"}), 403)
	want(t, "dept accepts", act(k.dept, id, map[string]any{"action": "accept"}), 403)
	for _, s := range []string{"accept", "arrive", "resolve"} {
		want(t, "unit "+s, act(k.unitA, id, map[string]any{"action": s}), 200)
	}
	want(t, "unit verifies", act(k.unitA, id, map[string]any{"action": "verify", "ok": true}), 403)
	illegal("evaluate", "resolved")
	rw := want(t, "rework", act(k.dispatcher, id, map[string]any{"action": "verify", "ok": false, "note": "再处理"}), 200)
	if rw.str("stage") != "dispatched" || rw.num("rework") != 1 {
		t.Fatalf("rework: %s", rw.body)
	}
	for _, s := range []string{"accept", "resolve"} {
		want(t, "unit "+s+" again", act(k.unitA, id, map[string]any{"action": s}), 200)
	}
	want(t, "close", act(k.dispatcher, id, map[string]any{"action": "verify", "ok": true}), 200)
	illegal("dispatch", "closed")
	ev := want(t, "evaluate", act(k.dispatcher, id, map[string]any{"action": "evaluate", "satisfaction": 5}), 200)
	if ev.str("stage") != "evaluated" {
		t.Fatalf("evaluate: %s", ev.body)
	}
	illegal("escalate", "evaluated")
	// The unit is free again.
	want(t, "dispatch other", act(k.dispatcher, other, map[string]any{"action": "dispatch", "unit": unitA}), 200)

	// The department path to evaluated.
	p4 := d.inside[23]
	dr := want(t, "dept report", post(k.intakeA, incidentBody(cases.Governance, "dept-1", "env_sewage", &p4, "", at)), 201)
	if rt, _ := dr.m["routing"].(map[string]any); rt["department"] != dept || rt["deadline"] == "" {
		t.Fatalf("department routing: %s", dr.body)
	}
	did := dr.num("case_id")
	want(t, "dept file", act(k.dispatcher, did, map[string]any{"action": "file"}), 200)
	want(t, "dept escalate", act(k.dispatcher, did, map[string]any{"action": "escalate", "note": "to the centre"}), 200)
	want(t, "unit on dept path", act(k.dispatcher, did, map[string]any{"action": "dispatch", "unit": unitB}), 422)
	want(t, "dept dispatch", act(k.dispatcher, did, map[string]any{"action": "dispatch", "department": dept}), 200)
	want(t, "unit acts on dept case", act(k.unitB, did, map[string]any{"action": "accept"}), 403)
	for _, s := range []string{"accept", "resolve"} {
		want(t, "dept "+s, act(k.dept, did, map[string]any{"action": s}), 200)
	}
	want(t, "dept close", act(k.dispatcher, did, map[string]any{"action": "verify", "ok": true}), 200)
	want(t, "dept evaluate", act(k.dispatcher, did, map[string]any{"action": "evaluate", "spot_check": true}), 200)
	dl := want(t, "dept list", call(t, "GET", base+"/cases", k.dept, nil), 200)
	dw := want(t, "dept's cases", call(t, "GET", base+"/cases?department="+dept, k.dispatcher, nil), 200)
	if dl.num("number_matched") != dw.num("number_matched") || dl.num("number_matched") < 2 {
		t.Fatalf("department sees %v cases, it has %v", dl.m["number_matched"], dw.m["number_matched"])
	}
	ul := want(t, "unit list", call(t, "GET", base+"/cases", k.unitA, nil), 200)
	if ul.num("number_matched") != 2 { // the evaluated one and the one it holds
		t.Fatalf("unit sees %v cases", ul.m["number_matched"])
	}
	want(t, "void no reason", act(k.dispatcher, firstCase, map[string]any{"action": "void"}), 422)
	want(t, "void", act(k.dispatcher, firstCase, map[string]any{"action": "void", "reason": "重复来电"}), 200)

	// KPIs: one per case, voids left out; the store's figures are checked
	// against Go in the contract suite, here against the cases served.
	all := want(t, "all cases", call(t, "GET", base+"/cases?limit=1000", k.dispatcher, nil), 200)
	void := want(t, "void cases", call(t, "GET", base+"/cases?stage=void", k.dispatcher, nil), 200)
	q := "/kpis?from=" + url.QueryEscape(at.Add(-time.Hour).Format(time.RFC3339)) + "&to=" + url.QueryEscape(at.Add(48*time.Hour).Format(time.RFC3339))
	want(t, "intake kpis", call(t, "GET", base+q, k.intakeA, nil), 403)
	kp := want(t, "kpis", call(t, "GET", base+q, k.planner, nil), 200)
	if kp.num("cases") != all.num("number_matched")-void.num("number_matched") || kp.num("closed") != 2 || kp.num("rework_rate") != 0.5 {
		t.Fatalf("kpis %s (%v cases, %v void)", kp.body, all.num("number_matched"), void.num("number_matched"))
	}
	if sat, _ := kp.m["satisfaction"].(map[string]any); sat["count"] != 1.0 || sat["mean"] != 5.0 {
		t.Fatalf("satisfaction %v", kp.m["satisfaction"])
	}
	// The map's visible area: the KPIs of the cases in a box are those of
	// the non-void cases /cases lists in the same box.
	box := fmt.Sprintf("%f,%f,%f,%f", d.inside[0][0]-0.02, d.inside[0][1]-0.02, d.inside[0][0]+0.02, d.inside[0][1]+0.02)
	inBox := want(t, "cases in box", call(t, "GET", base+"/cases?limit=1000&bbox="+box, k.dispatcher, nil), 200)
	voidBox := want(t, "void in box", call(t, "GET", base+"/cases?stage=void&bbox="+box, k.dispatcher, nil), 200)
	kb := want(t, "kpis in box", call(t, "GET", base+q+"&bbox="+box, k.dispatcher, nil), 200)
	if n := inBox.num("number_matched") - voidBox.num("number_matched"); kb.num("cases") != n || n < 1 || n >= kp.num("cases") {
		t.Fatalf("kpis in box %v cases, /cases in box %v (district %v)", kb.num("cases"), n, kp.num("cases"))
	}
	if p := want(t, "kpis bad bbox", call(t, "GET", base+q+"&bbox=119,32,118,31", k.dispatcher, nil), 400); !bytes.Contains(p.body, []byte(`"bbox"`)) {
		t.Fatalf("bad bbox: %s", p.body)
	}
	open311Loop(t, base, k, d)
	caseVersionLoop(t, base, k, d)
}

// callIfMatch is call with an If-Match header, answering the ETag too.
func callIfMatch(t *testing.T, u, key, ifMatch string, body any) (reply, string) {
	t.Helper()
	raw, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, u, bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-API-Key", key)
	if ifMatch != "" {
		req.Header.Set("If-Match", ifMatch)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return reply{}, ""
	}
	defer res.Body.Close()
	out := reply{status: res.StatusCode}
	out.body, _ = io.ReadAll(res.Body)
	_ = json.Unmarshal(out.body, &out.m)
	return out, res.Header.Get("ETag")
}

// caseVersionLoop: a case's ETag is its version; an action sent with
// If-Match applies only at that version, so a retried escalation is 412
// and escalates once, and of two dispatchers acting on one version only
// one applies; a repeated dispatch is 409 naming the unit; a malformed
// If-Match is 400 naming it.
func caseVersionLoop(t *testing.T, base string, k caseKeys, d caseDistrict) {
	// Two patrols the case loop leaves free.
	unitA, unitB := d.b.Patrols[len(d.b.Patrols)-1].ID, d.b.Patrols[len(d.b.Patrols)-2].ID
	p := d.inside[len(d.inside)-1]
	in := want(t, "versioned case", call(t, "POST", base+"/incidents", k.intakeA, incidentBody(cases.Hotline, "versioned-1", "env_litter", &p, "", caseEpoch)), 201)
	u := fmt.Sprintf("%s/cases/%d", base, int(in.num("case_id")))
	get := func() (reply, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		req.Header.Set("X-API-Key", k.dispatcher)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		r := reply{status: res.StatusCode}
		r.body, _ = io.ReadAll(res.Body)
		_ = json.Unmarshal(r.body, &r.m)
		return r, res.Header.Get("ETag")
	}
	c0, e0 := get()
	if c0.status != 200 || c0.str("stage") != "reported" || e0 == "" {
		t.Fatalf("the new case: %d %s, ETag %q", c0.status, c0.body, e0)
	}
	r, e1 := callIfMatch(t, u+"/events", k.dispatcher, e0, map[string]any{"action": "file"})
	if r.status != 200 || e1 == "" || e1 == e0 {
		t.Fatalf("file at %s: %d %s, ETag %q", e0, r.status, r.body, e1)
	}
	esc := map[string]any{"action": "escalate", "note": "urgent"}
	r, e2 := callIfMatch(t, u+"/events", k.dispatcher, e1, esc)
	if r.status != 200 || r.num("escalation") != 1 {
		t.Fatalf("escalate: %d %s", r.status, r.body)
	}
	retry, _ := callIfMatch(t, u+"/events", k.dispatcher, e1, esc)
	if retry.status != 412 || !reflectField(retry, "If-Match") {
		t.Fatalf("a retried escalation: %d %s, want 412 naming If-Match", retry.status, retry.body)
	}
	if c, e := get(); c.num("escalation") != 1 || e != e2 {
		t.Fatalf("after the refused retry: escalation %v, ETag %s (want 1, %s)", c.m["escalation"], e, e2)
	}
	// Two dispatchers on one version: one applies.
	units := []string{unitA, unitB}
	replies := concurrently(2, func(i int) reply {
		r, _ := callIfMatch(t, u+"/events", k.dispatcher, e2, map[string]any{"action": "dispatch", "unit": units[i]})
		return r
	})
	if s := []int{replies[0].status, replies[1].status}; !(s[0] == 200 && s[1] == 412 || s[0] == 412 && s[1] == 200) {
		t.Fatalf("two dispatchers on one version: %d %s / %d %s", s[0], replies[0].body, s[1], replies[1].body)
	}
	c, _ := get()
	won := unitA
	if replies[1].status == 200 {
		won = unitB
	}
	if c.str("unit") != won || c.str("stage") != "dispatched" {
		t.Fatalf("after two dispatchers: %s", c.body)
	}
	again := want(t, "the same dispatch again", call(t, "POST", u+"/events", k.dispatcher, map[string]any{"action": "dispatch", "unit": won}), 409)
	if !reflectField(again, "unit") {
		t.Fatalf("a repeated dispatch: %s", again.body)
	}
	for _, bad := range []string{"abc", `"a", "b"`, `"x"y"`} {
		r, _ := callIfMatch(t, u+"/events", k.dispatcher, bad, map[string]any{"action": "accept"})
		if r.status != 400 || !reflectField(r, "If-Match") {
			t.Fatalf("If-Match %s: %d %s", bad, r.status, r.body)
		}
	}
}

// open311Loop checks Open311 GeoReport v2 on the wire.
func open311Loop(t *testing.T, base string, k caseKeys, d caseDistrict) {
	svc := want(t, "services.json", call(t, "GET", base+"/open311/v2/services.json", "", nil), 200)
	if !bytes.HasPrefix(svc.body, []byte(`[{"service_code":"ad_illegal_banner","service_name":"违规横幅广告","description":"宣传广告：违规横幅广告","metadata":false,"type":"realtime","keywords":"宣传广告","group":"宣传广告"},`)) {
		t.Fatalf("services.json: %.300s", svc.body)
	}
	x := want(t, "services.xml", call(t, "GET", base+"/open311/v2/services.xml", "", nil), 200)
	if !bytes.HasPrefix(x.body, []byte(`<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<services><service><service_code>ad_illegal_banner</service_code><service_name>违规横幅广告</service_name><description>宣传广告：违规横幅广告</description><metadata>false</metadata><type>realtime</type><keywords>宣传广告</keywords><group>宣传广告</group></service>`)) {
		t.Fatalf("services.xml: %.300s", x.body)
	}
	p := d.inside[30]
	form := url.Values{"service_code": {"str_illegal_parking"}, "lat": {fmt.Sprint(p[1])}, "long": {fmt.Sprint(p[0])},
		"description": {"车辆占用人行道"}, "email": {"resident@example.org"}, "media_url": {"https://example.org/car.jpg"}}
	cr := want(t, "open311 post", call(t, "POST", base+"/open311/v2/requests.json", "", form), 201)
	var created []map[string]any
	if err := json.Unmarshal(cr.body, &created); err != nil || len(created) != 1 {
		t.Fatalf("post answer %s", cr.body)
	}
	rid := created[0]["service_request_id"].(string)
	if string(cr.body) != `[{"account_id":null,"service_notice":"","service_request_id":"`+rid+`"}]`+"\n" {
		t.Fatalf("post answer bytes %s", cr.body)
	}
	want(t, "open311 retry", call(t, "POST", base+"/open311/v2/requests.json", "", form), 200)
	one := want(t, "open311 get", call(t, "GET", base+"/open311/v2/requests/"+rid+".json", "", nil), 200)
	wantKeys := `[{"service_request_id":"` + rid + `","status":"open","status_notes":"reported","service_name":"违章停车","service_code":"str_illegal_parking","description":"车辆占用人行道","agency_responsible":null,"service_notice":null,"requested_datetime":"`
	if !bytes.HasPrefix(one.body, []byte(wantKeys)) || !bytes.Contains(one.body, []byte(`"address":"","address_id":null,"zipcode":null,"lat":`)) ||
		!bytes.HasSuffix(one.body, []byte(`"media_url":"https://example.org/car.jpg"}]`+"\n")) {
		t.Fatalf("request bytes %s", one.body)
	}
	want(t, "open311 list without ids", call(t, "GET", base+"/open311/v2/requests.json", "", nil), 403)
	mine := want(t, "open311 own", call(t, "GET", base+"/open311/v2/requests.json?service_request_id="+rid, "", nil), 200)
	if !bytes.Equal(mine.body, one.body) {
		t.Fatalf("own list %s", mine.body)
	}
	all := want(t, "open311 list", call(t, "GET", base+"/open311/v2/requests.json?status=open&api_key="+k.dispatcher, "", nil), 200)
	if !bytes.Contains(all.body, []byte(`"service_request_id":"`+rid+`"`)) {
		t.Fatalf("dispatcher list %s", all.body)
	}
	bad := want(t, "open311 bad code", call(t, "POST", base+"/open311/v2/requests.json", "", url.Values{"service_code": {"nope"}, "lat": {"32"}, "long": {"118"}}), 400)
	if !bytes.HasPrefix(bad.body, []byte(`[{"code":400,"description":"category: `)) {
		t.Fatalf("open311 error %s", bad.body)
	}
	badKey := want(t, "open311 bad key", call(t, "POST", base+"/open311/v2/requests.json", "", url.Values{"service_code": {"env_litter"}, "lat": {"32"}, "long": {"118"}, "api_key": {"wrong"}}), 403)
	if !bytes.HasPrefix(badKey.body, []byte(`[{"code":403,"description":"api_key: `)) {
		t.Fatalf("open311 key error %s", badKey.body)
	}
	// The public reads its request's status, not the case.
	cases := want(t, "public case", call(t, "GET", base+"/cases/1", "", nil), 401)
	_ = cases
}

// smallDistrictStore writes the storetest district (not Pukou) and a
// published plan of one grid per community into a new GeoPackage.
func smallDistrictStore(t *testing.T) (string, *bundle.Bundle) {
	dir := t.TempDir()
	db, err := gpkg.Open(context.Background(), filepath.Join(dir, "gridd.gpkg"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	b := storetest.SmallBundle(7)
	b.Departments = append(b.Departments, bundle.Department{Code: "DEPT-WA", Name: "水务"})
	if err := db.ImportBundle(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	id, err := db.CreatePlan(context.Background(), &gridplan.Plan{Name: "one grid a community", Params: gridplan.DefaultParams(),
		Grids: storetest.CommunityGrids(b), Report: json.RawMessage(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.PublishPlan(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	return dir, b
}

// TestCasesEmbedded runs the loop on the embedded store over a district
// of the test's own (not Pukou).
func TestCasesEmbedded(t *testing.T) {
	dir, b := smallDistrictStore(t)
	k := newCaseKeys(b.Patrols[0].ID, b.Patrols[1].ID, "DEPT-WA")
	base := startGridd(t, []string{"--data", dir, "--seed=false"}, map[string]string{"GRIDD_API_KEYS": k.lines})
	caseLoop(t, base, k, districtFacts(t, b), b.Patrols[0].ID, b.Patrols[1].ID, "DEPT-WA")
}

// TestCasesPostGIS runs the loop on PostGIS over the seeded Pukou district.
func TestCasesPostGIS(t *testing.T) {
	dsn := testenv.PostGIS(t)
	b, err := fixtures.LoadPukou()
	if err != nil {
		t.Fatal(err)
	}
	k := newCaseKeys(b.Patrols[0].ID, b.Patrols[1].ID, "DEPT-WA")
	base := startGridd(t, nil, map[string]string{"DATABASE_URL": dsn, "GRIDD_API_KEYS": k.lines})
	caseLoop(t, base, k, districtFacts(t, b), b.Patrols[0].ID, b.Patrols[1].ID, "DEPT-WA")
}

// TestEscalationAcrossRestart: a case falls due while gridd is down; the
// restarted service (its clock injected two hours later) escalates it to
// the sub-centre and then the centre without anyone asking.
func TestEscalationAcrossRestart(t *testing.T) {
	dir, b := smallDistrictStore(t)
	k := newCaseKeys(b.Patrols[0].ID, b.Patrols[1].ID, "DEPT-WA")
	env := map[string]string{"GRIDD_API_KEYS": k.lines}
	args := []string{"--data", dir, "--seed=false", "--escalate-every", "50ms"}
	d := districtFacts(t, b)
	var caseID float64
	t.Run("before", func(t *testing.T) {
		base := startGridd(t, append(args, "--clock-start", caseEpoch.Format(time.RFC3339)), env)
		p := d.inside[0]
		r := want(t, "report", call(t, "POST", base+"/incidents", k.intakeA,
			incidentBody(cases.Hotline, "esc-1", "env_litter", &p, "", caseEpoch)), 201) // dispatch within 1 h
		caseID = r.num("case_id")
		time.Sleep(300 * time.Millisecond)
		c := want(t, "case", call(t, "GET", fmt.Sprintf("%s/cases/%d", base, int(caseID)), k.dispatcher, nil), 200)
		if c.num("escalation") != 0 || c.m["overdue"] != false {
			t.Fatalf("escalated early: %s", c.body)
		}
	})
	t.Run("after", func(t *testing.T) {
		base := startGridd(t, append(args, "--clock-start", caseEpoch.Add(2*time.Hour+time.Minute).Format(time.RFC3339)), env)
		deadline := time.Now().Add(10 * time.Second)
		for {
			c := want(t, "case", call(t, "GET", fmt.Sprintf("%s/cases/%d", base, int(caseID)), k.dispatcher, nil), 200)
			if c.num("escalation") == 2 {
				n := 0
				for _, e := range c.m["events"].([]any) {
					if ev := e.(map[string]any); ev["action"] == "escalate" && ev["actor"] == "system" {
						n++
					}
				}
				if n != 2 || c.m["overdue"] != true {
					t.Fatalf("escalation events %d: %s", n, c.body)
				}
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("not escalated after restart: %s", c.body)
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
}
