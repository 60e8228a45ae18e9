package dispatch

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/errs"
)

func wantField(t *testing.T, err error, field string) {
	t.Helper()
	if field == "" {
		if err != nil {
			t.Fatalf("unexpected error %v", err)
		}
		return
	}
	e, ok := errs.As(err)
	if !ok || e.Code != errs.Invalid || e.Field != field {
		t.Fatalf("got %v, want an Invalid error on %q", err, field)
	}
}

func TestPositionReportValidate(t *testing.T) {
	ok := PositionReport{Unit: "P1", Loc: orb.Point{118.6, 32.0}, Status: StatusBusy, At: time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)}
	with := func(edit func(p *PositionReport)) PositionReport { p := ok; edit(&p); return p }
	tests := []struct {
		name  string
		r     PositionReport
		field string
	}{
		{"ok", ok, ""},
		{"off duty", with(func(p *PositionReport) { p.Status = StatusOffDuty }), ""},
		{"no unit", with(func(p *PositionReport) { p.Unit = " " }), "unit"},
		{"long unit", with(func(p *PositionReport) { p.Unit = strings.Repeat("x", MaxUnitIDLen+1) }), "unit"},
		{"NaN lon", with(func(p *PositionReport) { p.Loc[0] = math.NaN() }), "lon"},
		{"Inf lat", with(func(p *PositionReport) { p.Loc[1] = math.Inf(-1) }), "lat"},
		{"lat out of range", with(func(p *PositionReport) { p.Loc[1] = 91 }), "lat"},
		{"lon out of range", with(func(p *PositionReport) { p.Loc[0] = -181 }), "lon"},
		{"unknown status", with(func(p *PositionReport) { p.Status = "asleep" }), "status"},
		{"old offline spelling", with(func(p *PositionReport) { p.Status = "offline" }), "status"},
		{"no time", with(func(p *PositionReport) { p.At = time.Time{} }), "at"},
		{"year 1", with(func(p *PositionReport) { p.At = time.Date(1, 1, 1, 0, 0, 1, 0, time.UTC) }), "at"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { wantField(t, tc.r.Validate(), tc.field) })
	}
}

func TestValidateReports(t *testing.T) {
	good := PositionReport{Unit: "P1", Loc: orb.Point{118.6, 32.0}, Status: StatusAvailable, At: time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)}
	bad := good
	bad.Loc[1] = 100
	tests := []struct {
		name  string
		rs    []PositionReport
		max   int
		field string
	}{
		{"ok", []PositionReport{good, good}, 10, ""},
		{"empty", nil, 10, ""},
		{"too many", []PositionReport{good, good, good}, 2, ""},
		{"second bad", []PositionReport{good, bad}, 10, "[1].lat"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateReports(tc.rs, tc.max)
			if tc.name == "empty" || tc.name == "too many" {
				if !errs.Is(err, errs.Invalid) {
					t.Fatalf("got %v, want Invalid", err)
				}
				return
			}
			wantField(t, err, tc.field)
		})
	}
}

func TestEffective(t *testing.T) {
	tests := []struct {
		reported UnitStatus
		held     int64
		want     UnitStatus
	}{
		{"", 0, StatusAvailable},
		{StatusAvailable, 0, StatusAvailable},
		{StatusOffDuty, 0, StatusOffDuty},
		{StatusAvailable, 7, StatusBusy},
		{StatusOffDuty, 7, StatusBusy},
	}
	for _, tc := range tests {
		if got := Effective(tc.reported, tc.held); got != tc.want {
			t.Errorf("Effective(%q, %d) = %q, want %q", tc.reported, tc.held, got, tc.want)
		}
	}
}
