package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/store"
)

// testKeyedDrafts: CreateDraftKeyed writes the draft and the answer
// (which names the draft's id) together; the answer is kept under the
// source plan; a second draft under the same key (a concurrent retry) is
// Conflict and makes no draft; an answer that fails, or fails Validate,
// leaves no draft; no source plan is NotFound.
func testKeyedDrafts(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	b := SmallBundle(11)
	mustImport(t, s, b)
	src, err := s.CreatePlan(ctx, NewPlan(b, "source", 0))
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 7000, time.UTC)
	stamp := func(key string) func(gridplan.PlanID) (store.KeyedAnswer, error) {
		return func(id gridplan.PlanID) (store.KeyedAnswer, error) {
			return store.KeyedAnswer{Key: key, Route: "drafts", RequestSHA256: "ab0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd",
				Status: 201, Body: []byte(`{"id":` + id.String() + `}`), CreatedAt: t0}, nil
		}
	}
	count := func() int {
		ps, err := s.Plans(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return len(ps)
	}
	n0 := count()

	// Refused answers leave nothing.
	boom := errors.New("boom")
	_, err = s.CreateDraftKeyed(ctx, src, "d", func(gridplan.PlanID) (store.KeyedAnswer, error) { return store.KeyedAnswer{}, boom })
	if !errors.Is(err, boom) {
		t.Fatalf("CreateDraftKeyed(failing answer) = %v, want boom", err)
	}
	bad := func(id gridplan.PlanID) (store.KeyedAnswer, error) {
		a, _ := stamp("x")(id)
		a.Status = 0
		return a, nil
	}
	_, err = s.CreateDraftKeyed(ctx, src, "d", bad)
	wantCode(t, "CreateDraftKeyed(invalid answer)", err, errs.Invalid)
	_, err = s.CreateDraftKeyed(ctx, src+1000, "d", stamp("k"))
	wantCode(t, "CreateDraftKeyed(no plan)", err, errs.NotFound)
	if n := count(); n != n0 {
		t.Fatalf("refused keyed drafts left %d plans, want %d", n, n0)
	}

	id, err := s.CreateDraftKeyed(ctx, src, "d", stamp("k"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := s.Plan(ctx, id)
	if err != nil || d.Status != gridplan.Draft || d.Parent != src || len(d.Grids) == 0 {
		t.Fatalf("keyed draft %d: %+v, %v", id, d, err)
	}
	a, err := s.KeyedAnswer(ctx, src, "k")
	if err != nil || string(a.Body) != `{"id":`+id.String()+`}` || a.Route != "drafts" || !a.CreatedAt.Equal(t0) {
		t.Fatalf("the draft's answer under the source plan: %+v, %v", a, err)
	}
	_, err = s.CreateDraftKeyed(ctx, src, "d", stamp("k"))
	wantCode(t, "CreateDraftKeyed(key used)", err, errs.Conflict)
	if n := count(); n != n0+1 {
		t.Fatalf("after a refused retry %d plans, want %d", n, n0+1)
	}

	// Concurrent writers of one key: exactly one draft.
	var wg sync.WaitGroup
	errc := make([]error, 3)
	for i := range errc {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, errc[i] = s.CreateDraftKeyed(context.WithoutCancel(ctx), src, "race", stamp("race"))
		}(i)
	}
	wg.Wait()
	ok := 0
	for _, err := range errc {
		if err == nil {
			ok++
		} else if !errs.Is(err, errs.Conflict) && !errs.Is(err, errs.Unavailable) {
			t.Fatalf("a concurrent keyed draft: %v, want Conflict (or Unavailable)", err)
		}
	}
	if ok != 1 || count() != n0+2 {
		t.Fatalf("%d of %d concurrent keyed drafts succeeded, %d plans; want one draft", ok, len(errc), count()-n0-1)
	}
}
