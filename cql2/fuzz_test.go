package cql2

import (
	"testing"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/errs"
)

// FuzzParse: no input panics; an input either parses into a tree that
// renders to text parsing back to the same text, or fails with an Invalid
// error on the filter field. Match and SQL run on every tree.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"depth > 10 AND kind = 'bore'",
		"NOT (kind IN ('a','b') OR name LIKE 'x\\%_%') AND depth BETWEEN -1 AND 2.5e3",
		"S_INTERSECTS(geometry, POLYGON((0 0, 1 0, 1 1, 0 0)))",
		"S_INTERSECTS(BBOX(1,2,3,4), geometry) OR geometry IS NOT NULL",
		"S_INTERSECTS(geometry, MULTIPOLYGON(((0 0, 1 0, 1 1, 0 0)), ((2 2, 3 2, 3 3, 2 2))))",
		"S_INTERSECTS(geometry, MULTILINESTRING((0 0, 1 1), (2 2, 3 3)))",
		`"odd name" <> 'it''s' AND potable = TRUE`,
		"yield_l_s >= .5",
		"((((depth = 1))))",
		"kind = 'a' AND",
	} {
		f.Add(s)
	}
	d, _ := testDialect(true)
	ds, _ := testDialect(false)
	props := map[string]any{"name": "Ash", "kind": "bore", "depth": int64(3), "yield_l_s": 0.5, "potable": true}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := Parse(s, schema)
		if err != nil {
			if ee, ok := errs.As(err); !ok || ee.Code != errs.Invalid || ee.Field != "filter" {
				t.Fatalf("Parse(%q): error %#v is not Invalid on filter", s, err)
			}
			return
		}
		text := e.String()
		back, err := Parse(text, schema)
		if err != nil {
			t.Fatalf("Parse(%q) rendered %q, which fails: %v", s, text, err)
		}
		if back.String() != text {
			t.Fatalf("round trip of %q: %q → %q", s, text, back.String())
		}
		Match(e, props, orb.Point{0.5, 0.5})
		Match(e, nil, nil)
		SQL(e, d)
		SQL(e, ds)
	})
}
