package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/events"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/gridplan/partition"
	"github.com/gridd/gridd/internal/testenv"
	"github.com/gridd/gridd/store"
	"github.com/gridd/gridd/store/backend"
	"github.com/gridd/gridd/store/gpkg"
	"github.com/gridd/gridd/store/storetest"
)

// runEnv runs gridctl in-process with vars as its environment.
func runEnv(t *testing.T, vars map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(context.Background(), args, &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb,
		getenv: func(k string) string { return vars[k] }})
	return code, out.String(), errb.String()
}

// storeFiles writes a small bundle, a plan over it and its report.
func storeFiles(t *testing.T) (bundleDir, planFile, reportFile string, grids []gridplan.Grid) {
	t.Helper()
	dir := t.TempDir()
	b := storetest.SmallBundle(1)
	bundleDir = filepath.Join(dir, "bundle")
	if err := bundle.Write(bundleDir, b); err != nil {
		t.Fatal(err)
	}
	grids = storetest.CommunityGrids(b)
	var buf bytes.Buffer
	if err := gridplan.WriteGeoJSON(&buf, grids); err != nil {
		t.Fatal(err)
	}
	planFile = filepath.Join(dir, "plan.geojson")
	if err := os.WriteFile(planFile, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	report, _ := json.Marshal(partition.Report{Grids: len(grids), TolerancePct: 10, WithinCommunityMeanShare: 0.97, WithinNominalShare: 0.5, MedianPolsbyPopper: 0.61})
	reportFile = filepath.Join(dir, "plan-report.json")
	if err := os.WriteFile(reportFile, report, 0o644); err != nil {
		t.Fatal(err)
	}
	return bundleDir, planFile, reportFile, grids
}

func wantRun(t *testing.T, vars map[string]string, code int, want []string, args ...string) string {
	t.Helper()
	got, out, errOut := runEnv(t, vars, args...)
	if got != code {
		t.Fatalf("gridctl %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), got, code, out, errOut)
	}
	for _, w := range want {
		if !strings.Contains(out+errOut, w) {
			t.Fatalf("gridctl %s: output lacks %q\nstdout: %s\nstderr: %s", strings.Join(args, " "), w, out, errOut)
		}
	}
	return out
}

// testStoreCommands runs import, plans and export against the store vars
// and data name.
func testStoreCommands(t *testing.T, vars map[string]string, data string) {
	bdir, plan, report, grids := storeFiles(t)
	wantRun(t, vars, 0, []string{"no plans"}, "plans", "--data", data)
	wantRun(t, vars, 0, []string{"read " + bdir + ": 2 streets, 6 communities, 240 buildings", "imported into",
		"stored plan 1 \"first\" and published it"},
		"import", "--bundle", bdir, "--plan", plan, "--report", report, "--name", "first", "--publish", "--data", data)
	wantRun(t, vars, 0, []string{"stored plan 2 \"plan\" as a draft"}, "import", "--bundle", bdir, "--plan", plan, "--data", data)
	repData, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	var rep partition.Report
	if err := json.Unmarshal(repData, &rep); err != nil {
		t.Fatal(err)
	}
	out := wantRun(t, vars, 0, []string{sharePct(rep.WithinCommunityMeanShare) + "% within ±10% of community mean", fmt.Sprintf("median PP %.2f", rep.MedianPolsbyPopper)}, "plans", "--data", data)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[1], "2 ") || !strings.Contains(lines[1], "draft") ||
		!strings.HasPrefix(lines[2], "1 ") || !strings.Contains(lines[2], "published") {
		t.Fatalf("plans table:\n%s\nwant plan 2 (draft) above plan 1 (published)", out)
	}
	out = wantRun(t, vars, 0, nil, "plans", "--json", "--data", data)
	var sums []planJSON
	if err := json.Unmarshal([]byte(out), &sums); err != nil || len(sums) != 2 || sums[1].Grids != len(grids) ||
		sums[1].Status != gridplan.Published || sums[1].PublishedAt == nil || sums[0].PublishedAt != nil || len(sums[1].Report) == 0 {
		t.Fatalf("plans --json: %v %+v", err, sums)
	}

	dir := t.TempDir()
	gj := filepath.Join(dir, "out.geojson")
	wantRun(t, vars, 0, []string{"wrote plan 1 \"first\" (published, 6 grids)"}, "export", "--plan", "published", "--format", "geojson", "--out", gj, "--data", data)
	f, err := os.Open(gj)
	if err != nil {
		t.Fatal(err)
	}
	back, err := gridplan.ReadGeoJSON(f)
	f.Close()
	if err != nil || len(back) != len(grids) || back[0].Code != grids[0].Code || back[0].Households != grids[0].Households {
		t.Fatalf("exported GeoJSON: %v, %d grids", err, len(back))
	}
	gp := filepath.Join(dir, "plan2.gpkg")
	wantRun(t, vars, 0, []string{"wrote plan 2"}, "export", "--plan", "2", "--format", "gpkg", "--out", gp, "--data", data)
	db, err := gpkg.Open(context.Background(), gp)
	if err != nil {
		t.Fatal(err)
	}
	p, err := db.PublishedPlan(context.Background())
	db.Close()
	if err != nil || len(p.Grids) != len(grids) || p.Name != "plan" {
		t.Fatalf("exported GeoPackage: %v %+v", err, p)
	}
	wantRun(t, vars, 1, []string{"already exists"}, "export", "--plan", "2", "--format", "gpkg", "--out", gp, "--data", data)
	wantRun(t, vars, 1, []string{"plan 9 does not exist"}, "export", "--plan", "9", "--out", gj, "--data", data)

	// A broken bundle fails, names the problem and changes nothing.
	b := storetest.SmallBundle(2)
	b.Buildings[0].Households = -3
	bad := filepath.Join(t.TempDir(), "bad")
	if err := bundle.Write(bad, b); err != nil {
		t.Fatal(err)
	}
	wantRun(t, vars, 1, []string{"buildings.csv"}, "import", "--bundle", bad, "--data", data)
	wantRun(t, vars, 0, []string{"published"}, "plans", "--data", data)
	testPublishCommands(t, vars, data, grids)
}

// testPublishCommands: publish, rollback and diff over plan 1 (published)
// and plan 2 (a draft of the same grids) left by testStoreCommands.
func testPublishCommands(t *testing.T, vars map[string]string, data string, grids []gridplan.Grid) {
	wantRun(t, vars, 1, []string{"nothing to roll back"}, "rollback", "--data", data)
	wantRun(t, vars, 2, nil, "publish", "--data", data)
	wantRun(t, vars, 2, nil, "diff", "--data", data, "1")
	out := wantRun(t, vars, 0, []string{`"households_moved": 0`, `"changed": []`}, "diff", "--data", data, "1", "2")
	var d gridplan.PlanDiff
	if err := json.Unmarshal([]byte(out), &d); err != nil || d.From != 1 || d.To != 2 || d.Impact.WorkersMoved != 0 {
		t.Fatalf("diff 1 2: %v %+v", err, d)
	}

	// A plan whose figures disagree with the buildings cannot be published.
	s, _, err := openStore(context.Background(), &env{getenv: func(k string) string { return vars[k] }}, data)
	if err != nil {
		t.Fatal(err)
	}
	spoiled := append([]gridplan.Grid(nil), grids...)
	spoiled[0].Households += 7
	bad, err := s.CreatePlan(context.Background(), &gridplan.Plan{Name: "spoiled", Parent: 1, Grids: spoiled})
	s.Close()
	if err != nil {
		t.Fatal(err)
	}
	wantRun(t, vars, 1, []string{"households", string(spoiled[0].Code), "cannot be published"}, "publish", "--data", data, bad.String())
	out = wantRun(t, vars, 0, []string{string(spoiled[0].Code)}, "diff", "--data", data, "1", bad.String())
	if err := json.Unmarshal([]byte(out), &d); err != nil || len(d.Changed) != 1 || d.Changed[0].HouseholdsTo != grids[0].Households+7 {
		t.Fatalf("diff 1 %d: %v %+v", bad, err, d.Changed)
	}
	// --geojson: the one grid whose households changed, its polygon
	// (geometry_kind grid: the shape did not change).
	out = wantRun(t, vars, 0, []string{`"FeatureCollection"`, `"geometry_kind":"grid"`, `"change":"changed"`}, "diff", "--data", data, "1", bad.String(), "--geojson")
	var fc struct {
		Features []struct {
			Properties map[string]any `json:"properties"`
		} `json:"features"`
	}
	if err := json.Unmarshal([]byte(out), &fc); err != nil || len(fc.Features) != 1 || fc.Features[0].Properties["households_to"] != float64(grids[0].Households+7) {
		t.Fatalf("diff --geojson 1 %d: %v %s", bad, err, out)
	}

	wantRun(t, vars, 0, []string{"published plan 2"}, "publish", "--data", data, "2")
	wantRun(t, vars, 0, []string{"published plan 1"}, "rollback", "--data", data)
	wantRun(t, vars, 0, []string{"published plan 2"}, "rollback", "--data", data)
	// Each publish told running servers: three plan.published events.
	op, err := backend.Open(context.Background(), vars["DATABASE_URL"], data)
	if err != nil {
		t.Fatal(err)
	}
	evs, err := op.Store.(store.EventLog).EventsSince(context.Background(), 0, 100)
	op.Close()
	var published []string
	for _, ev := range evs {
		var body struct{ Plan string }
		if ev.Type == events.PlanPublished && json.Unmarshal(ev.Data, &body) == nil {
			published = append(published, body.Plan)
		}
	}
	if err != nil || strings.Join(published, ",") != "2,1,2" {
		t.Fatalf("plan.published events after publish, rollback, rollback: %v %v", published, err)
	}
	out = wantRun(t, vars, 0, nil, "plans", "--json", "--data", data)
	var sums []planJSON
	if err := json.Unmarshal([]byte(out), &sums); err != nil {
		t.Fatal(err)
	}
	for _, p := range sums {
		if (p.ID == 2) != (p.Status == gridplan.Published) {
			t.Fatalf("after publish 2, rollback, rollback: plan %d is %s", p.ID, p.Status)
		}
	}
}

func TestStoreCommandsGeoPackage(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	testStoreCommands(t, nil, data)
	if _, err := os.Stat(filepath.Join(data, "gridd.gpkg")); err != nil {
		t.Fatalf("no GeoPackage in --data: %v", err)
	}
}

func TestStoreCommandsPostGIS(t *testing.T) {
	testStoreCommands(t, map[string]string{"DATABASE_URL": testenv.PostGIS(t)}, filepath.Join(t.TempDir(), "unused"))
}

func TestStoreCommandsUsage(t *testing.T) {
	for _, args := range [][]string{
		{"import"},
		{"import", "--bundle", "x", "--publish"},
		{"import", "--bundle", "x", "--name", "n"},
		{"import", "--bundle", "x", "extra"},
		{"import", "--nope"},
		{"export", "--out", "x"},
		{"export", "--plan", "published"},
		{"export", "--plan", "abc", "--out", "x"},
		{"export", "--plan", "1", "--format", "shp", "--out", "x"},
		{"export", "--plan", "1", "--format", "gpkg", "--out", "-"},
		{"plans", "extra"},
	} {
		t.Run(strings.Join(args, "_"), func(t *testing.T) {
			code, _, errOut := runEnv(t, nil, args...)
			if code != 2 || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
				t.Fatalf("exit %d, stderr %q; want exit 2 with a one-line reason", code, errOut)
			}
		})
	}
}
