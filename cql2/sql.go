package cql2

import (
	"strings"

	"github.com/paulmach/orb"
)

// Dialect is what a SQL backend tells SQL about itself. Values never enter
// the SQL text: every literal goes through Param, and property names only
// through Column, which the backend maps from its own schema.
type Dialect struct {
	// Param records v (a string, int64, float64 or bool) as the next bound
	// argument and returns its placeholder ($3, ?), with a cast if the
	// backend needs one to type a bare parameter.
	Param func(v any) string
	// Column returns the SQL expression that reads property name (a name
	// the filter was checked against).
	Column func(name string) string
	// Collate follows a string column in ordered comparisons (<, BETWEEN),
	// so that they order bytewise as Match does: ` COLLATE "C"` for
	// PostgreSQL, "" for SQLite whose default is already bytewise.
	Collate string
	// Glob renders LIKE as GLOB: SQLite's LIKE ignores ASCII case, its
	// GLOB does not.
	Glob bool
	// Intersects returns the condition "column intersects g". When it can
	// only narrow (a bounding-box test), exact is false: SQL then uses it
	// where it keeps every match and reports the result inexact, and the
	// caller must check each row with Match.
	Intersects func(column string, g orb.Geometry) (cond string, exact bool)
}

// SQL translates e into a SQL condition for dialect d. When exact is true
// the condition selects exactly the features Match selects; when false it
// selects a superset (some spatial part was only a bounding-box test) and
// the caller keeps the rows for which Match holds.
func SQL(e Expr, d Dialect) (cond string, exact bool) {
	t := translator{d: d, exact: true}
	return t.expr(e, true), t.exact
}

type translator struct {
	d     Dialect
	exact bool
}

// expr translates e. positive is false under an odd number of NOTs: an
// inexact part must then select a subset of its true rows (it becomes
// FALSE), so that NOT of it keeps every match.
func (t *translator) expr(e Expr, positive bool) string {
	switch e := e.(type) {
	case *Logic:
		sep := " AND "
		if e.Op == Or {
			sep = " OR "
		}
		parts := make([]string, len(e.Args))
		for i, a := range e.Args {
			parts[i] = t.expr(a, positive)
		}
		return "(" + strings.Join(parts, sep) + ")"
	case *Not:
		return "(NOT " + t.expr(e.X, !positive) + ")"
	case *Compare:
		return "(" + t.operand(e.L, e.Type) + " " + e.Op.String() + " " + t.operand(e.R, e.Type) + ")"
	case *In:
		parts := make([]string, len(e.List))
		for i, o := range e.List {
			parts[i] = t.operand(o, 0)
		}
		return "(" + t.operand(e.X, 0) + " IN (" + strings.Join(parts, ", ") + "))"
	case *Between:
		return "(" + t.operand(e.X, e.Type) + " BETWEEN " + t.operand(e.Lo, e.Type) + " AND " + t.operand(e.Hi, e.Type) + ")"
	case *Like:
		if t.d.Glob {
			return "(" + t.operand(e.X, 0) + " GLOB " + t.d.Param(globPattern(e.toks)) + ")"
		}
		return "(" + t.operand(e.X, 0) + " LIKE " + t.d.Param(sqlLike(e.toks)) + ` ESCAPE '\')`
	case *IsNull:
		return "(" + t.d.Column(e.Prop) + " IS NULL)"
	case *Intersects:
		cond, exact := t.d.Intersects(t.d.Column(e.Prop), e.Geom)
		if exact {
			return cond
		}
		t.exact = false
		if positive {
			return cond
		}
		return "(1 = 0)"
	}
	t.exact = false
	if positive {
		return "(1 = 1)"
	}
	return "(1 = 0)"
}

// operand renders a property's column or binds a literal; typ String adds
// the dialect's collation so that ordering is bytewise.
func (t *translator) operand(o Operand, typ Type) string {
	s := ""
	if o.IsProp() {
		s = t.d.Column(o.Prop)
	} else {
		s = t.d.Param(o.Value)
	}
	if typ == String && t.d.Collate != "" {
		s += t.d.Collate
	}
	return s
}
