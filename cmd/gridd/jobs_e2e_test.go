package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/internal/testenv"
	"github.com/gridd/gridd/jobs"
	"github.com/gridd/gridd/store"
	"github.com/gridd/gridd/store/gpkg"
	"github.com/gridd/gridd/store/postgis"
)

// TestPlanJobsEmbedded runs plan jobs through the server on the embedded
// store.
func TestPlanJobsEmbedded(t *testing.T) {
	dir := t.TempDir()
	db, err := gpkg.Open(context.Background(), filepath.Join(dir, "gridd.gpkg"))
	if err != nil {
		t.Fatal(err)
	}
	b, grids := editStore(t, db)
	dead := deadJob(t, db)
	db.Close()
	k := newCaseKeys(b.Patrols[0].ID, b.Patrols[1].ID, "DEPT-WA")
	base := startGridd(t, []string{"--data", dir, "--seed=false"}, map[string]string{"GRIDD_API_KEYS": k.lines})
	jobLoop(t, base, k, grids, dead)
}

// TestPlanJobsPostGIS runs plan jobs through the server on PostGIS.
func TestPlanJobsPostGIS(t *testing.T) {
	dsn := testenv.PostGIS(t)
	db, err := postgis.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	b, grids := editStore(t, db)
	dead := deadJob(t, db)
	db.Close()
	k := newCaseKeys(b.Patrols[0].ID, b.Patrols[1].ID, "DEPT-WA")
	base := startGridd(t, []string{"--seed=false"}, map[string]string{"DATABASE_URL": dsn, "GRIDD_API_KEYS": k.lines})
	jobLoop(t, base, k, grids, dead)
}

// deadJob stores a job left running by a process that died an hour ago.
func deadJob(t *testing.T, st store.Store) jobs.ID {
	t.Helper()
	ctx := context.Background()
	at := time.Now().Add(-time.Hour).UTC()
	j := &jobs.Job{Kind: "plan", Status: jobs.Queued, Params: json.RawMessage(`{}`), CreatedAt: at, UpdatedAt: at}
	id, err := st.CreateJob(ctx, j)
	if err != nil {
		t.Fatal(err)
	}
	j.ID, j.Status, j.StartedAt, j.Done, j.Total = id, jobs.Running, at, 1, 4
	if err := st.UpdateJob(ctx, j); err != nil {
		t.Fatal(err)
	}
	return id
}

