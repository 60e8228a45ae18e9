package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
	"github.com/uber/h3-go/v4"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/fixtures"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/internal/sfgeom"
	"github.com/gridd/gridd/internal/testenv"
	"github.com/gridd/gridd/store"
	"github.com/gridd/gridd/store/gpkg"
	"github.com/gridd/gridd/store/postgis"
	"github.com/gridd/gridd/store/storetest"
)

// BenchmarkEditHTTPPukou: POST /plans/2/edits merging a ~500-household
// urban grid of Pukou with an adjacent grid of its community, through the
// real server, answered with the community's validation. The draft is
// put back (ReplaceGrids) outside the timer.
//
//	TEST_DATABASE_URL=... go test ./cmd/gridd -run '^$' -bench EditHTTP -benchtime 10x
func BenchmarkEditHTTPPukou(b *testing.B) {
	bd, err := fixtures.LoadPukou()
	if err != nil {
		b.Fatal(err)
	}
	grids, err := storetest.PukouPlan(bd)
	if err != nil {
		b.Fatal(err)
	}
	best, bestD := -1, math.Inf(1)
	for i, g := range grids {
		if d := math.Abs(float64(g.Households - 500)); g.Kind == bundle.Urban && d < bestD {
			best, bestD = i, d
		}
	}
	g := grids[best]
	var body map[string]any
	var n gridplan.Grid
	for _, n = range grids {
		if n.Community == g.Community && n.Code != g.Code {
			if u, err := sfgeom.Union(g.Geom, n.Geom); err == nil && len(u) < len(g.Geom)+len(n.Geom) {
				body = map[string]any{"op": "merge", "grids": []string{string(g.Code), string(n.Code)}}
				break
			}
		}
	}
	moveUnits := edgeUnitIDs(b, bd, grids, g, n)
	for _, tc := range []struct {
		name string
		open func(b *testing.B) (store.Store, []string, map[string]string)
	}{
		{"gpkg", func(b *testing.B) (store.Store, []string, map[string]string) {
			dir := b.TempDir()
			db, err := gpkg.Open(context.Background(), filepath.Join(dir, "gridd.gpkg"))
			if err != nil {
				b.Fatal(err)
			}
			return db, []string{"--data", dir, "--seed=false"}, nil
		}},
		{"postgis", func(b *testing.B) (store.Store, []string, map[string]string) {
			dsn := testenv.PostGIS(b)
			db, err := postgis.Open(context.Background(), dsn)
			if err != nil {
				b.Fatal(err)
			}
			return db, []string{"--seed=false"}, map[string]string{"DATABASE_URL": dsn}
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			ctx := context.Background()
			st, args, env := tc.open(b)
			defer st.Close()
			if err := st.ImportBundle(ctx, bd); err != nil {
				b.Fatal(err)
			}
			plan := &gridplan.Plan{Name: "pukou", Params: gridplan.DefaultParams(), Grids: grids}
			id, err := st.CreatePlan(ctx, plan)
			if err != nil {
				b.Fatal(err)
			}
			if err := st.PublishPlan(ctx, id); err != nil {
				b.Fatal(err)
			}
			draft, err := st.CreatePlan(ctx, &gridplan.Plan{Name: "draft", Parent: id, Params: plan.Params, Grids: grids})
			if err != nil {
				b.Fatal(err)
			}
			k := newCaseKeys(bd.Patrols[0].ID, bd.Patrols[1].ID, "DEPT-WA")
			if env == nil {
				env = map[string]string{}
			}
			env["GRIDD_API_KEYS"] = k.lines
			base := startGridd(b, args, env)
			u := fmt.Sprintf("%s/plans/%d/edits", base, draft)
			b.Run("merge", func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					r := callTB(b, "POST", u, k.planner, body)
					b.StopTimer()
					if r.status != 200 {
						b.Fatalf("%d: %s", r.status, r.body)
					}
					if err := st.ReplaceGrids(ctx, draft, grids); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
				}
			})
			// move: units of g on its edge with n go to n and back, one
			// move an op, the units stored with the draft (the first
			// move, which derives and stores them, is outside the timer).
			there := map[string]any{"op": "move", "units": moveUnits, "to": string(n.Code)}
			back := map[string]any{"op": "move", "units": moveUnits, "to": string(g.Code)}
			if r := callTB(b, "POST", u, k.planner, there); r.status != 200 {
				b.Fatalf("first move: %d: %s", r.status, r.body)
			}
			away := true // where the units are; b.Run calls the function more than once
			b.Run("move", func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					body := there
					if away {
						body = back
					}
					away = !away
					if r := callTB(b, "POST", u, k.planner, body); r.status != 200 {
						b.Fatalf("%d: %s", r.status, r.body)
					}
				}
			})
		})
	}
}

// edgeUnitIDs are up to three adjacent units of g (derived from the plan's
// grids of its community, as the server derives them) whose cells reach
// into n.
func edgeUnitIDs(b *testing.B, bd *bundle.Bundle, grids []gridplan.Grid, g, n gridplan.Grid) []string {
	c, _ := bd.Community(g.Community)
	var cg []gridplan.Grid
	for _, x := range grids {
		if x.Community == g.Community {
			cg = append(cg, x)
		}
	}
	us, err := gridplan.DeriveUnits(c, cg, bd.Buildings, gridplan.DefaultParams())
	if err != nil {
		b.Fatal(err)
	}
	var edge []gridplan.Unit
	for _, u := range us {
		if u.Grid != g.Code {
			continue
		}
		for _, v := range h3.CellToBoundary(u.ID.Cell()) {
			if planar.MultiPolygonContains(n.Geom, orb.Point{v.Lng, v.Lat}) {
				edge = append(edge, u)
				break
			}
		}
	}
	if len(edge) == 0 {
		b.Skip("no unit on the edge")
	}
	first := edge[len(edge)/2]
	ids := []string{first.ID.String()}
	for _, u := range edge {
		if len(ids) < 3 && u.ID != first.ID && u.ID.Cell().IsNeighbor(first.ID.Cell()) {
			ids = append(ids, u.ID.String())
		}
	}
	return ids
}

// callTB is call for benchmarks: a JSON POST with an API key.
func callTB(b testing.TB, method, u, key string, body any) reply {
	b.Helper()
	raw, err := json.Marshal(body)
	if err != nil {
		b.Fatal(err)
	}
	req, err := http.NewRequest(method, u, bytes.NewReader(raw))
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-API-Key", key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return reply{status: res.StatusCode, body: out}
}
