package cql2

import (
	"encoding/json"
	"strings"
	"unicode/utf8"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/geo"
)

// tri is a value of SQL's three-valued logic.
type tri int8

const (
	triFalse tri = iota
	triTrue
	triUnknown
)

func triOf(b bool) tri {
	if b {
		return triTrue
	}
	return triFalse
}

// Match reports whether a feature with properties props and geometry g
// satisfies e. A property absent from props is NULL; the geometry property
// (any property of type Geometry) is g. It answers as PostgreSQL and SQLite
// answer the SQL of the same tree.
func Match(e Expr, props map[string]any, g orb.Geometry) bool {
	ev := evaluator{props: props, geom: g}
	return ev.eval(e) == triTrue
}

type evaluator struct {
	props map[string]any
	geom  orb.Geometry
}

func (ev *evaluator) eval(e Expr) tri {
	switch e := e.(type) {
	case *Logic:
		return ev.logic(e)
	case *Not:
		switch ev.eval(e.X) {
		case triTrue:
			return triFalse
		case triFalse:
			return triTrue
		}
		return triUnknown
	case *Compare:
		return ev.compare(e.Op, ev.value(e.L), ev.value(e.R))
	case *In:
		return ev.in(e)
	case *Between:
		x := ev.value(e.X)
		return and3(ev.compare(Ge, x, ev.value(e.Lo)), ev.compare(Le, x, ev.value(e.Hi)))
	case *Like:
		s, ok := ev.value(e.X).(string)
		if !ok {
			return triUnknown
		}
		return triOf(likeMatch(e.toks, s))
	case *IsNull:
		if e.Type == Geometry {
			return triOf(ev.geom == nil)
		}
		return triOf(ev.value(Operand{Prop: e.Prop}) == nil)
	case *Intersects:
		if ev.geom == nil {
			return triUnknown
		}
		return triOf(geo.Intersects(ev.geom, e.Geom))
	}
	return triUnknown
}

func and3(a, b tri) tri {
	switch {
	case a == triFalse || b == triFalse:
		return triFalse
	case a == triTrue && b == triTrue:
		return triTrue
	}
	return triUnknown
}

func (ev *evaluator) logic(e *Logic) tri {
	out := triTrue
	if e.Op == Or {
		out = triFalse
	}
	for _, a := range e.Args {
		v := ev.eval(a)
		switch {
		case e.Op == And && v == triFalse:
			return triFalse
		case e.Op == Or && v == triTrue:
			return triTrue
		case v == triUnknown:
			out = triUnknown
		}
	}
	return out
}

func (ev *evaluator) in(e *In) tri {
	x := ev.value(e.X)
	out := triFalse
	for _, o := range e.List {
		switch ev.compare(Eq, x, ev.value(o)) {
		case triTrue:
			return triTrue
		case triUnknown:
			out = triUnknown
		}
	}
	return out
}

// value is an operand's value normalised to nil, string, int64, float64 or
// bool.
func (ev *evaluator) value(o Operand) any {
	if !o.IsProp() {
		return o.Value
	}
	return normalise(ev.props[o.Prop])
}

func normalise(v any) any {
	switch v := v.(type) {
	case nil, string, int64, float64, bool:
		return v
	case int:
		return int64(v)
	case int32:
		return int64(v)
	case float32:
		return float64(v)
	case json.Number:
		if n, err := v.Int64(); err == nil {
			return n
		}
		if f, err := v.Float64(); err == nil {
			return f
		}
		return string(v)
	case []byte:
		return string(v)
	}
	return nil
}

// compare applies op to a and b; NULL or values of different kinds give
// unknown.
func (ev *evaluator) compare(op CmpOp, a, b any) tri {
	c, ok := order(a, b)
	if !ok {
		return triUnknown
	}
	switch op {
	case Eq:
		return triOf(c == 0)
	case Ne:
		return triOf(c != 0)
	case Lt:
		return triOf(c < 0)
	case Le:
		return triOf(c <= 0)
	case Gt:
		return triOf(c > 0)
	case Ge:
		return triOf(c >= 0)
	}
	return triUnknown
}

