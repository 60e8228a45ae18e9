package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"github.com/gridd/gridd/gridplan"
)

// checkDiffInPostGIS compares GET /plans/{a}/diff/{b} with PostGIS's own
// reading of the same two stored plans: the grids added, removed and
// changed (by code, ST_Equals and households), and the buildings that
// change grid with their households (each building in the grid that
// ST_Covers it in each plan). A building on a shared edge is covered by
// two grids in PostGIS, where gridd's tie rule picks one: such buildings
// are left out of the comparison and counted, and must be few.
func checkDiffInPostGIS(t *testing.T, base, key, dsn string, a, b int) {
	t.Helper()
	r := want(t, "diff", call(t, "GET", fmt.Sprintf("%s/plans/%d/diff/%d", base, a, b), key, nil), 200)
	var d gridplan.PlanDiff
	if err := json.Unmarshal(r.body, &d); err != nil {
		t.Fatal(err)
	}
	db := dbConn(t, dsn)
	ctx := context.Background()
	codes := func(q string) []string {
		rows, err := db.Query(ctx, q, a, b)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var c string
			if err := rows.Scan(&c); err != nil {
				t.Fatal(err)
			}
			out = append(out, c)
		}
		if rows.Err() != nil {
			t.Fatal(rows.Err())
		}
		return out
	}
	added := codes(`SELECT code FROM grids WHERE plan_id = $2 AND code NOT IN (SELECT code FROM grids WHERE plan_id = $1) ORDER BY code`)
	removed := codes(`SELECT code FROM grids WHERE plan_id = $1 AND code NOT IN (SELECT code FROM grids WHERE plan_id = $2) ORDER BY code`)
	changed := codes(`SELECT ga.code FROM grids ga JOIN grids gb ON gb.code = ga.code AND gb.plan_id = $2
		WHERE ga.plan_id = $1 AND (ga.households <> gb.households OR NOT ST_Equals(ga.geom, gb.geom)) ORDER BY ga.code`)
	var apiAdded, apiRemoved, apiChanged []string
	for _, g := range d.Added {
		apiAdded = append(apiAdded, string(g.Code))
	}
	for _, g := range d.Removed {
		apiRemoved = append(apiRemoved, string(g.Code))
	}
	for _, g := range d.Changed {
		apiChanged = append(apiChanged, string(g.Code))
	}
	for _, c := range [][2][]string{{added, apiAdded}, {removed, apiRemoved}, {changed, apiChanged}} {
		slices.Sort(c[1])
		if !slices.Equal(c[0], c[1]) {
			t.Errorf("diff %d→%d grids: PostGIS %v, gridd %v", a, b, c[0], c[1])
		}
	}
	if len(added)+len(removed)+len(changed) == 0 {
		t.Fatalf("plans %d and %d do not differ: the check compares nothing", a, b)
	}

	// Buildings: the grid covering each in each plan; ties left out.
	rows, err := db.Query(ctx, `WITH ga AS (SELECT bl.id, min(g.code) AS code, count(*) AS n FROM buildings bl
			JOIN grids g ON g.plan_id = $1 AND ST_Covers(g.geom, bl.geom) GROUP BY bl.id),
		gb AS (SELECT bl.id, min(g.code) AS code, count(*) AS n FROM buildings bl
			JOIN grids g ON g.plan_id = $2 AND ST_Covers(g.geom, bl.geom) GROUP BY bl.id)
		SELECT bl.id, bl.households, coalesce(ga.code, ''), coalesce(gb.code, ''), coalesce(ga.n, 0) > 1 OR coalesce(gb.n, 0) > 1
		FROM buildings bl LEFT JOIN ga USING (id) LEFT JOIN gb USING (id)`, a, b)
	if err != nil {
		t.Fatal(err)
	}
	type move struct {
		from, to string
		hh       int
	}
	pg, ties := map[string]move{}, map[string]bool{}
	for rows.Next() {
		var id, from, to string
		var hh int
		var tie bool
		if err := rows.Scan(&id, &hh, &from, &to, &tie); err != nil {
			t.Fatal(err)
		}
		if tie {
			ties[id] = true
		} else if from != to {
			pg[id] = move{from, to, hh}
		}
	}
	if rows.Err() != nil {
		t.Fatal(rows.Err())
	}
	api := map[string]move{}
	for _, m := range d.Impact.Buildings {
		if !ties[m.ID] {
			api[m.ID] = move{string(m.From), string(m.To), m.Households}
		}
	}
	pgHH, apiHH := 0, 0
	for id, m := range pg {
		pgHH += m.hh
		if api[id] != m {
			t.Errorf("building %s: PostGIS moves it %+v, gridd %+v", id, m, api[id])
		}
	}
	for id, m := range api {
		apiHH += m.hh
		if _, ok := pg[id]; !ok {
			t.Errorf("building %s: gridd moves it %+v, PostGIS does not", id, m)
		}
	}
	if len(ties) > 5 {
		t.Errorf("%d buildings on shared grid edges: too many left out of the comparison", len(ties))
	}
	t.Logf("diff %d→%d: %d added, %d removed, %d changed; %d buildings (%d households) move in both, %d on shared edges left out",
		a, b, len(added), len(removed), len(changed), len(pg), pgHH, len(ties))
	if pgHH != apiHH {
		t.Errorf("households moved: PostGIS %d, gridd %d (ties left out)", pgHH, apiHH)
	}
}
