package api

import (
	"bytes"
	"errors"
	"net/http"
	"strconv"

	"github.com/gridd/gridd/dispatch"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/geo"
)

// outsideProblem adds the nearest grid (or community) and its distance to
// the 404 of a point outside the district.
type outsideProblem struct {
	*dispatch.OutsideError
}

func (o outsideProblem) Unwrap() error { return o.OutsideError }

// ProblemFields lists ProblemExtra's members without a map.
func (o outsideProblem) ProblemFields(dst []problemField) []problemField {
	dst = append(dst, problemField{K: "distance_m", F: o.DistanceM, Num: true})
	if o.NearestGrid != "" {
		dst = append(dst, problemField{K: "nearest_grid", S: string(o.NearestGrid)})
	}
	if o.NearestCommunity != "" {
		dst = append(dst, problemField{K: "nearest_community", S: string(o.NearestCommunity)})
	}
	return dst
}

func (o outsideProblem) ProblemExtra() map[string]any {
	m := map[string]any{"distance_m": o.DistanceM}
	if o.NearestGrid != "" {
		m["nearest_grid"] = o.NearestGrid
	}
	if o.NearestCommunity != "" {
		m["nearest_community"] = o.NearestCommunity
	}
	return m
}

// locate is GET /locate?lon=&lat=[&crs=][&k=]: who is responsible at a
// point — street, community, grid, sub-centre, work station, grid workers
// and the k nearest available patrols. The point may be given in WGS84,
// CGCS2000, GCJ-02 or BD-09 (map pickers hand in the latter two). Outside
// the district: 404 with the nearest grid and its distance in metres.
func (s *Server) locate(w http.ResponseWriter, r *http.Request) error {
	v := queryOf(r)
	if err := onlyParams(r, "lon", "lat", "crs", "k", "f"); err != nil {
		return err
	}
	for _, name := range []string{"lon", "lat", "crs", "k"} {
		if len(v[name]) > 1 {
			return errs.E(errs.Invalid, name, "given %d times; give it once", len(v[name]))
		}
	}
	ct, err := negotiate(r, mediaJSON)
	if err != nil {
		return err
	}
	p, err := parseLonLat(v.Get("lon"), v.Get("lat"), v.Has("lon"), v.Has("lat"))
	if err != nil {
		return err
	}
	crs, err := parseLocateCRS(v.Get("crs"), v.Has("crs"))
	if err != nil {
		return err
	}
	k, err := parseK(v.Get("k"), v.Has("k"))
	if err != nil {
		return err
	}
	c, err := s.catalogue()
	if err != nil {
		return err
	}
	if c.locate == nil {
		return errs.E(errs.Unavailable, "", "point location is not available: no district is loaded")
	}
	wp := geo.ToWGS84(crs, p)
	a, err := c.locate.Locate(wp[0], wp[1], k)
	if err != nil {
		var out *dispatch.OutsideError
		if errors.As(err, &out) {
			s.metrics.locateOutside.Inc()
			return outsideProblem{out}
		}
		if errs.Is(err, errs.NotFound) {
			s.metrics.locateOutside.Inc()
		} else {
			s.metrics.locateError.Inc()
		}
		return err
	}
	s.metrics.locateInside.Inc()
	// The answer echoes the WGS84 point it located (the input converted
	// from crs), at the service's coordinate precision.
	pt := echoPoint{Lon: roundCoord(wp[0], defaultDecimals), Lat: roundCoord(wp[1], defaultDecimals)}
	buf := bufPool.Get().(*bytes.Buffer)
	defer bufPool.Put(buf)
	buf.Reset()
	if appendAnswer(buf, a, &c.answers) {
		buf.Truncate(buf.Len() - 2) // "}\n"
		buf.WriteString(`,"point":{"lon":`)
		buf.WriteString(strconv.FormatFloat(pt.Lon, 'f', -1, 64))
		buf.WriteString(`,"lat":`)
		buf.WriteString(strconv.FormatFloat(pt.Lat, 'f', -1, 64))
		buf.WriteString("}}\n")
		h := w.Header()
		h["Content-Type"] = []string{ct} // canonical keys: skip Set's canonicalisation on the hot path
		h["Content-Length"] = []string{strconv.Itoa(buf.Len())}
		w.WriteHeader(http.StatusOK)
		if r.Method != http.MethodHead {
			_, _ = w.Write(buf.Bytes())
		}
		return nil
	}
	return writeJSON(w, r, http.StatusOK, ct, locateAnswer{Answer: a, Point: pt})
}

// echoPoint is the WGS84 point /locate located.
type echoPoint struct {
	Lon float64 `json:"lon"`
	Lat float64 `json:"lat"`
}

// locateAnswer is /locate's body: the directory's answer and the point.
type locateAnswer struct {
	*dispatch.Answer
	Point echoPoint `json:"point"`
}
