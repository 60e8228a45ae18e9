package cql2

import (
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gridd/gridd/internal/clip"
)

// Limits on a filter, so that a hostile one costs bounded work.
const (
	MaxLen   = 16 << 10 // bytes of filter text
	maxDepth = 64       // nesting of parentheses and NOT
	maxNodes = 1000     // predicates and coordinates, roughly
)

// Parse reads CQL2 text into one expression tree and checks it against
// the layer's queryables s: every property must be in s and every
// comparison must compare like types. Any problem is an errs.Invalid
// error on the "filter" field that says where (character position) and
// what is wrong, naming the property.
func Parse(text string, s Schema) (Expr, error) {
	p, err := newParser(text, s)
	if err != nil {
		return nil, err
	}
	e, err := p.or(0)
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tEOF {
		return nil, errAt(p.tok.pos, "unexpected %s after a complete filter", p.tok.describe())
	}
	return e, nil
}

// parser is a recursive-descent parser with one token of lookahead.
// Precedence, loosest first: OR, AND, NOT, predicates.
type parser struct {
	lx     lexer
	tok    token
	schema Schema
	nodes  int
}

func newParser(text string, s Schema) (*parser, error) {
	if len(text) > MaxLen {
		return nil, errAt(1, "the filter is %d bytes long; at most %d are accepted", len(text), MaxLen)
	}
	if !utf8.ValidString(text) {
		return nil, errAt(1, "the filter is not valid UTF-8")
	}
	if i := strings.IndexByte(text, 0); i >= 0 {
		return nil, errAt(utf8.RuneCountInString(text[:i])+1, "a NUL character")
	}
	if strings.TrimSpace(text) == "" {
		return nil, errAt(1, "the filter is empty")
	}
	p := &parser{lx: lexer{src: text}, schema: s}
	if err := p.advance(); err != nil {
		return nil, err
	}
	return p, nil
}

func (t token) describe() string {
	switch t.kind {
	case tEOF:
		return "end of filter"
	case tString:
		return "'" + clip.Text(t.text, 30) + "'"
	case tQuoted:
		return `"` + clip.Text(t.text, 30) + `"`
	}
	return strconv.Quote(clip.Text(t.text, 30))
}

func (p *parser) advance() error {
	t, err := p.lx.next()
	if err != nil {
		return err
	}
	p.tok = t
	return nil
}

// keyword reports whether the current token is the bare word kw (any
// case).
func (p *parser) keyword(kw string) bool {
	return p.tok.kind == tIdent && strings.EqualFold(p.tok.text, kw)
}

func (p *parser) expect(k tokKind, what string) error {
	if p.tok.kind != k {
		return errAt(p.tok.pos, "expected %s, found %s", what, p.tok.describe())
	}
	return p.advance()
}

func (p *parser) expectKeyword(kw string) error {
	if !p.keyword(kw) {
		return errAt(p.tok.pos, "expected %s, found %s", kw, p.tok.describe())
	}
	return p.advance()
}

func (p *parser) count(pos int) error {
	p.nodes++
	if p.nodes > maxNodes {
		return errAt(pos, "the filter has more than %d terms and coordinates", maxNodes)
	}
	return nil
}

func (p *parser) or(depth int) (Expr, error) {
	return p.logic(depth, Or, "OR", p.and)
}

func (p *parser) and(depth int) (Expr, error) {
	return p.logic(depth, And, "AND", p.not)
}

// logic reads term {kw term}, flattening the terms into one node.
func (p *parser) logic(depth int, op LogicOp, kw string, term func(int) (Expr, error)) (Expr, error) {
	first, err := term(depth)
	if err != nil {
		return nil, err
	}
	args := []Expr{first}
	for p.keyword(kw) {
		if err := p.advance(); err != nil {
			return nil, err
		}
		t, err := term(depth)
		if err != nil {
			return nil, err
		}
		args = append(args, t)
	}
	if len(args) == 1 {
		return first, nil
	}
	return &Logic{Op: op, Args: args}, nil
}

