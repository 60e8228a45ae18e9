package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/gridplan"
)

func runIn(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(context.Background(), args, &env{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }})
	return code, out.String(), errb.String()
}

// writeTestPlan writes a plan of four unit-ish grids in two communities of
// two streets: x in [118.0,118.2], y in [32.0,32.1].
func writeTestPlan(t *testing.T) string {
	t.Helper()
	sq := func(x0, y0, x1, y1 float64) orb.MultiPolygon {
		return orb.MultiPolygon{{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}}
	}
	grids := []gridplan.Grid{
		{Code: "320111001001001", Community: "320111001001", Street: "320111001", Kind: bundle.Urban, Households: 500, Target: 500, Geom: sq(118.0, 32.0, 118.05, 32.1)},
		{Code: "320111001001002", Community: "320111001001", Street: "320111001", Kind: bundle.Urban, Households: 480, Target: 500, Geom: sq(118.05, 32.0, 118.1, 32.1)},
		{Code: "320111002003001", Community: "320111002003", Street: "320111002", Kind: bundle.Rural, Households: 300, Target: 300, Geom: sq(118.1, 32.0, 118.2, 32.1)},
	}
	var buf bytes.Buffer
	if err := gridplan.WriteGeoJSON(&buf, grids); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "plan.geojson")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLocateCommand(t *testing.T) {
	plan := writeTestPlan(t)
	tests := []struct {
		name     string
		args     []string
		in       string
		code     int
		out      string   // exact stdout when code 0
		errParts []string // substrings of stderr
	}{
		{
			name: "ok",
			args: []string{"locate", "--plan", plan},
			in:   "\ufeffid,lon,lat\na,118.02,32.05\nb,118.05,32.05\nc, 118.15 ,32.09\nfar,117,31\n\"q,uoted\",118.2,32.1\n",
			code: 0,
			out: "id,street_code,community_code,grid_code\n" +
				"a,320111001,320111001001,320111001001001\n" +
				"b,320111001,320111001001,320111001001002\n" + // shared edge: the grid to the east
				"c,320111002,320111002003,320111002003001\n" +
				"far,,,\n" +
				"\"q,uoted\",320111002,320111002003,320111002003001\n", // outer NE corner is inside
			errParts: []string{"located 5 points (4 inside, 1 outside) against 3 grids", "ns/point"},
		},
		{name: "header only", args: []string{"locate", "--plan", plan}, in: "id,lon,lat\n", code: 0, out: "id,street_code,community_code,grid_code\n"},
		{name: "bad rows listed, nothing written", args: []string{"locate", "--plan", plan},
			in:   "id,lon,lat\na,118.02,32.05\nb,x,32\nc,118,NaN\nd,118\n,118,32\ne,200,32\nf,118,-91\n",
			code: 1, errParts: []string{"stdin:3: lon \"x\" is not a number", "stdin:4: lat: coordinate (118, NaN) is not finite", "stdin:5: has 2 fields", "stdin:6: id is empty", "stdin:7: lon: coordinate (200, 32)", "stdin:8: lat: coordinate (118, -91)", "6 problem(s)"}},
		{name: "bad header", args: []string{"locate", "--plan", plan}, in: "id,lat,lon\n", code: 1, errParts: []string{"stdin:1: header is \"id,lat,lon\""}},
		{name: "empty input", args: []string{"locate", "--plan", plan}, in: "", code: 1, errParts: []string{"empty input"}},
		{name: "bad quote", args: []string{"locate", "--plan", plan}, in: "id,lon,lat\n\"a,118,32\n", code: 1, errParts: []string{"stdin:2"}},
		{name: "no plan flag", args: []string{"locate"}, code: 2, errParts: []string{"--plan is required"}},
		{name: "stray argument", args: []string{"locate", "--plan", plan, "x.csv"}, code: 2, errParts: []string{"unexpected argument"}},
		{name: "missing plan file", args: []string{"locate", "--plan", filepath.Join(t.TempDir(), "nope.geojson")}, in: "id,lon,lat\n", code: 1, errParts: []string{"plan:", "no such file"}},
		{name: "help", args: []string{"locate", "-h"}, code: 0, errParts: []string{"usage: gridctl locate"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runIn(t, tc.in, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tc.code, errOut)
			}
			if tc.code == 0 && tc.out != "" && out != tc.out {
				t.Fatalf("stdout:\n%s\nwant:\n%s", out, tc.out)
			}
			if tc.code != 0 && out != "" {
				t.Fatalf("failed run wrote to stdout: %q", out)
			}
			for _, p := range tc.errParts {
				if !strings.Contains(errOut, p) {
					t.Errorf("stderr lacks %q:\n%s", p, errOut)
				}
			}
		})
	}
}

