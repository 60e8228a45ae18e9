// Package cql2 parses OGC CQL2-text filters into one expression tree,
// checked against a layer's queryables, and either evaluates that tree on
// a feature in memory (Match) or translates it to a SQL condition with
// bound parameters (SQL). It is pure: no HTTP, no SQL driver.
//
// The supported subset is Basic CQL2 (comparisons, AND/OR/NOT, IS NULL),
// the advanced comparison operators (LIKE, BETWEEN, IN) and S_INTERSECTS
// with a WKT POINT, LINESTRING, POLYGON, MULTIPOINT, MULTILINESTRING,
// MULTIPOLYGON, BBOX or ENVELOPE literal in WGS84 lon/lat.
//
// Evaluation follows SQL's three-valued logic, so that a feature matches in
// memory exactly when it matches in PostgreSQL or SQLite: a comparison with
// a NULL (missing) property is unknown, NOT unknown is unknown, and only a
// true filter selects a feature.
package cql2

import (
	"github.com/paulmach/orb"
)

// Type is the type of a queryable property or of a literal.
type Type uint8

const (
	String Type = iota + 1
	Integer
	Number
	Boolean
	Geometry
)

func (t Type) String() string {
	switch t {
	case String:
		return "string"
	case Integer:
		return "integer"
	case Number:
		return "number"
	case Boolean:
		return "boolean"
	case Geometry:
		return "geometry"
	}
	return "unknown"
}

// numeric reports whether t is a number type (integers compare with
// numbers).
func (t Type) numeric() bool { return t == Integer || t == Number }

// Schema is a layer's queryables: property name → type.
type Schema map[string]Type

// Expr is a node of a parsed filter: *Logic, *Not, *Compare, *In,
// *Between, *Like, *IsNull or *Intersects.
type Expr interface {
	// String renders the node as CQL2 text that parses back to the same
	// tree.
	String() string
	node()
}

// LogicOp is AND or OR.
type LogicOp uint8

const (
	And LogicOp = iota + 1
	Or
)

// Logic is a conjunction or disjunction of two or more terms.
type Logic struct {
	Op   LogicOp
	Args []Expr
}

// Not negates X.
type Not struct{ X Expr }

// CmpOp is a binary comparison operator.
type CmpOp uint8

const (
	Eq CmpOp = iota + 1
	Ne
	Lt
	Le
	Gt
	Ge
)

var cmpText = [...]string{Eq: "=", Ne: "<>", Lt: "<", Le: "<=", Gt: ">", Ge: ">="}

func (o CmpOp) String() string { return cmpText[o] }

// Operand is a property reference (Prop set) or a literal Value: a
// string, int64, float64 or bool.
type Operand struct {
	Prop  string
	Value any
}

// IsProp reports whether o names a property.
func (o Operand) IsProp() bool { return o.Prop != "" }

// Compare is L Op R. Type is the type both sides compare as: String,
// Number (integers and numbers) or Boolean.
type Compare struct {
	Op   CmpOp
	L, R Operand
	Type Type
}

// In is X IN (List...).
type In struct {
	X    Operand
	List []Operand
	Type Type
}

// Between is X BETWEEN Lo AND Hi (both ends included).
type Between struct {
	X, Lo, Hi Operand
	Type      Type
}

// Like is X LIKE Pattern: % matches any run of characters, _ exactly one,
// and a backslash makes the next character literal. It is case-sensitive.
type Like struct {
	X       Operand
	Pattern string
	toks    []likeTok
}

// IsNull is Prop IS NULL; Type is the property's type (for Geometry it
// tests the feature's geometry).
type IsNull struct {
	Prop string
	Type Type
}

// Intersects is S_INTERSECTS(Prop, Geom): the feature's geometry shares a
// point with Geom (WGS84 lon/lat; an orb.Bound for BBOX and ENVELOPE).
type Intersects struct {
	Prop string
	Geom orb.Geometry
}

func (*Logic) node()      {}
func (*Not) node()        {}
func (*Compare) node()    {}
func (*In) node()         {}
func (*Between) node()    {}
func (*Like) node()       {}
func (*IsNull) node()     {}
func (*Intersects) node() {}

// Walk calls fn for e and every node below it, parents first.
func Walk(e Expr, fn func(Expr)) {
	fn(e)
	switch e := e.(type) {
	case *Logic:
		for _, a := range e.Args {
			Walk(a, fn)
		}
	case *Not:
		Walk(e.X, fn)
	}
}

// Props returns the properties e refers to, each once, in order of first
// use.
func Props(e Expr) []string {
	var out []string
	seen := map[string]bool{}
	add := func(names ...string) {
		for _, n := range names {
			if n != "" && !seen[n] {
				seen[n] = true
				out = append(out, n)
			}
		}
	}
	Walk(e, func(x Expr) {
		switch x := x.(type) {
		case *Compare:
			add(x.L.Prop, x.R.Prop)
		case *In:
			add(x.X.Prop)
			for _, o := range x.List {
				add(o.Prop)
			}
		case *Between:
			add(x.X.Prop, x.Lo.Prop, x.Hi.Prop)
		case *Like:
			add(x.X.Prop)
		case *IsNull:
			add(x.Prop)
		case *Intersects:
			add(x.Prop)
		}
	})
	return out
}
