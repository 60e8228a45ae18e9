package storetest

import (
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/jobs"
	"github.com/gridd/gridd/store"
)

func sameJobJSON(t *testing.T, what string, got, want json.RawMessage) {
	t.Helper()
	if len(want) == 0 {
		if len(got) != 0 {
			t.Fatalf("%s: got %s, want none", what, got)
		}
		return
	}
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("%s: %v in %q", what, err, got)
	}
	_ = json.Unmarshal(want, &w)
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	if string(gb) != string(wb) {
		t.Fatalf("%s: got %s, want %s", what, gb, wb)
	}
}

func sameJob(t *testing.T, what string, got, want *jobs.Job) {
	t.Helper()
	if got.ID != want.ID || got.Kind != want.Kind || got.Status != want.Status || got.Done != want.Done || got.Total != want.Total ||
		!got.CreatedAt.Equal(want.CreatedAt) || !got.StartedAt.Equal(want.StartedAt) || !got.FinishedAt.Equal(want.FinishedAt) || !got.UpdatedAt.Equal(want.UpdatedAt) {
		t.Fatalf("%s: got %+v, want %+v", what, *got, *want)
	}
	sameJobJSON(t, what+" params", got.Params, want.Params)
	sameJobJSON(t, what+" result", got.Result, want.Result)
	sameJobJSON(t, what+" error", got.Error, want.Error)
}

