package bundle

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/errs"
)

// The parsers' contract, checked on table inputs and by fuzzing: never
// panic; every problem names the file (and feature or line); a parse with
// no problems yields only valid values (codes parse, kinds known,
// coordinates finite, households ≥ 1) and survives Write and a re-read
// unchanged (CSV coordinates to Write's 7 decimals).

const (
	okDistrict    = `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"320111","name":"浦口区"},"geometry":{"type":"Polygon","coordinates":[[[118.6,32],[118.62,32],[118.62,32.02],[118.6,32.02],[118.6,32]]]}}]}`
	okStreets     = `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"320111001","name":"泰山街道"},"geometry":{"type":"MultiPolygon","coordinates":[[[[118.6,32],[118.62,32],[118.62,32.02],[118.6,32]]],[[[119,32],[119.1,32],[119.1,32.1],[119,32]]]]}}]}`
	okCommunities = `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"320111001005","name":"津浦社区","street_code":"320111001","kind":"urban"},"geometry":{"type":"Polygon","coordinates":[[[118.6,32],[118.62,32],[118.62,32.02],[118.6,32]],[[118.61,32.001],[118.615,32.001],[118.615,32.005],[118.61,32.001]]]}}]}`
	okFacilities  = `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"kind":"centre","code":"CC","name":"中心"},"geometry":{"type":"Point","coordinates":[118.6,32]}},{"type":"Feature","properties":{"kind":"workstation","code":"WS1","name":"站","street_code":"320111001","community_code":"320111001005"},"geometry":{"type":"Point","coordinates":[118.61,32.01]}}]}`
	okBuildings   = "id,lon,lat,households,address\n1,118.6012345,32.0012345,12,江浦路1号\n2,118.61,32.01,1,\"浦珠路2号,东\"\n"
	okPatrols     = "id,callsign,lon,lat,street_code\nPT001,泰山巡01,118.6,32.0,320111001\n"
	okWorkers     = "id,name,community_code\nW0001,王芳,320111001005\n"
	okDepartments = "code,name\nDEPT-UM,浦口区城市管理局\n"
)

// parser is one file's reader, with what it returned wrapped as a Bundle.
type parser struct {
	file  string
	parse func(data []byte) (*Bundle, errs.List, int)
}

var parsers = map[string]parser{
	"district": {DistrictFile, func(d []byte) (*Bundle, errs.List, int) {
		x, p := ReadDistrict(bytes.NewReader(d))
		return &Bundle{District: x}, p, 1
	}},
	"streets": {StreetsFile, func(d []byte) (*Bundle, errs.List, int) {
		x, p := ReadStreets(bytes.NewReader(d))
		return &Bundle{Streets: x}, p, len(x)
	}},
	"communities": {CommunitiesFile, func(d []byte) (*Bundle, errs.List, int) {
		x, p := ReadCommunities(bytes.NewReader(d))
		return &Bundle{Communities: x}, p, len(x)
	}},
	"facilities": {FacilitiesFile, func(d []byte) (*Bundle, errs.List, int) {
		x, p := ReadFacilities(bytes.NewReader(d))
		return &Bundle{Facilities: x}, p, len(x)
	}},
	"buildings": {BuildingsFile, func(d []byte) (*Bundle, errs.List, int) {
		x, p := ReadBuildings(bytes.NewReader(d))
		return &Bundle{Buildings: x}, p, len(x)
	}},
	"patrols": {PatrolsFile, func(d []byte) (*Bundle, errs.List, int) {
		x, p := ReadPatrols(bytes.NewReader(d))
		return &Bundle{Patrols: x}, p, len(x)
	}},
	"workers": {WorkersFile, func(d []byte) (*Bundle, errs.List, int) {
		x, p := ReadWorkers(bytes.NewReader(d))
		return &Bundle{Workers: x}, p, len(x)
	}},
	"departments": {DepartmentsFile, func(d []byte) (*Bundle, errs.List, int) {
		x, p := ReadDepartments(bytes.NewReader(d))
		return &Bundle{Departments: x}, p, len(x)
	}},
}

