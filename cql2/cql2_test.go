package cql2

import (
	"fmt"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/internal/clip"
)

// schema is a test layer unlike any of gridd's: wells with a depth, a
// flag and a name.
var schema = Schema{
	"name":      String,
	"kind":      String,
	"depth":     Integer,
	"yield_l_s": Number,
	"potable":   Boolean,
	"geometry":  Geometry,
	"odd name":  String,
}

type feat struct {
	props map[string]any
	geom  orb.Geometry
}

var wells = []feat{
	{map[string]any{"name": "Ash", "kind": "bore", "depth": int64(40), "yield_l_s": 1.5, "potable": true, "odd name": "x"}, orb.Point{10, 10}},
	{map[string]any{"name": "birch", "kind": "dug", "depth": int64(8), "yield_l_s": 0.25, "potable": false}, orb.Point{11, 10}},
	{map[string]any{"name": "Cedar_1", "kind": "bore", "depth": 120, "yield_l_s": nil, "potable": true}, orb.Point{-5, 3}},
	{map[string]any{"name": "50%", "kind": nil, "depth": nil}, nil},
	{map[string]any{"name": "Élan", "kind": "spring", "depth": int64(0), "potable": false},
		orb.Polygon{{{0, 0}, {4, 0}, {4, 4}, {0, 4}, {0, 0}}, {{1, 1}, {1, 3}, {3, 3}, {3, 1}, {1, 1}}}},
}

func matching(t *testing.T, e Expr) string {
	t.Helper()
	var out []string
	for _, f := range wells {
		if Match(e, f.props, f.geom) {
			out = append(out, fmt.Sprint(f.props["name"]))
		}
	}
	return strings.Join(out, ",")
}