// testJobs: CreateJob, Job, UpdateJob through a job's life (queued,
// running with progress, succeeded with a result), a finished job never
// changes again, invalid jobs are refused, and InterruptJobs fails only
// the open jobs not updated since its cut-off.
func testJobs(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	t0 := time.Date(2026, 3, 1, 8, 0, 0, 123456000, time.UTC)
	_, err := s.Job(ctx, 1)
	wantCode(t, "Job(missing)", err, errs.NotFound)
	j := &jobs.Job{Kind: "plan", Status: jobs.Queued, Params: json.RawMessage(`{"seed": 3, "urban_target": 480}`), CreatedAt: t0, UpdatedAt: t0}
	id, err := s.CreateJob(ctx, j)
	if err != nil {
		t.Fatal(err)
	}
	j.ID = id
	got, err := s.Job(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	sameJob(t, "queued", got, j)
	_, err = s.CreateJob(ctx, &jobs.Job{Kind: "", Status: jobs.Queued, CreatedAt: t0, UpdatedAt: t0})
	wantCode(t, "CreateJob(no kind)", err, errs.Invalid)
	_, err = s.CreateJob(ctx, &jobs.Job{Kind: "plan", Status: jobs.Running, StartedAt: t0, CreatedAt: t0, UpdatedAt: t0})
	wantCode(t, "CreateJob(running)", err, errs.Invalid)

	j.Status, j.StartedAt, j.UpdatedAt, j.Done, j.Total = jobs.Running, t0.Add(time.Second), t0.Add(time.Second), 40, 125
	if err := s.UpdateJob(ctx, j); err != nil {
		t.Fatal(err)
	}
	got, _ = s.Job(ctx, id)
	sameJob(t, "running", got, j)
	bad := *j
	bad.Done = 200
	wantCode(t, "UpdateJob(done > total)", s.UpdateJob(ctx, &bad), errs.Invalid)
	missing := *j
	missing.ID = id + 100
	wantCode(t, "UpdateJob(missing)", s.UpdateJob(ctx, &missing), errs.NotFound)

	j.Status, j.FinishedAt, j.UpdatedAt, j.Done = jobs.Succeeded, t0.Add(3*time.Second), t0.Add(3*time.Second), 125
	j.Result = json.RawMessage(`{"plan": 7, "report": {"grids": 719}}`)
	if err := s.UpdateJob(ctx, j); err != nil {
		t.Fatal(err)
	}
	got, _ = s.Job(ctx, id)
	sameJob(t, "succeeded", got, j)
	again := *j
	again.Status, again.Result, again.Error = jobs.Failed, nil, json.RawMessage(`{"detail": "late"}`)
	wantCode(t, "UpdateJob(finished)", s.UpdateJob(ctx, &again), errs.Conflict)
	got, _ = s.Job(ctx, id)
	sameJob(t, "after a refused update", got, j)

	// Two open jobs: one updated long ago (its process died), one
	// recently; InterruptJobs fails only the first.
	old := &jobs.Job{Kind: "plan", Status: jobs.Queued, Params: json.RawMessage(`{}`), CreatedAt: t0, UpdatedAt: t0}
	if old.ID, err = s.CreateJob(ctx, old); err != nil {
		t.Fatal(err)
	}
	old.Status, old.StartedAt = jobs.Running, t0
	if err := s.UpdateJob(ctx, old); err != nil {
		t.Fatal(err)
	}
	fresh := &jobs.Job{Kind: "plan", Status: jobs.Queued, Params: json.RawMessage(`{}`), CreatedAt: t0, UpdatedAt: t0.Add(time.Hour)}
	if fresh.ID, err = s.CreateJob(ctx, fresh); err != nil {
		t.Fatal(err)
	}
	at := t0.Add(2 * time.Hour)
	prob := json.RawMessage(`{"title": "Service Unavailable", "detail": "interrupted"}`)
	_, err = s.InterruptJobs(ctx, t0.Add(time.Minute), at, json.RawMessage(`{`))
	wantCode(t, "InterruptJobs(bad problem)", err, errs.Invalid)
	n, err := s.InterruptJobs(ctx, t0.Add(time.Minute), at, prob)
	if err != nil || n != 1 {
		t.Fatalf("InterruptJobs = %d, %v; want 1 (the running job updated at t0)", n, err)
	}
	old.Status, old.FinishedAt, old.UpdatedAt, old.Error = jobs.Failed, at, at, prob
	got, _ = s.Job(ctx, old.ID)
	sameJob(t, "interrupted", got, old)
	got, _ = s.Job(ctx, fresh.ID)
	sameJob(t, "the recent job after InterruptJobs", got, fresh)
	got, _ = s.Job(ctx, id)
	sameJob(t, "the succeeded job after InterruptJobs", got, j)
}

// testKeyedEdits: EditGridsKeyed writes the edit and the answer together;
// KeyedAnswer reads it back byte for byte; a second write under the same
// key (a concurrent retry) is Conflict and writes nothing, nor does a
// refused edit store its key; keys are per plan and go with the plan's
// validity rules.
func testKeyedEdits(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	b := SmallBundle(7)
	mustImport(t, s, b)
	pa := NewPlan(b, "keyed", 0)
	id, err := s.CreatePlan(ctx, pa)
	if err != nil {
		t.Fatal(err)
	}
	other, err := s.CreatePlan(ctx, NewPlan(b, "other", 0))
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 3, 1, 8, 0, 0, 5000, time.UTC)
	ans := store.KeyedAnswer{Key: "retry-1", Route: "edits", RequestSHA256: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		Status: 200, Body: []byte("{\"plan\":1,  \"op\":\"merge\"}\n"), CreatedAt: t0}
	_, err = s.KeyedAnswer(ctx, id, "retry-1")
	wantCode(t, "KeyedAnswer(missing)", err, errs.NotFound)
	changed := pa.Grids[0]
	changed.Households += 3
	base := []gridplan.Grid{pa.Grids[0]}
	// A refused edit (stale base) stores no key.
	stale := []gridplan.Grid{pa.Grids[0]}
	stale[0].Households++
	wantCode(t, "EditGridsKeyed(stale)", s.EditGridsKeyed(ctx, id, []gridplan.Grid{changed}, nil, stale, nil, ans), errs.Conflict)
	_, err = s.KeyedAnswer(ctx, id, "retry-1")
	wantCode(t, "KeyedAnswer after a refused edit", err, errs.NotFound)
	badAns := ans
	badAns.Key = "a\nb"
	wantCode(t, "EditGridsKeyed(bad key)", s.EditGridsKeyed(ctx, id, []gridplan.Grid{changed}, nil, base, nil, badAns), errs.Invalid)

	if err := s.EditGridsKeyed(ctx, id, []gridplan.Grid{changed}, nil, base, nil, ans); err != nil {
		t.Fatal(err)
	}
	got, err := s.KeyedAnswer(ctx, id, "retry-1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Key != ans.Key || got.Route != ans.Route || got.RequestSHA256 != ans.RequestSHA256 || got.Status != ans.Status ||
		string(got.Body) != string(ans.Body) || !got.CreatedAt.Equal(ans.CreatedAt) {
		t.Fatalf("KeyedAnswer = %+v, want %+v", got, ans)
	}
	p, _ := s.Plan(ctx, id)
	want := append([]gridplan.Grid{changed}, pa.Grids[1:]...)
	sameGrids(t, "after the keyed edit", p.Grids, want)
	// The same key again, even for an edit that would apply: Conflict,
	// nothing written.
	again := changed
	again.Households += 5
	wantCode(t, "EditGridsKeyed(key used)", s.EditGridsKeyed(ctx, id, []gridplan.Grid{again}, nil, []gridplan.Grid{changed}, nil, ans), errs.Conflict)
	p, _ = s.Plan(ctx, id)
	sameGrids(t, "after a refused keyed edit", p.Grids, want)
	// Keys are per plan.
	_, err = s.KeyedAnswer(ctx, other, "retry-1")
	wantCode(t, "KeyedAnswer(other plan)", err, errs.NotFound)

	// Two concurrent writers of one key on fresh grids: exactly one wins.
	op := NewPlan(b, "race", 0)
	rid, err := s.CreatePlan(ctx, op)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errc := make([]error, 2)
	for i := range errc {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			g := op.Grids[i+1]
			g.Households += 1
			a := ans
			a.Key = "race"
			errc[i] = s.EditGridsKeyed(ctx, rid, []gridplan.Grid{g}, nil, []gridplan.Grid{op.Grids[i+1]}, nil, a)
		}(i)
	}
	wg.Wait()
	if (errc[0] == nil) == (errc[1] == nil) {
		t.Fatalf("two writers of one key: %v, %v; want exactly one to succeed", errc[0], errc[1])
	}
	for _, err := range errc {
		if err != nil {
			wantCode(t, "the second writer of a key", err, errs.Conflict)
		}
	}
	p, _ = s.Plan(ctx, rid)
	n := 0
	for i, g := range p.Grids {
		if g.Households != op.Grids[i].Households {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d grids changed by two writers of one key, want 1", n)
	}
}
