package bundle_test

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/fixtures"
)

// TestWriteAreas: only district, streets and communities are rewritten;
// the other files stay byte for byte, and the areas read back as written.
func TestWriteAreas(t *testing.T) {
	b, err := fixtures.LoadPukou()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := bundle.Write(dir, b); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, bundle.BuildingsFile), []byte("kept as it is\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := *b
	c.Communities = append([]bundle.Community(nil), b.Communities...)
	c.Communities[0].Geom = orb.MultiPolygon{{{{118.6, 32}, {118.61, 32}, {118.61, 32.01}, {118.6, 32}}}}
	if err := bundle.WriteAreas(dir, &c); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, bundle.BuildingsFile)); string(data) != "kept as it is\n" {
		t.Errorf("buildings.csv rewritten: %.40q", data)
	}
	f, err := os.Open(filepath.Join(dir, bundle.CommunitiesFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, probs := bundle.ReadCommunities(f)
	if len(probs) > 0 || len(got) != len(c.Communities) || !reflect.DeepEqual(got[0].Geom, c.Communities[0].Geom) {
		t.Errorf("communities read back: %v, %v", probs, got[0].Geom)
	}
}
