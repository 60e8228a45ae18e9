package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/cases"
	"github.com/gridd/gridd/store/gpkg"
)

// casesData writes five cases over three days into a new data folder; the
// second is dispatched to unit U9.
func casesData(t *testing.T) (dir string, t0 time.Time) {
	dir = t.TempDir()
	db, err := gpkg.Open(context.Background(), filepath.Join(dir, gpkgFile))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cats, _ := cases.DefaultCategories()
	cat, _ := cats.Get("env_litter")
	t0 = time.Date(2026, 7, 1, 9, 0, 0, 0, time.UTC)
	for i := range 5 {
		at := t0.Add(time.Duration(i) * 18 * time.Hour)
		in := &cases.Incident{Channel: cases.Video, ExternalID: fmt.Sprintf("v%d", i), Category: cat.Code, ReportedAt: at,
			ReceivedAt: at, Located: true, Loc: orb.Point{118.61 + float64(i)*0.01, 32.05}, LocatedBy: cases.ByPoint, Score: 1,
			Street: "S1", Community: "C1", Grid: fmt.Sprintf("G%d", i)}
		got, _, err := db.Intake(context.Background(), in, cat, at)
		if err != nil {
			t.Fatal(err)
		}
		if i == 1 {
			for _, cmd := range []cases.Command{{Action: cases.ActFile}, {Action: cases.ActDispatch, Unit: "U9"}} {
				if _, err := db.Transition(context.Background(), got.Case, func(c cases.Case) (cases.Case, cases.Event, error) {
					return cases.Apply(c, cmd, cat, at)
				}); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	return dir, t0
}

func TestCasesCommands(t *testing.T) {
	dir, t0 := casesData(t)
	period := []string{"--data", dir, "--from", t0.Add(time.Hour).Format(time.RFC3339), "--to", t0.Add(60 * time.Hour).Format(time.RFC3339)}

	out := wantRun(t, nil, 0, []string{"ID", "dispatched", "U9"}, append([]string{"cases", "list"}, period...)...)
	if n := strings.Count(out, "\n"); n != 4 { // header + cases 2, 3, 4 (reported 18, 36, 54 h after t0)
		t.Errorf("list: %d lines\n%s", n, out)
	}
	wantRun(t, nil, 0, []string{`"Stage": "dispatched"`, `"Unit": "U9"`, `"Action": "dispatch"`}, "cases", "show", "--data", dir, "2")
	wantRun(t, nil, 1, nil, "cases", "show", "--data", dir, "99")
	wantRun(t, nil, 2, nil, "cases", "show", "--data", dir, "x")
	wantRun(t, nil, 2, nil, "cases", "list", "--data", dir, "--from", "yesterday")
	wantRun(t, nil, 2, nil, "cases", "export", "--data", dir, "--format", "shp")
	wantRun(t, nil, 2, nil, "cases", "frobnicate")

	gj := wantRun(t, nil, 0, nil, append([]string{"cases", "export", "--format", "geojson"}, period...)...)
	var fc struct {
		Type     string `json:"type"`
		Features []struct {
			ID         float64        `json:"id"`
			Geometry   map[string]any `json:"geometry"`
			Properties map[string]any `json:"properties"`
		} `json:"features"`
	}
	if err := json.Unmarshal([]byte(gj), &fc); err != nil || fc.Type != "FeatureCollection" || len(fc.Features) != 3 {
		t.Fatalf("geojson %v: %s", err, gj)
	}
	if f := fc.Features[0]; f.ID != 2 || f.Properties["unit"] != "U9" || f.Properties["stage"] != "dispatched" || f.Geometry["type"] != "Point" {
		t.Errorf("first feature %+v", f)
	}
	c := wantRun(t, nil, 0, nil, append([]string{"cases", "export", "--format", "csv"}, period...)...)
	rows, err := csv.NewReader(strings.NewReader(c)).ReadAll()
	if err != nil || len(rows) != 4 || rows[0][0] != "id" || rows[1][0] != "2" || rows[3][9] != "G3" {
		t.Fatalf("csv %v: %q", err, rows)
	}
}
