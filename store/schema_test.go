package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/gridplan"
)

func TestSchema(t *testing.T) {
	for _, l := range Layers {
		t.Run(string(l), func(t *testing.T) {
			s, err := Schema(l)
			if err != nil {
				t.Fatal(err)
			}
			if s.Layer != l {
				t.Fatalf("layer %s, want %s", s.Layer, l)
			}
			if _, ok := s.Property(s.ID); !ok {
				t.Fatalf("id property %q is not a property", s.ID)
			}
		})
	}
	if _, err := Schema("roads"); errs.CodeOf(err) != errs.Invalid {
		t.Fatalf("unknown layer: %v, want Invalid", err)
	}
}

func TestFilterArg(t *testing.T) {
	grids, _ := Schema(Grids)
	tests := []struct {
		name, prop, v string
		want          any
		field         string
	}{
		{"string", "community_code", "320111001005", "320111001005", ""},
		{"integer", "households", "-42", int64(-42), ""},
		{"not an integer", "households", "4x", nil, "filter.households"},
		{"no such property", "address", "x", nil, "filter.address"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := grids.FilterArg(tc.prop, tc.v)
			wantField(t, err, tc.field)
			if got != tc.want {
				t.Fatalf("got %#v, want %#v", got, tc.want)
			}
		})
	}
}

func TestSchemaFeature(t *testing.T) {
	buildings, _ := Schema(Buildings) // id (text), households (integer), address
	streets, _ := Schema(Streets)     // code, name
	pt := orb.Point{118.6, 32}
	tests := []struct {
		name   string
		s      LayerSchema
		vals   []any
		wantID string
	}{
		{"alphanumeric building id", buildings, []any{"B0000007", nil, "1 Road"}, "B0000007"},
		{"20-digit building id", buildings, []any{"32011100100200001234", int64(3), nil}, "32011100100200001234"},
		{"string id", streets, []any{"320111001", "Jiangpu"}, "320111001"},
		{"NULL string id", streets, []any{nil, "x"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := tc.s.Feature(func(i int) any { return tc.vals[i] }, pt)
			if f.ID != tc.wantID || f.Geom != pt || len(f.Props) != len(tc.vals) {
				t.Fatalf("got %+v, want id %q and %d props", f, tc.wantID, len(tc.vals))
			}
			for i, p := range tc.s.Props {
				if v, ok := f.Props[p.Name]; !ok || v != tc.vals[i] {
					t.Fatalf("prop %s = %#v, want %#v", p.Name, v, tc.vals[i])
				}
			}
		})
	}
}

func TestFeatureByID(t *testing.T) {
	want := Feature{ID: "7"}
	var asked []Query
	features := func(_ context.Context, q Query) (Page, error) {
		asked = append(asked, q)
		if id := q.Filters["id"]; id == "7" || id == "B0000007" {
			return Page{Features: []Feature{want}, NumberMatched: 1}, nil
		}
		return Page{}, nil
	}
	boom := errors.New("boom")
	failing := func(context.Context, Query) (Page, error) { return Page{}, boom }
	tests := []struct {
		name     string
		features func(context.Context, Query) (Page, error)
		layer    Layer
		id       string
		code     errs.Code // "" for success
		queried  bool
	}{
		{"found", features, Buildings, "7", "", true},
		{"absent", features, Buildings, "8", errs.NotFound, true},
		{"alphanumeric id found", features, Buildings, "B0000007", "", true},
		{"unknown layer", features, "roads", "7", errs.Invalid, false},
		{"store error passed on", failing, Buildings, "7", errs.Internal, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			asked = nil
			f, err := FeatureByID(context.Background(), tc.features, tc.layer, gridplan.PlanID(3), tc.id)
			switch {
			case tc.code == "" && (err != nil || f.ID != want.ID):
				t.Fatalf("got %+v, %v; want %+v", f, err, want)
			case tc.code == errs.Internal && !errors.Is(err, boom):
				t.Fatalf("got %v, want the store's error", err)
			case tc.code != "" && tc.code != errs.Internal && errs.CodeOf(err) != tc.code:
				t.Fatalf("got %v, want %s", err, tc.code)
			}
			if tc.queried {
				if len(asked) != 1 || asked[0].Layer != tc.layer || asked[0].Plan != 3 || asked[0].Limit != 1 || asked[0].Filters["id"] != tc.id {
					t.Fatalf("asked %+v", asked)
				}
			} else if len(asked) != 0 {
				t.Fatalf("asked the store %+v, want no query", asked)
			}
		})
	}
}

// fakeRows is a result set of fixed rows for ScanGrids.
type fakeRows struct {
	rows [][]any
	i    int
	err  error
}

func (r *fakeRows) Next() bool { r.i++; return r.i <= len(r.rows) }
func (r *fakeRows) Err() error { return r.err }
func (r *fakeRows) Scan(dest ...any) error {
	row := r.rows[r.i-1]
	for i, d := range dest {
		switch d := d.(type) {
		case *[]byte:
			*d = row[i].([]byte)
		case *int:
			*d = row[i].(int)
		default:
			// the typed codes and kind are string kinds
			if err := setString(d, row[i].(string)); err != nil {
				return err
			}
		}
	}
	return nil
}

