package storetest

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/jobs"
	"github.com/gridd/gridd/store"
)

// testJobKeys: a job created with a key is found by it (and keeps it
// through updates); a second job with the key is Conflict and writes
// nothing, also when two writers race; jobs without a key are never found
// by one; a malformed key is Invalid.
func testJobKeys(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	t0 := time.Date(2026, 3, 3, 8, 0, 0, 0, time.UTC)
	job := func(key string) *jobs.Job {
		return &jobs.Job{Kind: "plan", Status: jobs.Queued, Params: json.RawMessage(`{"seed":1}`), Key: key, CreatedAt: t0, UpdatedAt: t0}
	}
	plain, err := s.CreateJob(ctx, job(""))
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.JobByKey(ctx, "")
	wantCode(t, "JobByKey(\"\")", err, errs.NotFound)
	_, err = s.JobByKey(ctx, "k1")
	wantCode(t, "JobByKey(missing)", err, errs.NotFound)
	_, err = s.CreateJob(ctx, job("a\tb"))
	wantCode(t, "CreateJob(bad key)", err, errs.Invalid)

	j := job("k1")
	id, err := s.CreateJob(ctx, j)
	if err != nil {
		t.Fatal(err)
	}
	j.ID = id
	got, err := s.JobByKey(ctx, "k1")
	if err != nil || got.ID != id || got.Key != "k1" {
		t.Fatalf("JobByKey(k1) = %+v, %v; want job %d", got, err, id)
	}
	sameJob(t, "by key", got, j)
	if p, _ := s.Job(ctx, plain); p.Key != "" {
		t.Fatalf("a job without a key reads key %q", p.Key)
	}
	// The key stays through an update.
	j.Status, j.StartedAt, j.UpdatedAt = jobs.Running, t0.Add(time.Second), t0.Add(time.Second)
	if err := s.UpdateJob(ctx, j); err != nil {
		t.Fatal(err)
	}
	if got, err := s.JobByKey(ctx, "k1"); err != nil || got.ID != id || got.Status != jobs.Running {
		t.Fatalf("JobByKey after an update = %+v, %v", got, err)
	}
	_, err = s.CreateJob(ctx, job("k1"))
	wantCode(t, "CreateJob(key used)", err, errs.Conflict)

	// Racing writers of one key: one job.
	var wg sync.WaitGroup
	errc := make([]error, 3)
	ids := make([]jobs.ID, 3)
	for i := range errc {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			ids[i], errc[i] = s.CreateJob(context.WithoutCancel(ctx), job("race"))
		}(i)
	}
	wg.Wait()
	won := 0
	for i, err := range errc {
		switch {
		case err == nil:
			won++
			if got, _ := s.JobByKey(ctx, "race"); got == nil || got.ID != ids[i] {
				t.Fatalf("JobByKey(race) = %+v, want job %d", got, ids[i])
			}
		case !errs.Is(err, errs.Conflict) && !errs.Is(err, errs.Unavailable):
			t.Fatalf("a racing keyed job: %v, want Conflict", err)
		}
	}
	if won != 1 {
		t.Fatalf("%d of %d racing keyed jobs stored, want 1", won, len(errc))
	}
}
