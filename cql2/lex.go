package cql2

import (
	"strings"
	"unicode/utf8"

	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/internal/clip"
)

// tokKind classifies a token of CQL2 text.
type tokKind uint8

const (
	tEOF    tokKind = iota
	tIdent          // a bare word: a property name or a keyword
	tQuoted         // a "double-quoted" property name
	tString         // a 'single-quoted' string literal
	tNumber
	tLParen
	tRParen
	tComma
	tOp // = <> < <= > >=
)

// token is one token; pos is its 1-based character position in the
// filter, for error messages.
type token struct {
	kind tokKind
	text string // the identifier, the unquoted string, the number or the operator
	pos  int
}

// lexer splits CQL2 text into tokens.
type lexer struct {
	src string
	i   int // byte offset
}

// posAt is the 1-based character position of byte offset i.
func (l *lexer) posAt(i int) int { return utf8.RuneCountInString(l.src[:i]) + 1 }

func (l *lexer) errAt(i int, format string, args ...any) error {
	return errAt(l.posAt(i), format, args...)
}

// errAt is an Invalid error on the filter parameter at character pos.
func errAt(pos int, format string, args ...any) error {
	e := errs.E(errs.Invalid, "filter", format, args...)
	e.Msg = "at character " + itoa(pos) + ": " + e.Msg
	return e
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

func isIdentStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isIdentPart(c byte) bool {
	return isIdentStart(c) || (c >= '0' && c <= '9') || c == '.' || c == ':'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// next returns the next token.
func (l *lexer) next() (token, error) {
	for l.i < len(l.src) && strings.IndexByte(" \t\r\n", l.src[l.i]) >= 0 {
		l.i++
	}
	start := l.i
	if l.i >= len(l.src) {
		return token{kind: tEOF, pos: l.posAt(start)}, nil
	}
	c := l.src[l.i]
	tok := func(k tokKind, text string) (token, error) {
		return token{kind: k, text: text, pos: l.posAt(start)}, nil
	}
	switch {
	case c == '(':
		l.i++
		return tok(tLParen, "(")
	case c == ')':
		l.i++
		return tok(tRParen, ")")
	case c == ',':
		l.i++
		return tok(tComma, ",")
	case c == '=':
		l.i++
		return tok(tOp, "=")
	case c == '<' || c == '>':
		l.i++
		if l.i < len(l.src) && (l.src[l.i] == '=' || (c == '<' && l.src[l.i] == '>')) {
			l.i++
		}
		return tok(tOp, l.src[start:l.i])
	case c == '\'':
		s, err := l.quoted('\'')
		if err != nil {
			return token{}, err
		}
		return tok(tString, s)
	case c == '"':
		s, err := l.quoted('"')
		if err != nil {
			return token{}, err
		}
		if s == "" {
			return token{}, l.errAt(start, "an empty quoted property name")
		}
		return tok(tQuoted, s)
	case isDigit(c) || c == '.' || c == '-' || c == '+':
		return l.number(start)
	case isIdentStart(c):
		for l.i < len(l.src) && isIdentPart(l.src[l.i]) {
			l.i++
		}
		return tok(tIdent, l.src[start:l.i])
	}
	r, _ := utf8.DecodeRuneInString(l.src[l.i:])
	return token{}, l.errAt(start, "unexpected character %q", r)
}

// quoted reads a string delimited by q, where q doubled stands for itself
// (SQL and CQL2 style).
func (l *lexer) quoted(q byte) (string, error) {
	start := l.i
	l.i++
	var b strings.Builder
	for l.i < len(l.src) {
		c := l.src[l.i]
		if c == q {
			if l.i+1 < len(l.src) && l.src[l.i+1] == q {
				b.WriteByte(q)
				l.i += 2
				continue
			}
			l.i++
			return b.String(), nil
		}
		b.WriteByte(c)
		l.i++
	}
	return "", l.errAt(start, "unterminated %c-quoted text", q)
}

// number reads [+-]digits[.digits][e[+-]digits].
func (l *lexer) number(start int) (token, error) {
	if c := l.src[l.i]; c == '-' || c == '+' {
		l.i++
	}
	digits := 0
	for l.i < len(l.src) && isDigit(l.src[l.i]) {
		l.i++
		digits++
	}
	if l.i < len(l.src) && l.src[l.i] == '.' {
		l.i++
		for l.i < len(l.src) && isDigit(l.src[l.i]) {
			l.i++
			digits++
		}
	}
	if digits == 0 {
		return token{}, l.errAt(start, "%q is not a number", l.src[start:l.i])
	}
	if l.i < len(l.src) && (l.src[l.i] == 'e' || l.src[l.i] == 'E') {
		l.i++
		if l.i < len(l.src) && (l.src[l.i] == '-' || l.src[l.i] == '+') {
			l.i++
		}
		exp := 0
		for l.i < len(l.src) && isDigit(l.src[l.i]) {
			l.i++
			exp++
		}
		if exp == 0 {
			return token{}, l.errAt(start, "%q is not a number (exponent without digits)", l.src[start:l.i])
		}
	}
	if l.i < len(l.src) && isIdentPart(l.src[l.i]) {
		return token{}, l.errAt(start, "a number runs into a name at %q", clip.Text(l.src[start:], 20))
	}
	return token{kind: tNumber, text: l.src[start:l.i], pos: l.posAt(start)}, nil
}
