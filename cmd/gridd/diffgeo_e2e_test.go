package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paulmach/orb/geojson"

	"github.com/gridd/gridd/internal/testenv"
	"github.com/gridd/gridd/store/gpkg"
)

// TestPlanDiffGeoJSON: after a merge on a draft, GET /plans/1/diff/D as
// GeoJSON (Accept and f=geojson) has the removed grid with its old
// polygon and the kept one with the area it gained; the JSON diff is
// unchanged by default; gridctl's --geojson prints the same features;
// ogrinfo reads the answer.
func TestPlanDiffGeoJSON(t *testing.T) {
	dir := t.TempDir()
	db, err := gpkg.Open(context.Background(), filepath.Join(dir, "gridd.gpkg"))
	if err != nil {
		t.Fatal(err)
	}
	b, grids := editStore(t, db)
	db.Close()
	k := newCaseKeys(b.Patrols[0].ID, b.Patrols[1].ID, "DEPT-WA")
	base := startGridd(t, []string{"--data", dir, "--seed=false"}, map[string]string{"GRIDD_API_KEYS": k.lines})
	r := want(t, "draft of 1", call(t, "POST", base+"/plans/1/drafts", k.planner, nil), 201)
	d := r.str("id")
	want(t, "merge", call(t, "POST", base+"/plans/"+d+"/edits", k.planner,
		map[string]any{"op": "merge", "grids": []string{string(grids[0].Code), string(grids[1].Code)}}), 200)

	get := func(u, accept string) (*http.Response, []byte) {
		req, _ := http.NewRequest("GET", u, nil)
		req.Header.Set("X-API-Key", k.planner)
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		raw, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		return res, raw
	}
	u := base + "/plans/1/diff/" + d
	res, raw := get(u, "")
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") || !strings.Contains(string(raw), `"impact"`) {
		t.Fatalf("JSON diff: %d %s %.200s", res.StatusCode, res.Header.Get("Content-Type"), raw)
	}
	var bodies [][]byte
	for _, tc := range []struct{ u, accept string }{{u, "application/geo+json"}, {u + "?f=geojson", ""}} {
		res, raw := get(tc.u, tc.accept)
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/geo+json" {
			t.Fatalf("GeoJSON diff %s: %d %s %.300s", tc.u, res.StatusCode, res.Header.Get("Content-Type"), raw)
		}
		bodies = append(bodies, raw)
	}
	if string(bodies[0]) != string(bodies[1]) {
		t.Fatal("Accept and f=geojson answer different diffs")
	}
	fc, err := geojson.UnmarshalFeatureCollection(bodies[0])
	if err != nil {
		t.Fatal(err)
	}
	byCode := map[string]*geojson.Feature{}
	for _, f := range fc.Features {
		byCode[f.Properties.MustString("code")] = f
	}
	kept, gone := string(grids[0].Code), string(grids[1].Code)
	if grids[1].Households > grids[0].Households {
		kept, gone = gone, kept
	}
	if len(fc.Features) != 2 || byCode[gone] == nil || byCode[kept] == nil {
		t.Fatalf("features %s", bodies[0])
	}
	if p := byCode[gone].Properties; p["change"] != "removed" || p["households_to"] != nil || p["geometry_kind"] != "grid" {
		t.Fatalf("removed grid: %v", p)
	}
	if p := byCode[kept].Properties; p["change"] != "changed" || p["geometry_kind"] != "symmetric_difference" ||
		p["households_to"] != float64(grids[0].Households+grids[1].Households) {
		t.Fatalf("kept grid: %v", p)
	}
	if res, _ := get(u+"?f=mvt", ""); res.StatusCode != 406 {
		t.Fatalf("f=mvt: %d, want 406", res.StatusCode)
	}

	ogrinfo := testenv.Tool(t, "ogrinfo")
	path := filepath.Join(t.TempDir(), "diff.geojson")
	if err := os.WriteFile(path, bodies[0], 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(ogrinfo, "-ro", "-al", "-so", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ogrinfo: %v\n%s", err, out)
	}
	for _, w := range []string{"Feature Count: 2", "code: String", "change: String", "households_from: Integer", "households_to: Integer", "geometry_kind: String"} {
		if !strings.Contains(string(out), w) {
			t.Errorf("ogrinfo does not say %q:\n%s", w, out)
		}
	}
}
