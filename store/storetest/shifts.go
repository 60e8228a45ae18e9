package storetest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/store"
)

// runShifts is the duty roster's part of the contract.
func runShifts(t *testing.T, fresh func(t *testing.T) store.Store) {
	t.Run("ReplaceReadBack", func(t *testing.T) { testShiftsReplace(t, fresh(t)) })
	t.Run("Filter", func(t *testing.T) { testShiftsFilter(t, fresh(t)) })
	t.Run("PutDelete", func(t *testing.T) { testShiftsPutDelete(t, fresh(t)) })
	t.Run("BadReplaceLeavesRoster", func(t *testing.T) { testShiftsBadReplace(t, fresh(t)) })
	t.Run("Import", func(t *testing.T) { testShiftsImport(t, fresh(t)) })
}

var shiftDay = time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)

func shiftAt(id, subject string, fromH, toH int) bundle.Shift {
	return bundle.Shift{ID: id, Subject: subject, Start: shiftDay.Add(time.Duration(fromH) * time.Hour), End: shiftDay.Add(time.Duration(toH) * time.Hour)}
}

func shiftIDs(ss []bundle.Shift) string {
	out := ""
	for i, s := range ss {
		if i > 0 {
			out += ","
		}
		out += s.ID
	}
	return out
}

func sameShifts(t *testing.T, what string, got, want []bundle.Shift) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d shifts [%s], want %d [%s]", what, len(got), shiftIDs(got), len(want), shiftIDs(want))
	}
	for i := range want {
		g, w := got[i], want[i].Normal()
		if g.ID != w.ID || g.Subject != w.Subject || !g.Start.Equal(w.Start) || !g.End.Equal(w.End) || g.Note != w.Note ||
			g.Start.Location() != time.UTC || g.End.Location() != time.UTC {
			t.Fatalf("%s: shift %d is %+v, want %+v", what, i, g, w)
		}
	}
}

