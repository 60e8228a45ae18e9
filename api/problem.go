package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"strings"

	"github.com/gridd/gridd/errs"
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
// (field "Accept" or "f") and 415 for request bodies.
func statusOf(err error) int {
	e, _ := errs.As(err)
	switch errs.CodeOf(err) {
	case errs.Invalid:
		if e != nil && (strings.HasPrefix(e.Field, "/") || e.Field == "body") {
			return http.StatusUnprocessableEntity
		}
		return http.StatusBadRequest
	case errs.NotFound:
		return http.StatusNotFound
	case errs.Conflict:
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
	var x extraProblem
	if errors.As(err, &x) {
		p.Extra = x.ProblemExtra()
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="gridd"`)
	}
	body, merr := json.Marshal(p)
	if merr != nil {
		body = []byte(fmt.Sprintf(`{"type":%q,"title":%q,"status":%d}`, p.Type, p.Title, p.Status))
	}
	h := w.Header()
	h.Del("Content-Encoding")
	h.Del("ETag")
	h.Del("Content-Crs")
	h.Set("Content-Type", "application/problem+json")
	h.Set("Cache-Control", "no-store")
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
