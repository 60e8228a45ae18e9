package main

import (
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/internal/clip"
)

// testGDALWhere runs ogrinfo -where on the grids and checks that GDAL sent
// the attribute filter to the server as a CQL2 filter (its debug log shows
// the request) and read exactly the grids the filter selects.
func testGDALWhere(t *testing.T, run func(string, ...string) string, ogrinfo, src string, grids []gridplan.Grid) {
	var hh []int
	for _, g := range grids {
		hh = append(hh, g.Households)
	}
	sort.Ints(hh)
	cut := hh[len(hh)/2] // about half the grids have more
	for _, tc := range []struct {
		where string
		keep  func(g gridplan.Grid) bool
	}{
		{"households > " + itoa(cut), func(g gridplan.Grid) bool { return g.Households > cut }},
		{"kind = 'rural' AND households <= " + itoa(cut), func(g gridplan.Grid) bool { return string(g.Kind) == "rural" && g.Households <= cut }},
	} {
		var want []string
		for _, g := range grids {
			if tc.keep(g) {
				want = append(want, string(g.Code))
			}
		}
		sort.Strings(want)
		out := run(ogrinfo, "-ro", "-al", "-geom=NO", "--debug", "on", "-where", tc.where, src, "grids")
		var got []string
		for _, m := range regexp.MustCompile(`(?m)^\s+code \(String\) = (\d+)`).FindAllStringSubmatch(out, -1) {
			got = append(got, m[1])
		}
		sort.Strings(got)
		if strings.Join(got, ",") != strings.Join(want, ",") || len(want) == 0 {
			t.Errorf("-where %q: GDAL read %d grids, the plan has %d matching", tc.where, len(got), len(want))
		}
		if !regexp.MustCompile(`items\?[^\s]*filter=`).MatchString(out) {
			t.Errorf("-where %q was not sent to the server as a filter:\n%s", tc.where, clip.Text(out, 3000))
		}
	}
}

func itoa(n int) string {
	s := ""
	if n == 0 {
		return "0"
	}
	for ; n > 0; n /= 10 {
		s = string(rune('0'+n%10)) + s
	}
	return s
}