func testShiftsReplace(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	got, err := s.Shifts(ctx, store.ShiftFilter{})
	if err != nil || len(got) != 0 {
		t.Fatalf("empty roster: %v, %v", got, err)
	}
	// Times in another zone and with sub-microsecond digits come back in
	// UTC, to the microsecond.
	cst := time.FixedZone("CST", 8*3600)
	odd := bundle.Shift{ID: "odd", Subject: "P2", Start: time.Date(2026, 12, 3, 9, 0, 0, 1500, cst), End: time.Date(2026, 12, 3, 17, 0, 0, 0, cst), Note: "早班, \"quiet\""}
	want := []bundle.Shift{shiftAt("a", "P1", 0, 8), odd, shiftAt("b", "P1", 8, 16), shiftAt("c", "S1", 0, 24)}
	if err := s.ReplaceShifts(ctx, want); err != nil {
		t.Fatal(err)
	}
	got, err = s.Shifts(ctx, store.ShiftFilter{})
	if err != nil {
		t.Fatal(err)
	}
	// Ordered by start, subject, id.
	sameShifts(t, "read back", got, []bundle.Shift{shiftAt("a", "P1", 0, 8), shiftAt("c", "S1", 0, 24), odd, shiftAt("b", "P1", 8, 16)})
	if got[2].Start.Nanosecond()%1000 != 0 {
		t.Fatalf("start %v kept sub-microsecond digits", got[2].Start)
	}
	// A replace replaces: nothing of the old roster is left.
	if err := s.ReplaceShifts(ctx, []bundle.Shift{shiftAt("z", "P9", 1, 2)}); err != nil {
		t.Fatal(err)
	}
	got, _ = s.Shifts(ctx, store.ShiftFilter{})
	sameShifts(t, "after a second replace", got, []bundle.Shift{shiftAt("z", "P9", 1, 2)})
	// And an empty roster is a roster.
	if err := s.ReplaceShifts(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if got, _ = s.Shifts(ctx, store.ShiftFilter{}); len(got) != 0 {
		t.Fatalf("after replacing with none: %v", got)
	}
}

func testShiftsFilter(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	all := []bundle.Shift{shiftAt("p1a", "P1", 0, 8), shiftAt("p1b", "P1", 16, 24), shiftAt("p2", "P2", 8, 16), shiftAt("s1", "S1", -12, 12)}
	if err := s.ReplaceShifts(ctx, all); err != nil {
		t.Fatal(err)
	}
	h := func(x int) time.Time { return shiftDay.Add(time.Duration(x) * time.Hour) }
	cases := []struct {
		f    store.ShiftFilter
		want string
	}{
		{store.ShiftFilter{}, "s1,p1a,p2,p1b"},
		{store.ShiftFilter{Subject: "P1"}, "p1a,p1b"},
		{store.ShiftFilter{Subject: "nobody"}, ""},
		{store.ShiftFilter{From: h(8)}, "s1,p2,p1b"},      // p1a ends at 8: not overlapping [8, ∞)
		{store.ShiftFilter{To: h(8)}, "s1,p1a"},           // p2 starts at 8: not overlapping (-∞, 8)
		{store.ShiftFilter{From: h(12), To: h(16)}, "p2"}, // s1 ends at 12, p1b starts at 16
		{store.ShiftFilter{Subject: "P1", From: h(7), To: h(17)}, "p1a,p1b"},
		{store.ShiftFilter{From: h(30)}, ""},
	}
	for _, c := range cases {
		got, err := s.Shifts(ctx, c.f)
		if err != nil {
			t.Fatal(err)
		}
		if shiftIDs(got) != c.want {
			t.Errorf("filter %+v: [%s], want [%s]", c.f, shiftIDs(got), c.want)
		}
	}
}

func testShiftsPutDelete(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	a := shiftAt("a", "P1", 0, 8)
	created, err := s.PutShift(ctx, a)
	if err != nil || !created {
		t.Fatalf("first put: created %v, %v", created, err)
	}
	// A retry is an update of the same row: still one shift.
	created, err = s.PutShift(ctx, a)
	if err != nil || created {
		t.Fatalf("retried put: created %v, %v", created, err)
	}
	a.End, a.Note = a.End.Add(time.Hour), "extended"
	if created, err = s.PutShift(ctx, a); err != nil || created {
		t.Fatalf("update: created %v, %v", created, err)
	}
	got, _ := s.Shifts(ctx, store.ShiftFilter{})
	sameShifts(t, "after puts", got, []bundle.Shift{a})

	bad := a
	bad.End = bad.Start
	_, err = s.PutShift(ctx, bad)
	wantCode(t, "put end = start", err, errs.Invalid)
	if e, _ := errs.As(err); e.Field != "end" {
		t.Fatalf("put end = start names %q, want end", e.Field)
	}

	// Concurrent puts of one new id: one creates, the rest update.
	var wg sync.WaitGroup
	var mu sync.Mutex
	creates := 0
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := s.PutShift(context.Background(), shiftAt("race", "P2", 0, 8))
			if err != nil && !errs.Is(err, errs.Unavailable) {
				t.Errorf("concurrent put: %v", err)
			}
			mu.Lock()
			if c {
				creates++
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	if creates != 1 {
		t.Fatalf("%d concurrent puts said created, want 1", creates)
	}

	// A batch put: all or nothing, created counts new ids only.
	n, err := s.PutShifts(ctx, []bundle.Shift{shiftAt("a", "P1", 1, 9), shiftAt("b", "P3", 0, 8)})
	if err != nil || n != 1 {
		t.Fatalf("batch put: created %d, %v; want 1", n, err)
	}
	_, err = s.PutShifts(ctx, []bundle.Shift{shiftAt("c", "P4", 0, 8), shiftAt("d", "P4", 8, 7)})
	wantCode(t, "bad batch", err, errs.Invalid)
	if e, _ := errs.As(err); e.Field != "[1].end" {
		t.Fatalf("bad batch names %q, want [1].end", e.Field)
	}
	got, _ = s.Shifts(ctx, store.ShiftFilter{})
	sameShifts(t, "after batch puts", got, []bundle.Shift{shiftAt("race", "P2", 0, 8), shiftAt("b", "P3", 0, 8), shiftAt("a", "P1", 1, 9)})
	if err := s.DeleteShift(ctx, "b"); err != nil {
		t.Fatal(err)
	}

	if err := s.DeleteShift(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "second delete", s.DeleteShift(ctx, "a"), errs.NotFound)
	got, _ = s.Shifts(ctx, store.ShiftFilter{})
	sameShifts(t, "after delete", got, []bundle.Shift{shiftAt("race", "P2", 0, 8)})
}

func testShiftsBadReplace(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	good := []bundle.Shift{shiftAt("a", "P1", 0, 8)}
	if err := s.ReplaceShifts(ctx, good); err != nil {
		t.Fatal(err)
	}
	for i, c := range []struct {
		shifts []bundle.Shift
		field  string
	}{
		{[]bundle.Shift{shiftAt("x", "P1", 0, 8), shiftAt("y", "P1", 8, 8)}, "[1].end"},
		{[]bundle.Shift{shiftAt("x", "P1", 0, 8), shiftAt("x", "P2", 0, 8)}, "[1].id"},
		{[]bundle.Shift{shiftAt("x", "", 0, 8)}, "[0].subject"},
		{[]bundle.Shift{shiftAt("x", "P1", 0, 49)}, "[0].end"},
	} {
		err := s.ReplaceShifts(ctx, c.shifts)
		wantCode(t, fmt.Sprintf("bad replace %d", i), err, errs.Invalid)
		if e, _ := errs.As(err); e.Field != c.field {
			t.Errorf("bad replace %d names %q, want %q", i, e.Field, c.field)
		}
	}
	// A cancelled replace leaves the roster too.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.ReplaceShifts(cctx, []bundle.Shift{shiftAt("y", "P1", 0, 8)}); err == nil {
		t.Fatal("a cancelled replace succeeded")
	}
	got, err := s.Shifts(ctx, store.ShiftFilter{})
	if err != nil {
		t.Fatal(err)
	}
	sameShifts(t, "after refused replaces", got, good)
}

// testShiftsImport: a bundle's roster is stored in the import's
// transaction; a roster naming an unknown unit refuses the whole import;
// an import without a roster keeps the stored one.
func testShiftsImport(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	b := SmallBundle(1)
	var posts []string
	for _, f := range b.Facilities {
		if f.Kind == bundle.Centre || f.Kind == bundle.Subcentre {
			posts = append(posts, f.Code)
		}
	}
	roster := []bundle.Shift{
		{Subject: b.Patrols[0].ID, Start: shiftDay, End: shiftDay.Add(8 * time.Hour)},
		{Subject: b.Workers[0].ID, Start: shiftDay.Add(8 * time.Hour), End: shiftDay.Add(17 * time.Hour)},
		{Subject: posts[0], Start: shiftDay, End: shiftDay.Add(24 * time.Hour), Note: "officer"},
	}
	if _, err := s.Import(ctx, store.ImportRequest{Bundle: b, Shifts: roster, ReplaceShifts: true}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Shifts(ctx, store.ShiftFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].ID != bundle.ShiftID(got[0].Subject, got[0].Start) {
		t.Fatalf("imported roster: %+v", got)
	}

	// An unknown subject: nothing of the import happens.
	b2 := SmallBundle(1)
	b2.Departments = append(b2.Departments, bundle.Department{Code: "DEPT-NEW", Name: "new"})
	bad := []bundle.Shift{{Subject: "NOBODY", Start: shiftDay, End: shiftDay.Add(time.Hour)}}
	_, err = s.Import(ctx, store.ImportRequest{Bundle: b2, Shifts: bad, ReplaceShifts: true})
	wantCode(t, "import with an unknown subject", err, errs.Invalid)
	if !strings.Contains(err.Error(), "shifts.csv:2 unit_or_post") {
		t.Fatalf("the refusal does not name the line: %v", err)
	}
	stored, err := s.Bundle(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(stored.Departments) != len(b.Departments) {
		t.Fatal("a refused import replaced the bundle")
	}
	// Shifts need their bundle.
	_, err = s.Import(ctx, store.ImportRequest{Plan: &gridplan.Plan{Name: "p", Grids: CommunityGrids(b)}, Shifts: roster, ReplaceShifts: true})
	wantCode(t, "shifts without a bundle", err, errs.Invalid)
	if after, _ := s.Shifts(ctx, store.ShiftFilter{}); len(after) != 3 {
		t.Fatalf("a refused import changed the roster: %d shifts", len(after))
	}
	// A bundle import without a roster keeps the roster.
	if _, err := s.Import(ctx, store.ImportRequest{Bundle: b2}); err != nil {
		t.Fatal(err)
	}
	if after, _ := s.Shifts(ctx, store.ShiftFilter{}); len(after) != 3 {
		t.Fatalf("an import without shifts changed the roster: %d shifts", len(after))
	}
	// An empty roster with ReplaceShifts empties it.
	if _, err := s.Import(ctx, store.ImportRequest{Bundle: b2, ReplaceShifts: true}); err != nil {
		t.Fatal(err)
	}
	if after, _ := s.Shifts(ctx, store.ShiftFilter{}); len(after) != 0 {
		t.Fatalf("an empty roster import left %d shifts", len(after))
	}
}
