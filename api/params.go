package api

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/geo"
	"github.com/gridd/gridd/internal/clip"
)

// Query-parameter parsers. Each returns an errs.Invalid error naming the
// parameter and the reason, never a silent default for a bad value; the
// adapter answers those with 400.

const (
	defaultLimit = 10
	maxLimit     = 10000
	maxOffset    = 1 << 30
	maxK         = 50
)

// parseLimit reads the items limit: absent → 10; a positive integer; values
// above 10,000 are clamped to 10,000, as OGC API Features requires a larger
// limit not to be an error. Anything else is 400.
func parseLimit(s string, present bool) (int, error) {
	if !present {
		return defaultLimit, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange && !strings.HasPrefix(strings.TrimSpace(s), "-") {
			return maxLimit, nil
		}
		return 0, errs.E(errs.Invalid, "limit", "%q is not an integer", clip.Text(s, 40))
	}
	if n < 1 {
		return 0, errs.E(errs.Invalid, "limit", "must be at least 1, got %d", n)
	}
	if n > maxLimit {
		n = maxLimit
	}
	return n, nil
}

// parseOffset reads the paging offset: absent → 0; a non-negative integer.
func parseOffset(s string, present bool) (int, error) {
	if !present {
		return 0, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 0 || n > maxOffset {
		return 0, errs.E(errs.Invalid, "offset", "%q is not an offset (an integer from 0 to %d)", clip.Text(s, 40), maxOffset)
	}
	return n, nil
}

// parseFloat reads a finite decimal number for param name.
func parseFloat(name, s string) (float64, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, errs.E(errs.Invalid, name, "%q is not a finite number", clip.Text(s, 40))
	}
	return f, nil
}

// parseLonLat reads the lon and lat parameters of /locate. Both are
// required, finite and in range.
func parseLonLat(lonS, latS string, lonOK, latOK bool) (orb.Point, error) {
	if !lonOK {
		return orb.Point{}, errs.E(errs.Invalid, "lon", "is required (decimal degrees)")
	}
	if !latOK {
		return orb.Point{}, errs.E(errs.Invalid, "lat", "is required (decimal degrees)")
	}
	lon, err := parseFloat("lon", lonS)
	if err != nil {
		return orb.Point{}, err
	}
	lat, err := parseFloat("lat", latS)
	if err != nil {
		return orb.Point{}, err
	}
	if err := geo.CheckLonLat(lon, lat); err != nil {
		return orb.Point{}, err
	}
	return orb.Point{lon, lat}, nil
}