// checkParse asserts the parser contract on one input.
func checkParse(t *testing.T, name string, data []byte) {
	t.Helper()
	ps := parsers[name]
	b, probs, _ := ps.parse(data)
	for _, p := range probs {
		if p == nil || !strings.HasPrefix(p.Field, ps.file) || p.Msg == "" {
			t.Fatalf("problem %v does not name %s and a reason", p, ps.file)
		}
		if p.Code != errs.Invalid && p.Code != errs.TooLarge {
			t.Fatalf("problem %v has code %s", p, p.Code)
		}
	}
	if len(probs) > 0 {
		return
	}
	validParsed(t, b)
	// Round trip: write the parsed values and read the file back.
	dir := t.TempDir()
	if name != "district" {
		b.District = District{Code: "320111", Geom: orb.MultiPolygon{{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}}}
	}
	if err := Write(dir, b); err != nil {
		t.Fatalf("Write: %v", err)
	}
	again, err := os.ReadFile(filepath.Join(dir, ps.file))
	if err != nil {
		t.Fatal(err)
	}
	b2, probs2, _ := ps.parse(again)
	if len(probs2) > 0 {
		t.Fatalf("re-reading what Write wrote: %v\n%s", probs2, again)
	}
	if name != "district" {
		b2.District = b.District
	}
	roundCSV(b)
	if !reflect.DeepEqual(b, b2) {
		t.Fatalf("round trip changed the data:\nbefore %+v\nafter  %+v", b, b2)
	}
}

// roundCSV rounds CSV coordinates as Write does.
func roundCSV(b *Bundle) {
	r := func(p orb.Point) orb.Point {
		return orb.Point{mustFloat(fmtCoord(p[0])), mustFloat(fmtCoord(p[1]))}
	}
	for i := range b.Buildings {
		b.Buildings[i].Loc = r(b.Buildings[i].Loc)
	}
	for i := range b.Patrols {
		b.Patrols[i].Loc = r(b.Patrols[i].Loc)
	}
}

func mustFloat(s string) float64 {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		panic(err)
	}
	return v
}

func validParsed(t *testing.T, b *Bundle) {
	t.Helper()
	pt := func(p orb.Point) {
		if finitePoint(p) != nil {
			t.Fatalf("accepted bad point %v", p)
		}
	}
	mp := func(m orb.MultiPolygon) {
		for _, p := range m {
			for _, r := range p {
				for _, q := range r {
					pt(q)
				}
			}
		}
	}
	mp(b.District.Geom)
	for _, s := range b.Streets {
		if _, err := ParseStreetCode(string(s.Code)); err != nil {
			t.Fatalf("accepted street code %q", s.Code)
		}
		mp(s.Geom)
	}
	for _, c := range b.Communities {
		if _, err := ParseCommunityCode(string(c.Code)); err != nil || !c.Kind.Valid() {
			t.Fatalf("accepted community %+v", c)
		}
		mp(c.Geom)
	}
	for _, f := range b.Facilities {
		if !f.Kind.Valid() || f.Code == "" {
			t.Fatalf("accepted facility %+v", f)
		}
		pt(f.Loc)
	}
	for _, bl := range b.Buildings {
		if bl.ID.Validate() != nil || bl.Households < 1 || strings.TrimSpace(bl.Address) == "" {
			t.Fatalf("accepted building %+v", bl)
		}
		pt(bl.Loc)
	}
	for _, p := range b.Patrols {
		pt(p.Loc)
	}
}

