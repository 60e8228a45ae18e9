package web

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"
)

// TestDist checks the committed build is whole: both pages, the worker
// they name, every /static/ file they reference, and the licences of the
// bundled packages (scripts/test.sh checks that it matches a rebuild).
func TestDist(t *testing.T) {
	d := Dist()
	worker, err := fs.ReadFile(d, "worker.txt")
	if err != nil {
		t.Fatal(err)
	}
	refs := []string{strings.TrimSpace(string(worker))}
	for _, page := range []string{"console.html", "planner.html"} {
		b, err := fs.ReadFile(d, page)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), "{{config}}") {
			t.Errorf("%s has no {{config}} for gridd to fill", page)
		}
		for _, m := range regexp.MustCompile(`"(/static/[^"]+)"`).FindAllStringSubmatch(string(b), -1) {
			refs = append(refs, m[1])
		}
	}
	for _, r := range refs {
		if _, err := fs.Stat(d, strings.TrimPrefix(r, "/static/")); err != nil {
			t.Errorf("%s is named but not built: %v", r, err)
		}
	}
	lic, err := fs.ReadFile(d, "LICENSES.txt")
	if err != nil {
		t.Fatal(err)
	}
	for _, pkg := range []string{"maplibre-gl", "terra-draw", "terra-draw-maplibre-gl-adapter"} {
		if !strings.Contains(string(lic), "\n"+pkg+" ") {
			t.Errorf("LICENSES.txt lacks %s", pkg)
		}
	}
}
