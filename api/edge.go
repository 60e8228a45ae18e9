package api

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/internal/clip"
)

// The handler's edge: what is checked on every request before routing, so
// that each route sees only a well-formed query, and what every route
// answers alike (probes without keys, CORS, OPTIONS).

// probePaths are answered whatever credentials a request carries: a load
// balancer's probe must not fail because a key was rotated.
var probePaths = map[string]bool{"/healthz": true, "/readyz": true}

// checkQuery rejects a raw query string that net/url would silently
// shorten: a pair with a bad percent-escape or a ';' (url.ParseQuery drops
// such pairs, so "bbox=...%ZZ" would serve everything), a pair without a
// name, and names or values that are not UTF-8 or hold NUL (which no
// property or parameter holds and PostgreSQL rejects). The problem names
// the parameter.
func checkQuery(raw string) error {
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" {
			continue
		}
		rawKey, rawVal, _ := strings.Cut(pair, "=")
		field := clip.Text(rawKey, 60)
		if k, err := url.QueryUnescape(rawKey); err == nil {
			field = clip.Text(k, 60)
		}
		if strings.Contains(pair, ";") {
			return errs.E(errs.Invalid, field, "query parameters are separated by '&'; a ';' must be escaped as %%3B")
		}
		key, err := url.QueryUnescape(rawKey)
		if err != nil {
			return errs.E(errs.Invalid, field, "the parameter name has a bad percent-escape")
		}
		val, err := url.QueryUnescape(rawVal)
		if err != nil {
			return errs.E(errs.Invalid, field, "the value has a bad percent-escape (%% must be followed by two hex digits)")
		}
		if key == "" {
			return errs.E(errs.Invalid, clip.Text(pair, 60), "a query parameter has no name (%q)", clip.Text(pair, 60))
		}
		if !cleanText(key) {
			return errs.E(errs.Invalid, strconv.QuoteToASCII(clip.Text(key, 60)), "the parameter name is not UTF-8 text without NUL")
		}
		if !cleanText(val) {
			return errs.E(errs.Invalid, field, "the value is not UTF-8 text without NUL")
		}
	}
	return nil
}

// cleanText reports whether s is valid UTF-8 without NUL bytes.
func cleanText(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

// routeLabel is a mux path template without its variables' patterns
// ("/tiles/{collectionId}/{z}/{x}/{y}.mvt"), for metrics and logs.
func routeLabel(tpl string) string {
	if !strings.Contains(tpl, ":") {
		return tpl
	}
	var b strings.Builder
	depth := 0
	skipping := false
	for _, c := range tpl {
		switch {
		case c == '{':
			depth++
			if depth == 1 {
				skipping = false
				b.WriteRune(c)
				continue
			}
		case c == '}':
			depth--
			if depth == 0 {
				skipping = false
				b.WriteRune(c)
				continue
			}
		case c == ':' && depth == 1:
			skipping = true
		}
		if !skipping {
			b.WriteRune(c)
		}
	}
	return b.String()
}

// CORS: read routes may be used by browser map libraries on other origins.
const (
	corsAllowHeaders  = "Accept, Authorization, X-API-Key, If-None-Match, Content-Type"
	corsExposeHeaders = "ETag, Content-Crs, Link, Location"
	corsMaxAgeSeconds = "600"
)

// corsOrigin is the Access-Control-Allow-Origin value for origin: "*"
// when every origin is allowed, the origin itself when it is listed, ""
// when it is not allowed.
func (s *Server) corsOrigin(origin string) string {
	if origin == "" {
		return ""
	}
	if slices.Contains(s.cfg.CORSOrigins, "*") {
		return "*"
	}
	if slices.Contains(s.cfg.CORSOrigins, origin) {
		return origin
	}
	return ""
}

// cors adds CORS headers to read requests (GET, HEAD) from allowed
// origins; a listed origin is echoed with Vary: Origin.
func (s *Server) cors(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return
	}
	allow := s.corsOrigin(headerValue(r.Header, "Origin"))
	if allow == "" {
		return
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", allow)
	h.Set("Access-Control-Expose-Headers", corsExposeHeaders)
	if allow != "*" {
		h.Add("Vary", "Origin")
	}
}

// options answers OPTIONS: a CORS preflight for a read route from an
// allowed origin gets the CORS grant; any OPTIONS gets the route's
// methods in Allow (404 when no route has the path).
func (s *Server) options(w http.ResponseWriter, r *http.Request, methods []string) {
	if len(methods) == 0 {
		s.writeProblem(w, r, errs.E(errs.NotFound, "", "no resource at %s", clip.Text(r.URL.Path, 120)))
		return
	}
	h := w.Header()
	h.Set("Allow", strings.Join(append(methods, http.MethodOptions), ", "))
	want := headerValue(r.Header, "Access-Control-Request-Method")
	allow := s.corsOrigin(headerValue(r.Header, "Origin"))
	if want != "" && allow != "" && (want == http.MethodGet || want == http.MethodHead) && slices.Contains(methods, want) {
		h.Set("Access-Control-Allow-Origin", allow)
		h.Set("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS")
		h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
		h.Set("Access-Control-Max-Age", corsMaxAgeSeconds)
		if allow != "*" {
			h.Add("Vary", "Origin")
		}
	}
	w.WriteHeader(http.StatusNoContent)
}