// TestLocateCommandBundle uses the bundle's street and community layers:
// a point in a community but in no grid keeps its street and community.
func TestLocateCommandBundle(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pukou")
	if code, _, errOut := run(t, "fixtures", "pukou", "--out", dir); code != 0 {
		t.Fatalf("fixtures: %s", errOut)
	}
	b, err := bundle.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	c := b.Communities[0]
	centre := c.Geom.Bound().Center()
	// one grid: the first community's bounding box corner region only
	bb := c.Geom.Bound()
	g := gridplan.Grid{Code: bundle.GridCode(string(c.Code) + "001"), Community: c.Code, Street: c.Street, Kind: c.Kind, Households: 1, Target: 500,
		Geom: orb.MultiPolygon{{{bb.Min, {bb.Min[0] + 1e-4, bb.Min[1]}, {bb.Min[0] + 1e-4, bb.Min[1] + 1e-4}, {bb.Min[0], bb.Min[1] + 1e-4}, bb.Min}}}}
	var buf bytes.Buffer
	if err := gridplan.WriteGeoJSON(&buf, []gridplan.Grid{g}); err != nil {
		t.Fatal(err)
	}
	plan := filepath.Join(dir, "plan.geojson")
	if err := os.WriteFile(plan, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	// find a point of the community that is inside it (the bbox centre may not be)
	p := centre
	if !pointIn(c.Geom, p) {
		p = c.Geom[0][0][0]
	}
	in := fmt.Sprintf("id,lon,lat\nx,%v,%v\n", p[0], p[1])
	code, out, errOut := runIn(t, in, "locate", "--plan", plan, "--bundle", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(rows) != 2 {
		t.Fatalf("output %q: %v", out, err)
	}
	if rows[1][1] != string(c.Street) || rows[1][3] != "" {
		t.Fatalf("row %v: want street %s and no grid", rows[1], c.Street)
	}
	if rows[1][2] == "" {
		t.Fatalf("row %v: want a community", rows[1])
	}
}

func pointIn(mp orb.MultiPolygon, p orb.Point) bool {
	// crossing number is enough for picking a test point
	in := false
	for _, poly := range mp {
		for _, r := range poly {
			for i, j := 0, len(r)-1; i < len(r); j, i = i, i+1 {
				if (r[i][1] > p[1]) != (r[j][1] > p[1]) && p[0] < (r[j][0]-r[i][0])*(p[1]-r[i][1])/(r[j][1]-r[i][1])+r[i][0] {
					in = !in
				}
			}
		}
	}
	return in
}

func FuzzParsePointsCSV(f *testing.F) {
	for _, s := range []string{
		"id,lon,lat\na,118,32\n",
		"\ufeffid,lon,lat\r\n\"a\"\"b\",1e2,-3.5\r\n",
		"id,lon,lat\na,NaN,1\n",
		"id,lon,lat\na,1\n",
		"id,lon,lat\n\"a,1,2\n",
		"",
		"x,y\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		pts, err := parsePointsCSV(strings.NewReader(in), "in")
		if err != nil {
			if !errs.Is(err, errs.Invalid) || pts != nil {
				t.Fatalf("error %v (code %s) with %d points", err, errs.CodeOf(err), len(pts))
			}
			if !strings.Contains(err.Error(), "in:") && !strings.Contains(err.Error(), "in ") {
				t.Fatalf("error %q does not name the input", err)
			}
			return
		}
		// every accepted point is valid and survives a round trip
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		_ = w.Write([]string{"id", "lon", "lat"})
		for _, p := range pts {
			if p.id == "" || math.IsNaN(p.lon) || p.lon < -180 || p.lon > 180 || math.IsNaN(p.lat) || p.lat < -90 || p.lat > 90 {
				t.Fatalf("accepted bad point %+v", p)
			}
			_ = w.Write([]string{p.id, fmt.Sprint(p.lon), fmt.Sprint(p.lat)})
		}
		w.Flush()
		again, err := parsePointsCSV(&buf, "again")
		if err != nil || len(again) != len(pts) {
			t.Fatalf("round trip: %v, %d vs %d points", err, len(again), len(pts))
		}
		for i := range pts {
			if again[i] != pts[i] {
				t.Fatalf("round trip changed %+v to %+v", pts[i], again[i])
			}
		}
	})
}