func TestScanGrids(t *testing.T) {
	decode := func(b []byte) (orb.MultiPolygon, error) {
		if string(b) == "bad" {
			return nil, errors.New("bad blob")
		}
		return square(), nil
	}
	row := func(code string, blob string) []any {
		return []any{code, code[:12], code[:9], "urban", 480, 500, []byte(blob)}
	}
	grids, err := ScanGrids(&fakeRows{rows: [][]any{row("320111001001001", "ok"), row("320111001001002", "ok")}}, decode)
	if err != nil || len(grids) != 2 || grids[1].Code != "320111001001002" || grids[1].Community != "320111001001" ||
		grids[1].Street != "320111001" || grids[1].Households != 480 || grids[1].Target != 500 || len(grids[1].Geom) != 1 {
		t.Fatalf("got %+v, %v", grids, err)
	}
	if _, err := ScanGrids(&fakeRows{rows: [][]any{row("320111001001001", "bad")}}, decode); err == nil {
		t.Fatal("a bad blob was accepted")
	}
	end := errors.New("connection lost")
	if _, err := ScanGrids(&fakeRows{err: end}, decode); !errors.Is(err, end) {
		t.Fatalf("got %v, want the result set's error", err)
	}
}

// setString stores v in *d, a pointer to a string kind.
func setString(d any, v string) error {
	e := reflect.ValueOf(d).Elem()
	if e.Kind() != reflect.String {
		return fmt.Errorf("cannot scan a string into %T", d)
	}
	e.SetString(v)
	return nil
}

// nullStr and nullInt stand for a driver's nullable scan types.
type nullStr struct {
	s     string
	valid bool
}

func (n nullStr) Value() (driver.Value, error) {
	if !n.valid {
		return nil, nil
	}
	return n.s, nil
}

type nullInt struct {
	n     int64
	valid bool
}

func (n nullInt) Value() (driver.Value, error) {
	if !n.valid {
		return nil, nil
	}
	return n.n, nil
}

func TestScanFeature(t *testing.T) {
	buildings, _ := Schema(Buildings) // id, households, address
	pt := orb.Point{118.6, 32}
	decode := func(b []byte) (orb.Geometry, error) {
		if string(b) != "pt" {
			return nil, errors.New("bad blob")
		}
		return pt, nil
	}
	scan := func(id *string, hh *int64, addr *string, blob string) func(...any) error {
		return func(dest ...any) error {
			if len(dest) != 4 {
				return fmt.Errorf("%d targets, want 4", len(dest))
			}
			if id != nil {
				*dest[0].(*nullStr) = nullStr{*id, true}
			}
			if hh != nil {
				*dest[1].(*nullInt) = nullInt{*hh, true}
			}
			if addr != nil {
				*dest[2].(*nullStr) = nullStr{*addr, true}
			}
			*dest[3].(*[]byte) = []byte(blob)
			return nil
		}
	}
	id, hh, addr := "9", int64(300), "2 Lane"
	f, err := ScanFeature[nullStr, nullInt](buildings, scan(&id, &hh, &addr, "pt"), decode)
	if err != nil || f.ID != "9" || f.Geom != pt || f.Props["households"] != int64(300) || f.Props["address"] != "2 Lane" {
		t.Fatalf("got %+v, %v", f, err)
	}
	f, err = ScanFeature[nullStr, nullInt](buildings, scan(&id, nil, nil, "pt"), decode)
	if err != nil || f.Props["households"] != nil || f.Props["address"] != nil {
		t.Fatalf("NULLs: got %+v, %v", f, err)
	}
	if _, err := ScanFeature[nullStr, nullInt](buildings, scan(&id, nil, nil, "bad"), decode); err == nil {
		t.Fatal("a bad blob was accepted")
	}
	boom := errors.New("scan failed")
	if _, err := ScanFeature[nullStr, nullInt](buildings, func(...any) error { return boom }, decode); !errors.Is(err, boom) {
		t.Fatalf("got %v, want the scan error", err)
	}
}

func TestScanStreetAndCommunity(t *testing.T) {
	decode := func(b []byte) (orb.MultiPolygon, error) {
		if string(b) == "bad" {
			return nil, errors.New("bad blob")
		}
		return square(), nil
	}
	rows := &fakeRows{rows: [][]any{{"320111001", "Jiangpu", []byte("ok")}, {"320111002", "Bad", []byte("bad")}}}
	var got []bundle.Street
	err := EachRow(rows, func(r Rows) error {
		s, err := ScanStreet(r, decode)
		got = append(got, s)
		return err
	})
	if err == nil || len(got) != 2 || got[0].Code != "320111001" || got[0].Name != "Jiangpu" || len(got[0].Geom) != 1 {
		t.Fatalf("got %+v, %v; want the first street and the second's decode error", got, err)
	}
	rows = &fakeRows{rows: [][]any{{"320111001001", "Xinhua", "320111001", "rural", []byte("ok")}}}
	var cs []bundle.Community
	err = EachRow(rows, func(r Rows) error {
		c, err := ScanCommunity(r, decode)
		cs = append(cs, c)
		return err
	})
	if err != nil || len(cs) != 1 || cs[0].Street != "320111001" || cs[0].Kind != bundle.Rural || len(cs[0].Geom) != 1 {
		t.Fatalf("got %+v, %v", cs, err)
	}
	end := errors.New("connection lost")
	if err := EachRow(&fakeRows{err: end}, func(Rows) error { return nil }); !errors.Is(err, end) {
		t.Fatalf("got %v, want the result set's error", err)
	}
}
