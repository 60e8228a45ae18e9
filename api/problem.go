package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"runtime/debug"
	"strings"
	"unicode/utf8"

	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/store"
)

// handlerFunc is the shape of every gridd handler: it writes a successful
// response or returns an error, which the adapter turns into a problem
// document. Keeping status mapping in one place means no handler can send a
// 200 that carries an error or leak an internal detail.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// Problem is an RFC 9457 problem document, plus the offending field.
type Problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"`
	Field    string `json:"field,omitempty"`
	// Extra carries problem-specific members (e.g. the nearest grid of a
	// point outside the district); they are merged into the top level.
	Extra map[string]any `json:"-"`
}

// MarshalJSON flattens Extra into the document, as RFC 9457 extension
// members are top-level.
func (p Problem) MarshalJSON() ([]byte, error) {
	m := map[string]any{"type": p.Type, "title": p.Title, "status": p.Status}
	for k, v := range p.Extra {
		m[k] = v
	}
	if p.Detail != "" {
		m["detail"] = p.Detail
	}
	if p.Instance != "" {
		m["instance"] = p.Instance
	}
	if p.Field != "" {
		m["field"] = p.Field
	}
	return json.Marshal(m)
}

// appendProblem writes p as Problem.MarshalJSON does (encoding/json over
// a map: members in key order) without reflection, so an error answer —
// a point outside the district is the common one — costs about what a
// success does. Extra values may be strings (or string kinds), ints and
// floats; ok=false asks the caller to fall back to encoding/json for
// anything else, a member name that collides with a standard one, or a
// string or float this writer does not cover (a test compares the two).
func appendProblem(buf *bytes.Buffer, p Problem, extra []problemField) (ok bool) {
	var tmp [12]problemField
	ms := append(tmp[:0], problemField{K: "type", S: p.Type}, problemField{K: "title", S: p.Title},
		problemField{K: "status", F: float64(p.Status), Num: true})
	if p.Detail != "" {
		ms = append(ms, problemField{K: "detail", S: p.Detail})
	}
	if p.Instance != "" {
		ms = append(ms, problemField{K: "instance", S: p.Instance})
	}
	if p.Field != "" {
		ms = append(ms, problemField{K: "field", S: p.Field})
	}
	if extra == nil {
		for k, v := range p.Extra {
			f, ok := fieldOf(k, v)
			if !ok {
				return false
			}
			extra = append(extra, f)
		}
	}
	for _, f := range extra {
		switch f.K {
		case "type", "title", "status", "detail", "instance", "field":
			return false // MarshalJSON's precedence rules; leave them to it
		}
		ms = append(ms, f)
	}
	// Insertion sort: a problem has a handful of members.
	for i := 1; i < len(ms); i++ {
		for j := i; j > 0 && ms[j].K < ms[j-1].K; j-- {
			ms[j], ms[j-1] = ms[j-1], ms[j]
		}
	}
	w := answerWriter{buf: buf, ok: true}
	buf.WriteByte('{')
	for i, m := range ms {
		if i > 0 {
			buf.WriteByte(',')
		}
		appendJSONString(buf, m.K)
		buf.WriteByte(':')
		if m.Num {
			w.num(m.F)
		} else {
			appendJSONString(buf, m.S)
		}
	}
	buf.WriteByte('}')
	return w.ok
}

// problemField is one member of a problem document: a string, or a number
// when Num.
type problemField struct {
	K   string
	S   string
	F   float64
	Num bool
}

// fieldsProblem is an extraProblem that can list its members without
// building a map (the outside-the-district answer is frequent).
type fieldsProblem interface {
	error
	extraProblem
	ProblemFields(dst []problemField) []problemField
}

// extraError is an error that is an extraProblem.
type extraError interface {
	error
	extraProblem
}

// fieldOf converts one Extra member; false for values other than strings
// (or string kinds), ints and floats.
func fieldOf(k string, v any) (problemField, bool) {
	switch v := v.(type) {
	case string:
		return problemField{K: k, S: v}, true
	case int:
		return problemField{K: k, F: float64(v), Num: true}, true
	case float64:
		return problemField{K: k, F: v, Num: true}, true
	}
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.String {
		return problemField{K: k, S: rv.String()}, true
	}
	return problemField{}, false
}

