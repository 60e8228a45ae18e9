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
	for _, n := range grids {
		if n.Community == g.Community && n.Code != g.Code {
			if u, err := sfgeom.Union(g.Geom, n.Geom); err == nil && len(u) < len(g.Geom)+len(n.Geom) {
				body = map[string]any{"op": "merge", "grids": []string{string(g.Code), string(n.Code)}}
				break
			}
		}
	}
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
			b.ResetTimer()
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
	}
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
