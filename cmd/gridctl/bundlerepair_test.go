package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/fixtures"
)

// inwardTent is ring r with a tent pushed dDeg into it (or out of it when
// dDeg < 0) over the middle third of edge i: a small gap or overlap.
func inwardTent(r orb.Ring, i int, dDeg float64) orb.Ring {
	a, b := r[i], r[i+1]
	ccw := 0.0
	for k := 0; k+1 < len(r); k++ {
		ccw += r[k][0]*r[k+1][1] - r[k+1][0]*r[k][1]
	}
	dx, dy := b[0]-a[0], b[1]-a[1]
	l := dx*dx + dy*dy
	nx, ny := -dy, dx // left of the walk: inside a counter-clockwise ring
	if ccw < 0 {
		nx, ny = -nx, -ny
	}
	k := dDeg / sqrt(l)
	p0 := orb.Point{a[0] + dx/3, a[1] + dy/3}
	p1 := orb.Point{a[0] + 2*dx/3, a[1] + 2*dy/3}
	tip := orb.Point{a[0] + dx/2 + nx*k, a[1] + dy/2 + ny*k}
	out := slices.Clone(r[:i+1])
	out = append(out, p0, tip, p1)
	return append(out, r[i+1:]...)
}

func sqrt(x float64) float64 {
	z := x
	for range 60 {
		z = (z + x/z) / 2
	}
	return z
}

// TestBundleRepair runs `gridctl bundle repair` on the clean Pukou bundle
// (nothing to do, every file byte for byte), on a broken copy (a gap, a
// spike, repeated points: exit 0, and bundle check passes on the output,
// an extra file copied as it is), with a --max-area below a breakage
// (exit 3, left for review), and with --json.
func TestBundleRepair(t *testing.T) {
	pukou, err := fixtures.LoadPukou()
	if err != nil {
		t.Fatal(err)
	}
	write := func(t *testing.T, b *bundle.Bundle) string {
		dir := t.TempDir()
		if err := bundle.Write(dir, b); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	broken := func() *bundle.Bundle {
		b := *pukou
		b.Communities = slices.Clone(pukou.Communities)
		for _, i := range []int{0, 30, 60} {
			b.Communities[i].Geom = b.Communities[i].Geom.Clone()
		}
		c := &b.Communities[0]
		c.Geom[0][0] = inwardTent(c.Geom[0][0], 0, 2e-5) // a gap of ~1 m × a third of the edge
		r := b.Communities[30].Geom[0][0]
		b.Communities[30].Geom[0][0] = append(r[:3:3], append(orb.Ring{r[2], r[2]}, r[3:]...)...) // repeated points
		r = b.Communities[60].Geom[0][0]
		spike := orb.Point{r[1][0] + 3e-4, r[1][1] + 1e-4}
		b.Communities[60].Geom[0][0] = append(r[:2:2], append(orb.Ring{spike, r[1]}, r[2:]...)...) // an exact spike
		return &b
	}

	t.Run("clean", func(t *testing.T) {
		dir := write(t, pukou)
		out := filepath.Join(t.TempDir(), "out")
		code, stdout, stderr := run(t, "bundle", "repair", dir, "--out", out)
		if code != 0 || !strings.Contains(stdout, "nothing to repair") || !strings.Contains(stdout, "bundle check: ok") {
			t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
		}
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			a, _ := os.ReadFile(filepath.Join(dir, e.Name()))
			b, err := os.ReadFile(filepath.Join(out, e.Name()))
			if err != nil || !bytes.Equal(a, b) {
				t.Errorf("%s differs after a repair with nothing to do (%v)", e.Name(), err)
			}
		}
	})
	t.Run("broken", func(t *testing.T) {
		dir := write(t, broken())
		if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not looked at\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if code, _, _ := run(t, "bundle", "check", dir); code != 1 {
			t.Fatalf("the broken copy: bundle check exit %d, want 1", code)
		}
		out := filepath.Join(t.TempDir(), "out")
		code, stdout, stderr := run(t, "bundle", "repair", "--max-area", "5000", dir, "--out", out)
		if code != 0 {
			t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
		}
		for _, w := range []string{"communities.geojson: feature 60 (", ": spike at (", "repeated_point", "gap_filled", "bundle check: ok"} {
			if !strings.Contains(stdout, w) {
				t.Errorf("stdout lacks %q:\n%s", w, stdout)
			}
		}
		if code, stdout, _ := run(t, "bundle", "check", out); code != 0 {
			t.Errorf("bundle check on the output: exit %d\n%s", code, stdout)
		}
		if data, _ := os.ReadFile(filepath.Join(out, "notes.txt")); string(data) != "not looked at\n" {
			t.Errorf("notes.txt not copied as it is: %q", data)
		}
	})
	t.Run("review", func(t *testing.T) {
		dir := write(t, broken())
		out := filepath.Join(t.TempDir(), "out")
		code, stdout, stderr := run(t, "bundle", "repair", dir, "--out", out, "--max-area", "10")
		if code != 3 || !strings.Contains(stdout, "left_for_review (gap_filled)") || !strings.Contains(stderr, "left for review") {
			t.Fatalf("exit %d, want 3\n%s\n%s", code, stdout, stderr)
		}
	})
	t.Run("json", func(t *testing.T) {
		dir := write(t, broken())
		out := filepath.Join(t.TempDir(), "out")
		code, stdout, stderr := run(t, "bundle", "repair", dir, "--out", out, "--json")
		if code != 0 {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
		var doc struct {
			Findings []struct {
				Kind    string  `json:"kind"`
				File    string  `json:"file"`
				Code    string  `json:"code"`
				Lon     float64 `json:"lon"`
				Lat     float64 `json:"lat"`
				AreaM2  float64 `json:"area_m2"`
				Feature int     `json:"feature"`
			} `json:"findings"`
			Review int   `json:"review"`
			Check  []any `json:"check"`
		}
		if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
			t.Fatalf("%v\n%s", err, stdout)
		}
		var gap bool
		for _, f := range doc.Findings {
			if f.Kind == "gap_filled" && f.AreaM2 > 1 && f.Lon > 118 && f.Lat > 31 && f.Code != "" {
				gap = true
			}
		}
		if !gap || doc.Review != 0 || len(doc.Check) != 0 {
			t.Errorf("json: %s", stdout)
		}
	})
}