// appendJSONString writes s as encoding/json writes a string with HTML
// escaping: <, > and & as \u003c, \u003e and \u0026, control characters
// as \b, \f, \n, \r, \t or \u00XX, U+2028 and U+2029 escaped, invalid UTF-8 as
// U+FFFD.
func appendJSONString(buf *bytes.Buffer, s string) {
	const hex = "0123456789abcdef"
	buf.WriteByte('"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			buf.WriteString(s[start:i])
			switch c {
			case '"', '\\':
				buf.WriteByte('\\')
				buf.WriteByte(c)
			case '\n':
				buf.WriteString(`\n`)
			case '\r':
				buf.WriteString(`\r`)
			case '\t':
				buf.WriteString(`\t`)
			case '\b':
				buf.WriteString(`\b`)
			case '\f':
				buf.WriteString(`\f`)
			default:
				buf.WriteString(`\u00`)
				buf.WriteByte(hex[c>>4])
				buf.WriteByte(hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			buf.WriteString(s[start:i])
			buf.WriteString(`\ufffd`)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			buf.WriteString(s[start:i])
			buf.WriteString(`\u202`)
			buf.WriteByte(hex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	buf.WriteString(s[start:])
	buf.WriteByte('"')
}

var (
	problemContentType = []string{"application/problem+json"}
	noStore            = []string{"no-store"}
)

// problemTypeBase prefixes the problem type URIs; each code gets its own
// type so clients can switch on it without parsing titles.
const problemTypeBase = "https://gridd.example/problems/"

// extraProblem is implemented by domain errors that carry members worth
// showing to clients (a point outside the district reports the nearest grid).
type extraProblem interface {
	ProblemExtra() map[string]any
}

// statusOf maps an error to an HTTP status. Invalid input is 400, except
// semantically invalid request bodies (a field that is a JSON pointer, or
// "body"), which are 422. Unsupported is 406 for content negotiation
// (field "Accept" or "f") and 415 for request bodies. A Conflict with a
// precondition (field "If-Match") is 412.
func statusOf(err error) int {
	e, _ := errs.As(err)
	switch errs.CodeOf(err) {
	case errs.Invalid:
		if e != nil && (strings.HasPrefix(e.Field, "/") || e.Field == "body") || errors.Is(err, store.ErrKeyReused) {
			return http.StatusUnprocessableEntity
		}
		return http.StatusBadRequest
	case errs.NotFound:
		return http.StatusNotFound
	case errs.Conflict:
		if e != nil && e.Field == "If-Match" {
			return http.StatusPreconditionFailed
		}
		return http.StatusConflict
	case errs.Unauthorized:
		return http.StatusUnauthorized
	case errs.Forbidden:
		return http.StatusForbidden
	case errs.TooLarge:
		return http.StatusRequestEntityTooLarge
	case errs.Unsupported:
		if e != nil && (e.Field == "Accept" || e.Field == "f") {
			return http.StatusNotAcceptable
		}
		return http.StatusUnsupportedMediaType
	case errs.Unavailable:
		return http.StatusServiceUnavailable
	}
	if errors.Is(err, errMethod) {
		return http.StatusMethodNotAllowed
	}
	return http.StatusInternalServerError
}

var errMethod = errors.New("method not allowed")

// readinessStatus is /readyz's status for its readiness document: 200
// when the store answers, else 503 (degraded: reads are served from
// memory but writes fail, so a load balancer must not route here). The
// body stays the readiness document, not a problem, so probes and
// operators read the same members in both cases.
func readinessStatus(storeReachable bool) int {
	if storeReachable {
		return http.StatusOK
	}
	return http.StatusServiceUnavailable
}

// writeProblem writes err as a problem document. Internal errors are logged
// with their details and answered with a generic text.
func (s *Server) writeProblem(w http.ResponseWriter, r *http.Request, err error) {
	status := statusOf(err)
	p := Problem{
		Title:    http.StatusText(status),
		Status:   status,
		Instance: r.URL.RequestURI(),
	}
	code := errs.CodeOf(err)
	if status == http.StatusMethodNotAllowed {
		code = "method_not_allowed"
	}
	p.Type = problemTypeBase + string(code)
	if status >= 500 && code != errs.Unavailable {
		s.log.ErrorContext(r.Context(), "internal error", "method", r.Method, "path", r.URL.Path, "err", err.Error())
		p.Detail = "an internal error occurred; it has been logged"
	} else if e, ok := errs.As(err); ok {
		p.Detail = e.Msg
		p.Field = e.Field
		if code == errs.Unavailable && e.Err != nil {
			s.log.WarnContext(r.Context(), "dependency unavailable", "path", r.URL.Path, "err", e.Err.Error())
		}
	} else {
		p.Detail = err.Error()
	}
	var fields []problemField
	var ftmp [4]problemField
	if x, ok := errors.AsType[fieldsProblem](err); ok {
		fields = x.ProblemFields(ftmp[:0])
	} else if x, ok := errors.AsType[extraError](err); ok {
		p.Extra = x.ProblemExtra()
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="gridd"`)
	}
	buf := bufPool.Get().(*bytes.Buffer)
	defer bufPool.Put(buf)
	buf.Reset()
	var body []byte
	if appendProblem(buf, p, fields) {
		body = buf.Bytes()
	} else {
		if fields != nil {
			var x extraProblem
			errors.As(err, &x)
			p.Extra = x.ProblemExtra()
		}
		var merr error
		if body, merr = json.Marshal(p); merr != nil {
			body = []byte(fmt.Sprintf(`{"type":%q,"title":%q,"status":%d}`, p.Type, p.Title, p.Status))
		}
	}
	h := w.Header()
	h.Del("Content-Encoding")
	h.Del("ETag")
	h.Del("Content-Crs")
	h["Content-Type"] = problemContentType // canonical keys, shared read-only values: no allocation
	h["Cache-Control"] = noStore
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// adapt turns a handlerFunc into an http.Handler: errors become problem
// documents and panics become logged 500s, so no panic reaches the client
// connection as a torn response.
func (s *Server) adapt(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rw, ok := w.(*statusWriter)
		if !ok {
			rw = &statusWriter{ResponseWriter: w}
		}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.ErrorContext(r.Context(), "panic in handler", "path", r.URL.Path, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				if !rw.wrote {
					s.writeProblem(rw, r, fmt.Errorf("panic: %v", v))
				}
			}
		}()
		if err := h(rw, r); err != nil {
			if rw.wrote {
				// Headers are gone; all we can do is log.
				s.log.WarnContext(r.Context(), "error after response started", "path", r.URL.Path, "err", err.Error())
				return
			}
			s.writeProblem(rw, r, err)
		}
	})
}

// statusWriter records the status for metrics and whether the header has
// been written (after which an error can no longer become a problem).
type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
	bytes  int
	route  string // the matched route template, for metrics and logs
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status = code
		w.wrote = true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.status = http.StatusOK
		w.wrote = true
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush lets streaming handlers flush through the wrapper.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