// pollJob polls GET /jobs/{id} until the job is finished.
func pollJob(t *testing.T, base, key, loc string) reply {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		r := want(t, "GET "+loc, call(t, "GET", base+loc, key, nil), 200)
		switch st := r.str("status"); st {
		case "succeeded", "failed":
			return r
		case "queued", "running":
		default:
			t.Fatalf("job status %q: %s", st, r.body)
		}
		if time.Now().After(deadline) {
			t.Fatalf("job not finished after 3 min: %s", r.body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// jobLoop: the dead process's job is failed "interrupted"; roles; bad
// parameters are 400 naming the field and start no job; a job plans the
// district into a new draft that validates; a warm job keeps its locked
// grid.
func jobLoop(t *testing.T, base string, k caseKeys, grids []gridplan.Grid, dead jobs.ID) {
	r := want(t, "the dead process's job", call(t, "GET", fmt.Sprintf("%s/jobs/%d", base, dead), k.planner, nil), 200)
	if r.str("status") != "failed" || r.str("finished") == "" {
		t.Fatalf("a job left running by a dead process: %s", r.body)
	}
	if e, _ := r.m["error"].(map[string]any); e == nil || e["status"] != float64(503) || fmt.Sprint(e["detail"])[:11] != "interrupted" {
		t.Fatalf("the dead job's error: %s", r.body)
	}
	post := func(key string, body any) reply { return call(t, "POST", base+"/plans", key, body) }
	want(t, "public POST /plans", post("", map[string]any{}), 401)
	want(t, "dispatcher POST /plans", post(k.dispatcher, map[string]any{}), 403)
	want(t, "GET /jobs/x", call(t, "GET", base+"/jobs/x", k.planner, nil), 400)
	want(t, "GET /jobs/999", call(t, "GET", base+"/jobs/999", k.planner, nil), 404)
	for _, tc := range []struct {
		body  any
		field string
	}{
		{map[string]any{"urban_target": 0}, "urban_target"},
		{map[string]any{"rural_target": "300"}, "rural_target"},
		{map[string]any{"tolerance_pct": 100}, "tolerance_pct"},
		{map[string]any{"refine_share_pct": -1}, "refine_share_pct"},
		{map[string]any{"seed": 1.5}, "seed"},
		{map[string]any{"colour": "red"}, "colour"},
		{map[string]any{"previous": 99}, "previous"},
		{map[string]any{"locked": []string{string(grids[0].Code)}}, "locked"},
		{map[string]any{"previous": 1, "locked": []string{string(grids[0].Code), "320111999999999"}}, "locked[1]"},
		{map[string]any{"previous": 1, "communities": []string{"320111999999"}}, "communities[0]"},
	} {
		r := want(t, fmt.Sprintf("POST /plans %v", tc.body), post(k.planner, tc.body), 400)
		if !reflectField(r, tc.field) {
			t.Errorf("POST /plans %v: problem does not name %s: %s", tc.body, tc.field, r.body)
		}
	}
	// No job was started by the refusals: the next job is the dead one's
	// successor.
	r = want(t, "POST /plans", post(k.planner, map[string]any{"seed": 3, "name": "job plan"}), 202)
	loc := fmt.Sprintf("/jobs/%d", dead+1)
	if got := r.str("status"); got != "queued" && got != "running" {
		t.Fatalf("a new job is %q: %s", got, r.body)
	}
	if id, _ := r.m["id"].(float64); int(id) != int(dead)+1 {
		t.Fatalf("the first job after the refusals is %v, want %d (a refusal started a job?)", r.m["id"], dead+1)
	}
	r = pollJob(t, base, k.planner, loc)
	if r.str("status") != "succeeded" {
		t.Fatalf("the plan job failed: %s", r.body)
	}
	var res struct {
		Plan       int `json:"plan,string"`
		Grids      int `json:"grids"`
		Validation struct {
			Errors int `json:"errors"`
		} `json:"validation"`
		Report map[string]any `json:"report"`
	}
	raw, _ := json.Marshal(r.m["result"])
	if err := json.Unmarshal(raw, &res); err != nil || res.Plan == 0 || res.Grids == 0 || res.Report["grids"] == nil {
		t.Fatalf("job result %s (%v)", raw, err)
	}
	prog, _ := r.m["progress"].(map[string]any)
	if prog["fraction"] != float64(1) || r.str("started") == "" || r.str("finished") == "" {
		t.Fatalf("a succeeded job's progress and times: %s", r.body)
	}
	p := want(t, "the job's draft", call(t, "GET", fmt.Sprintf("%s/plans/%d", base, res.Plan), k.planner, nil), 200)
	if p.str("status") != "draft" || p.str("name") != "job plan" {
		t.Fatalf("the job's plan: %s", p.body)
	}
	// The partitioner's units are stored with the draft (what a move names).
	someGrid := ""
	for c := range planGrids(t, base, k.planner, res.Plan) {
		someGrid = c
		break
	}
	u := want(t, "the draft's units", call(t, "GET", fmt.Sprintf("%s/plans/%d/units?grid=%s", base, res.Plan, someGrid), k.planner, nil), 200)
	if fs, _ := u.m["features"].([]any); len(fs) == 0 {
		t.Fatalf("grid %s of the job's draft has no units: %.300s", someGrid, u.body)
	}
	v := want(t, "the draft's validation", call(t, "GET", fmt.Sprintf("%s/plans/%d/validation", base, res.Plan), k.planner, nil), 200)
	if errsList, _ := v.m["errors"].([]any); len(errsList) != 0 || res.Validation.Errors != 0 {
		t.Fatalf("the job's draft fails validation: %s", v.body)
	}

	// Warm from plan 1 with its first grid locked, another seed: the
	// locked grid is kept as it is.
	r = want(t, "POST /plans warm", post(k.planner, map[string]any{"seed": 11, "previous": 1, "locked": []string{string(grids[0].Code)}}), 202)

	r = pollJob(t, base, k.planner, fmt.Sprintf("/jobs/%v", r.m["id"]))
	if r.str("status") != "succeeded" {
		t.Fatalf("the warm job failed: %s", r.body)
	}
	raw, _ = json.Marshal(r.m["result"])
	_ = json.Unmarshal(raw, &res)
	got := planGrids(t, base, k.planner, res.Plan)
	if g, ok := got[string(grids[0].Code)]; !ok || !g.Locked || g.Households != grids[0].Households {
		t.Fatalf("the locked grid %s in the warm plan: %+v", grids[0].Code, g)
	}
	p = want(t, "the warm draft", call(t, "GET", fmt.Sprintf("%s/plans/%d", base, res.Plan), k.planner, nil), 200)
	if p.str("parent") != "1" {
		t.Fatalf("the warm draft's parent: %.300s", p.body)
	}

	// Re-plan one community of plan 1: every other grid is kept as it is.
	r = want(t, "POST /plans one community", post(k.planner, map[string]any{"seed": 5, "previous": 1, "communities": []string{string(grids[0].Community)}}), 202)
	r = pollJob(t, base, k.planner, fmt.Sprintf("/jobs/%v", r.m["id"]))
	if r.str("status") != "succeeded" {
		t.Fatalf("the one-community job failed: %s", r.body)
	}
	raw, _ = json.Marshal(r.m["result"])
	_ = json.Unmarshal(raw, &res)
	got = planGrids(t, base, k.planner, res.Plan)
	for _, g := range grids {
		if g.Community == grids[0].Community {
			continue
		}
		if h, ok := got[string(g.Code)]; !ok || h.Households != g.Households {
			t.Fatalf("grid %s of another community in the one-community plan: %+v", g.Code, h)
		}
	}
	v = want(t, "the one-community draft's validation", call(t, "GET", fmt.Sprintf("%s/plans/%d/validation", base, res.Plan), k.planner, nil), 200)
	if errsList, _ := v.m["errors"].([]any); len(errsList) != 0 {
		t.Fatalf("the one-community draft fails validation: %.500s", v.body)
	}
	keyedPlanJobs(t, base, k, grids)
}

// keyedPlanJobs: POST /plans with an Idempotency-Key starts one job however
// often it is sent (concurrently, re-spaced, later): every answer is 202
// naming that job, the repeats marked Idempotent-Replayed; the key with
// other parameters is 422 naming the header; a malformed key is 400.
func keyedPlanJobs(t *testing.T, base string, k caseKeys, grids []gridplan.Grid) {
	body := fmt.Sprintf(`{"seed":7,"previous":1,"communities":["%s"],"name":"keyed job"}`, grids[0].Community)
	const clients = 4
	replies := concurrently(clients, func(int) keyedReply { return keyedPost(t, base+"/plans", k.planner, "plan-1", body) })
	started := 0
	for i, r := range replies {
		if r.status != 202 || r.m["id"] != replies[0].m["id"] {
			t.Fatalf("keyed POST /plans %d: %d %s (first: %s)", i, r.status, r.body, replies[0].body)
		}
		if !r.replayed {
			started++
		}
	}
	if started != 1 {
		t.Fatalf("%d of %d concurrent keyed POST /plans started a job, want 1", started, clients)
	}
	id := replies[0].m["id"]
	done := pollJob(t, base, k.planner, fmt.Sprintf("/jobs/%v", id))
	if done.str("status") != "succeeded" {
		t.Fatalf("the keyed job failed: %s", done.body)
	}
	// After it finished, a re-spaced retry still answers the job (now done).
	later := keyedPost(t, base+"/plans", k.planner, "plan-1", strings.ReplaceAll(body, ",", ", "))
	if later.status != 202 || !later.replayed || later.m["id"] != id || later.str("status") != "succeeded" {
		t.Fatalf("a later keyed retry: %d replayed=%v %s", later.status, later.replayed, later.body)
	}
	other := keyedPost(t, base+"/plans", k.planner, "plan-1", `{"seed":8}`)
	if other.status != 422 || !reflectField(other.reply, "Idempotency-Key") {
		t.Fatalf("the key with other parameters: %d %s", other.status, other.body)
	}
	unkeyed := keyedPost(t, base+"/plans", k.planner, "", body)
	if unkeyed.status != 202 || unkeyed.m["id"] == id {
		t.Fatalf("an unkeyed POST /plans: %d %s (want a new job)", unkeyed.status, unkeyed.body)
	}
	pollJob(t, base, k.planner, fmt.Sprintf("/jobs/%v", unkeyed.m["id"]))
	req, _ := http.NewRequest(http.MethodPost, base+"/plans", strings.NewReader(body))
	req.Header.Set("X-API-Key", k.planner)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", "é")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 400 {
		t.Fatalf("a non-ASCII key: %d, want 400", res.StatusCode)
	}
}