func TestBundleRepairUsage(t *testing.T) {
	dir := t.TempDir()
	if err := bundle.Write(dir, &bundle.Bundle{}); err != nil {
		t.Fatal(err)
	}
	full := t.TempDir()
	os.WriteFile(filepath.Join(full, "x"), nil, 0o644)
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"bundle", "repair", dir}, 2, "--out is required"},
		{[]string{"bundle", "repair", "--out", full, dir}, 2, "is not empty"},
		{[]string{"bundle", "repair", "--out", dir, dir}, 2, "must differ"},
		{[]string{"bundle", "repair", "--out", "x", "--max-area", "-1", dir}, 2, "--max-area"},
		{[]string{"bundle", "repair", "--out", "x", "--max-area", "NaN", dir}, 2, "--max-area"},
		{[]string{"bundle", "repair", "--out", "x", dir, dir}, 2, "want exactly one bundle folder"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, _, errOut := run(t, tc.args...)
			if code != tc.code || !strings.Contains(errOut, tc.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, errOut, tc.code, tc.want)
			}
		})
	}
}

// TestBundleRepairPlanFilesOnly: a planner's folder of only district,
// streets, communities and buildings (one street of Pukou as the
// district), broken by a gap and a spike, is repaired (exit 0, the absent
// files stay absent), and gridctl plan then plans the repaired folder.
func TestBundleRepairPlanFilesOnly(t *testing.T) {
	pukou, err := fixtures.LoadPukou()
	if err != nil {
		t.Fatal(err)
	}
	s := pukou.Streets[6] // 盘城: 9 communities
	b := &bundle.Bundle{District: bundle.District{Code: pukou.District.Code, Name: "one street", Geom: s.Geom.Clone()}, Streets: []bundle.Street{s}}
	for _, c := range pukou.Communities {
		if c.Street == s.Code {
			c.Geom = c.Geom.Clone()
			b.Communities = append(b.Communities, c)
		}
	}
	for _, bl := range pukou.Buildings {
		for _, c := range b.Communities {
			if planar.MultiPolygonContains(c.Geom, bl.Loc) {
				b.Buildings = append(b.Buildings, bl)
				break
			}
		}
	}
	c := &b.Communities[1]
	c.Geom[0][0] = inwardTent(c.Geom[0][0], 1, 2e-5)
	r := b.Communities[2].Geom[0][0]
	spike := orb.Point{r[1][0] + 3e-4, r[1][1] + 1e-4}
	b.Communities[2].Geom[0][0] = append(r[:2:2], append(orb.Ring{spike, r[1]}, r[2:]...)...)
	dir := filepath.Join(t.TempDir(), "in")
	if err := bundle.Write(dir, b); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{bundle.FacilitiesFile, bundle.PatrolsFile, bundle.WorkersFile, bundle.DepartmentsFile} {
		if err := os.Remove(filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(t.TempDir(), "out")
	code, stdout, stderr := run(t, "bundle", "repair", dir, "--out", out)
	if code != 0 || !strings.Contains(stdout, "gap_filled") || !strings.Contains(stdout, "spike") {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	ents, _ := os.ReadDir(out)
	if len(ents) != 4 {
		t.Errorf("%d files in the output, want the 4 plan files", len(ents))
	}
	plan := filepath.Join(t.TempDir(), "plan.geojson")
	if code, _, stderr := run(t, "plan", "--bundle", out, "--out", plan); code != 0 {
		t.Fatalf("plan on the repaired folder: exit %d: %s", code, stderr)
	}
}
