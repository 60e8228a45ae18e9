package dispatch

import (
	"errors"
	"math"
	"testing"

	"github.com/gridd/gridd/errs"
)

// FuzzLocate: any coordinates and k give an answer, an Invalid error naming
// lon, lat or k, or an OutsideError; never a panic or another error.
func FuzzLocate(f *testing.F) {
	b, grids := smallDistrict()
	d, err := NewDirectory(b, grids, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(118.605, 32.105, 3)
	f.Add(math.NaN(), 32.1, 1)
	f.Add(118.64, 32.11, 0) // the district's corner
	f.Add(-180.0, 90.0, 50)
	f.Add(118.6, 32.1, -7)
	f.Fuzz(func(t *testing.T, lon, lat float64, k int) {
		a, err := d.Locate(lon, lat, k)
		if err == nil {
			if a == nil || a.Workers == nil || a.Patrols == nil || len(a.Patrols) > k || a.Community.Code.Street() != a.Street.Code {
				t.Fatalf("bad answer %+v", a)
			}
			return
		}
		var oe *OutsideError
		if errors.As(err, &oe) {
			if !errs.Is(err, errs.NotFound) || oe.DistanceM < 0 || math.IsNaN(oe.DistanceM) {
				t.Fatalf("bad outside error %+v", oe)
			}
			return
		}
		e, ok := errs.As(err)
		if !ok || e.Code != errs.Invalid || (e.Field != "lon" && e.Field != "lat" && e.Field != "k") {
			t.Fatalf("unexpected error %v", err)
		}
	})
}
