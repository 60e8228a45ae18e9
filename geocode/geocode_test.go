package geocode

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/fixtures"
)

// testBuildings: two roads with gaps in their numbers, one address with a
// building part, one that does not parse.
func testBuildings() []bundle.Building {
	var bs []bundle.Building
	add := func(addr string, x, y float64) {
		bs = append(bs, bundle.Building{ID: bundle.BuildingID(strconv.Itoa(len(bs) + 1)), Loc: orb.Point{x, y}, Households: 1, Address: addr})
	}
	for _, n := range []int{1, 3, 4, 8, 20} {
		add(fmt.Sprintf("江浦路%d号", n), 118.6+float64(n)*1e-4, 32.1)
	}
	for _, n := range []int{2, 6} {
		add(fmt.Sprintf("珠泉东路%d号", n), 118.7, 32.0+float64(n)*1e-4)
	}
	add("Ａ座大厦", 118.8, 32.2)
	return bs
}

func TestLocate(t *testing.T) {
	x := New(testBuildings())
	for _, tc := range []struct {
		addr   string
		method Method
		id     int64
		score  float64
	}{
		{"江浦路3号", Exact, 2, 1},
		{" 江浦路 ３ 號 ", Exact, 2, 1},
		{"江浦路3号2幢", Exact, 2, 1},
		{"江浦路3号2栋", Exact, 2, 1},
		{"a座大厦", Exact, 8, 1},
		{"江浦路5号", Near, 3, 0.88}, // 4 and 8: 4 nearer
		{"江浦路6号", Near, 3, 0.86}, // 4 and 8 tie: the lower
		{"江浦路100号", Near, 5, 0.5},
		{"江浦路", Near, 1, 0.5},
		{"珠泉路6号", Fuzzy, 7, 0}, // a character missing
	} {
		m, err := x.Locate(tc.addr)
		if err != nil {
			t.Errorf("%q: %v", tc.addr, err)
			continue
		}
		if m.Method != tc.method || m.Building != bundle.BuildingID(strconv.FormatInt(tc.id, 10)) {
			t.Errorf("%q: got %s building %s, want %s %d", tc.addr, m.Method, m.Building, tc.method, tc.id)
		}
		if tc.method != Fuzzy && abs(m.Score-tc.score) > 1e-9 {
			t.Errorf("%q: score %v, want %v", tc.addr, m.Score, tc.score)
		}
		if tc.method == Fuzzy && (m.Score <= 0 || m.Score >= 0.9) {
			t.Errorf("%q: fuzzy score %v", tc.addr, m.Score)
		}
	}
	for _, addr := range []string{"", "   ", "完全无关的地方7号"} {
		_, err := x.Locate(addr)
		if !errs.Is(err, errs.Invalid) && !errs.Is(err, errs.NotFound) {
			t.Errorf("%q: %v", addr, err)
		}
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"江浦路１２號３幢":    "江浦路12号3栋",
		"Ａｂ　Ｃ":        "abc",
		"\t江浦 路 1号\n": "江浦路1号",
	} {
		if got := Normalize(in); got != want {
			t.Errorf("%q: got %q want %q", in, got, want)
		}
	}
}

// TestPukouAddresses: every generated Pukou address locates its own
// building exactly (or a building at the same standard address), also
// written in full-width digits.
func TestPukouAddresses(t *testing.T) {
	b, err := fixtures.Pukou(1)
	if err != nil {
		t.Skipf("no Pukou fixture: %v", err)
	}
	x := New(b.Buildings)
	for i, bl := range b.Buildings {
		if i%7 != 0 {
			continue
		}
		full := strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r + 0xFEE0
			}
			return r
		}, bl.Address)
		m, err := x.Locate(full)
		if err != nil || m.Method != Exact || m.Address != bl.Address {
			t.Fatalf("%q: %+v %v", full, m, err)
		}
	}
}

func FuzzLocate(f *testing.F) {
	x := New(testBuildings())
	for _, s := range []string{"江浦路3号", "号", "1号", "江浦路999999999999号", "珠泉路", "\xff号"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := x.Locate(s)
		if err != nil {
			if c := errs.CodeOf(err); c != errs.Invalid && c != errs.NotFound {
				t.Fatalf("code %s", c)
			}
			return
		}
		if n, _ := strconv.Atoi(string(m.Building)); n < 1 || n > 8 || !(m.Score > 0 && m.Score <= 1) {
			t.Fatalf("%q: %+v", s, m)
		}
	})
}

func BenchmarkLocate(b *testing.B) {
	bd, err := fixtures.Pukou(1)
	if err != nil {
		b.Skip(err)
	}
	x := New(bd.Buildings)
	addrs := []string{bd.Buildings[100].Address, strings.Replace(bd.Buildings[200].Address, "号", "號", 1), "浦口大道9999号", "完全无关7号"}
	for _, a := range addrs {
		b.Run(a, func(b *testing.B) {
			for b.Loop() {
				_, _ = x.Locate(a)
			}
		})
	}
}
