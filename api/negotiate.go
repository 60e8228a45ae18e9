package api

import (
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/internal/clip"
)

// Media types gridd serves.
const (
	mediaJSON     = "application/json"
	mediaGeoJSON  = "application/geo+json"
	mediaOpenAPI  = "application/vnd.oai.openapi+json;version=3.0"
	mediaMVT      = "application/vnd.mapbox-vector-tile"
	mediaProblem  = "application/problem+json"
	mediaTileJSON = "application/json"
)

// mediaRange is one element of an Accept header.
type mediaRange struct {
	typ, sub string
	q        float64
	params   int // number of media-type parameters, for specificity
	order    int
}

// parseAccept parses an Accept header (RFC 9110 §12.5.1): comma-separated
// media ranges with optional parameters and a q weight in [0,1]. Malformed
// elements are skipped, as the RFC lets servers ignore what they cannot
// parse; an empty or absent header means */*.
func parseAccept(h string) []mediaRange {
	if strings.TrimSpace(h) == "" {
		return []mediaRange{{typ: "*", sub: "*", q: 1}}
	}
	var out []mediaRange
	for i, part := range strings.Split(h, ",") {
		fields := strings.Split(part, ";")
		mt := strings.ToLower(strings.TrimSpace(fields[0]))
		slash := strings.IndexByte(mt, '/')
		if slash <= 0 || slash == len(mt)-1 {
			continue
		}
		m := mediaRange{typ: mt[:slash], sub: mt[slash+1:], q: 1, order: i}
		if m.typ == "*" && m.sub != "*" {
			continue
		}
		ok := true
		for _, p := range fields[1:] {
			k, v, found := strings.Cut(strings.TrimSpace(p), "=")
			if !found {
				continue
			}
			k = strings.ToLower(strings.TrimSpace(k))
			if k == "q" {
				q, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
				if err != nil || q < 0 || q > 1 || q != q {
					ok = false
					break
				}
				m.q = q
				continue
			}
			m.params++
		}
		if ok {
			out = append(out, m)
		}
	}
	return out
}

// matches reports how specifically r matches media type typ/sub: 3 for an
// exact match, 2 for type/*, 1 for */*, 0 for none.
func (r mediaRange) matches(typ, sub string) int {
	switch {
	case r.typ == typ && r.sub == sub:
		return 3
	case r.typ == typ && r.sub == "*":
		return 2
	case r.typ == "*" && r.sub == "*":
		return 1
	}
	return 0
}

// negotiate picks the offer the client prefers: each offer gets the q of
// the most specific range that matches it; the highest q wins and ties go
// to the server's order of offers. The f query parameter (f=json, f=geojson,
// f=mvt...) overrides Accept, as OGC APIs allow. No acceptable offer is an
// Unsupported error on "Accept", which the adapter answers with 406.
func negotiate(r *http.Request, offers ...string) (string, error) {
	if f := queryOf(r).Get("f"); f != "" || queryOf(r).Has("f") {
		want, ok := formatAliases[strings.ToLower(f)]
		if ok {
			for _, o := range offers {
				if mediaBase(o) == want {
					return o, nil
				}
			}
		}
		return "", errs.E(errs.Unsupported, "f", "format %q is not served here; try one of %s", clip.Text(f, 40), strings.Join(offerNames(offers), ", "))
	}
	accept := r.Header.Get("Accept")
	if accept == "" || accept == "*/*" {
		return offers[0], nil // the common case, without parsing
	}
	ranges := parseAccept(accept)
	best, bestQ := "", 0.0
	for _, o := range offers {
		typ, sub, _ := strings.Cut(mediaBase(o), "/")
		spec, q := 0, 0.0
		for _, m := range ranges {
			if s := m.matches(typ, sub); s > spec || (s == spec && s > 0 && m.q > q) {
				spec, q = s, m.q
			}
		}
		if spec > 0 && q > bestQ {
			best, bestQ = o, q
		}
	}
	if best == "" {
		return "", errs.E(errs.Unsupported, "Accept", "none of the acceptable media types is served here; this resource is available as %s", strings.Join(offers, ", "))
	}
	return best, nil
}

// formatAliases maps f= values to media types.
var formatAliases = map[string]string{
	"json":    mediaJSON,
	"geojson": mediaGeoJSON,
	"mvt":     mediaMVT,
	"openapi": "application/vnd.oai.openapi+json",
}

func offerNames(offers []string) []string {
	var names []string
	for k, v := range formatAliases {
		for _, o := range offers {
			if mediaBase(o) == v {
				names = append(names, k)
			}
		}
	}
	sort.Strings(names)
	return names
}

// mediaBase strips parameters from a media type.
func mediaBase(m string) string {
	if i := strings.IndexByte(m, ';'); i >= 0 {
		return strings.TrimSpace(m[:i])
	}
	return m
}
