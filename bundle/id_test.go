package bundle

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadBuildingIDsAsGiven: building ids are opaque strings, kept byte
// for byte (20-digit address codes beyond int64, leading zeros,
// alphanumeric codes); empty ids and ids with spaces are refused naming
// the line and the id field.
func TestReadBuildingIDsAsGiven(t *testing.T) {
	cases := []struct {
		id      string
		wantErr string
	}{
		{"1", ""},
		{"B0000001", ""},
		{"32011100100200001234", ""}, // 20 digits, > MaxInt64
		{"00000000000000000007", ""}, // leading zeros are significant
		{"320111-001-002-0001", ""},
		{"楼A12", ""},
		{"", "buildings.csv:2 id: is empty"},
		{"B 1", `buildings.csv:2 id: "B 1" contains a space`},
		{" 7", `buildings.csv:2 id: " 7" contains a space`},
		{strings.Repeat("9", MaxIDLen+1), "is longer than 64 bytes"},
	}
	for _, c := range cases {
		t.Run(c.id, func(t *testing.T) {
			bs, probs := ReadBuildings(strings.NewReader("id,lon,lat,households,address\n" + c.id + ",118.6,32.1,12,Road 1\n"))
			if c.wantErr != "" {
				if len(probs) != 1 || !strings.Contains(probs[0].Error(), c.wantErr) {
					t.Fatalf("problems %v, want one containing %q", probs, c.wantErr)
				}
				return
			}
			if len(probs) > 0 || len(bs) != 1 {
				t.Fatalf("problems %v, buildings %v", probs, bs)
			}
			if string(bs[0].ID) != c.id {
				t.Fatalf("id %q read as %q", c.id, bs[0].ID)
			}
			dir := t.TempDir()
			if err := Write(dir, &Bundle{Buildings: bs}); err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(filepath.Join(dir, BuildingsFile))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(data), "\n"+c.id+",") {
				t.Fatalf("written back as %q", data)
			}
		})
	}
}

func FuzzParseBuildingID(f *testing.F) {
	for _, s := range []string{"1", "B0000001", "32011100100200001234", "", " 1", "a\x00b", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseBuildingID(s)
		if err != nil {
			return
		}
		if string(id) != s || s == "" || len(s) > MaxIDLen || strings.ContainsAny(s, " \t\r\n\x00") {
			t.Fatalf("accepted %q as %q", s, id)
		}
	})
}
