package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/internal/testenv"
	"github.com/gridd/gridd/store/gpkg"
	"github.com/gridd/gridd/store/postgis"
)

// TestPublishUnderLoad drives /locate from several clients while a draft
// is published and rolled back again and again: every answer must be a
// 200 naming the old grid or the new one at that point — never an error,
// never a third answer — and once a publish has answered, a new lookup
// sees the new plan (the swap is atomic and immediate on this replica).
func TestPublishUnderLoad(t *testing.T) {
	dir := t.TempDir()
	db, err := gpkg.Open(context.Background(), filepath.Join(dir, "gridd.gpkg"))
	if err != nil {
		t.Fatal(err)
	}
	b, grids, _ := plannerStore(t, db)
	db.Close()
	k := newCaseKeys(b.Patrols[0].ID, b.Patrols[1].ID, "DEPT-WA")
	base := startGridd(t, []string{"--data", dir, "--seed=false"}, map[string]string{"GRIDD_API_KEYS": k.lines})
	publishUnderLoad(t, base, k, b, grids)
}

// TestPublishUnderLoadPostGIS is TestPublishUnderLoad on PostGIS.
func TestPublishUnderLoadPostGIS(t *testing.T) {
	dsn := testenv.PostGIS(t)
	db, err := postgis.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	b, grids, _ := plannerStore(t, db)
	db.Close()
	k := newCaseKeys(b.Patrols[0].ID, b.Patrols[1].ID, "DEPT-WA")
	base := startGridd(t, []string{"--seed=false"}, map[string]string{"DATABASE_URL": dsn, "GRIDD_API_KEYS": k.lines})
	publishUnderLoad(t, base, k, b, grids)
}

func publishUnderLoad(t *testing.T, base string, k caseKeys, b *bundle.Bundle, grids []gridplan.Grid) {
	next := splitEast(t, b, grids, 0)
	east := next[len(next)-1]
	r := want(t, "draft", call(t, "POST", base+"/plans/1/drafts", k.planner, nil), 201)
	draft := r.str("id")
	want(t, "upload", upload(t, base+"/plans/"+draft+"/grids", k.planner, featureCollection(t, next)), 200)

	// Points whose grid changes (the east half) and points whose grid
	// does not (every other community's buildings).
	type probe struct {
		url      string
		old, new string
	}
	var probes []probe
	for _, bl := range b.Buildings {
		oldCode, newCode := codeAt(grids, bl.Loc), codeAt(next, bl.Loc)
		if oldCode == "" || newCode == "" {
			continue // on a shared edge: either answer is right; skip it
		}
		probes = append(probes, probe{fmt.Sprintf("%s/locate?lon=%.9f&lat=%.9f", base, bl.Loc[0], bl.Loc[1]), oldCode, newCode})
	}
	moving := 0
	for _, p := range probes {
		if p.old != p.new {
			moving++
		}
	}
	if moving == 0 || east.Households == 0 {
		t.Fatalf("no probe changes grid (%d probes)", len(probes))
	}

	var (
		stop                 atomic.Bool
		total, failed, onNew atomic.Int64
		mu                   sync.Mutex
		firstFailure         string
		wg                   sync.WaitGroup
		client               = &http.Client{Timeout: 10 * time.Second}
	)
	fail := func(s string) {
		failed.Add(1)
		mu.Lock()
		if firstFailure == "" {
			firstFailure = s
		}
		mu.Unlock()
	}
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; !stop.Load(); i++ {
				p := probes[i%len(probes)]
				res, err := client.Get(p.url)
				if err != nil {
					fail(err.Error())
					continue
				}
				body, _ := io.ReadAll(res.Body)
				res.Body.Close()
				total.Add(1)
				if res.StatusCode != 200 {
					fail(fmt.Sprintf("%s: %d %s", p.url, res.StatusCode, body))
					continue
				}
				var a struct {
					Grid struct{ Code string } `json:"grid"`
				}
				if err := json.Unmarshal(body, &a); err != nil {
					fail(err.Error())
					continue
				}
				switch a.Grid.Code {
				case p.new:
					if p.old != p.new {
						onNew.Add(1)
					}
				case p.old:
				default:
					fail(fmt.Sprintf("%s: grid %q, want %s or %s", p.url, a.Grid.Code, p.old, p.new))
				}
			}
		}(w)
	}

	// Publish and roll back five times under the load; after each answer
	// the first moving probe must already answer the published plan.
	var mover probe
	for _, p := range probes {
		if p.old != p.new {
			mover = p
			break
		}
	}
	for round := 0; round < 5; round++ {
		for _, step := range []struct{ plan, want string }{{draft, mover.new}, {"1", mover.old}} {
			time.Sleep(150 * time.Millisecond)
			want(t, "publish "+step.plan, call(t, "POST", base+"/plans/"+step.plan+"/publish", k.planner, nil), 200)
			r := want(t, "locate after publish", call(t, "GET", mover.url, "", nil), 200)
			g, _ := r.m["grid"].(map[string]any)
			if g["code"] != step.want {
				t.Fatalf("round %d: right after publishing plan %s the mover is in %v, want %s", round, step.plan, g["code"], step.want)
			}
		}
	}
	stop.Store(true)
	wg.Wait()
	t.Logf("%d lookups across 10 publishes, %d answered from the new plan at a moving point, %d failed", total.Load(), onNew.Load(), failed.Load())
	if failed.Load() != 0 {
		t.Fatalf("%d of %d lookups failed; first: %s", failed.Load(), total.Load(), firstFailure)
	}
	if onNew.Load() == 0 {
		t.Fatal("no lookup at a moving point ever answered the new plan: the test did not overlap a publish")
	}
}

