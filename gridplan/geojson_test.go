package gridplan

import (
	"bytes"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/errs"
)

func square(lon, lat, d float64) orb.Polygon {
	return orb.Polygon{orb.Ring{{lon, lat}, {lon + d, lat}, {lon + d, lat + d}, {lon, lat + d}, {lon, lat}}}
}

func sampleGrids() []Grid {
	return []Grid{
		{Code: "320111001001001", Community: "320111001001", Street: "320111001", Kind: bundle.Urban,
			Households: 498, Target: 500, Geom: orb.MultiPolygon{square(118.6, 32.05, 0.01)}},
		{Code: "320111002003002", Community: "320111002003", Street: "320111002", Kind: bundle.Rural,
			Households: 0, Target: 300, Geom: orb.MultiPolygon{square(118.7, 32.1, 0.01), square(118.72, 32.1, 0.005)}},
	}
}

func TestGeoJSONRoundTrip(t *testing.T) {
	in := sampleGrids()
	var buf bytes.Buffer
	if err := WriteGeoJSON(&buf, in); err != nil {
		t.Fatal(err)
	}
	out, err := ReadGeoJSON(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Fatalf("round trip changed grids:\n in %+v\nout %+v", in, out)
	}
	if !strings.Contains(buf.String(), `"type":"Polygon"`) || !strings.Contains(buf.String(), `"type":"MultiPolygon"`) {
		t.Errorf("want a Polygon for the one-part grid and a MultiPolygon for the two-part one:\n%s", buf.String())
	}
	// Deterministic bytes for the same grids.
	var again bytes.Buffer
	_ = WriteGeoJSON(&again, in)
	if !bytes.Equal(buf.Bytes(), again.Bytes()) {
		t.Error("WriteGeoJSON is not deterministic")
	}
}

func TestWriteGeoJSONRejectsBadGeometry(t *testing.T) {
	cases := []struct {
		name string
		geom orb.MultiPolygon
		want string
	}{
		{"nan", orb.MultiPolygon{{{{1, 1}, {math.NaN(), 1}, {2, 2}, {1, 1}}}}, "not finite"},
		{"inf", orb.MultiPolygon{{{{1, 1}, {math.Inf(1), 1}, {2, 2}, {1, 1}}}}, "not finite"},
		{"range", orb.MultiPolygon{{{{1, 1}, {200, 1}, {2, 2}, {1, 1}}}}, "outside"},
		{"open", orb.MultiPolygon{{{{1, 1}, {2, 1}, {2, 2}, {1, 2}}}}, "not closed"},
		{"empty", nil, "empty"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := sampleGrids()
			g[1].Geom = c.geom
			var buf bytes.Buffer
			err := WriteGeoJSON(&buf, g)
			if !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "grids[1]") {
				t.Fatalf("err = %v, want Invalid naming grids[1] and %q", err, c.want)
			}
			if buf.Len() != 0 {
				t.Error("wrote output despite the error")
			}
		})
	}
}

const goodFeature = `{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[118.6,32],[118.7,32],[118.7,32.1],[118.6,32]]]},"properties":{"code":"320111001001001","community_code":"320111001001","street_code":"320111001","kind":"urban","households":500,"target":500}}`

