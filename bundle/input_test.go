package bundle

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gridd/gridd/errs"
)

// okInputs are a clean input of every reader, by parser name.
var okInputs = map[string]string{
	"district": okDistrict, "streets": okStreets, "communities": okCommunities, "facilities": okFacilities,
	"buildings": okBuildings, "patrols": okPatrols, "workers": okWorkers, "departments": okDepartments,
}

// gbk replaces the first non-ASCII character of s by the two GBK bytes of
// 浦 (0xC6 0xD6), as a file saved in a Chinese legacy code page has it, and
// returns the offset of the first bad byte.
func gbk(s string) (string, int) {
	for i, r := range s {
		if r >= utf8.RuneSelf {
			return s[:i] + "\xc6\xd6" + s[i+utf8.RuneLen(r):], i
		}
	}
	panic("no non-ASCII character in " + s)
}

// TestEveryFileUTF8 feeds every reader its clean input as legacy-encoded
// text (refused, naming the file and the byte offset) and with a UTF-8 BOM
// (accepted, same records as without).
func TestEveryFileUTF8(t *testing.T) {
	for name, ok := range okInputs {
		ps := parsers[name]
		t.Run(name, func(t *testing.T) {
			for _, prefix := range []string{"", bom} {
				bad, off := gbk(ok)
				_, probs, _ := ps.parse([]byte(prefix + bad))
				want := fmt.Sprintf("byte offset %d ", off+len(prefix))
				if len(probs) != 1 || !strings.HasPrefix(probs[0].Field, ps.file+":") || !strings.Contains(probs[0].Msg, want) || probs[0].Code != errs.Invalid {
					t.Errorf("GBK text (prefix %q): problems %v, want one naming %s and %q", prefix, probs, ps.file, want)
				}
			}
			b1, probs1, n1 := ps.parse([]byte(ok))
			b2, probs2, n2 := ps.parse([]byte(bom + ok))
			if len(probs1)+len(probs2) > 0 || n1 != n2 || fmt.Sprint(b1) != fmt.Sprint(b2) {
				t.Errorf("with a BOM: %v (%d records), without: %v (%d records)", probs2, n2, probs1, n1)
			}
			// A BOM is accepted once, at the start only.
			if _, probs, _ := ps.parse([]byte(bom + bom + ok)); len(probs) == 0 {
				t.Errorf("two BOMs accepted")
			}
		})
	}
}

// TestJSONSyntaxLineColumn wants a JSON syntax error named by line and
// column, counted in characters.
func TestJSONSyntaxLineColumn(t *testing.T) {
	for _, tc := range []struct {
		name, input string
		field       string
	}{
		{"stray character", "{\"type\":\"FeatureCollection\",\n \"features\":[\n  {\"type\":\"Feature\", x}\n]}", "district.geojson:3:22"},
		{"after CJK text", "{\"type\":\"FeatureCollection\",\"features\":[{\"properties\":{\"name\":\"浦口区\"}]}", "district.geojson:1:69"},
		{"truncated", "{\"type\":\"FeatureCollection\",\n\"features\":[\n\n", "district.geojson:2:13"},
		{"with BOM", bom + "{\n\n  ]", "district.geojson:3:3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, probs := ReadDistrict(strings.NewReader(tc.input))
			if len(probs) != 1 || probs[0].Field != tc.field || !strings.Contains(probs[0].Msg, "JSON syntax error at line") {
				t.Fatalf("problems %v, want one at %s", probs, tc.field)
			}
		})
	}
}

