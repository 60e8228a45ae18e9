package gpkg

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/gridd/gridd/internal/testenv"
	"github.com/gridd/gridd/store/storetest"
)

// TestOGRInfo opens the file with GDAL: every feature table is listed as a
// layer with the right feature count, and GDAL prints no warning or error
// about the file.
func TestOGRInfo(t *testing.T) {
	ogrinfo := testenv.Tool(t, "ogrinfo")
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "gridd.gpkg")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	b := storetest.SmallBundle(1)
	if err := db.ImportBundle(ctx, b); err != nil {
		t.Fatal(err)
	}
	p := storetest.NewPlan(b, "ogr", 0)
	id, err := db.CreatePlan(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.PublishPlan(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreatePlan(ctx, storetest.NewPlan(b, "second", id)); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{
		"district": 1, "streets": len(b.Streets), "communities": len(b.Communities), "buildings": len(b.Buildings),
		"facilities": len(b.Facilities), "patrols": len(b.Patrols), "grids": len(p.Grids), "plan_grids": 2 * len(p.Grids),
		"plans": 2, "workers": len(b.Workers), "departments": len(b.Departments),
		// Units (issue 13): patrols and workers; patrols is a view of the patrol units.
		"units": len(b.Patrols) + len(b.Workers), "unit_positions": 0,
		// The case tables (issue 12), empty here: GDAL opens them as attribute tables.
		"cases": 0, "incidents": 0, "case_events": 0,
		// Locked grids of plans (issue 14, migration 050).
		"plan_grid_locks": 0,
		// Planning units of plans (issue 14, migration 080).
		"plan_units": 0,
		// The event log (issue 13), empty here.
		"events": 0,
		// The duty roster (issue 13), empty here.
		"shifts": 0,
		// Background jobs and keyed edit answers (issue 14, migrations 085, 086), empty here.
		"jobs": 0, "plan_request_keys": 0,
	}
	run := func(args ...string) string {
		cmd := exec.Command(ogrinfo, args...)
		cmd.Env = append(cmd.Environ(), "CPL_DEBUG=OFF")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("ogrinfo %v: %v\n%s", args, err, out)
		}
		for _, line := range strings.Split(string(out), "\n") {
			if strings.HasPrefix(line, "Warning") || strings.HasPrefix(line, "ERROR") {
				t.Errorf("ogrinfo %v: %s", args, line)
			}
		}
		return string(out)
	}
	list := run("-ro", path)
	for layer := range want {
		if !regexp.MustCompile(`(?m)^\d+: ` + layer + `( \(|$)`).MatchString(list) {
			t.Errorf("ogrinfo does not list layer %s:\n%s", layer, list)
		}
	}
	all := run("-ro", "-so", "-al", path)
	counts := map[string]int{}
	for _, m := range regexp.MustCompile(`(?s)Layer name: (\w+)\n.*?Feature Count: (\d+)`).FindAllStringSubmatch(all, -1) {
		counts[m[1]], _ = strconv.Atoi(m[2])
	}
	for layer, n := range want {
		if got, ok := counts[layer]; !ok || got != n {
			t.Errorf("layer %s: ogrinfo -so -al counts %d features (listed: %v), want %d", layer, got, ok, n)
		}
	}
	for layer := range counts {
		if _, ok := want[layer]; !ok {
			t.Errorf("ogrinfo lists an unexpected layer %s", layer)
		}
	}
	// GDAL reads the geometries back: one community's WKT from ogrinfo has
	// its corner coordinates.
	c := b.Communities[0]
	out := run("-ro", "-where", fmt.Sprintf("code = '%s'", c.Code), path, "communities")
	corner := "(((" + strconv.FormatFloat(c.Geom[0][0][0][0], 'f', -1, 64) + " "
	if !strings.Contains(out, "MULTIPOLYGON") || !strings.Contains(out, corner) {
		t.Errorf("ogrinfo community %s: no MULTIPOLYGON with %s:\n%s", c.Code, corner, out)
	}
	t.Logf("ogrinfo layers:\n%s", list)

	// GDAL's OGC GeoPackage validator, where python3-gdal installed it.
	const validator = "/usr/lib/python3/dist-packages/osgeo_utils/samples/validate_gpkg.py"
	if _, err := os.Stat(validator); err != nil {
		t.Logf("skipping validate_gpkg.py: %v", err)
		return
	}
	vout, err := exec.Command("python3", validator, "-k", "--extra", path).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(vout))) > 0 {
		t.Errorf("validate_gpkg.py: %v\n%s", err, vout)
	}
}