func TestReadGeoJSONRejects(t *testing.T) {
	fc := func(features ...string) string {
		return `{"type":"FeatureCollection","features":[` + strings.Join(features, ",") + `]}`
	}
	with := func(old, new string) string { return strings.Replace(goodFeature, old, new, 1) }
	cases := []struct {
		name, in, want string
	}{
		{"not json", `{`, "not a GeoJSON FeatureCollection"},
		{"not collection", goodFeature, "want FeatureCollection"},
		{"bad grid code", fc(goodFeature, with(`"320111001001001"`, `"32011100100100"`)), "feature 1: code"},
		{"code not in community", fc(with(`"320111001001001"`, `"320111001002001"`)), "does not start with community_code"},
		{"street mismatch", fc(with(`"320111001"`, `"320111002"`)), "not the street of community"},
		{"bad community", fc(with(`"320111001001"`, `"3201110010x1"`)), "community_code"},
		{"missing code", fc(with(`"code":"320111001001001",`, ``)), "property code is missing"},
		{"code not string", fc(with(`"320111001001001"`, `320111001001001`)), "want a string"},
		{"bad kind", fc(with(`"urban"`, `"suburban"`)), "kind"},
		{"fraction households", fc(with(`"households":500`, `"households":1.5`)), "want an integer"},
		{"negative households", fc(with(`"households":500`, `"households":-1`)), "at least 0"},
		{"zero target", fc(with(`"target":500`, `"target":0`)), "target"},
		{"point", fc(with(`{"type":"Polygon","coordinates":[[[118.6,32],[118.7,32],[118.7,32.1],[118.6,32]]]}`, `{"type":"Point","coordinates":[1,2]}`)), "want Polygon or MultiPolygon"},
		{"no geometry", fc(with(`{"type":"Polygon","coordinates":[[[118.6,32],[118.7,32],[118.7,32.1],[118.6,32]]]}`, `null`)), "geometry is missing"},
		{"open ring", fc(with(`[118.6,32]]]}`, `[118.6,32.5]]]}`)), "not closed"},
		{"short ring", fc(with(`[[[118.6,32],[118.7,32],[118.7,32.1],[118.6,32]]]`, `[[[118.6,32],[118.7,32],[118.6,32]]]`)), "at least 4"},
		{"out of range", fc(with(`[118.7,32]`, `[218.7,32]`)), "outside"},
		{"duplicate", fc(goodFeature, goodFeature), "feature 1: code 320111001001001 repeats feature 0"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g, err := ReadGeoJSON(strings.NewReader(c.in))
			if err == nil {
				t.Fatalf("accepted %s: %+v", c.in, g)
			}
			if !errs.Is(err, errs.Invalid) {
				t.Errorf("code = %s, want invalid", errs.CodeOf(err))
			}
			if !strings.Contains(err.Error(), c.want) {
				var detail string
				if e, ok := errs.As(err); ok {
					if l, ok := e.Err.(errs.List); ok {
						for _, p := range l {
							detail += "\n  " + p.Error()
						}
					}
				}
				if !strings.Contains(detail, c.want) {
					t.Errorf("err = %v%s, want it to mention %q", err, detail, c.want)
				}
			}
			if g != nil {
				t.Error("returned grids with an error")
			}
		})
	}
}

func TestReadGeoJSONReportsEveryProblem(t *testing.T) {
	bad := strings.Replace(goodFeature, `"urban"`, `"x"`, 1)
	bad = strings.Replace(bad, `"households":500`, `"households":"many"`, 1)
	in := `{"type":"FeatureCollection","features":[` + bad + `,` + goodFeature + `,` + bad + `]}`
	_, err := ReadGeoJSON(strings.NewReader(in))
	e, ok := errs.As(err)
	if !ok {
		t.Fatalf("err = %v, want an errs.Error", err)
	}
	l, ok := e.Err.(errs.List)
	if !ok || len(l) != 4 {
		t.Fatalf("problems = %v, want 4 (two per bad feature)", e.Err)
	}
	for _, p := range l {
		if !strings.Contains(p.Field, "feature 0") && !strings.Contains(p.Field, "feature 2") {
			t.Errorf("problem %v does not name feature 0 or 2", p)
		}
	}
}

func FuzzReadGeoJSON(f *testing.F) {
	var buf bytes.Buffer
	_ = WriteGeoJSON(&buf, sampleGrids())
	f.Add(buf.Bytes())
	f.Add([]byte(`{"type":"FeatureCollection","features":[` + goodFeature + `]}`))
	f.Add([]byte(`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"MultiPolygon","coordinates":[]},"properties":{}}]}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		grids, err := ReadGeoJSON(bytes.NewReader(data))
		if err != nil {
			if grids != nil {
				t.Fatal("grids with an error")
			}
			if errs.CodeOf(err) != errs.Invalid && errs.CodeOf(err) != errs.TooLarge {
				t.Fatalf("error code %s: %v", errs.CodeOf(err), err)
			}
			return
		}
		// What was accepted must write and read back identically.
		var out bytes.Buffer
		if err := WriteGeoJSON(&out, grids); err != nil {
			t.Fatalf("accepted grids do not write: %v", err)
		}
		again, err := ReadGeoJSON(&out)
		if err != nil {
			t.Fatalf("written grids do not read: %v", err)
		}
		if !reflect.DeepEqual(grids, again) {
			t.Fatalf("second round trip differs")
		}
		for _, g := range grids {
			if !strings.HasPrefix(string(g.Code), string(g.Community)) {
				t.Fatalf("accepted grid %s outside community %s", g.Code, g.Community)
			}
		}
	})
}
