package storetest

import (
	"context"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/cases"
	"github.com/gridd/gridd/dispatch"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/store"
)

// runUnits is the store.Units part of the contract.
func runUnits(t *testing.T, fresh func(t *testing.T) store.Store) {
	t.Run("ReportBatch", func(t *testing.T) { testReportBatch(t, fresh(t)) })
	t.Run("BadBatchChangesNothing", func(t *testing.T) { testBadBatch(t, fresh(t)) })
	t.Run("UnitsFilterAndTrack", func(t *testing.T) { testUnitsFilterTrack(t, fresh(t)) })
	t.Run("BusyWhileHolding", func(t *testing.T) { testBusyWhileHolding(t, fresh(t)) })
	t.Run("ConcurrentReports", func(t *testing.T) { testConcurrentReports(t, fresh(t)) })
}

// report1 reports one position.
func report1(ctx context.Context, s store.Store, r dispatch.PositionReport) error {
	_, err := s.ReportPositions(ctx, []dispatch.PositionReport{r})
	return err
}

var unitT0 = time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)

func outcomes(rs []dispatch.ReportResult) []dispatch.Outcome {
	out := make([]dispatch.Outcome, len(rs))
	for i, r := range rs {
		out[i] = r.Outcome
	}
	return out
}

func testReportBatch(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	b := SmallBundle(11)
	mustImport(t, s, b)
	p0, p1, w0 := b.Patrols[0].ID, b.Patrols[1].ID, b.Workers[0].ID
	at := func(m int) time.Time { return unitT0.Add(time.Duration(m) * time.Minute) }
	batch := []dispatch.PositionReport{
		{Unit: p0, Loc: orb.Point{118.61, 32.01}, At: at(1), Status: dispatch.StatusAvailable},
		{Unit: p0, Loc: orb.Point{118.62, 32.02}, At: at(3), Status: dispatch.StatusBusy},
		{Unit: p0, Loc: orb.Point{118.63, 32.03}, At: at(2), Status: dispatch.StatusAvailable},
		{Unit: p1, Loc: orb.Point{118.64, 32.04}, At: at(1), Status: dispatch.StatusOffDuty},
		{Unit: w0, Loc: orb.Point{118.65, 32.05}, At: at(1), Status: dispatch.StatusAvailable},
		{Unit: w0, Loc: orb.Point{118.65, 32.05}, At: at(1), Status: dispatch.StatusAvailable}, // a copy in the batch
	}
	got, err := s.ReportPositions(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	want := []dispatch.Outcome{dispatch.KeptOlder, dispatch.Moved, dispatch.KeptOlder, dispatch.Moved, dispatch.Moved, dispatch.Duplicate}
	if fmt.Sprint(outcomes(got)) != fmt.Sprint(want) {
		t.Fatalf("outcomes %v, want %v", outcomes(got), want)
	}
	if !samePoint(got[0].Loc, batch[1].Loc) || got[0].Status != dispatch.StatusBusy {
		t.Fatalf("result 0 says the unit is at %v %s, want %v busy", got[0].Loc, got[0].Status, batch[1].Loc)
	}
	// The whole batch again: every report a duplicate, nothing moves.
	again, err := s.ReportPositions(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range again {
		if r.Outcome != dispatch.Duplicate {
			t.Fatalf("replayed report %d: %s", i, r.Outcome)
		}
	}
	u, err := s.Unit(ctx, p0)
	if err != nil {
		t.Fatal(err)
	}
	if u.Kind != dispatch.KindPatrol || u.Loc == nil || !samePoint(*u.Loc, batch[1].Loc) || u.ReportedStatus != dispatch.StatusBusy ||
		u.ReportedAt == nil || !u.ReportedAt.Equal(at(3)) || u.Name != b.Patrols[0].Callsign || u.Street != string(b.Patrols[0].Street) {
		t.Fatalf("unit %+v, want at %v busy since %v", u, batch[1].Loc, at(3))
	}
	w, err := s.Unit(ctx, w0)
	if err != nil {
		t.Fatal(err)
	}
	if w.Kind != dispatch.KindWorker || w.Community != string(b.Workers[0].Community) || w.Street == "" || w.Loc == nil {
		t.Fatalf("worker %+v", w)
	}
	// An older report later: kept in the history, the unit stays.
	late, err := s.ReportPositions(ctx, []dispatch.PositionReport{{Unit: p0, Loc: orb.Point{118.69, 32.09}, At: at(0), Status: dispatch.StatusOffDuty}})
	if err != nil || late[0].Outcome != dispatch.KeptOlder {
		t.Fatalf("late report: %v %v", late, err)
	}
	tr, err := s.Track(ctx, p0, at(-10), at(10))
	if err != nil {
		t.Fatal(err)
	}
	if len(tr) != 4 {
		t.Fatalf("track has %d points, want 4: %v", len(tr), tr)
	}
	for i := 1; i < len(tr); i++ {
		if !tr[i-1].At.Before(tr[i].At) {
			t.Fatalf("track out of order: %v", tr)
		}
	}
	if !samePoint(tr[0].Loc, orb.Point{118.69, 32.09}) || tr[0].Status != dispatch.StatusOffDuty {
		t.Fatalf("track[0] %+v", tr[0])
	}
	// The patrols layer shows the move.
	f, err := s.Feature(ctx, store.Patrols, 0, p0)
	if err != nil || !samePoint(f.Geom.(orb.Point), batch[1].Loc) || f.Props["status"] != "busy" {
		t.Fatalf("patrols layer: %v %v %v", f.Geom, f.Props, err)
	}
	// Sub-microsecond differences are one stored time: a duplicate.
	dup, err := s.ReportPositions(ctx, []dispatch.PositionReport{{Unit: p1, Loc: orb.Point{118.64, 32.04}, At: at(1).Add(300 * time.Nanosecond), Status: dispatch.StatusOffDuty}})
	if err != nil || dup[0].Outcome != dispatch.Duplicate {
		t.Fatalf("nanosecond replay: %v %v", dup, err)
	}
}

func testBadBatch(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	b := SmallBundle(12)
	mustImport(t, s, b)
	p0 := b.Patrols[0].ID
	good := dispatch.PositionReport{Unit: p0, Loc: orb.Point{118.61, 32.01}, At: unitT0, Status: dispatch.StatusBusy}
	with := func(edit func(r *dispatch.PositionReport)) dispatch.PositionReport { r := good; edit(&r); return r }
	tests := []struct {
		name  string
		bad   dispatch.PositionReport
		code  errs.Code
		field string
	}{
		{"unknown unit", with(func(r *dispatch.PositionReport) { r.Unit = "nobody" }), errs.NotFound, "[1].unit"},
		{"NaN", with(func(r *dispatch.PositionReport) { r.Loc[0] = math.NaN() }), errs.Invalid, "[1].lon"},
		{"lat", with(func(r *dispatch.PositionReport) { r.Loc[1] = 95 }), errs.Invalid, "[1].lat"},
		{"status", with(func(r *dispatch.PositionReport) { r.Status = "asleep" }), errs.Invalid, "[1].status"},
		{"no time", with(func(r *dispatch.PositionReport) { r.At = time.Time{} }), errs.Invalid, "[1].at"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.ReportPositions(ctx, []dispatch.PositionReport{good, tc.bad})
			e, ok := errs.As(err)
			if !ok || e.Code != tc.code || e.Field != tc.field {
				t.Fatalf("got %v, want %s on %s", err, tc.code, tc.field)
			}
			tr, err := s.Track(ctx, p0, unitT0.Add(-time.Hour), unitT0.Add(time.Hour))
			if err != nil || len(tr) != 0 {
				t.Fatalf("a refused batch left %d reports (%v)", len(tr), err)
			}
			if u, err := s.Unit(ctx, p0); err != nil || u.ReportedAt != nil {
				t.Fatalf("a refused batch moved the unit: %+v %v", u, err)
			}
		})
	}
	_, err := s.ReportPositions(ctx, nil)
	wantCode(t, "empty batch", err, errs.Invalid)
	_, err = s.Unit(ctx, "nobody")
	wantCode(t, "unknown unit", err, errs.NotFound)
	_, err = s.Track(ctx, "nobody", unitT0, unitT0)
	wantCode(t, "unknown unit's track", err, errs.NotFound)
}

func testUnitsFilterTrack(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	b := SmallBundle(13)
	mustImport(t, s, b)
	all, err := s.Units(ctx, store.UnitFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != len(b.Patrols)+len(b.Workers) {
		t.Fatalf("%d units, want %d patrols + %d workers", len(all), len(b.Patrols), len(b.Workers))
	}
	for i := 1; i < len(all); i++ {
		if all[i-1].ID >= all[i].ID {
			t.Fatalf("units not by id: %s, %s", all[i-1].ID, all[i].ID)
		}
	}
	count := func(f store.UnitFilter) int {
		t.Helper()
		us, err := s.Units(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		return len(us)
	}
	if n := count(store.UnitFilter{Kind: dispatch.KindPatrol}); n != len(b.Patrols) {
		t.Fatalf("%d patrols, want %d", n, len(b.Patrols))
	}
	if n := count(store.UnitFilter{Kind: dispatch.KindWorker}); n != len(b.Workers) {
		t.Fatalf("%d workers, want %d", n, len(b.Workers))
	}
	st := string(b.Patrols[0].Street)
	wantSt := 0
	for _, p := range b.Patrols {
		if string(p.Street) == st {
			wantSt++
		}
	}
	if n := count(store.UnitFilter{Kind: dispatch.KindPatrol, Street: st}); n != wantSt {
		t.Fatalf("%d patrols of street %s, want %d", n, st, wantSt)
	}
	p0 := b.Patrols[0].ID
	if _, err := s.ReportPositions(ctx, []dispatch.PositionReport{{Unit: p0, Loc: orb.Point{118.7001, 32.0801}, At: unitT0, Status: dispatch.StatusOffDuty}}); err != nil {
		t.Fatal(err)
	}
	box := orb.Bound{Min: orb.Point{118.7, 32.08}, Max: orb.Point{118.7002, 32.0802}}
	us, err := s.Units(ctx, store.UnitFilter{BBox: &box})
	if err != nil || len(us) != 1 || us[0].ID != p0 {
		t.Fatalf("units in a box around the report: %v %v", us, err)
	}
	if n := count(store.UnitFilter{Status: dispatch.StatusOffDuty}); n != 1 {
		t.Fatalf("%d off duty, want 1", n)
	}
	if n := count(store.UnitFilter{Status: dispatch.StatusAvailable}); n != len(all)-1 {
		t.Fatalf("%d available, want %d", n, len(all)-1)
	}
	tr, err := s.Track(ctx, p0, unitT0.Add(time.Second), unitT0.Add(time.Hour))
	if err != nil || len(tr) != 0 {
		t.Fatalf("track after the only report: %v %v", tr, err)
	}
}

// testBusyWhileHolding: a unit holding a case is busy whatever it
// reports, and available again once the case is resolved.
func testBusyWhileHolding(t *testing.T, s store.Store) {
	cs, ok := s.(cases.Store)
	if !ok {
		t.Skipf("%T keeps no cases", s)
	}
	ctx := ctxT(t)
	b := SmallBundle(14)
	mustImport(t, s, b)
	unit := b.Patrols[0].ID
	cat := category(t, "str_illegal_parking")
	in := mustIntake(t, cs, report(cases.Patrol, "busy-1", cat.Code, here, caseT0))
	for _, cmd := range []cases.Command{{Action: cases.ActFile}, {Action: cases.ActDispatch, Unit: unit}} {
		if _, err := step(t, cs, in.Case, cat, caseT0, cmd); err != nil {
			t.Fatal(err)
		}
	}
	res, err := s.ReportPositions(ctx, []dispatch.PositionReport{{Unit: unit, Loc: orb.Point{118.61, 32.01}, At: caseT0.Add(time.Minute), Status: dispatch.StatusAvailable}})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Status != dispatch.StatusBusy || res[0].HeldCase != int64(in.Case) {
		t.Fatalf("a unit holding case %d reported available: %+v", in.Case, res[0])
	}
	u, err := s.Unit(ctx, unit)
	if err != nil || u.Status != dispatch.StatusBusy || u.ReportedStatus != dispatch.StatusAvailable || u.HeldCase != int64(in.Case) {
		t.Fatalf("unit %+v %v", u, err)
	}
	if n, _ := s.Units(ctx, store.UnitFilter{Status: dispatch.StatusBusy}); len(n) != 1 {
		t.Fatalf("busy units %v", n)
	}
	for _, a := range []cases.Action{cases.ActAccept, cases.ActResolve} {
		if _, err := step(t, cs, in.Case, cat, caseT0.Add(2*time.Minute), cases.Command{Action: a}); err != nil {
			t.Fatal(err)
		}
	}
	u, err = s.Unit(ctx, unit)
	if err != nil || u.Status != dispatch.StatusAvailable || u.HeldCase != 0 {
		t.Fatalf("after resolve: %+v %v", u, err)
	}
}

// testConcurrentReports: batches of the same units from several writers
// store every distinct report once and leave each unit at its newest.
func testConcurrentReports(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	b := SmallBundle(15)
	mustImport(t, s, b)
	const writers, rounds = 4, 5
	var wg sync.WaitGroup
	errc := make(chan error, writers*rounds)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rounds {
				batch := make([]dispatch.PositionReport, 0, len(b.Patrols))
				for i, p := range b.Patrols {
					m := (r*writers + w + i) % (writers * rounds) // every writer sends every minute once, in another order
					batch = append(batch, dispatch.PositionReport{Unit: p.ID, Loc: orb.Point{118.6 + float64(m)*0.001, 32.01}, At: unitT0.Add(time.Duration(m) * time.Minute), Status: dispatch.StatusAvailable})
				}
				if _, err := s.ReportPositions(ctx, batch); err != nil {
					errc <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	last := unitT0.Add(time.Duration(writers*rounds-1) * time.Minute)
	for _, p := range b.Patrols {
		u, err := s.Unit(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if u.ReportedAt == nil || !u.ReportedAt.Equal(last) || !samePoint(*u.Loc, orb.Point{118.6 + float64(writers*rounds-1)*0.001, 32.01}) {
			t.Fatalf("unit %s at %v since %v, want its newest report at %v", p.ID, u.Loc, u.ReportedAt, last)
		}
		tr, err := s.Track(ctx, p.ID, unitT0, last)
		if err != nil || len(tr) != writers*rounds {
			t.Fatalf("unit %s track has %d points, want %d (%v)", p.ID, len(tr), writers*rounds, err)
		}
	}
}
