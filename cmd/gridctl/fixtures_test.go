package main

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/fixtures"
)

// TestFixturesPukou writes the seed-1 bundle through the command, wants it
// equal to the committed one and clean under `bundle check`.
func TestFixturesPukou(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pukou")
	code, out, errOut := run(t, "fixtures", "pukou", "--out", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "125 communities") {
		t.Errorf("stdout %q", out)
	}
	for _, name := range []string{bundle.DistrictFile, bundle.StreetsFile, bundle.CommunitiesFile, bundle.BuildingsFile,
		bundle.FacilitiesFile, bundle.PatrolsFile, bundle.WorkersFile, bundle.DepartmentsFile} {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		want, err := fs.ReadFile(fixtures.PukouFS(), name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the committed bundle", name)
		}
	}
	if code, out, _ := run(t, "bundle", "check", dir); code != 0 {
		t.Errorf("bundle check exit %d:\n%s", code, out)
	}
	// Another seed is another, still clean, bundle.
	dir2 := filepath.Join(t.TempDir(), "pukou2")
	if code, _, errOut := run(t, "fixtures", "pukou", "--out", dir2, "--seed", "2"); code != 0 {
		t.Fatalf("seed 2: exit %d: %s", code, errOut)
	}
	if code, out, _ := run(t, "bundle", "check", dir2); code != 0 {
		t.Errorf("seed 2: bundle check exit %d:\n%s", code, out)
	}
}

// TestFixturesTowersPlan writes the tower district through the command,
// checks it, plans it with `gridctl plan` and wants the summary to carry
// the balance bands, the Polsby-Popper median and P10.
func TestFixturesTowersPlan(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("plans a district of 135,000 households (several CPU seconds, ×10 under -race)")
	}
	dir := filepath.Join(t.TempDir(), "towers")
	code, out, errOut := run(t, "fixtures", "towers", "--out", dir, "--seed", "2")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "20 communities") {
		t.Errorf("stdout %q", out)
	}
	if code, out, _ := run(t, "bundle", "check", dir); code != 0 {
		t.Errorf("bundle check exit %d:\n%s", code, out)
	}
	code, out, errOut = run(t, "plan", "--bundle", dir, "--out", filepath.Join(t.TempDir(), "plan.geojson"))
	if code != 0 {
		t.Fatalf("plan exit %d: %s", code, errOut)
	}
	for _, want := range []string{"within ±10% of community mean", "within ±25% of community mean", "Polsby-Popper median / P10", "beyond ±25% of mean"} {
		if !strings.Contains(out, want) {
			t.Errorf("plan summary lacks %q:\n%s", want, out)
		}
	}
}

func TestFixturesUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"fixtures", "-h"}, 0, "usage: gridctl fixtures pukou|towers"},
		{[]string{"fixtures", "pukou", "-h"}, 0, "-seed"},
		{[]string{"fixtures"}, 2, "want a district name"},
		{[]string{"fixtures", "gulou", "--out", "x"}, 2, `unknown district "gulou"`},
		{[]string{"fixtures", "pukou"}, 2, "--out is required"},
		{[]string{"fixtures", "pukou", "--out", "x", "--seed", "one"}, 2, "invalid value"},
		{[]string{"fixtures", "pukou", "--out", "x", "extra"}, 2, `unexpected argument "extra"`},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, _, errOut := run(t, tc.args...)
			if code != tc.code || !strings.Contains(errOut, tc.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, errOut, tc.code, tc.want)
			}
		})
	}
}