// TestCSVQuoteLine wants an unbalanced quote reported on the line where
// the bad field starts, not where the reader gave up (the end of the file).
func TestCSVQuoteLine(t *testing.T) {
	var rows strings.Builder
	rows.WriteString("id,lon,lat,households,address\n")
	for i := 1; i <= 30; i++ {
		fmt.Fprintf(&rows, "%d,118.6,32.0,1,路%d号\n", i, i)
	}
	good := rows.String()
	lines := strings.SplitAfter(good, "\n")
	with := func(line int, s string) string { // replace 1-based line
		l := append([]string(nil), lines...)
		l[line-1] = s
		return strings.Join(l, "")
	}
	for _, tc := range []struct {
		name, input string
		line        int
	}{
		{"open quote on line 8", with(8, "7,118.6,32.0,1,\"路7号\n"), 8},
		{"open quote in the first field", with(5, "\"4,118.6,32.0,1,路4号\n"), 5},
		{"quote closed later, then text", with(8, "7,118.6,32.0,1,\"路7号\n") + "x\"y\n", 8},
		{"after a multi-line field of the same record", with(10, "9,118.6,32.0,\"1\n\",\"路9号\n"), 11},
		{"escaped quotes before the open one", with(12, "11,118.6,32.0,1,\"a\"\"b\"\"\n"), 12},
		{"CRLF line ends", strings.ReplaceAll(with(6, "5,118.6,32.0,1,\"路5号\n"), "\n", "\r\n"), 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, probs := ReadBuildings(strings.NewReader(tc.input))
			want := fmt.Sprintf("%s:%d", BuildingsFile, tc.line)
			if len(probs) == 0 || probs[0].Field != want {
				t.Fatalf("problems %v, want the first at %s", probs, want)
			}
		})
	}
	if _, probs := ReadBuildings(strings.NewReader(good)); len(probs) > 0 {
		t.Fatalf("clean file: %v", probs)
	}
}

// TestFileSizeCap wants every file larger than 512 MB refused as TooLarge
// naming it, without being read (sparse files cost no disk or memory), and
// a stream without a size cut off one byte past the limit.
func TestFileSizeCap(t *testing.T) {
	dir := t.TempDir()
	if err := Write(dir, cleanBundle(t)); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{DistrictFile, StreetsFile, CommunitiesFile, BuildingsFile, FacilitiesFile, PatrolsFile, WorkersFile, DepartmentsFile} {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(dir, name)
			orig, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			defer os.WriteFile(p, orig, 0o644)
			if err := os.Truncate(p, maxFile+1); err != nil {
				t.Fatal(err)
			}
			_, err = Read(dir)
			var l errs.List
			if !errors.As(err, &l) {
				t.Fatalf("Read = %v, want an errs.List", err)
			}
			found := false
			for _, p := range l {
				found = found || (p.Code == errs.TooLarge && p.Field == name && strings.Contains(p.Msg, "512 MB"))
			}
			if !found {
				t.Fatalf("no TooLarge problem naming %s in %v", name, l)
			}
		})
	}
	for _, tc := range []struct {
		size  int64
		large bool
	}{{99, false}, {100, false}, {101, true}, {1 << 20, true}} {
		data, e := readInputMax(BuildingsFile, io.LimitReader(endless{}, tc.size), 100)
		if tc.large != (e != nil && e.Code == errs.TooLarge) || (!tc.large && int64(len(data)) != tc.size) {
			t.Errorf("%d bytes, limit 100: %d bytes read, %v", tc.size, len(data), e)
		}
	}
	if _, e := readInputMax(BuildingsFile, endless{}, 1000); e == nil || e.Code != errs.TooLarge || e.Field != BuildingsFile {
		t.Errorf("endless stream: %v", e)
	}
}

// endless is a never-ending CSV body.
type endless struct{}

func (endless) Read(p []byte) (int, error) {
	const row = "1,118.6,32.0,1,x\n"
	for i := range p {
		p[i] = row[i%len(row)]
	}
	return len(p), nil
}

// cleanBundle is the parsers' clean inputs as one Bundle.
func cleanBundle(t *testing.T) *Bundle {
	t.Helper()
	b := &Bundle{}
	for name, data := range okInputs {
		x, probs, _ := parsers[name].parse([]byte(data))
		if len(probs) > 0 {
			t.Fatal(probs)
		}
		mergeInto(b, x)
	}
	return b
}

// FuzzBadQuoteLine: for any CSV that encoding/csv rejects with ErrQuote,
// the reported line lies between the record's first line and the line
// where the reader gave up, and the scan never panics.
func FuzzBadQuoteLine(f *testing.F) {
	f.Add([]byte("a,b\n1,\"x\n2,y\n"))
	f.Add([]byte("a,b\n\"1\n\",\"x\"y\n"))
	f.Add([]byte("a,b\r\n1,\"x\"\"\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cr := csv.NewReader(bytes.NewReader(data))
		cr.FieldsPerRecord = -1
		for {
			_, err := cr.Read()
			if err == nil {
				continue
			}
			var pe *csv.ParseError
			if errors.As(err, &pe) && pe.Err == csv.ErrQuote {
				if l := badQuoteLine(data, pe.StartLine, pe.Line); l < pe.StartLine || l > pe.Line {
					t.Fatalf("line %d outside %d..%d", l, pe.StartLine, pe.Line)
				}
			}
			return
		}
	})
}
