package sqlstore

import (
	"errors"
	"reflect"
	"testing"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/errs"
)

func TestInList(t *testing.T) {
	for _, c := range []struct {
		first    int
		codes    []bundle.GridCode
		want     string
		wantArgs []any
	}{
		{2, []bundle.GridCode{"a"}, "code IN ($2)", []any{"a"}},
		{3, []bundle.GridCode{"a", "b", "c"}, "code IN ($3, $4, $5)", []any{"a", "b", "c"}},
	} {
		got, args := InList("code", c.first, c.codes)
		if got != c.want || !reflect.DeepEqual(args, c.wantArgs) {
			t.Errorf("InList(%d, %v) = %q %v, want %q %v", c.first, c.codes, got, args, c.want, c.wantArgs)
		}
	}
}

func TestInChunks(t *testing.T) {
	codes := make([]bundle.GridCode, 2*chunk+1)
	var sizes []int
	if err := inChunks(codes, func(c []bundle.GridCode) error { sizes = append(sizes, len(c)); return nil }); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(sizes, []int{chunk, chunk, 1}) {
		t.Fatalf("chunks of %v", sizes)
	}
	stop := errors.New("stop")
	calls := 0
	if err := inChunks(codes, func([]bundle.GridCode) error { calls++; return stop }); !errors.Is(err, stop) || calls != 1 {
		t.Fatalf("%d calls, %v: the first error does not stop", calls, err)
	}
}

func TestMultiAndPoint(t *testing.T) {
	square := orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}
	decodeTo := func(g orb.Geometry) func([]byte) (orb.Geometry, error) {
		return func([]byte) (orb.Geometry, error) { return g, nil }
	}
	for _, c := range []struct {
		g         orb.Geometry
		multi, pt bool
	}{
		{orb.MultiPolygon{square}, true, false},
		{square, true, false},
		{orb.Point{1, 2}, false, true},
		{orb.LineString{{0, 0}, {1, 1}}, false, false},
	} {
		m, err := Multi(decodeTo(c.g))(nil)
		if c.multi != (err == nil) || (err != nil && !errs.Is(err, errs.Internal)) || (c.multi && len(m) != 1) {
			t.Errorf("Multi(%s) = %v, %v", c.g.GeoJSONType(), m, err)
		}
		p, err := Point(decodeTo(c.g))(nil)
		if c.pt != (err == nil) || (err != nil && !errs.Is(err, errs.Internal)) || (c.pt && p != (orb.Point{1, 2})) {
			t.Errorf("Point(%s) = %v, %v", c.g.GeoJSONType(), p, err)
		}
	}
	bad := errors.New("bad blob")
	if _, err := Multi(func([]byte) (orb.Geometry, error) { return nil, bad })(nil); !errors.Is(err, bad) {
		t.Errorf("Multi kept %v, want the decoder's error", err)
	}
}
