package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gridd/gridd/gridplan"
)

func readPlanFile(t *testing.T, path string) map[string]gridplan.Grid {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	grids, err := gridplan.ReadGeoJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]gridplan.Grid{}
	for _, g := range grids {
		out[string(g.Code)] = g
	}
	return out
}

// TestPlanCommandWarm: --previous with --locked keeps the locked grid as
// it is under another seed; --community re-plans one community and keeps
// every other grid of the previous plan.
func TestPlanCommandWarm(t *testing.T) {
	dir := smallBundle(t)
	tmp := t.TempDir()
	first := filepath.Join(tmp, "first.geojson")
	if code, _, stderr := run(t, "plan", "--bundle", dir, "--out", first, "--seed", "4"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	prev := readPlanFile(t, first)
	var lockCode, comm string
	for c, g := range prev {
		if lockCode == "" || c < lockCode {
			lockCode, comm = c, string(g.Community)
		}
	}
	locked := filepath.Join(tmp, "locked.geojson")
	if code, _, stderr := run(t, "plan", "--bundle", dir, "--out", locked, "--seed", "9", "--previous", first, "--locked", lockCode); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	got := readPlanFile(t, locked)
	if g, ok := got[lockCode]; !ok || !reflect.DeepEqual(g.Geom, prev[lockCode].Geom) || g.Households != prev[lockCode].Households {
		t.Errorf("locked grid %s changed", lockCode)
	}

	one := filepath.Join(tmp, "one.geojson")
	if code, _, stderr := run(t, "plan", "--bundle", dir, "--out", one, "--seed", "9", "--previous", first, "--community", comm); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	got = readPlanFile(t, one)
	total, want := 0, 0
	for c, g := range prev {
		want += g.Households
		if string(g.Community) != comm && !reflect.DeepEqual(got[c], g) {
			t.Errorf("grid %s of another community changed", c)
		}
	}
	for _, g := range got {
		total += g.Households
	}
	if total != want {
		t.Errorf("households %d after re-planning %s, were %d", total, comm, want)
	}

	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"locked without previous", []string{"--locked", lockCode}, "need --previous"},
		{"unknown locked grid", []string{"--previous", first, "--locked", "320111999999999"}, "--locked"},
		{"unknown community", []string{"--previous", first, "--community", "320111999999"}, "--community"},
	} {
		args := append([]string{"plan", "--bundle", dir, "--out", filepath.Join(tmp, "x.geojson")}, c.args...)
		code, _, stderr := run(t, args...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("%s: exit %d, stderr %q; want 2 mentioning %q", c.name, code, stderr, c.want)
		}
	}
}
