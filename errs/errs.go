// Package errs is gridd's single error model: a domain error carries a Code
// (not found, invalid, conflict, ...) that the HTTP layer maps to a status in
// one place. Messages in an *Error are safe to show to clients; anything
// internal is wrapped as Err and logged, never sent.
package errs

import (
	"errors"
	"fmt"
)

// Code classifies an error for callers; it is not an HTTP status.
type Code string

const (
	Internal     Code = "internal"     // a bug or an unexpected failure; details are logged only
	Invalid      Code = "invalid"      // the input is malformed or breaks a rule
	NotFound     Code = "not_found"    // the named thing does not exist
	Conflict     Code = "conflict"     // the request clashes with the current state
	Unauthorized Code = "unauthorized" // no or bad credentials
	Forbidden    Code = "forbidden"    // credentials lack the role
	Unavailable  Code = "unavailable"  // a dependency is down; the caller may retry
	TooLarge     Code = "too_large"    // the input exceeds a size limit
	Unsupported  Code = "unsupported"  // a media type or format that is not served
)

// Error is a domain error. Field and Where say what and where (a query
// parameter, a file and row, a JSON pointer); Msg says why.
type Error struct {
	Code  Code
	Field string // e.g. "lon", "buildings.csv:12", "/features/3/geometry"
	Msg   string
	Err   error // wrapped cause, never shown to clients
}

func (e *Error) Error() string {
	s := string(e.Code)
	if e.Field != "" {
		s += ": " + e.Field
	}
	if e.Msg != "" {
		s += ": " + e.Msg
	}
	if e.Err != nil {
		// List.Err puts the list's text in Msg as well; say it once
		if t := e.Err.Error(); t != e.Msg {
			s += ": " + t
		}
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// E builds an *Error with a formatted message.
func E(code Code, field, format string, args ...any) *Error {
	return &Error{Code: code, Field: field, Msg: fmt.Sprintf(format, args...)}
}

// Wrap returns an *Error of code around err; msg is the client-safe text.
func Wrap(code Code, err error, msg string) *Error {
	return &Error{Code: code, Msg: msg, Err: err}
}

// CodeOf returns the Code of the first *Error in err's chain, Internal for
// any other non-nil error and "" for nil.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Code
	}
	return Internal
}

// Is reports whether err carries code.
func Is(err error, code Code) bool { return err != nil && CodeOf(err) == code }

// As returns the first *Error in err's chain.
func As(err error) (*Error, bool) { return errors.AsType[*Error](err) }

// List collects several problems found in one pass (a bundle check reports
// every problem, not the first). It is an Invalid error.
type List []*Error

func (l List) Error() string {
	if len(l) == 0 {
		return "no problems"
	}
	s := fmt.Sprintf("%d problem(s): %s", len(l), l[0].Error())
	if len(l) > 1 {
		s += fmt.Sprintf(" (and %d more)", len(l)-1)
	}
	return s
}

// Err returns l as an error, nil when empty.
func (l List) Err() error {
	if len(l) == 0 {
		return nil
	}
	return &Error{Code: Invalid, Msg: l.Error(), Err: l}
}