// codeAt is the grid of grids strictly containing p, "" when p is on no
// grid's interior (on a shared edge or outside).
func codeAt(grids []gridplan.Grid, p orb.Point) string {
	code := ""
	for _, g := range grids {
		if planar.MultiPolygonContains(g.Geom, p) {
			if code != "" {
				return "" // on a shared edge: contains is boundary-inclusive
			}
			code = string(g.Code)
		}
	}
	return code
}

// TestPublishSeenByOtherReplica: two gridd on one PostGIS with the plan
// poll at an hour, so only the plan.published event (LISTEN/NOTIFY) can
// tell B. A publish on A must move B's /locate answer within a second
// (issue 14's target), and a rollback on B must reach A the same way.
func TestPublishSeenByOtherReplica(t *testing.T) {
	dsn := testenv.PostGIS(t)
	db, err := postgis.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	b, grids, _ := plannerStore(t, db)
	db.Close()
	k := newCaseKeys(b.Patrols[0].ID, b.Patrols[1].ID, "DEPT-WA")
	env := map[string]string{"DATABASE_URL": dsn, "GRIDD_API_KEYS": k.lines}
	baseA := startGridd(t, []string{"--seed=false", "--plan-poll=1h"}, env)
	baseB := startGridd(t, []string{"--seed=false", "--plan-poll=1h"}, env)

	next := splitEast(t, b, grids, 0)
	var mover orb.Point
	for _, bl := range b.Buildings {
		if codeAt(grids, bl.Loc) != "" && codeAt(next, bl.Loc) == string(next[len(next)-1].Code) {
			mover = bl.Loc
			break
		}
	}
	r := want(t, "draft", call(t, "POST", baseA+"/plans/1/drafts", k.planner, nil), 201)
	draft := r.str("id")
	want(t, "upload", upload(t, baseA+"/plans/"+draft+"/grids", k.planner, featureCollection(t, next)), 200)

	seen := func(base, wantCode, what string) {
		t.Helper()
		deadline := time.Now().Add(time.Second)
		for {
			got := gridAt(t, base, mover)
			if got == wantCode {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: after 1 s the other replica still answers %s, want %s", what, got, wantCode)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	start := time.Now()
	want(t, "publish on A", call(t, "POST", baseA+"/plans/"+draft+"/publish", k.planner, nil), 200)
	seen(baseB, string(next[len(next)-1].Code), "publish on A")
	t.Logf("B answered the plan published on A %v after the publish request began", time.Since(start).Round(time.Millisecond))
	start = time.Now()
	want(t, "rollback on B", call(t, "POST", baseB+"/plans/1/publish", k.planner, nil), 200)
	seen(baseA, string(grids[0].Code), "rollback on B")
	t.Logf("A answered the rollback made on B %v after it began", time.Since(start).Round(time.Millisecond))
}