func TestParsers(t *testing.T) {
	for _, tc := range []struct {
		parser, name, input string
		want                string // "" = no problems; else a substring of the first problem
		n                   int    // records parsed when clean
	}{
		{"district", "ok", okDistrict, "", 1},
		{"district", "two features", `{"type":"FeatureCollection","features":[` + oneFeature(okDistrict) + "," + oneFeature(okDistrict) + `]}`, "has 2 features", 0},
		{"district", "bad code", strings.Replace(okDistrict, `"320111"`, `"32011"`, 1), "district.geojson: feature 0", 0},
		{"district", "not json", "{", "not a GeoJSON FeatureCollection", 0},
		{"district", "open ring", strings.Replace(okDistrict, `[118.6,32]]]}`, `[118.6,32.01]]]}`, 1), "not closed", 0},
		{"district", "point", `{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"320111"},"geometry":{"type":"Point","coordinates":[1,2]}}]}`, "want Polygon or MultiPolygon", 0},
		{"streets", "ok multipolygon", okStreets, "", 1},
		{"streets", "lat out of range", strings.Replace(okStreets, "[119.1,32.1]", "[119.1,92.1]", 1), "streets.geojson: feature 0", 0},
		{"streets", "short ring", strings.Replace(okStreets, `[[[118.6,32],[118.62,32],[118.62,32.02],[118.6,32]]]`, `[[[118.6,32],[118.62,32],[118.6,32]]]`, 1), "at least 4", 0},
		{"communities", "ok with hole", okCommunities, "", 1},
		{"communities", "bad kind", strings.Replace(okCommunities, `"urban"`, `"town"`, 1), `kind "town"`, 0},
		{"communities", "missing street", strings.Replace(okCommunities, `"street_code":"320111001",`, "", 1), "street_code", 0},
		{"facilities", "ok", okFacilities, "", 2},
		{"facilities", "workstation without community", strings.Replace(okFacilities, `,"community_code":"320111001005"`, "", 1), "needs community_code", 0},
		{"facilities", "polygon", strings.Replace(okFacilities, `{"type":"Point","coordinates":[118.6,32]}`, `{"type":"LineString","coordinates":[[1,2],[3,4]]}`, 1), "must be a Point", 0},
		{"buildings", "ok", okBuildings, "", 2},
		{"buildings", "bom", "\ufeff" + okBuildings, "", 2},
		{"buildings", "bad header", strings.Replace(okBuildings, "households", "hh", 1), "buildings.csv:1", 0},
		{"buildings", "zero households", strings.Replace(okBuildings, ",12,", ",0,", 1), "buildings.csv:2 households", 0},
		{"buildings", "NaN", strings.Replace(okBuildings, "118.6012345", "NaN", 1), "not finite", 0},
		{"buildings", "fields", okBuildings + "3,1,2\n", "buildings.csv:4", 0},
		{"buildings", "empty", "", "empty file", 0},
		{"buildings", "newline in address", okBuildings + "3,118.6,32.0,1,\"a\nb\"\n", "buildings.csv:4 address", 0},
		{"buildings", "bad UTF-8 in address", okBuildings + "3,118.6,32.0,1,a\xffb\n", "buildings.csv:4:17: byte offset 125", 0},
		{"streets", "control character in name", strings.Replace(okStreets, "泰山街道", `泰山\u0007`, 1), "streets.geojson: feature 0: name", 0},
		{"patrols", "ok", okPatrols, "", 1},
		{"patrols", "bad street", strings.Replace(okPatrols, "320111001", "3201110", 1), "patrols.csv:2 street_code", 0},
		{"workers", "ok", okWorkers, "", 1},
		{"workers", "bad community", strings.Replace(okWorkers, "320111001005", "x", 1), "workers.csv:2 community_code", 0},
		{"workers", "empty id", strings.Replace(okWorkers, "W0001", "", 1), "workers.csv:2 id", 0},
		{"departments", "ok", okDepartments, "", 1},
		{"departments", "empty name", "code,name\nDEPT-X,\n", "departments.csv:2 name", 0},
	} {
		t.Run(tc.parser+"/"+tc.name, func(t *testing.T) {
			_, probs, n := parsers[tc.parser].parse([]byte(tc.input))
			if tc.want == "" {
				if len(probs) > 0 {
					t.Fatalf("problems: %v", probs)
				}
				if n != tc.n {
					t.Errorf("parsed %d records, want %d", n, tc.n)
				}
			} else if len(probs) == 0 || !strings.Contains(probs[0].Error(), tc.want) {
				t.Fatalf("problems %v, want one containing %q", probs, tc.want)
			}
			checkParse(t, tc.parser, []byte(tc.input))
		})
	}
}

func oneFeature(fc string) string {
	return strings.TrimSuffix(strings.TrimPrefix(fc, `{"type":"FeatureCollection","features":[`), "]}")
}