// order compares a and b: strings bytewise (PostgreSQL's "C" collation,
// SQLite's BINARY), numbers numerically, false before true.
func order(a, b any) (int, bool) {
	switch a := a.(type) {
	case string:
		if b, ok := b.(string); ok {
			return strings.Compare(a, b), true
		}
	case int64:
		switch b := b.(type) {
		case int64:
			return cmpNum(a, b), true
		case float64:
			return cmpNum(float64(a), b), true
		}
	case float64:
		switch b := b.(type) {
		case int64:
			return cmpNum(a, float64(b)), true
		case float64:
			return cmpNum(a, b), true
		}
	case bool:
		if b, ok := b.(bool); ok {
			switch {
			case a == b:
				return 0, true
			case !a:
				return -1, true
			}
			return 1, true
		}
	}
	return 0, false
}

func cmpNum[T int64 | float64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// likeTok is one element of a compiled LIKE pattern.
type likeTok struct {
	kind byte // 'c' a literal character, '_' any one character, '%' any run
	r    rune
}

// compileLike splits a CQL2 LIKE pattern into tokens; a backslash makes the
// next character literal.
func compileLike(pat string, pos int) ([]likeTok, error) {
	var out []likeTok
	for i := 0; i < len(pat); {
		r, n := utf8.DecodeRuneInString(pat[i:])
		i += n
		switch r {
		case '%':
			if len(out) == 0 || out[len(out)-1].kind != '%' {
				out = append(out, likeTok{kind: '%'})
			}
		case '_':
			out = append(out, likeTok{kind: '_'})
		case '\\':
			if i >= len(pat) {
				return nil, errAt(pos, "the LIKE pattern ends with an escape character (\\)")
			}
			r, n = utf8.DecodeRuneInString(pat[i:])
			i += n
			out = append(out, likeTok{kind: 'c', r: r})
		default:
			out = append(out, likeTok{kind: 'c', r: r})
		}
	}
	return out, nil
}

// likeMatch matches s against a compiled pattern, character by character;
// a '%' remembers where to resume, so the cost is O(len(s)·len(toks)) at
// worst.
func likeMatch(toks []likeTok, s string) bool {
	ti, si := 0, 0 // token index, byte offset in s
	star, mark := -1, 0
	for si < len(s) {
		r, n := utf8.DecodeRuneInString(s[si:])
		switch {
		case ti < len(toks) && toks[ti].kind == '%':
			star, mark = ti, si
			ti++
		case ti < len(toks) && (toks[ti].kind == '_' || (toks[ti].kind == 'c' && toks[ti].r == r)):
			ti++
			si += n
		case star >= 0:
			ti = star + 1
			_, m := utf8.DecodeRuneInString(s[mark:])
			mark += m
			si = mark
		default:
			return false
		}
	}
	for ti < len(toks) && toks[ti].kind == '%' {
		ti++
	}
	return ti == len(toks)
}

// sqlLike renders compiled toks as a pattern for SQL LIKE ... ESCAPE '\'.
func sqlLike(toks []likeTok) string {
	var b strings.Builder
	for _, t := range toks {
		switch {
		case t.kind == '%' || t.kind == '_':
			b.WriteByte(t.kind)
		case t.r == '%' || t.r == '_' || t.r == '\\':
			b.WriteByte('\\')
			b.WriteRune(t.r)
		default:
			b.WriteRune(t.r)
		}
	}
	return b.String()
}

// globPattern renders compiled toks as a SQLite GLOB pattern, which unlike
// SQLite's LIKE is case-sensitive as CQL2 LIKE is.
func globPattern(toks []likeTok) string {
	var b strings.Builder
	for _, t := range toks {
		switch {
		case t.kind == '%':
			b.WriteByte('*')
		case t.kind == '_':
			b.WriteByte('?')
		case t.r == '*' || t.r == '?' || t.r == '[':
			b.WriteString("[" + string(t.r) + "]")
		default:
			b.WriteRune(t.r)
		}
	}
	return b.String()
}
