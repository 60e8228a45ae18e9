package jobs

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gridd/gridd/errs"
)

func waitStatus(t *testing.T, st Store, id ID, want Status) *Job {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		j, err := st.Job(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if j.Status == want {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %d is %s, want %s", id, j.Status, want)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// TestRunnerLimitsConcurrency: with Concurrency 1 a second job stays
// queued until the first finishes; progress is written while running;
// results and errors land; MaxQueued refuses more.
func TestRunnerLimitsConcurrency(t *testing.T) {
	st := &MemStore{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := NewRunner(ctx, st, Config{Concurrency: 1, MaxQueued: 2, Heartbeat: 5 * time.Millisecond})
	release := make(chan struct{})
	first, err := r.Submit(ctx, "plan", json.RawMessage(`{"seed":1}`), func(ctx context.Context, progress func(int, int)) (json.RawMessage, error) {
		progress(3, 10)
		<-release
		return json.RawMessage(`{"plan":"7"}`), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	second, err := r.Submit(ctx, "plan", nil, func(ctx context.Context, progress func(int, int)) (json.RawMessage, error) {
		return nil, errs.E(errs.Invalid, "bundle", "has no communities")
	})
	if err != nil {
		t.Fatal(err)
	}
	j := waitStatus(t, st, first.ID, Running)
	for j.Done != 3 {
		time.Sleep(2 * time.Millisecond)
		j, _ = st.Job(ctx, first.ID)
	}
	if j.Total != 10 || j.StartedAt.IsZero() {
		t.Fatalf("running job %+v", j)
	}
	time.Sleep(30 * time.Millisecond)
	if j, _ := st.Job(ctx, second.ID); j.Status != Queued {
		t.Fatalf("second job is %s while the first runs, want queued", j.Status)
	}
	quick := func(context.Context, func(int, int)) (json.RawMessage, error) { return json.RawMessage(`{}`), nil }
	if _, err := r.Submit(ctx, "plan", nil, quick); err != nil {
		t.Fatalf("third job (queue of 2): %v", err)
	}
	if _, err := r.Submit(ctx, "plan", nil, quick); !errs.Is(err, errs.Unavailable) {
		t.Fatalf("fourth job beyond MaxQueued: %v, want Unavailable", err)
	}
	close(release)
	j = waitStatus(t, st, first.ID, Succeeded)
	if string(j.Result) != `{"plan":"7"}` || j.Done != 10 || j.FinishedAt.IsZero() {
		t.Fatalf("succeeded job %+v", j)
	}
	j = waitStatus(t, st, second.ID, Failed)
	if !json.Valid(j.Error) || len(j.Error) == 0 {
		t.Fatalf("failed job's error %q", j.Error)
	}
	cancel()
	r.Wait()
}

// TestRunnerStop: cancelling the Runner's context fails the running and
// the queued jobs ("interrupted") and Wait returns.
func TestRunnerStop(t *testing.T) {
	st := &MemStore{}
	ctx, cancel := context.WithCancel(context.Background())
	r := NewRunner(ctx, st, Config{})
	block := func(ctx context.Context, _ func(int, int)) (json.RawMessage, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	a, _ := r.Submit(context.Background(), "plan", nil, block)
	b, _ := r.Submit(context.Background(), "plan", nil, block)
	waitStatus(t, st, a.ID, Running)
	cancel()
	r.Wait()
	for _, id := range []ID{a.ID, b.ID} {
		j, _ := st.Job(context.Background(), id)
		if j.Status != Failed {
			t.Fatalf("job %d after stop: %s", id, j.Status)
		}
		var p map[string]any
		_ = json.Unmarshal(j.Error, &p)
		if d, _ := p["detail"].(string); !strings.Contains(d, "interrupted") {
			t.Fatalf("job %d error %s", id, j.Error)
		}
	}
}

// TestSweep: a job not written for Stale is failed; all fails every
// open job.
func TestSweep(t *testing.T) {
	st := &MemStore{}
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	r := NewRunner(context.Background(), st, Config{Stale: time.Minute, Now: func() time.Time { return now }})
	for _, age := range []time.Duration{2 * time.Minute, 10 * time.Second} {
		at := now.Add(-age)
		if _, err := st.CreateJob(context.Background(), &Job{Kind: "plan", Status: Queued, CreatedAt: at, UpdatedAt: at}); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := r.Sweep(context.Background(), false); n != 1 || err != nil {
		t.Fatalf("Sweep = %d, %v; want 1", n, err)
	}
	if n, err := r.Sweep(context.Background(), true); n != 1 || err != nil {
		t.Fatalf("Sweep(all) = %d, %v; want 1", n, err)
	}

}
