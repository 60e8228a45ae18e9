package api

import (
	"testing"

	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/gridplan"
)

func TestParsePlanRequest(t *testing.T) {
	def := gridplan.DefaultParams()
	for _, tc := range []struct {
		body  string
		field string // "" when it parses
		check func(planRequest) bool
	}{
		{`{}`, "", func(q planRequest) bool {
			return q.Seed == def.Seed && q.UrbanTarget == 500 && q.RuralTarget == 300 && q.TolerancePct == 10 && q.RefineSharePct == 10
		}},
		{`{"seed": 0}`, "", func(q planRequest) bool { return q.Seed == 0 }},
		{`{"seed": -7, "urban_target": 480, "rural_target": 250, "tolerance_pct": 12.5, "refine_share_pct": 5, "name": " n "}`, "", func(q planRequest) bool {
			return q.Seed == -7 && q.UrbanTarget == 480 && q.RuralTarget == 250 && q.TolerancePct == 12.5 && q.RefineSharePct == 5 && q.Name == "n"
		}},
		{`{"previous": 3, "locked": ["a", "b"], "communities": ["c"]}`, "", func(q planRequest) bool {
			return q.Previous == 3 && len(q.Locked) == 2 && len(q.Communities) == 1
		}},
		{``, "body", nil},
		{`[]`, "body", nil},
		{`{} {}`, "body", nil},
		{`{"seed": 1.5}`, "seed", nil},
		{`{"seed": 99999999999999999999}`, "seed", nil},
		{`{"urban_target": 0}`, "urban_target", nil},
		{`{"rural_target": 100001}`, "rural_target", nil},
		{`{"rural_target": "300"}`, "rural_target", nil},
		{`{"tolerance_pct": 0}`, "tolerance_pct", nil},
		{`{"tolerance_pct": 100}`, "tolerance_pct", nil},
		{`{"refine_share_pct": -1}`, "refine_share_pct", nil},
		{`{"previous": 0}`, "previous", nil},
		{`{"previous": -1}`, "previous", nil},
		{`{"locked": ["a"]}`, "locked", nil},
		{`{"communities": ["a"]}`, "communities", nil},
		{`{"previous": 1, "locked": ["a", "a"]}`, "locked[1]", nil},
		{`{"previous": 1, "locked": [" a"]}`, "locked[0]", nil},
		{`{"previous": 1, "communities": [""]}`, "communities[0]", nil},
		{`{"previous": 1, "locked": [1]}`, "locked", nil},
		{`{"colour": "red"}`, "colour", nil},
	} {
		q, err := parsePlanRequest([]byte(tc.body))
		if tc.field == "" {
			if err != nil || !tc.check(q) {
				t.Errorf("%s: %+v, %v", tc.body, q, err)
			}
			continue
		}
		e, ok := errs.As(err)
		if !ok || e.Code != errs.Invalid || e.Field != tc.field {
			t.Errorf("%s: error %v, want Invalid naming %s", tc.body, err, tc.field)
		}
	}
}

// FuzzParsePlanRequest: any body either parses into parameters the
// partitioner accepts, or is refused as Invalid naming a field (400, or
// 422 for "body"); never a panic.
func FuzzParsePlanRequest(f *testing.F) {
	for _, s := range []string{`{}`, `{"seed": 3, "urban_target": 480}`, `{"previous": 2, "locked": ["320111001001001"], "communities": ["320111001001"]}`,
		`{"tolerance_pct": 1e308}`, `{"refine_share_pct": 99.9, "name": "x"}`, `{"seed": "1"}`, `nul`, `{"locked": null}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		q, err := parsePlanRequest(raw)
		if err != nil {
			e, ok := errs.As(err)
			if !ok || e.Code != errs.Invalid || e.Field == "" {
				t.Fatalf("%q: error %v is not Invalid naming a field", raw, err)
			}
			// A named parameter is 400; a body that is no JSON object of
			// parameters is 422, as every JSON body in the API.
			if want := map[bool]int{true: 422, false: 400}[e.Field == "body"]; statusOf(err) != want {
				t.Fatalf("%q: %v answers %d, want %d", raw, err, statusOf(err), want)
			}
			return
		}
		if err := q.params().Validate(); err != nil {
			t.Fatalf("%q parsed into params the partitioner refuses: %v", raw, err)
		}
		if (len(q.Locked) > 0 || len(q.Communities) > 0) && q.Previous == 0 {
			t.Fatalf("%q: locked or communities without previous", raw)
		}
	})
}