func (p *parser) not(depth int) (Expr, error) {
	if depth > maxDepth {
		return nil, errAt(p.tok.pos, "nested more than %d deep", maxDepth)
	}
	if p.keyword("NOT") {
		if err := p.advance(); err != nil {
			return nil, err
		}
		x, err := p.not(depth + 1)
		if err != nil {
			return nil, err
		}
		return &Not{X: x}, nil
	}
	if p.tok.kind == tLParen {
		if err := p.advance(); err != nil {
			return nil, err
		}
		e, err := p.or(depth + 1)
		if err != nil {
			return nil, err
		}
		if err := p.expect(tRParen, "')'"); err != nil {
			return nil, err
		}
		return e, nil
	}
	return p.predicate()
}

// predicate reads S_INTERSECTS(...) or an operand followed by a
// comparison, [NOT] IN, [NOT] BETWEEN, [NOT] LIKE or IS [NOT] NULL.
func (p *parser) predicate() (Expr, error) {
	pos := p.tok.pos
	if err := p.count(pos); err != nil {
		return nil, err
	}
	if p.keyword("S_INTERSECTS") || p.keyword("INTERSECTS") { // INTERSECTS: pg_featureserv's and ECQL's name
		return p.intersects()
	}
	x, xt, err := p.operand()
	if err != nil {
		return nil, err
	}
	if p.tok.kind == tOp {
		return p.compare(x, xt, pos)
	}
	if p.keyword("IS") {
		return p.isNull(x, xt, pos)
	}
	negate := false
	if p.keyword("NOT") {
		negate = true
		if err := p.advance(); err != nil {
			return nil, err
		}
	}
	var e Expr
	switch {
	case p.keyword("IN"):
		e, err = p.in(x, xt, pos)
	case p.keyword("BETWEEN"):
		e, err = p.between(x, xt, pos)
	case p.keyword("LIKE"):
		e, err = p.like(x, xt, pos)
	default:
		want := "a comparison (=, <>, <, <=, >, >=), IN, BETWEEN, LIKE or IS NULL"
		if negate {
			want = "IN, BETWEEN or LIKE after NOT"
		}
		return nil, errAt(p.tok.pos, "expected %s, found %s", want, p.tok.describe())
	}
	if err != nil {
		return nil, err
	}
	if negate {
		e = &Not{X: e}
	}
	return e, nil
}

// keywords that cannot be property names without double quotes.
var reserved = map[string]bool{"AND": true, "OR": true, "NOT": true, "IN": true, "BETWEEN": true,
	"LIKE": true, "IS": true, "NULL": true, "TRUE": true, "FALSE": true, "S_INTERSECTS": true, "INTERSECTS": true}

// operand reads a property name or a literal and returns its type.
func (p *parser) operand() (Operand, Type, error) {
	t := p.tok
	switch t.kind {
	case tString:
		return Operand{Value: t.text}, String, p.advance()
	case tNumber:
		v, err := parseNumber(t)
		if err != nil {
			return Operand{}, 0, err
		}
		typ := Number
		if _, ok := v.(int64); ok {
			typ = Integer
		}
		return Operand{Value: v}, typ, p.advance()
	case tIdent:
		switch strings.ToUpper(t.text) {
		case "TRUE":
			return Operand{Value: true}, Boolean, p.advance()
		case "FALSE":
			return Operand{Value: false}, Boolean, p.advance()
		}
		if reserved[strings.ToUpper(t.text)] {
			return Operand{}, 0, errAt(t.pos, "expected a property or a value, found the keyword %s", strings.ToUpper(t.text))
		}
		fallthrough
	case tQuoted:
		typ, err := p.property(t)
		if err != nil {
			return Operand{}, 0, err
		}
		return Operand{Prop: t.text}, typ, p.advance()
	}
	return Operand{}, 0, errAt(t.pos, "expected a property or a value, found %s", t.describe())
}

