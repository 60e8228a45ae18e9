package bundle

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/geo"
)

// File names of a bundle folder.
const (
	DistrictFile    = "district.geojson"
	StreetsFile     = "streets.geojson"
	CommunitiesFile = "communities.geojson"
	BuildingsFile   = "buildings.csv"
	FacilitiesFile  = "facilities.geojson"
	PatrolsFile     = "patrols.csv"
	WorkersFile     = "workers.csv"
	DepartmentsFile = "departments.csv"
)

// Read loads a bundle folder. It checks syntax, codes and coordinates of
// every file and reports every problem found (an errs.List wrapped as an
// Invalid error), each naming file and feature or row; the geometric and
// cross-file rules are Check's job.
func Read(dir string) (*Bundle, error) {
	if dir == "" {
		dir = "."
	}
	return ReadFS(os.DirFS(dir), ".")
}

// ReadFS is Read on a file system (an embedded bundle, a zip, a test
// fixture): the bundle's files are dir/district.geojson and so on.
func ReadFS(fsys fs.FS, dir string) (*Bundle, error) {
	var b Bundle
	var probs errs.List
	open := func(name string, parse func(io.Reader) errs.List) {
		f, err := fsys.Open(path.Join(dir, name))
		if err != nil {
			cause := errors.Unwrap(err)
			if cause == nil {
				cause = err
			}
			probs = append(probs, errs.E(errs.Invalid, name, "cannot open: %v", cause))
			return
		}
		defer f.Close()
		// A file that says it is too large is refused before reading it;
		// streams without a size are cut off by the readers themselves.
		if st, err := f.Stat(); err == nil && st.Mode().IsRegular() && st.Size() > maxFile {
			probs = append(probs, tooLarge(name, maxFile))
			return
		}
		probs = append(probs, parse(f)...)
	}
	open(DistrictFile, func(r io.Reader) (l errs.List) { b.District, l = ReadDistrict(r); return })
	open(StreetsFile, func(r io.Reader) (l errs.List) { b.Streets, l = ReadStreets(r); return })
	open(CommunitiesFile, func(r io.Reader) (l errs.List) { b.Communities, l = ReadCommunities(r); return })
	open(BuildingsFile, func(r io.Reader) (l errs.List) { b.Buildings, l = ReadBuildings(r); return })
	open(FacilitiesFile, func(r io.Reader) (l errs.List) { b.Facilities, l = ReadFacilities(r); return })
	open(PatrolsFile, func(r io.Reader) (l errs.List) { b.Patrols, l = ReadPatrols(r); return })
	open(WorkersFile, func(r io.Reader) (l errs.List) { b.Workers, l = ReadWorkers(r); return })
	open(DepartmentsFile, func(r io.Reader) (l errs.List) { b.Departments, l = ReadDepartments(r); return })
	if err := probs.Err(); err != nil {
		return nil, err
	}
	return &b, nil
}

func readFC(file string, r io.Reader) (*geojson.FeatureCollection, errs.List) {
	data, e := readInput(file, r)
	if e != nil {
		return nil, errs.List{e}
	}
	if e := jsonSyntax(file, data); e != nil {
		return nil, errs.List{e}
	}
	fc, err := geojson.UnmarshalFeatureCollection(data)
	if err != nil {
		return nil, errs.List{errs.E(errs.Invalid, file, "not a GeoJSON FeatureCollection: %v", err)}
	}
	return fc, nil
}

func where(file string, i int) string { return fmt.Sprintf("%s: feature %d", file, i) }

func propString(f *geojson.Feature, key string) string {
	v, ok := f.Properties[key]
	if !ok || v == nil {
		return ""
	}
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	default:
		return fmt.Sprint(x)
	}
}

// finitePoint checks a coordinate is a number within WGS84 ranges; the
// error's text is the reason only (callers name the place).
func finitePoint(p orb.Point) error {
	if err := geo.CheckLonLat(p[0], p[1]); err != nil {
		return errors.New(msgOf(err))
	}
	return nil
}

