package sqlwhere

import (
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/cases"
)

// testDialect writes $N parameters, times as RFC 3339 text and the box as
// one call, so the tests read the conditions as written.
type testDialect struct{}

func (testDialect) Placeholder(n int) string { return "$" + strconv.Itoa(n) }
func (testDialect) Time(t time.Time) any     { return t.Format(time.RFC3339) }
func (testDialect) InBox(b orb.Bound, arg func(any) string) string {
	return "box(" + arg(b.Min[0]) + "," + arg(b.Min[1]) + "," + arg(b.Max[0]) + "," + arg(b.Max[1]) + ")"
}

func TestConditions(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
	box := &orb.Bound{Min: orb.Point{118.6, 32.0}, Max: orb.Point{118.7, 32.1}}
	yes := true
	tests := []struct {
		name string
		w    *Where
		sql  string
		args []any
	}{
		{"no case filter", Cases(testDialect{}, cases.CaseFilter{}), "1 = 1", nil},
		{"cases: every filter, in order", Cases(testDialect{}, cases.CaseFilter{Stage: cases.Filed, Street: "s", Community: "c", Grid: "g",
			Category: "k", Channel: cases.Hotline, Unit: "u", Department: "d", OverdueAt: t0, BBox: box, From: t0, To: t0.Add(time.Hour)}),
			"stage = $1 AND street_code = $2 AND community_code = $3 AND grid_code = $4 AND category = $5 AND channel = $6 AND unit = $7 AND department = $8" +
				" AND stage IN ('reported', 'filed', 'dispatched', 'handling', 'resolved') AND deadline < $9 AND box($10,$11,$12,$13)" +
				" AND reported_at >= $14 AND reported_at < $15",
			[]any{"filed", "s", "c", "g", "k", "12345", "u", "d", "2026-12-03T08:00:00Z", 118.6, 32.0, 118.7, 32.1, "2026-12-03T08:00:00Z", "2026-12-03T09:00:00Z"}},
		{"incidents page from an id", Incidents(testDialect{}, cases.IncidentFilter{AfterID: 7}), "id > $1", []any{int64(7)}},
		{"incidents: every filter", Incidents(testDialect{}, cases.IncidentFilter{AfterID: 7, Located: &yes, Submitter: "k", Channel: cases.Police, Case: 9}),
			"id > $1 AND located = $2 AND submitter = $3 AND channel = $4 AND case_id = $5", []any{int64(7), true, "k", "110", int64(9)}},
		{"kpis of the district: as-of bound first", KPIs(testDialect{}, cases.KPIQuery{Level: cases.LevelDistrict, From: t0, To: t0.Add(time.Hour), AsOf: t0}),
			"stage <> 'void' AND reported_at >= $2 AND reported_at < $3", []any{"2026-12-03T08:00:00Z", "2026-12-03T08:00:00Z", "2026-12-03T09:00:00Z"}},
		{"kpis of a grid in a box", KPIs(testDialect{}, cases.KPIQuery{Level: cases.LevelGrid, Code: "g", From: t0, To: t0.Add(time.Hour), AsOf: t0, BBox: box}),
			"stage <> 'void' AND reported_at >= $2 AND reported_at < $3 AND grid_code = $4 AND box($5,$6,$7,$8)",
			[]any{"2026-12-03T08:00:00Z", "2026-12-03T08:00:00Z", "2026-12-03T09:00:00Z", "g", 118.6, 32.0, 118.7, 32.1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.w.SQL(); got != tt.sql {
				t.Errorf("sql\n got %s\nwant %s", got, tt.sql)
			}
			if !reflect.DeepEqual(tt.w.Args, tt.args) {
				t.Errorf("args\n got %#v\nwant %#v", tt.w.Args, tt.args)
			}
		})
	}
}

func TestLimit(t *testing.T) {
	for in, want := range map[int]int{-1: 100, 0: 100, 1: 1, 500: 500} {
		if got := Limit(in); got != want {
			t.Errorf("Limit(%d) = %d, want %d", in, got, want)
		}
	}
}