func TestParseAndMatch(t *testing.T) {
	for _, tc := range []struct{ filter, want string }{
		{"depth > 10", "Ash,Cedar_1"},
		{"depth >= 40", "Ash,Cedar_1"},
		{"depth < 40", "birch,Élan"},
		{"depth <= 8", "birch,Élan"},
		{"depth = 8", "birch"},
		{"depth <> 8", "Ash,Cedar_1,Élan"}, // NULL depth is unknown, not different
		{"8 = depth", "birch"},
		{"depth > 7.5", "Ash,birch,Cedar_1"},
		{"yield_l_s < 1", "birch"},
		{"yield_l_s >= 1E0", "Ash"},
		{"depth > -1", "Ash,birch,Cedar_1,Élan"},
		{"kind = 'bore'", "Ash,Cedar_1"},
		{"KIND = 'bore'", ""}, // property names are case-sensitive ... and KIND is unknown; see errors
		{"potable = TRUE", "Ash,Cedar_1"},
		{"potable = false", "birch,Élan"},
		{"NOT potable = true", "birch,Élan"},
		{"name < 'b'", "Ash,Cedar_1,50%"}, // bytewise: digits and upper case first
		{"name > 'b'", "birch,Élan"},
		{"kind = 'bore' AND depth > 50", "Cedar_1"},
		{"kind = 'dug' OR depth > 50", "birch,Cedar_1"},
		{"kind = 'dug' OR kind = 'bore' AND depth > 50", "birch,Cedar_1"}, // AND binds tighter
		{"(kind = 'dug' OR kind = 'bore') AND depth > 10", "Ash,Cedar_1"},
		{"NOT (kind = 'bore')", "birch,Élan"}, // NULL kind stays unknown
		{"NOT kind = 'bore' AND depth < 10", "birch,Élan"},
		{"NOT NOT kind = 'dug'", "birch"},
		{"kind IN ('dug', 'spring')", "birch,Élan"},
		{"kind NOT IN ('dug', 'spring')", "Ash,Cedar_1"},
		{"depth IN (8, 40.0)", "Ash,birch"},
		{"depth BETWEEN 8 AND 40", "Ash,birch"},
		{"depth NOT BETWEEN 8 AND 40", "Cedar_1,Élan"},
		{"name BETWEEN 'A' AND 'C'", "Ash"},
		{"name LIKE 'C%'", "Cedar_1"},
		{"name LIKE 'c%'", ""}, // case-sensitive
		{"name LIKE '%r%'", "birch,Cedar_1"},
		{"name LIKE '_sh'", "Ash"},
		{"name LIKE '_lan'", "Élan"}, // _ is one character, not one byte
		{"name LIKE '%\\_1'", "Cedar_1"},
		{"name LIKE '50\\%'", "50%"},
		{"name NOT LIKE '%a%'", "Ash,birch,50%"},
		{"kind IS NULL", "50%"},
		{"kind IS NOT NULL", "Ash,birch,Cedar_1,Élan"},
		{"yield_l_s IS NULL", "Cedar_1,50%,Élan"}, // absent counts as NULL
		{"geometry IS NULL", "50%"},
		{`"odd name" = 'x'`, "Ash"},
		{"S_INTERSECTS(geometry, POINT(10 10))", "Ash"},
		{"S_INTERSECTS(geometry, BBOX(9, 9, 11, 11))", "Ash,birch"},
		{"S_INTERSECTS(geometry, ENVELOPE(9, 9, 11, 11))", "Ash,birch"},
		{"INTERSECTS(geometry, POINT(11 10))", "birch"},
		{"S_INTERSECTS(BBOX(10.5, 9, 11, 11), geometry)", "birch"},
		{"S_INTERSECTS(geometry, POLYGON((-6 2, -4 2, -4 4, -6 4, -6 2)))", "Cedar_1"},
		{"S_INTERSECTS(geometry, POINT(2 2))", ""},                  // in the hole
		{"S_INTERSECTS(geometry, POINT(1 2))", "Élan"},              // on the hole's edge
		{"S_INTERSECTS(geometry, LINESTRING(-1 2, 0.5 2))", "Élan"}, // crosses the shell
		{"S_INTERSECTS(geometry, LINESTRING(1.5 1.5, 2.5 2.5))", ""},
		{"S_INTERSECTS(geometry, POLYGON((1.5 1.5, 2.5 1.5, 2.5 2.5, 1.5 1.5)))", ""}, // inside the hole
		{"S_INTERSECTS(geometry, MULTIPOLYGON(((1.5 1.5, 2.5 1.5, 2.5 2.5, 1.5 1.5)), ((3.5 3.5, 5 3.5, 5 5, 3.5 3.5))))", "Élan"},
		{"S_INTERSECTS(geometry, MULTIPOINT((10 10), (-5 3)))", "Ash,Cedar_1"},
		{"s_intersects(geometry, point(10 10)) and not potable = false", "Ash"},
		{"NOT S_INTERSECTS(geometry, POINT(10 10))", "birch,Cedar_1,Élan"}, // no geometry: unknown
		{"'a' = 'a'", "Ash,birch,Cedar_1,50%,Élan"},
	} {
		t.Run(tc.filter, func(t *testing.T) {
			e, err := Parse(tc.filter, schema)
			if tc.filter == "KIND = 'bore'" {
				if !errs.Is(err, errs.Invalid) {
					t.Fatalf("want Invalid for an unknown property, got %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got := matching(t, e); got != tc.want {
				t.Errorf("match = %q, want %q (tree %s)", got, tc.want, e)
			}
			// The rendered text parses back to a tree that selects the same.
			back, err := Parse(e.String(), schema)
			if err != nil {
				t.Fatalf("reparse %q: %v", e.String(), err)
			}
			if back.String() != e.String() {
				t.Errorf("round trip: %q → %q", e.String(), back.String())
			}
			if got := matching(t, back); got != tc.want {
				t.Errorf("reparsed match = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ filter, want string }{
		{"", "empty"},
		{"   ", "empty"},
		{"colour = 'red'", `character 1: unknown property "colour"`},
		{"depth = 'deep'", `property "depth" = value 'deep': cannot compare integer with string`},
		{"name > 3", "cannot compare string with integer"},
		{"potable < true", "booleans compare only with = and <>"},
		{"depth LIKE '1%'", "LIKE applies to strings"},
		{"name LIKE name", "expected a 'quoted' pattern"},
		{"kind IN ('a', 3)", "character 15: property \"kind\" IN (... value 3 ...): cannot compare string with integer"},
		{"kind IN ()", "expected a property or a value"},
		{"depth BETWEEN 1 AND 'x'", "cannot compare"},
		{"depth BETWEEN 1", "expected AND"},
		{"kind = 'bore' AND", "expected a property or a value, found end of filter"},
		{"kind = 'bore' depth = 3", `character 15: unexpected "depth"`},
		{"(kind = 'bore'", "expected ')'"},
		{"kind = 'bore')", "unexpected \")\""},
		{"kind = 'bore", "unterminated '-quoted"},
		{`"kind = 'bore'`, "unterminated \"-quoted"},
		{"kind == 'bore'", "expected a property or a value"},
		{"kind ! 'bore'", "unexpected character '!'"},
		{"depth = 1e999", "not a finite number"},
		{"depth = 1e", "exponent without digits"},
		{"depth = 12abc", "runs into a name"},
		{"depth = -", "is not a number"},
		{"kind IS 'x'", "expected NULL"},
		{"'x' IS NULL", "IS NULL applies to a property"},
		{"kind NOT = 'x'", "IN, BETWEEN or LIKE after NOT"},
		{"kind", "expected a comparison"},
		{"AND = 1", "found the keyword AND"},
		{"geometry = 'x'", "a geometry can only be tested"},
		{"S_INTERSECTS(kind, POINT(1 2))", `property "kind" is string, not a geometry`},
		{"S_INTERSECTS(geom, POINT(1 2))", `unknown property "geom"`},
		{"S_INTERSECTS(geometry, POINT(1))", "expected a coordinate"},
		{"S_INTERSECTS(geometry, POINT(1 2 3))", "only 2D"},
		{"S_INTERSECTS(geometry, POINT Z(1 2 3))", "only 2D"},
		{"S_INTERSECTS(geometry, POINT(200 2))", "not a WGS84 lon lat"},
		{"S_INTERSECTS(geometry, POLYGON((0 0, 1 0, 1 1, 0 0.5)))", "must end where it starts"},
		{"S_INTERSECTS(geometry, POLYGON((0 0, 1 0, 0 0)))", "at least 4 points"},
		{"S_INTERSECTS(geometry, LINESTRING(0 0))", "at least 2 points"},
		{"S_INTERSECTS(geometry, BBOX(1, 2, 3))", "takes 4 numbers"},
		{"S_INTERSECTS(geometry, BBOX(3, 2, 1, 4))", "not a WGS84 box"},
		{"S_INTERSECTS(geometry, geometry)", "a geometry property and a geometry literal"},
		{"S_INTERSECTS(POINT(1 2), POINT(1 2))", "one geometry property and one geometry literal"},
		{"S_INTERSECTS(geometry POINT(1 2))", "expected ','"},
		{"name LIKE 'x\\'", "ends with an escape character"},
		{"kind = 'a\x00'", "NUL"},
		{"kind = '\xff'", "not valid UTF-8"},
		{strings.Repeat("(", 70) + "depth = 1" + strings.Repeat(")", 70), "nested more than 64 deep"},
		{strings.Repeat("NOT ", 70) + "depth = 1", "nested more than 64 deep"},
		{"depth IN (" + strings.Repeat("1, ", 1200) + "1)", "more than 1000 terms"},
		{strings.Repeat("x", MaxLen+1), "bytes long"},
	} {
		t.Run(clip.Text(tc.filter, 40), func(t *testing.T) {
			_, err := Parse(tc.filter, schema)
			e, ok := errs.As(err)
			if !ok || e.Code != errs.Invalid || e.Field != "filter" {
				t.Fatalf("want an Invalid error on filter, got %#v", err)
			}
			if !strings.Contains(e.Msg, tc.want) {
				t.Errorf("message %q does not contain %q", e.Msg, tc.want)
			}
		})
	}
}

func TestProps(t *testing.T) {
	e, err := Parse("kind = 'a' OR (depth > 3 AND NOT S_INTERSECTS(geometry, POINT(1 1))) OR kind IS NULL OR name LIKE 'x' OR yield_l_s BETWEEN depth AND 3", schema)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(Props(e), ","); got != "kind,depth,geometry,name,yield_l_s" {
		t.Errorf("Props = %s", got)
	}
}

func TestLikeMatch(t *testing.T) {
	for _, tc := range []struct {
		pat, s string
		want   bool
	}{
		{"", "", true}, {"", "a", false}, {"%", "", true}, {"%%", "abc", true},
		{"a%c", "abc", true}, {"a%c", "abcd", false}, {"%b%", "abc", true},
		{"a_c", "abc", true}, {"a_c", "ac", false}, {"%a%a%a%b", strings.Repeat("a", 200), false},
		{"街道%", "街道办", true}, {"_道", "街道", true},
	} {
		toks, err := compileLike(tc.pat, 1)
		if err != nil {
			t.Fatal(err)
		}
		if got := likeMatch(toks, tc.s); got != tc.want {
			t.Errorf("%q LIKE %q = %v, want %v", tc.s, tc.pat, got, tc.want)
		}
	}
}

// sqlite is a test dialect shaped like store/gpkg's; pg like store/postgis's.
func testDialect(pg bool) (Dialect, *[]any) {
	var args []any
	d := Dialect{
		Param: func(v any) string {
			args = append(args, v)
			if pg {
				return fmt.Sprintf("$%d", len(args))
			}
			return "?"
		},
		Column: func(name string) string { return "t." + strings.ReplaceAll(name, " ", "_") },
		Glob:   !pg,
		Intersects: func(col string, g orb.Geometry) (string, bool) {
			if pg {
				args = append(args, WKT(g))
				return fmt.Sprintf("ST_Intersects(%s, ST_GeomFromText($%d, 4326))", col, len(args)), true
			}
			return "bbox(" + col + ")", false
		},
	}
	if pg {
		d.Collate = ` COLLATE "C"`
	}
	return d, &args
}

func TestSQL(t *testing.T) {
	for _, tc := range []struct {
		filter, pg, sqlite string
		args               []any
		exactSQLite        bool
	}{
		{"depth > 10 AND kind = 'bore'", `((t.depth > $1) AND (t.kind COLLATE "C" = $2 COLLATE "C"))`, `((t.depth > ?) AND (t.kind = ?))`, []any{int64(10), "bore"}, true},
		{"name LIKE 'a\\_%'", `(t.name LIKE $1 ESCAPE '\')`, `(t.name GLOB ?)`, []any{`a\_%`}, true},
		{"kind IN ('a', 'b') OR kind IS NULL", `((t.kind IN ($1, $2)) OR (t.kind IS NULL))`, `((t.kind IN (?, ?)) OR (t.kind IS NULL))`, []any{"a", "b"}, true},
		{"NOT depth BETWEEN 1 AND 2.5", `(NOT (t.depth BETWEEN $1 AND $2))`, `(NOT (t.depth BETWEEN ? AND ?))`, []any{int64(1), 2.5}, true},
		{"S_INTERSECTS(geometry, BBOX(1, 2, 3, 4))", `ST_Intersects(t.geometry, ST_GeomFromText($1, 4326))`, `bbox(t.geometry)`, []any{"POLYGON((1 2, 3 2, 3 4, 1 4, 1 2))"}, false},
		{"NOT S_INTERSECTS(geometry, POINT(1 2)) OR depth = 1", `((NOT ST_Intersects(t.geometry, ST_GeomFromText($1, 4326))) OR (t.depth = $2))`, `((NOT (1 = 0)) OR (t.depth = ?))`, []any{"POINT(1 2)", int64(1)}, false},
		{`"odd name" = 'x'`, `(t.odd_name COLLATE "C" = $1 COLLATE "C")`, `(t.odd_name = ?)`, []any{"x"}, true},
	} {
		t.Run(tc.filter, func(t *testing.T) {
			e, err := Parse(tc.filter, schema)
			if err != nil {
				t.Fatal(err)
			}
			d, args := testDialect(true)
			cond, exact := SQL(e, d)
			if cond != tc.pg || !exact {
				t.Errorf("pg = %s (exact %v), want %s", cond, exact, tc.pg)
			}
			if fmt.Sprint(*args) != fmt.Sprint(tc.args) {
				t.Errorf("pg args = %v, want %v", *args, tc.args)
			}
			d, args = testDialect(false)
			cond, exact = SQL(e, d)
			if cond != tc.sqlite || exact != tc.exactSQLite {
				t.Errorf("sqlite = %s (exact %v), want %s (exact %v)", cond, exact, tc.sqlite, tc.exactSQLite)
			}
			want := tc.args
			if tc.filter == "name LIKE 'a\\_%'" {
				want = []any{"a_*"}
			}
			if !tc.exactSQLite {
				want = want[1:] // the spatial part bound nothing
			}
			if fmt.Sprint(*args) != fmt.Sprint(want) {
				t.Errorf("sqlite args = %v, want %v", *args, want)
			}
		})
	}
}

func TestGlobPattern(t *testing.T) {
	toks, err := compileLike(`a*?[%_\%`, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got := globPattern(toks); got != "a[*][?][[]*?%" {
		t.Errorf("glob = %q", got)
	}
	if got := sqlLike(toks); got != `a*?[%_\%` {
		t.Errorf("like = %q", got)
	}
}