// areal turns a Polygon or MultiPolygon into a MultiPolygon, checking every
// coordinate is finite and every ring has at least 4 positions and is closed.
func areal(g orb.Geometry) (orb.MultiPolygon, error) {
	var mp orb.MultiPolygon
	switch x := g.(type) {
	case orb.Polygon:
		mp = orb.MultiPolygon{x}
	case orb.MultiPolygon:
		mp = x
	case nil:
		return nil, errors.New("geometry is missing")
	default:
		return nil, fmt.Errorf("geometry is a %s, want Polygon or MultiPolygon", g.GeoJSONType())
	}
	if len(mp) == 0 {
		return nil, errors.New("geometry is empty")
	}
	for pi, poly := range mp {
		if len(poly) == 0 {
			return nil, fmt.Errorf("polygon %d has no rings", pi)
		}
		for ri, ring := range poly {
			if len(ring) < 4 {
				return nil, fmt.Errorf("polygon %d ring %d has %d positions, want at least 4", pi, ri, len(ring))
			}
			if ring[0] != ring[len(ring)-1] {
				return nil, fmt.Errorf("polygon %d ring %d is not closed", pi, ri)
			}
			for vi, p := range ring {
				if err := finitePoint(p); err != nil {
					return nil, fmt.Errorf("polygon %d ring %d vertex %d: %w", pi, ri, vi, err)
				}
			}
		}
	}
	return mp, nil
}

// ReadDistrict parses district.geojson: exactly one areal feature.
func ReadDistrict(r io.Reader) (District, errs.List) {
	fc, probs := readFC(DistrictFile, r)
	if probs != nil {
		return District{}, probs
	}
	if len(fc.Features) != 1 {
		return District{}, errs.List{errs.E(errs.Invalid, DistrictFile, "has %d features, want exactly 1", len(fc.Features))}
	}
	f := fc.Features[0]
	var d District
	var err error
	if d.Code, err = ParseDistrictCode(propString(f, "code")); err != nil {
		probs = append(probs, errs.E(errs.Invalid, where(DistrictFile, 0), "code: %v", msgOf(err)))
	}
	d.Name = propString(f, "name")
	if p := textProb(where(DistrictFile, 0), "name", d.Name); p != nil {
		probs = append(probs, p)
	}
	if d.Geom, err = areal(f.Geometry); err != nil {
		probs = append(probs, errs.E(errs.Invalid, where(DistrictFile, 0), "%v", err))
	}
	return d, probs
}

// badText says what is wrong with a text field ("" if nothing): names,
// addresses and ids are one line of valid UTF-8, so that they survive a
// round trip through CSV and JSON unchanged.
func badText(s string) string {
	if !utf8.ValidString(s) {
		return "is not valid UTF-8"
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return fmt.Sprintf("contains control character %U", r)
		}
	}
	return ""
}

// textProb is badText as a problem of field in where, nil when fine.
func textProb(where, field, s string) *errs.Error {
	if m := badText(s); m != "" {
		return errs.E(errs.Invalid, where, "%s %s", field, m)
	}
	return nil
}

func msgOf(err error) string {
	if e, ok := errs.As(err); ok {
		return e.Msg
	}
	return err.Error()
}

// ReadStreets parses streets.geojson.
func ReadStreets(r io.Reader) ([]Street, errs.List) {
	fc, probs := readFC(StreetsFile, r)
	if probs != nil {
		return nil, probs
	}
	out := make([]Street, 0, len(fc.Features))
	for i, f := range fc.Features {
		var s Street
		var err error
		if s.Code, err = ParseStreetCode(propString(f, "code")); err != nil {
			probs = append(probs, errs.E(errs.Invalid, where(StreetsFile, i), "code: %s", msgOf(err)))
		}
		s.Name = propString(f, "name")
		if p := textProb(where(StreetsFile, i), "name", s.Name); p != nil {
			probs = append(probs, p)
		}
		if s.Geom, err = areal(f.Geometry); err != nil {
			probs = append(probs, errs.E(errs.Invalid, where(StreetsFile, i), "%v", err))
		}
		out = append(out, s)
	}
	return out, probs
}

