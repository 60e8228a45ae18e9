package bundle_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/fixtures"
)

// TestReadForPlan: a folder with only the four plan files reads (the
// optional files empty); with the optional files present they are read;
// a missing plan file is a problem naming it.
func TestReadForPlan(t *testing.T) {
	full := fixtures.Towers(2, fixtures.DefaultTowers())
	dir := t.TempDir()
	if err := bundle.Write(dir, full); err != nil {
		t.Fatal(err)
	}
	got, err := bundle.ReadForPlan(dir)
	if err != nil || len(got.Patrols) != len(full.Patrols) || len(got.Facilities) != len(full.Facilities) {
		t.Fatalf("all files: %v (%d patrols, %d facilities)", err, len(got.Patrols), len(got.Facilities))
	}
	for _, f := range []string{bundle.FacilitiesFile, bundle.PatrolsFile, bundle.WorkersFile, bundle.DepartmentsFile} {
		if err := os.Remove(filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := bundle.Read(dir); err == nil {
		t.Fatal("Read accepted a bundle without its service files")
	}
	got, err = bundle.ReadForPlan(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Buildings) != len(full.Buildings) || len(got.Communities) != len(full.Communities) || len(got.Patrols) != 0 || len(got.Facilities) != 0 {
		t.Fatalf("plan files only: %d buildings, %d communities, %d patrols, %d facilities", len(got.Buildings), len(got.Communities), len(got.Patrols), len(got.Facilities))
	}
	if err := os.Remove(filepath.Join(dir, bundle.BuildingsFile)); err != nil {
		t.Fatal(err)
	}
	if _, err := bundle.ReadForPlan(dir); err == nil || !strings.Contains(err.Error(), bundle.BuildingsFile) {
		t.Fatalf("without buildings: %v", err)
	}
}
