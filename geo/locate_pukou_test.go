package geo_test

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"testing"

	"github.com/gridd/gridd/fixtures"
	"github.com/gridd/gridd/geo"
	"github.com/gridd/gridd/gridplan"
)

// pukouCommunities is the committed Pukou bundle's community layer.
func pukouCommunities(tb testing.TB) []geo.Area {
	tb.Helper()
	b, err := fixtures.LoadPukou()
	if err != nil {
		tb.Fatalf("load Pukou: %v", err)
	}
	areas := make([]geo.Area, len(b.Communities))
	for i, c := range b.Communities {
		areas[i] = geo.Area{Code: string(c.Code), Geom: c.Geom}
	}
	return areas
}

func pukouStreets(tb testing.TB) []geo.Area {
	tb.Helper()
	b, err := fixtures.LoadPukou()
	if err != nil {
		tb.Fatalf("load Pukou: %v", err)
	}
	areas := make([]geo.Area, len(b.Streets))
	for i, s := range b.Streets {
		areas[i] = geo.Area{Code: string(s.Code), Geom: s.Geom}
	}
	return areas
}

// pukouGrids is the committed Pukou plan (fixtures/pukou/plan.geojson) when
// it exists, else the file GEO_TEST_PLAN names (e.g. the output of
// `gridctl plan --bundle DIR --out plan.geojson`); ok is false when there
// is neither.
func pukouGrids(tb testing.TB) (areas []geo.Area, ok bool) {
	tb.Helper()
	data, err := fs.ReadFile(fixtures.PukouFS(), "plan.geojson")
	if errors.Is(err, fs.ErrNotExist) {
		p := os.Getenv("GEO_TEST_PLAN")
		if p == "" {
			return nil, false
		}
		data, err = os.ReadFile(p)
	}
	if err != nil {
		tb.Fatal(err)
	}
	grids, err := gridplan.ReadGeoJSON(bytes.NewReader(data))
	if err != nil {
		tb.Fatalf("plan.geojson: %v", err)
	}
	areas = make([]geo.Area, len(grids))
	for i, g := range grids {
		areas[i] = geo.Area{Code: string(g.Code), Geom: g.Geom}
	}
	return areas, true
}

func TestLocatePukou(t *testing.T) {
	t.Run("communities", func(t *testing.T) {
		geo.TestCheckLocate(t, pukouCommunities(t), geo.TestPropertyPoints)
	})
	t.Run("streets", func(t *testing.T) {
		geo.TestCheckLocate(t, pukouStreets(t), geo.TestPropertyPoints/10)
	})
	t.Run("plan grids", func(t *testing.T) {
		grids, ok := pukouGrids(t)
		if !ok {
			t.Skip("fixtures/pukou/plan.geojson is not committed yet")
		}
		geo.TestCheckLocate(t, grids, geo.TestPropertyPoints)
	})
}