// ReadCommunities parses communities.geojson.
func ReadCommunities(r io.Reader) ([]Community, errs.List) {
	fc, probs := readFC(CommunitiesFile, r)
	if probs != nil {
		return nil, probs
	}
	out := make([]Community, 0, len(fc.Features))
	for i, f := range fc.Features {
		var c Community
		var err error
		w := where(CommunitiesFile, i)
		if c.Code, err = ParseCommunityCode(propString(f, "code")); err != nil {
			probs = append(probs, errs.E(errs.Invalid, w, "code: %s", msgOf(err)))
		}
		if c.Street, err = ParseStreetCode(propString(f, "street_code")); err != nil {
			probs = append(probs, errs.E(errs.Invalid, w, "street_code: %s", msgOf(err)))
		}
		c.Name = propString(f, "name")
		if p := textProb(w, "name", c.Name); p != nil {
			probs = append(probs, p)
		}
		c.Kind = Kind(propString(f, "kind"))
		if !c.Kind.Valid() {
			probs = append(probs, errs.E(errs.Invalid, w, "kind %q is not urban, rural or virtual", c.Kind))
		}
		if c.Geom, err = areal(f.Geometry); err != nil {
			probs = append(probs, errs.E(errs.Invalid, w, "%v", err))
		}
		out = append(out, c)
	}
	return out, probs
}

// ReadFacilities parses facilities.geojson.
func ReadFacilities(r io.Reader) ([]Facility, errs.List) {
	fc, probs := readFC(FacilitiesFile, r)
	if probs != nil {
		return nil, probs
	}
	out := make([]Facility, 0, len(fc.Features))
	for i, f := range fc.Features {
		w := where(FacilitiesFile, i)
		var fa Facility
		fa.Kind = FacilityKind(propString(f, "kind"))
		if !fa.Kind.Valid() {
			probs = append(probs, errs.E(errs.Invalid, w, "kind %q is not centre, subcentre or workstation", fa.Kind))
		}
		fa.Code = propString(f, "code")
		if fa.Code == "" {
			probs = append(probs, errs.E(errs.Invalid, w, "code is missing"))
		}
		fa.Name = propString(f, "name")
		for _, kv := range [][2]string{{"code", fa.Code}, {"name", fa.Name}} {
			if p := textProb(w, kv[0], kv[1]); p != nil {
				probs = append(probs, p)
			}
		}
		if s := propString(f, "street_code"); s != "" {
			c, err := ParseStreetCode(s)
			if err != nil {
				probs = append(probs, errs.E(errs.Invalid, w, "street_code: %s", msgOf(err)))
			}
			fa.Street = c
		}
		if s := propString(f, "community_code"); s != "" {
			c, err := ParseCommunityCode(s)
			if err != nil {
				probs = append(probs, errs.E(errs.Invalid, w, "community_code: %s", msgOf(err)))
			}
			fa.Community = c
		}
		switch fa.Kind {
		case Subcentre:
			if fa.Street == "" {
				probs = append(probs, errs.E(errs.Invalid, w, "a subcentre needs street_code"))
			}
		case Workstation:
			if fa.Community == "" {
				probs = append(probs, errs.E(errs.Invalid, w, "a workstation needs community_code"))
			}
		}
		p, ok := f.Geometry.(orb.Point)
		if !ok {
			probs = append(probs, errs.E(errs.Invalid, w, "geometry must be a Point"))
		} else if err := finitePoint(p); err != nil {
			probs = append(probs, errs.E(errs.Invalid, w, "%v", err))
		}
		fa.Loc = p
		out = append(out, fa)
	}
	return out, probs
}