// property looks up the property token t names.
func (p *parser) property(t token) (Type, error) {
	typ, ok := p.schema[t.text]
	if !ok {
		names := make([]string, 0, len(p.schema))
		for n := range p.schema {
			names = append(names, n)
		}
		sort.Strings(names)
		return 0, errAt(t.pos, "unknown property %q (queryables: %s)", clip.Text(t.text, 60), strings.Join(names, ", "))
	}
	return typ, nil
}

// parseNumber reads a number token: an int64 when written as an integer
// that fits, else a finite float64.
func parseNumber(t token) (any, error) {
	if !strings.ContainsAny(t.text, ".eE") {
		if n, err := strconv.ParseInt(t.text, 10, 64); err == nil {
			return n, nil
		}
	}
	f, err := strconv.ParseFloat(t.text, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return nil, errAt(t.pos, "%s is not a finite number", clip.Text(t.text, 30))
	}
	return f, nil
}

// comparable returns the type operands of types a and b compare as, or an
// error naming the operands.
func comparable(a, b Type, ordered bool, pos int, what string) (Type, error) {
	switch {
	case a == Geometry || b == Geometry:
		return 0, errAt(pos, "%s: a geometry can only be tested with S_INTERSECTS or IS NULL", what)
	case a.numeric() && b.numeric():
		return Number, nil
	case a != b:
		return 0, errAt(pos, "%s: cannot compare %s with %s", what, a, b)
	case ordered && a == Boolean:
		return 0, errAt(pos, "%s: booleans compare only with = and <>", what)
	}
	return a, nil
}

// describeOp names an operand for error messages.
func describeOp(o Operand) string {
	if o.IsProp() {
		return "property " + strconv.Quote(o.Prop)
	}
	return "value " + literalText(o.Value)
}