func fuzzParser(f *testing.F, name string, seeds ...string) {
	// Every reader also starts from its clean input with a BOM, in a
	// legacy encoding and with a quote or bracket left open.
	ok := seeds[0]
	bad, _ := gbk(ok)
	seeds = append(seeds, bom+ok, bad, bom+bom+ok, ok[:len(ok)/2]+`"`+ok[len(ok)/2:], strings.Replace(ok, "\n", "\r\n", -1))
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkParse(t, name, data) })
}

func FuzzReadDistrict(f *testing.F) {
	fuzzParser(f, "district", okDistrict, "{}", `{"type":"FeatureCollection","features":[]}`)
}
func FuzzReadStreets(f *testing.F) { fuzzParser(f, "streets", okStreets, okDistrict) }
func FuzzReadCommunities(f *testing.F) {
	fuzzParser(f, "communities", okCommunities, okStreets)
}
func FuzzReadFacilities(f *testing.F) { fuzzParser(f, "facilities", okFacilities) }
func FuzzReadBuildings(f *testing.F) {
	fuzzParser(f, "buildings", okBuildings, "id,lon,lat,households,address\n")
}
func FuzzReadPatrols(f *testing.F) { fuzzParser(f, "patrols", okPatrols) }
func FuzzReadWorkers(f *testing.F) { fuzzParser(f, "workers", okWorkers) }
func FuzzReadDepartments(f *testing.F) {
	fuzzParser(f, "departments", okDepartments)
}

// TestReadWriteRoundTrip writes a whole bundle, reads it back with Read
// and ReadFS, and wants it unchanged and the second write byte-identical.
func TestReadWriteRoundTrip(t *testing.T) {
	in := &Bundle{}
	for name, data := range map[string]string{"district": okDistrict, "streets": okStreets, "communities": okCommunities,
		"facilities": okFacilities, "buildings": okBuildings, "patrols": okPatrols, "workers": okWorkers, "departments": okDepartments} {
		b, probs, _ := parsers[name].parse([]byte(data))
		if len(probs) > 0 {
			t.Fatal(probs)
		}
		mergeInto(in, b)
	}
	dir := t.TempDir()
	if err := Write(dir, in); err != nil {
		t.Fatal(err)
	}
	out, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	roundCSV(in)
	if !reflect.DeepEqual(in, out) {
		t.Fatalf("round trip changed the bundle:\n%+v\n%+v", in, out)
	}
	out2, err := ReadFS(os.DirFS(filepath.Dir(dir)), filepath.Base(dir))
	if err != nil || !reflect.DeepEqual(out, out2) {
		t.Fatalf("ReadFS differs from Read: %v", err)
	}
	dir2 := t.TempDir()
	if err := Write(dir2, out); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{DistrictFile, StreetsFile, CommunitiesFile, BuildingsFile, FacilitiesFile, PatrolsFile, WorkersFile, DepartmentsFile} {
		a, _ := os.ReadFile(filepath.Join(dir, name))
		b, _ := os.ReadFile(filepath.Join(dir2, name))
		if !bytes.Equal(a, b) {
			t.Errorf("%s: second write differs", name)
		}
	}
	// A missing file is a problem naming it, and nothing is returned.
	os.Remove(filepath.Join(dir, WorkersFile))
	if b, err := Read(dir); b != nil || err == nil || !strings.Contains(err.Error(), WorkersFile) {
		t.Errorf("Read without workers.csv = %v, %v", b, err)
	}
	var l errs.List
	if _, err := Read(dir); !errors.As(err, &l) || len(l) != 1 {
		t.Errorf("want one problem in an errs.List, got %v", err)
	}
}

func mergeInto(dst, src *Bundle) {
	if src.District.Code != "" {
		dst.District = src.District
	}
	dst.Streets = append(dst.Streets, src.Streets...)
	dst.Communities = append(dst.Communities, src.Communities...)
	dst.Buildings = append(dst.Buildings, src.Buildings...)
	dst.Facilities = append(dst.Facilities, src.Facilities...)
	dst.Patrols = append(dst.Patrols, src.Patrols...)
	dst.Workers = append(dst.Workers, src.Workers...)
	dst.Departments = append(dst.Departments, src.Departments...)
}