// csvRows reads a CSV with exactly the given header and calls row for each
// record; the int passed is the 1-based line number for messages.
func csvRows(file string, r io.Reader, header []string, row func(line int, rec []string) *errs.Error) errs.List {
	data, e := readInput(file, r)
	if e != nil {
		return errs.List{e}
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = len(header)
	cr.ReuseRecord = true
	var probs errs.List
	hdr, err := cr.Read()
	if err != nil {
		if err == io.EOF {
			return errs.List{errs.E(errs.Invalid, file, "empty file, want header %s", strings.Join(header, ","))}
		}
		return errs.List{errs.E(errs.Invalid, file+":1", "bad header: %v", csvMsg(err))}
	}
	if strings.Join(hdr, ",") != strings.Join(header, ",") {
		return errs.List{errs.E(errs.Invalid, file+":1", "header is %q, want %q", strings.Join(hdr, ","), strings.Join(header, ","))}
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			p, stop := csvReadProblem(file, data, err)
			if probs = append(probs, p); stop || len(probs) > 100 {
				break
			}
			continue
		}
		line, _ := cr.FieldPos(0)
		if p := row(line, rec); p != nil {
			p.Field = fmt.Sprintf("%s:%d", file, line) + fieldSuffix(p.Field)
			probs = append(probs, p)
			if len(probs) > 1000 {
				probs = append(probs, errs.E(errs.Invalid, file, "too many problems, stopped"))
				break
			}
		}
	}
	return probs
}

func fieldSuffix(f string) string {
	if f == "" {
		return ""
	}
	return " " + f
}

