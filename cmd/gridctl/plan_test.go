package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/fixtures"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/gridplan/partition"
)

// smallBundle writes three Pukou communities with their buildings: enough
// for the command's plumbing, quick under -race.
func smallBundle(t *testing.T) string {
	t.Helper()
	b, err := fixtures.LoadPukou()
	if err != nil {
		t.Fatal(err)
	}
	b.Communities = b.Communities[:3]
	var kept []bundle.Building
	for _, bl := range b.Buildings {
		for _, c := range b.Communities {
			if planar.MultiPolygonContains(c.Geom, bl.Loc) {
				kept = append(kept, bl)
				break
			}
		}
	}
	b.Buildings = kept
	dir := filepath.Join(t.TempDir(), "bundle")
	if err := bundle.Write(dir, b); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestPlanCommand(t *testing.T) {
	dir := smallBundle(t)
	out := filepath.Join(t.TempDir(), "plan.geojson")
	rep := filepath.Join(t.TempDir(), "report.json")
	code, stdout, stderr := run(t, "plan", "--bundle", dir, "--out", out, "--report", rep, "--seed", "4")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	grids, err := gridplan.ReadGeoJSON(f)
	if err != nil {
		t.Fatalf("written plan does not read back: %v", err)
	}
	if len(grids) < 3 {
		t.Errorf("%d grids for 3 communities", len(grids))
	}
	data, err := os.ReadFile(rep)
	if err != nil {
		t.Fatal(err)
	}
	var r partition.Report
	if err := json.Unmarshal(data, &r); err != nil || r.Grids != len(grids) {
		t.Errorf("report: %v, %d grids (plan has %d)", err, r.Grids, len(grids))
	}
	if !strings.Contains(stdout, "within ±10% of community mean") || !strings.Contains(stdout, "grids") {
		t.Errorf("stdout lacks the summary table:\n%s", stdout)
	}
	// Not a terminal: plain progress lines, ending with all communities.
	if !strings.Contains(stderr, "planned 3/3 communities") || strings.Contains(stderr, "\r") {
		t.Errorf("stderr progress:\n%q", stderr)
	}
}

func TestPlanCommandErrors(t *testing.T) {
	dir := smallBundle(t)
	out := filepath.Join(t.TempDir(), "plan.geojson")
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no flags", []string{"plan"}, 2, "--bundle and --out are required"},
		{"no out", []string{"plan", "--bundle", dir}, 2, "required"},
		{"bad seed", []string{"plan", "--bundle", dir, "--out", out, "--seed", "x"}, 2, "seed"},
		{"bad target", []string{"plan", "--bundle", dir, "--out", out, "--urban", "0"}, 2, "positive"},
		{"bad refine share", []string{"plan", "--bundle", dir, "--out", out, "--refine-share", "100"}, 2, "--refine-share"},
		{"stray argument", []string{"plan", "--bundle", dir, "--out", out, "extra"}, 2, "unexpected argument"},
		{"missing bundle", []string{"plan", "--bundle", filepath.Join(dir, "nope"), "--out", out}, 1, "cannot open"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := run(t, c.args...)
			if code != c.code || !strings.Contains(stderr, c.want) {
				t.Errorf("exit %d, stderr %q; want exit %d mentioning %q", code, stderr, c.code, c.want)
			}
		})
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a failed run left %s behind", out)
	}
}