// parseK reads the number of nearest patrols for /locate: default 3, 0..50.
func parseK(s string, present bool) (int, error) {
	if !present {
		return 3, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 0 || n > maxK {
		return 0, errs.E(errs.Invalid, "k", "%q is not a count from 0 to %d", clip.Text(s, 40), maxK)
	}
	return n, nil
}

// locateCRS are the coordinate systems /locate takes, by every name it
// takes (case-sensitive): the short names, their EPSG codes and the OGC
// URIs the collections serve. The OpenAPI enum lists exactly these.
var locateCRS = func() []struct {
	name string
	crs  geo.CRS
} {
	out := []struct {
		name string
		crs  geo.CRS
	}{
		{"wgs84", geo.WGS84}, {"cgcs2000", geo.CGCS2000}, {"gcj02", geo.GCJ02}, {"bd09", geo.BD09},
		{"CRS84", geo.WGS84}, {"EPSG:4326", geo.WGS84}, {"EPSG:4490", geo.CGCS2000},
	}
	for _, c := range supportedCRS {
		out = append(out, struct {
			name string
			crs  geo.CRS
		}{c.URI, c.geo})
	}
	return out
}()

func locateCRSNames() []string {
	out := make([]string, len(locateCRS))
	for i, c := range locateCRS {
		out[i] = c.name
	}
	return out
}

// parseLocateCRS reads /locate's crs, one of locateCRS's names; absent is
// WGS84.
func parseLocateCRS(s string, present bool) (geo.CRS, error) {
	if !present {
		return geo.WGS84, nil
	}
	for _, c := range locateCRS {
		if c.name == s {
			return c.crs, nil
		}
	}
	return "", errs.E(errs.Invalid, "crs", "%q is not a coordinate system /locate takes; use one of %s", clip.Text(s, 80), strings.Join(locateCRSNames(), ", "))
}

// parseCRSParam reads the OGC crs (output) parameter: one of the URIs in
// supportedCRS; absent → CRS84.
func parseCRSParam(name, s string, present bool) (*outCRS, error) {
	if !present {
		return &supportedCRS[0], nil
	}
	c, ok := crsByURI(s)
	if !ok {
		return nil, errs.E(errs.Invalid, name, "%q is not a supported coordinate reference system; use one of %s", clip.Text(s, 80), strings.Join(crsURIs(), ", "))
	}
	return c, nil
}

// parseBBox reads an OGC bbox: 4 numbers (or 6 with heights, which are
// ignored) in the axis order of bbox-crs — lon,lat for CRS84 and GCJ-02,
// lat,lon for EPSG:4326 and EPSG:4490 — and returns the WGS84 lon/lat bound
// to test against. Boxes that cross the antimeridian are rejected: gridd's
// districts never do.
func parseBBox(s string, c *outCRS) (orb.Bound, error) {
	parts := strings.Split(s, ",")
	if len(parts) != 4 && len(parts) != 6 {
		return orb.Bound{}, errs.E(errs.Invalid, "bbox", "want 4 (or 6) comma-separated numbers, got %d", len(parts))
	}
	v := make([]float64, len(parts))
	for i, p := range parts {
		f, err := parseFloat("bbox", p)
		if err != nil {
			return orb.Bound{}, err
		}
		v[i] = f
	}
	var x1, y1, x2, y2 float64
	if len(v) == 4 {
		x1, y1, x2, y2 = v[0], v[1], v[2], v[3]
	} else {
		x1, y1, x2, y2 = v[0], v[1], v[3], v[4]
	}
	if c.latFirst {
		x1, y1, x2, y2 = y1, x1, y2, x2
	}
	for _, corner := range [2]orb.Point{{x1, y1}, {x2, y2}} {
		if err := geo.CheckLonLat(corner[0], corner[1]); err != nil {
			e, _ := errs.As(err)
			return orb.Bound{}, errs.E(errs.Invalid, "bbox", "%s (axis order of %s is %s)", e.Msg, c.URI, c.axisOrder())
		}
	}
	if x1 > x2 {
		return orb.Bound{}, errs.E(errs.Invalid, "bbox", "the minimum longitude exceeds the maximum; boxes across the antimeridian are not supported")
	}
	if y1 > y2 {
		return orb.Bound{}, errs.E(errs.Invalid, "bbox", "the minimum latitude exceeds the maximum")
	}
	b := orb.Bound{Min: orb.Point{x1, y1}, Max: orb.Point{x2, y2}}
	if c.geo != geo.WGS84 && c.geo != geo.CGCS2000 {
		// The offset is smooth and small, so converting the corners and
		// taking their bound is exact to well under a metre.
		var out orb.Bound
		for i, p := range []orb.Point{b.Min, b.Max, {x1, y2}, {x2, y1}} {
			w := geo.ToWGS84(c.geo, p)
			if i == 0 {
				out = orb.Bound{Min: w, Max: w}
			} else {
				out = out.Extend(w)
			}
		}
		b = out
	}
	return b, nil
}

// interval is a datetime filter; a zero end is open.
type interval struct {
	start, end time.Time
}

// contains reports whether t lies in the closed interval.
func (iv interval) contains(t time.Time) bool {
	if !iv.start.IsZero() && t.Before(iv.start) {
		return false
	}
	if !iv.end.IsZero() && t.After(iv.end) {
		return false
	}
	return true
}

// parseDatetime reads an OGC datetime: an RFC 3339 instant, or an interval
// "start/end" where either end may be ".." or empty (open).
func parseDatetime(s string) (interval, error) {
	s = strings.TrimSpace(s)
	parse := func(p string) (time.Time, error) {
		t, err := time.Parse(time.RFC3339Nano, p)
		if err != nil {
			if d, derr := time.Parse("2006-01-02", p); derr == nil {
				return d, nil
			}
			return time.Time{}, errs.E(errs.Invalid, "datetime", "%q is not an RFC 3339 date-time", clip.Text(p, 40))
		}
		return t, nil
	}
	a, b, isInterval := strings.Cut(s, "/")
	if !isInterval {
		t, err := parse(a)
		if err != nil {
			return interval{}, err
		}
		if len(a) == len("2006-01-02") {
			return interval{start: t, end: t.Add(24*time.Hour - time.Nanosecond)}, nil
		}
		return interval{start: t, end: t}, nil
	}
	var iv interval
	var err error
	if a != ".." && a != "" {
		if iv.start, err = parse(a); err != nil {
			return interval{}, err
		}
	}
	if b != ".." && b != "" {
		if iv.end, err = parse(b); err != nil {
			return interval{}, err
		}
	}
	if (a == ".." || a == "") && (b == ".." || b == "") {
		return interval{}, errs.E(errs.Invalid, "datetime", "an interval needs at least one bound")
	}
	if !iv.start.IsZero() && !iv.end.IsZero() && iv.end.Before(iv.start) {
		return interval{}, errs.E(errs.Invalid, "datetime", "the interval ends before it starts")
	}
	return iv, nil
}

// parsePrecision reads the precision parameter: decimals of coordinates,
// defaultDecimals when absent, at most maxDecimals.
func parsePrecision(s string, present bool) (int, error) {
	if !present {
		return defaultDecimals, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > maxDecimals {
		return 0, errs.E(errs.Invalid, "precision", "%q is not a number of decimals 0..%d (default %d, about 1 cm)", clip.Text(s, 20), maxDecimals, defaultDecimals)
	}
	return n, nil
}