func csvMsg(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

func parseLonLat(lonS, latS string) (orb.Point, *errs.Error) {
	lon, err1 := strconv.ParseFloat(strings.TrimSpace(lonS), 64)
	lat, err2 := strconv.ParseFloat(strings.TrimSpace(latS), 64)
	if err1 != nil {
		return orb.Point{}, errs.E(errs.Invalid, "lon", "%q is not a number", lonS)
	}
	if err2 != nil {
		return orb.Point{}, errs.E(errs.Invalid, "lat", "%q is not a number", latS)
	}
	p := orb.Point{lon, lat}
	if err := finitePoint(p); err != nil {
		return p, errs.E(errs.Invalid, "lon,lat", "%v", err)
	}
	return p, nil
}

// BuildingsHeader is the header of buildings.csv.
var buildingsHeader = []string{"id", "lon", "lat", "households", "address"}

// ReadBuildings parses buildings.csv.
func ReadBuildings(r io.Reader) ([]Building, errs.List) {
	var out []Building
	probs := csvRows(BuildingsFile, r, buildingsHeader, func(_ int, rec []string) *errs.Error {
		id, err := ParseBuildingID(rec[0])
		if err != nil {
			return errs.E(errs.Invalid, "id", "%s", msgOf(err))
		}
		p, perr := parseLonLat(rec[1], rec[2])
		if perr != nil {
			return perr
		}
		hh, err := strconv.Atoi(strings.TrimSpace(rec[3]))
		if err != nil {
			return errs.E(errs.Invalid, "households", "%q is not an integer", rec[3])
		}
		if hh < 1 {
			return errs.E(errs.Invalid, "households", "%d, want at least 1", hh)
		}
		if strings.TrimSpace(rec[4]) == "" {
			return errs.E(errs.Invalid, "address", "is empty")
		}
		if m := badText(rec[4]); m != "" {
			return errs.E(errs.Invalid, "address", "%s", m)
		}
		out = append(out, Building{ID: id, Loc: p, Households: hh, Address: rec[4]})
		return nil
	})
	return out, probs
}

// textFields checks CSV text fields with badText; header names them.
func textFields(rec, header []string) *errs.Error {
	for i, v := range rec {
		if m := badText(v); m != "" {
			return errs.E(errs.Invalid, header[i], "%s", m)
		}
	}
	return nil
}

var patrolsHeader = []string{"id", "callsign", "lon", "lat", "street_code"}

// ReadPatrols parses patrols.csv.
func ReadPatrols(r io.Reader) ([]Patrol, errs.List) {
	var out []Patrol
	probs := csvRows(PatrolsFile, r, patrolsHeader, func(_ int, rec []string) *errs.Error {
		if rec[0] == "" {
			return errs.E(errs.Invalid, "id", "is empty")
		}
		if e := textFields(rec[:2], patrolsHeader); e != nil {
			return e
		}
		p, perr := parseLonLat(rec[2], rec[3])
		if perr != nil {
			return perr
		}
		sc, err := ParseStreetCode(rec[4])
		if err != nil {
			return errs.E(errs.Invalid, "street_code", "%s", msgOf(err))
		}
		out = append(out, Patrol{ID: rec[0], Callsign: rec[1], Loc: p, Street: sc})
		return nil
	})
	return out, probs
}

var workersHeader = []string{"id", "name", "community_code"}

// ReadWorkers parses workers.csv.
func ReadWorkers(r io.Reader) ([]Worker, errs.List) {
	var out []Worker
	probs := csvRows(WorkersFile, r, workersHeader, func(_ int, rec []string) *errs.Error {
		if rec[0] == "" {
			return errs.E(errs.Invalid, "id", "is empty")
		}
		if e := textFields(rec[:2], workersHeader); e != nil {
			return e
		}
		cc, err := ParseCommunityCode(rec[2])
		if err != nil {
			return errs.E(errs.Invalid, "community_code", "%s", msgOf(err))
		}
		out = append(out, Worker{ID: rec[0], Name: rec[1], Community: cc})
		return nil
	})
	return out, probs
}

var departmentsHeader = []string{"code", "name"}

// ReadDepartments parses departments.csv.
func ReadDepartments(r io.Reader) ([]Department, errs.List) {
	var out []Department
	probs := csvRows(DepartmentsFile, r, departmentsHeader, func(_ int, rec []string) *errs.Error {
		if rec[0] == "" {
			return errs.E(errs.Invalid, "code", "is empty")
		}
		if rec[1] == "" {
			return errs.E(errs.Invalid, "name", "is empty")
		}
		if e := textFields(rec, departmentsHeader); e != nil {
			return e
		}
		out = append(out, Department{Code: rec[0], Name: rec[1]})
		return nil
	})
	return out, probs
}

// geometry writes a MultiPolygon of one part as a Polygon, as most tools expect.
func geometry(mp orb.MultiPolygon) orb.Geometry {
	if len(mp) == 1 {
		return mp[0]
	}
	return mp
}

// Write writes b into dir (created if missing) in the bundle format. The
// output is byte-for-byte deterministic for a given Bundle.
func Write(dir string, b *Bundle) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	files, err := areaFiles(b)
	if err != nil {
		return err
	}
	put := func(name string, fc *geojson.FeatureCollection) error {
		data, err := marshalFC(fc)
		files[name] = data
		return err
	}
	fc := geojson.NewFeatureCollection()
	for _, fa := range b.Facilities {
		f := geojson.NewFeature(fa.Loc)
		f.Properties = geojson.Properties{"kind": string(fa.Kind), "code": fa.Code, "name": fa.Name}
		if fa.Street != "" {
			f.Properties["street_code"] = string(fa.Street)
		}
		if fa.Community != "" {
			f.Properties["community_code"] = string(fa.Community)
		}
		fc.Append(f)
	}
	if err := put(FacilitiesFile, fc); err != nil {
		return err
	}
	files[BuildingsFile] = csvBytes(buildingsHeader, len(b.Buildings), func(i int) []string {
		x := b.Buildings[i]
		return []string{string(x.ID), fmtCoord(x.Loc[0]), fmtCoord(x.Loc[1]), strconv.Itoa(x.Households), x.Address}
	})
	files[PatrolsFile] = csvBytes(patrolsHeader, len(b.Patrols), func(i int) []string {
		x := b.Patrols[i]
		return []string{x.ID, x.Callsign, fmtCoord(x.Loc[0]), fmtCoord(x.Loc[1]), string(x.Street)}
	})
	files[WorkersFile] = csvBytes(workersHeader, len(b.Workers), func(i int) []string {
		x := b.Workers[i]
		return []string{x.ID, x.Name, string(x.Community)}
	})
	files[DepartmentsFile] = csvBytes(departmentsHeader, len(b.Departments), func(i int) []string {
		x := b.Departments[i]
		return []string{x.Code, x.Name}
	})
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// WriteAreas writes only b's district, streets and communities into dir
// (created if missing), as Write writes them, and leaves the other files
// there as they are: a repair changes boundaries and nothing else.
func WriteAreas(dir string, b *Bundle) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	files, err := areaFiles(b)
	if err != nil {
		return err
	}
	for _, name := range []string{DistrictFile, StreetsFile, CommunitiesFile} {
		if err := os.WriteFile(filepath.Join(dir, name), files[name], 0o644); err != nil {
			return err
		}
	}
	return nil
}

