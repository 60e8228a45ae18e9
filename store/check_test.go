package store

import (
	"context"
	"errors"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/errs"
)

// wantField checks err is an Invalid error on field (or nil when field is "").
func wantField(t *testing.T, err error, field string) {
	t.Helper()
	if field == "" {
		if err != nil {
			t.Fatalf("got %v, want no error", err)
		}
		return
	}
	e, ok := errs.As(err)
	if !ok || e.Code != errs.Invalid || e.Field != field {
		t.Fatalf("got %v, want an Invalid error on %q", err, field)
	}
}

func square() orb.MultiPolygon {
	return orb.MultiPolygon{{{{118.6, 32.0}, {118.7, 32.0}, {118.7, 32.1}, {118.6, 32.0}}}}
}

func TestCheckQuery(t *testing.T) {
	tests := []struct {
		name  string
		q     Query
		field string
	}{
		{"ok", Query{Layer: Grids, Filters: map[string]string{"households": "3"}, BBox: &orb.Bound{Min: orb.Point{118, 31}, Max: orb.Point{119, 32}}}, ""},
		{"unknown layer", Query{Layer: "roads"}, "layer"},
		{"negative limit", Query{Layer: Streets, Limit: -1}, "limit"},
		{"negative offset", Query{Layer: Streets, Offset: -1}, "limit"},
		{"negative plan", Query{Layer: Grids, Plan: -2}, "plan"},
		{"inverted bbox", Query{Layer: Streets, BBox: &orb.Bound{Min: orb.Point{119, 31}, Max: orb.Point{118, 32}}}, "bbox"},
		{"NaN bbox", Query{Layer: Streets, BBox: &orb.Bound{Min: orb.Point{math.NaN(), 31}, Max: orb.Point{118, 32}}}, "bbox"},
		{"unknown property", Query{Layer: Streets, Filters: map[string]string{"households": "3"}}, "filter.households"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := CheckQuery(tc.q)
			wantField(t, err, tc.field)
			if err == nil && s.Layer != tc.q.Layer {
				t.Fatalf("schema of %s, want %s", s.Layer, tc.q.Layer)
			}
		})
	}
}

func TestCheckBundle(t *testing.T) {
	wantField(t, CheckBundle(nil), "bundle")
	if err := CheckBundle(&bundle.Bundle{}); errs.CodeOf(err) != errs.Invalid {
		t.Fatalf("empty bundle: %v, want Invalid", err)
	}
}

func TestNow(t *testing.T) {
	n := Now()
	if n.Location() != time.UTC || n.Nanosecond()%1000 != 0 {
		t.Fatalf("Now() = %v, want UTC in whole microseconds", n)
	}
	if d := time.Since(n); d < 0 || d > time.Minute {
		t.Fatalf("Now() is %v away from the clock", d)
	}
}

func TestCommonErr(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	domain := errs.E(errs.Conflict, "x", "taken")
	driver := errors.New("driver says no")
	tests := []struct {
		name     string
		ctx      context.Context
		err      error
		want     errs.Code // "" means not classified (nil)
		isCancel bool
	}{
		{"nil", context.Background(), nil, "", false},
		{"domain error kept", cancelled, fmt.Errorf("wrapped: %w", domain), errs.Conflict, false},
		{"context done", cancelled, driver, errs.Unavailable, true},
		{"deadline from the driver", context.Background(), fmt.Errorf("x: %w", context.DeadlineExceeded), errs.Unavailable, false},
		{"driver error left to the backend", context.Background(), driver, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := CommonErr(tc.ctx, tc.err)
			if tc.want == "" {
				if got != nil {
					t.Fatalf("got %v, want nil", got)
				}
				return
			}
			if errs.CodeOf(got) != tc.want {
				t.Fatalf("got %v, want %s", got, tc.want)
			}
			if tc.isCancel && !errors.Is(got, context.Canceled) {
				t.Fatalf("%v does not say it was cancelled", got)
			}
		})
	}
}
