package api

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/dispatch"
)

// TestAppendProblemMatchesJSON checks the hand-written problem encoder
// writes what encoding/json writes, or declines.
func TestAppendProblemMatchesJSON(t *testing.T) {
	base := Problem{Type: problemTypeBase + "not_found", Title: "Not Found", Status: 404}
	with := func(f func(*Problem)) Problem { p := base; f(&p); return p }
	tests := []struct {
		name     string
		p        Problem
		fallback bool
	}{
		{"bare", base, false},
		{"all standard", with(func(p *Problem) { p.Detail, p.Instance, p.Field = "bad lon", "/locate?lon=1&lat=2", "lon" }), false},
		{"outside", with(func(p *Problem) {
			p.Detail = "point (118.300000, 31.950000) is outside the district; the nearest grid 320111001001001 is 1234 m away"
			p.Extra = map[string]any{"distance_m": 1234.5678, "nearest_grid": bundle.GridCode("320111001001001"), "nearest_community": bundle.CommunityCode("320111001001")}
		}), false},
		{"int and string", with(func(p *Problem) { p.Extra = map[string]any{"case": 12, "holder": "u-1"} }), false},
		{"html escaped", with(func(p *Problem) { p.Detail = `a <b> & "c" \ d` }), false},
		{"chinese", with(func(p *Problem) { p.Detail = "浦口区 江浦街道" }), false},
		{"control char", with(func(p *Problem) { p.Detail = "line\nbreak\t\r\x01\b\f" }), false},
		{"u2028", with(func(p *Problem) { p.Detail = "a\u2028b\u2029" }), false},
		{"invalid utf8", with(func(p *Problem) { p.Detail = "a\xffb\xe2\x80" }), false},
		{"exponent float", with(func(p *Problem) { p.Extra = map[string]any{"x": 1e-9} }), true},
		{"big float", with(func(p *Problem) { p.Extra = map[string]any{"x": 1e22} }), true},
		{"slice extra", with(func(p *Problem) { p.Extra = map[string]any{"findings": []string{"a"}} }), true},
		{"colliding member", with(func(p *Problem) { p.Extra = map[string]any{"status": "x"} }), true},
		{"zero float", with(func(p *Problem) { p.Extra = map[string]any{"distance_m": 0.0, "neg": math.Copysign(0, -1)} }), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want, err := json.Marshal(tc.p)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			ok := appendProblem(&buf, tc.p, nil)
			if !ok {
				if !tc.fallback {
					t.Fatalf("declined; want the fast path for %+v", tc.p)
				}
				return
			}
			if got := buf.String(); got != string(want) {
				t.Fatalf("appendProblem\n got %s\nwant %s", got, want)
			}
		})
	}
}

// FuzzAppendProblem: whenever the fast encoder answers, it answers what
// encoding/json does.
func FuzzAppendProblem(f *testing.F) {
	f.Add("detail", "/x?y=1", "lon", "nearest_grid", "320111", 12.5)
	f.Add("a<b", "", "", "k", "\u2028", 1e-7)
	f.Fuzz(func(t *testing.T, detail, instance, field, k, v string, x float64) {
		p := Problem{Type: problemTypeBase + "invalid", Title: "Bad Request", Status: 400, Detail: detail, Instance: instance, Field: field,
			Extra: map[string]any{k: v, k + "_m": x}}
		want, err := json.Marshal(p)
		var buf bytes.Buffer
		if !appendProblem(&buf, p, nil) {
			return
		}
		if err != nil {
			t.Fatalf("fast path answered %s for a problem encoding/json refuses (%v)", buf.Bytes(), err)
		}
		if buf.String() != string(want) {
			t.Fatalf("got %s\nwant %s", buf.Bytes(), want)
		}
	})
}

// TestOutsideProblemFields: the map-free members of the outside answer
// encode as its ProblemExtra map does.
func TestOutsideProblemFields(t *testing.T) {
	for _, o := range []*dispatch.OutsideError{
		{NearestGrid: "320111001001001", NearestCommunity: "320111001001", DistanceM: 1234.25},
		{NearestCommunity: "320111001001", DistanceM: 0.5},
	} {
		op := outsideProblem{o}
		p := Problem{Type: problemTypeBase + "not_found", Title: "Not Found", Status: 404, Detail: "outside", Instance: "/locate?lon=1&lat=2", Field: "lon,lat"}
		var buf bytes.Buffer
		if !appendProblem(&buf, p, op.ProblemFields(nil)) {
			t.Fatal("declined the outside answer")
		}
		p.Extra = op.ProblemExtra()
		want, _ := json.Marshal(p)
		if buf.String() != string(want) {
			t.Fatalf("got %s\nwant %s", buf.Bytes(), want)
		}
	}
}
