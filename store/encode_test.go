package store

import (
	"errors"
	"testing"
	"testing/fstest"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/gridplan"
)

func TestEncodePlan(t *testing.T) {
	grid := gridplan.Grid{Code: "320111001001001", Community: "320111001001", Street: "320111001",
		Kind: bundle.Urban, Households: 480, Target: 500, Geom: square()}
	boom := errors.New("cannot encode")
	grid2 := grid
	grid2.Code, grid2.Geom = "320111001001002", append(square(), square()...)
	count := func(g orb.Geometry) ([]byte, error) { return []byte{byte(len(g.(orb.MultiPolygon)))}, nil }
	tests := []struct {
		name   string
		plan   *gridplan.Plan
		encode func(orb.Geometry) ([]byte, error)
		report any
		err    error
	}{
		{"no report", &gridplan.Plan{Name: "p", Grids: []gridplan.Grid{grid, grid2}}, count, nil, nil},
		{"report as text", &gridplan.Plan{Name: "p", Report: []byte(`{"a":1}`)}, count, `{"a":1}`, nil},
		{"checked first", &gridplan.Plan{Name: ""}, count, nil, errs.E(errs.Invalid, "name", "")},
		{"encoder error", &gridplan.Plan{Name: "p", Grids: []gridplan.Grid{grid}},
			func(orb.Geometry) ([]byte, error) { return nil, boom }, nil, boom},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, err := EncodePlan(tc.plan, tc.encode)
			if tc.err != nil {
				if e, ok := tc.err.(*errs.Error); ok {
					wantField(t, err, e.Field)
				} else if !errors.Is(err, tc.err) {
					t.Fatalf("got %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(e.Params) == "" || e.Report != tc.report || len(e.Blobs) != len(tc.plan.Grids) {
				t.Fatalf("got %+v", e)
			}
			for i, b := range e.Blobs {
				if len(b) != 1 || int(b[0]) != len(tc.plan.Grids[i].Geom) {
					t.Fatalf("blob %d = %v", i, b)
				}
			}
		})
	}
}

func TestGeomEncoder(t *testing.T) {
	first, second := errors.New("first"), errors.New("second")
	calls := 0
	ge := NewGeomEncoder(func(g orb.Geometry) ([]byte, error) {
		calls++
		switch calls {
		case 2:
			return nil, first
		case 3:
			return nil, second
		}
		return []byte("ok"), nil
	})
	if b := ge.Encode(orb.Point{}); string(b) != "ok" || ge.Err() != nil {
		t.Fatalf("got %q, %v", b, ge.Err())
	}
	ge.Encode(orb.Point{})
	ge.Encode(orb.Point{})
	if string(ge.Encode(orb.Point{})) != "ok" || !errors.Is(ge.Err(), first) {
		t.Fatalf("Err() = %v, want the first error", ge.Err())
	}
}

func TestMigrations(t *testing.T) {
	good := fstest.MapFS{
		"migrations/010_later.sql": {Data: []byte("B")},
		"migrations/002_first.sql": {Data: []byte("A")},
		"migrations/readme.txt":    {Data: []byte("not a migration")},
	}
	ms, err := Migrations(good)
	if err != nil {
		t.Fatal(err)
	}
	want := []Migration{{2, "002_first", "migrations/002_first.sql", "A"}, {10, "010_later", "migrations/010_later.sql", "B"}}
	if len(ms) != len(want) || ms[0] != want[0] || ms[1] != want[1] {
		t.Fatalf("got %+v, want %+v", ms, want)
	}
	for _, name := range []string{"migrations/first.sql", "migrations/x1_first.sql"} {
		t.Run(name, func(t *testing.T) {
			if _, err := Migrations(fstest.MapFS{name: {Data: []byte("A")}}); err == nil {
				t.Fatal("a badly named migration was accepted")
			}
		})
	}
}
