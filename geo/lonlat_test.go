package geo

import (
	"math"
	"strings"
	"testing"

	"github.com/gridd/gridd/errs"
)

func TestCheckLonLat(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	for _, tc := range []struct {
		lon, lat float64
		field    string // "" = valid
		msg      string
	}{
		{118.6, 32, "", ""},
		{-180, -90, "", ""},
		{180, 90, "", ""},
		{math.Nextafter(180, 200), 0, "lon", "outside lon [-180, 180]"},
		{0, math.Nextafter(-90, -100), "lat", "outside"},
		{nan, 32, "lon", "not finite"},
		{118, nan, "lat", "not finite"},
		{-inf, 32, "lon", "not finite"},
		{118, inf, "lat", "not finite"},
		{nan, nan, "lon", "not finite"},
		{200, nan, "lat", "not finite"}, // non-finite first: the worse fault
	} {
		err := CheckLonLat(tc.lon, tc.lat)
		if tc.field == "" {
			if err != nil {
				t.Errorf("(%v, %v): %v", tc.lon, tc.lat, err)
			}
			continue
		}
		e, ok := errs.As(err)
		if !ok || e.Code != errs.Invalid || e.Field != tc.field || !strings.Contains(e.Msg, tc.msg) {
			t.Errorf("(%v, %v): %v, want invalid %s containing %q", tc.lon, tc.lat, err, tc.field, tc.msg)
		}
	}
	if n := testing.AllocsPerRun(100, func() { _ = CheckLonLat(118.6, 32) }); n != 0 {
		t.Errorf("a valid point allocates %v times", n)
	}
}

func TestValidLonLatAgreesWithCheck(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	for _, c := range [][2]float64{{0, 0}, {180, 90}, {-180, -90}, {180.0000001, 0}, {0, -90.0000001}, {nan, 0}, {0, nan}, {inf, 0}, {0, -inf}, {118.6, 32.1}} {
		if got, want := ValidLonLat(c[0], c[1]), CheckLonLat(c[0], c[1]) == nil; got != want {
			t.Errorf("ValidLonLat(%v, %v) = %v, CheckLonLat says %v", c[0], c[1], got, want)
		}
	}
}