func (p *parser) compare(l Operand, lt Type, pos int) (Expr, error) {
	var op CmpOp
	for i, s := range cmpText {
		if s == p.tok.text && i > 0 {
			op = CmpOp(i)
		}
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	r, rt, err := p.operand()
	if err != nil {
		return nil, err
	}
	typ, err := comparable(lt, rt, op != Eq && op != Ne, pos, describeOp(l)+" "+op.String()+" "+describeOp(r))
	if err != nil {
		return nil, err
	}
	return &Compare{Op: op, L: l, R: r, Type: typ}, nil
}

func (p *parser) isNull(x Operand, xt Type, pos int) (Expr, error) {
	if err := p.advance(); err != nil { // IS
		return nil, err
	}
	negate := false
	if p.keyword("NOT") {
		negate = true
		if err := p.advance(); err != nil {
			return nil, err
		}
	}
	if err := p.expectKeyword("NULL"); err != nil {
		return nil, err
	}
	if !x.IsProp() {
		return nil, errAt(pos, "IS NULL applies to a property, not to %s", describeOp(x))
	}
	var e Expr = &IsNull{Prop: x.Prop, Type: xt}
	if negate {
		e = &Not{X: e}
	}
	return e, nil
}

func (p *parser) in(x Operand, xt Type, pos int) (Expr, error) {
	if err := p.advance(); err != nil { // IN
		return nil, err
	}
	if err := p.expect(tLParen, "'(' after IN"); err != nil {
		return nil, err
	}
	e := &In{X: x}
	for {
		if err := p.count(p.tok.pos); err != nil {
			return nil, err
		}
		vpos := p.tok.pos
		v, vt, err := p.operand()
		if err != nil {
			return nil, err
		}
		typ, err := comparable(xt, vt, false, vpos, describeOp(x)+" IN (... "+describeOp(v)+" ...)")
		if err != nil {
			return nil, err
		}
		e.Type = typ
		e.List = append(e.List, v)
		if p.tok.kind != tComma {
			break
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
	}
	if err := p.expect(tRParen, "',' or ')' in the IN list"); err != nil {
		return nil, err
	}
	return e, nil
}

func (p *parser) between(x Operand, xt Type, pos int) (Expr, error) {
	if err := p.advance(); err != nil { // BETWEEN
		return nil, err
	}
	lo, lot, err := p.operand()
	if err != nil {
		return nil, err
	}
	if err := p.expectKeyword("AND"); err != nil {
		return nil, err
	}
	hi, hit, err := p.operand()
	if err != nil {
		return nil, err
	}
	what := describeOp(x) + " BETWEEN " + describeOp(lo) + " AND " + describeOp(hi)
	typ, err := comparable(xt, lot, true, pos, what)
	if err != nil {
		return nil, err
	}
	if _, err := comparable(typ, hit, true, pos, what); err != nil {
		return nil, err
	}
	return &Between{X: x, Lo: lo, Hi: hi, Type: typ}, nil
}

func (p *parser) like(x Operand, xt Type, pos int) (Expr, error) {
	if err := p.advance(); err != nil { // LIKE
		return nil, err
	}
	if xt != String {
		return nil, errAt(pos, "LIKE applies to strings; %s is %s", describeOp(x), xt)
	}
	if p.tok.kind != tString {
		return nil, errAt(p.tok.pos, "expected a 'quoted' pattern after LIKE, found %s", p.tok.describe())
	}
	toks, err := compileLike(p.tok.text, p.tok.pos)
	if err != nil {
		return nil, err
	}
	e := &Like{X: x, Pattern: p.tok.text, toks: toks}
	return e, p.advance()
}

// intersects reads S_INTERSECTS(property, geometry) (either order).
func (p *parser) intersects() (Expr, error) {
	pos := p.tok.pos
	if err := p.advance(); err != nil {
		return nil, err
	}
	if err := p.expect(tLParen, "'(' after S_INTERSECTS"); err != nil {
		return nil, err
	}
	var e Intersects
	for i := 0; i < 2; i++ {
		if i == 1 {
			if err := p.expect(tComma, "',' between the arguments of S_INTERSECTS"); err != nil {
				return nil, err
			}
		}
		t := p.tok
		if t.kind == tIdent && isGeometryKeyword(t.text) {
			if e.Geom != nil {
				return nil, errAt(t.pos, "S_INTERSECTS takes one geometry property and one geometry literal")
			}
			g, err := p.geometry()
			if err != nil {
				return nil, err
			}
			e.Geom = g
			continue
		}
		if (t.kind != tIdent && t.kind != tQuoted) || e.Prop != "" {
			return nil, errAt(t.pos, "S_INTERSECTS takes a geometry property and a geometry literal (POINT, LINESTRING, POLYGON, MULTIPOLYGON, BBOX, ENVELOPE ...), found %s", t.describe())
		}
		typ, err := p.property(t)
		if err != nil {
			return nil, err
		}
		if typ != Geometry {
			return nil, errAt(t.pos, "S_INTERSECTS: property %q is %s, not a geometry", t.text, typ)
		}
		e.Prop = t.text
		if err := p.advance(); err != nil {
			return nil, err
		}
	}
	if err := p.expect(tRParen, "')' closing S_INTERSECTS"); err != nil {
		return nil, err
	}
	if e.Prop == "" || e.Geom == nil {
		return nil, errAt(pos, "S_INTERSECTS takes one geometry property and one geometry literal")
	}
	return &e, nil
}

// literalText renders a literal value as CQL2 text.
func literalText(v any) string {
	switch v := v.(type) {
	case string:
		return "'" + strings.ReplaceAll(v, "'", "''") + "'"
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		s := strconv.FormatFloat(v, 'g', -1, 64)
		if !strings.ContainsAny(s, ".eE") {
			s += ".0" // stays a number, not an integer, when parsed back
		}
		return s
	case bool:
		if v {
			return "TRUE"
		}
		return "FALSE"
	}
	return "NULL"
}