// areaFiles is the content of district, streets and communities files.
func areaFiles(b *Bundle) (map[string][]byte, error) {
	files := map[string][]byte{}
	put := func(name string, fc *geojson.FeatureCollection) error {
		data, err := marshalFC(fc)
		files[name] = data
		return err
	}
	fc := geojson.NewFeatureCollection()
	f := geojson.NewFeature(geometry(b.District.Geom))
	f.Properties = geojson.Properties{"code": string(b.District.Code), "name": b.District.Name}
	fc.Append(f)
	if err := put(DistrictFile, fc); err != nil {
		return nil, err
	}
	fc = geojson.NewFeatureCollection()
	for _, s := range b.Streets {
		f := geojson.NewFeature(geometry(s.Geom))
		f.Properties = geojson.Properties{"code": string(s.Code), "name": s.Name}
		fc.Append(f)
	}
	if err := put(StreetsFile, fc); err != nil {
		return nil, err
	}
	fc = geojson.NewFeatureCollection()
	for _, c := range b.Communities {
		f := geojson.NewFeature(geometry(c.Geom))
		f.Properties = geojson.Properties{"code": string(c.Code), "name": c.Name, "street_code": string(c.Street), "kind": string(c.Kind)}
		fc.Append(f)
	}
	if err := put(CommunitiesFile, fc); err != nil {
		return nil, err
	}
	return files, nil
}

// fmtCoord writes a coordinate with 7 decimals (about 1 cm), enough for
// buildings and short enough to keep the bundle small.
func fmtCoord(v float64) string { return strconv.FormatFloat(v, 'f', 7, 64) }

func csvBytes(header []string, n int, row func(int) []string) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write(header)
	for i := 0; i < n; i++ {
		_ = w.Write(row(i))
	}
	w.Flush()
	return buf.Bytes()
}

// marshalFC writes one feature a line so that diffs of a committed bundle
// stay readable.
func marshalFC(fc *geojson.FeatureCollection) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString("{\"type\":\"FeatureCollection\",\"features\":[\n")
	for i, f := range fc.Features {
		data, err := f.MarshalJSON()
		if err != nil {
			return nil, err
		}
		buf.Write(data)
		if i < len(fc.Features)-1 {
			buf.WriteByte(',')
		}
		buf.WriteByte('\n')
	}
	buf.WriteString("]}\n")
	return buf.Bytes(), nil
}

// csvReadProblem is a failed CSV Read as a problem naming the file and the
// line where the bad record (or the unbalanced quote) starts; stop is true
// unless the reader can go on (a wrong field count: the next record is
// still in step; after a syntax error it is not).
func csvReadProblem(file string, data []byte, err error) (p *errs.Error, stop bool) {
	// FieldPos panics after a failed Read; the ParseError has the line.
	line := 0
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		line = pe.Line
		if pe.Err == csv.ErrQuote {
			line = badQuoteLine(data, pe.StartLine, pe.Line)
		}
	}
	stop = pe == nil || pe.Err != csv.ErrFieldCount
	return errs.E(errs.Invalid, fmt.Sprintf("%s:%d", file, line), "%s", csvMsg(err)), stop
}