// TestPlanCommandPlanFilesOnly: gridctl plan needs only the district,
// streets, communities and buildings.
func TestPlanCommandPlanFilesOnly(t *testing.T) {
	dir := smallBundle(t)
	for _, f := range []string{bundle.FacilitiesFile, bundle.PatrolsFile, bundle.WorkersFile, bundle.DepartmentsFile} {
		if err := os.Remove(filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(t.TempDir(), "plan.geojson")
	if code, _, stderr := run(t, "plan", "--bundle", dir, "--out", out); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if err := os.Remove(filepath.Join(dir, bundle.BuildingsFile)); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := run(t, "plan", "--bundle", dir, "--out", out); code == 0 || !strings.Contains(stderr, bundle.BuildingsFile) {
		t.Fatalf("without buildings: exit %d: %s", code, stderr)
	}
}

// TestPlanRefusesBrokenBundle: `gridctl plan` refuses a bundle whose
// communities or buildings bundle check rejects, naming every such problem
// by file and feature or line, and writes nothing; a problem that does not
// change the grids (a worker of an unknown community) does not stop it.
func TestPlanRefusesBrokenBundle(t *testing.T) {
	for _, tc := range []struct {
		name   string
		break_ func(b *bundle.Bundle)
		code   int
		want   []string
	}{
		{"building outside every community", func(b *bundle.Bundle) {
			b.Buildings[4].Loc = orb.Point{118.2, 31.7}
			b.Buildings[9].Loc = orb.Point{118.21, 31.71}
		}, 1, []string{"buildings.csv:6: id", "is outside every community", "buildings.csv:11: id", "2 problem(s) in communities.geojson or buildings.csv"}},
		{"self-intersecting ring", func(b *bundle.Bundle) {
			r := b.Communities[1].Geom[0][0]
			r[1], r[2] = r[2], r[1] // a bow tie
		}, 1, []string{"communities.geojson: feature 1: invalid geometry"}},
		{"duplicate community", func(b *bundle.Bundle) {
			b.Communities = append(b.Communities, b.Communities[0])
		}, 1, []string{"communities.geojson: feature 3: duplicate code " + string(b0Code(t))}},
		{"worker of an unknown community", func(b *bundle.Bundle) {
			b.Workers = append(b.Workers, bundle.Worker{ID: "W-X", Name: "x", Community: "320111999999"})
		}, 0, []string{"wrote "}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := smallBundle(t)
			b, err := bundle.Read(dir)
			if err != nil {
				t.Fatal(err)
			}
			tc.break_(b)
			if err := bundle.Write(dir, b); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(t.TempDir(), "plan.geojson")
			code, stdout, stderr := run(t, "plan", "--bundle", dir, "--out", out)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout %s\nstderr %s", code, tc.code, stdout, stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(stdout+stderr, w) {
					t.Errorf("output lacks %q:\n%s%s", w, stdout, stderr)
				}
			}
			if _, err := os.Stat(out); (err == nil) != (tc.code == 0) {
				t.Errorf("plan file written: %v, want %v", err == nil, tc.code == 0)
			}
		})
	}
}

// b0Code is the code of smallBundle's first community.
func b0Code(t *testing.T) bundle.CommunityCode {
	b, err := fixtures.LoadPukou()
	if err != nil {
		t.Fatal(err)
	}
	return b.Communities[0].Code
}

// TestReportSummaryHonest: shares are rounded down and deviations up, to
// one decimal, so the summary never claims more than the report holds.
func TestReportSummaryHonest(t *testing.T) {
	for _, tc := range []struct {
		within, nominal, maxDev float64
		want                    []string
	}{
		{0.9986, 0.95, 10.96, []string{"99.8% within ±10% of community mean", "95.0% within ±15% of target", "max dev 11.0%"}},
		{1, 1, 9.99, []string{"100.0% within", "100.0% within ±15%", "max dev 10.0%"}},
		{0.29, 0.999999, 10.01, []string{"29.0% within", "99.9% within ±15%", "max dev 10.1%"}},
		{0, 0, 0, []string{"0.0% within", "max dev 0.0%"}},
	} {
		raw, err := json.Marshal(partition.Report{WithinCommunityMeanShare: tc.within, WithinNominalShare: tc.nominal, MaxAbsDeviationPct: tc.maxDev, TolerancePct: 10, MedianPolsbyPopper: 0.61})
		if err != nil {
			t.Fatal(err)
		}
		got := reportSummary(raw)
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("%+v: %q lacks %q", tc, got, w)
			}
		}
	}
}
