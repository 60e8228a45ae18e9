package storetest

import (
	"errors"
	"fmt"
	"math"
	"math/rand"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/cases"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/store"
)

// runCases is the cases.Store part of the contract.
func runCases(t *testing.T, fresh func(t *testing.T) store.Store) {
	open := func(t *testing.T) cases.Store {
		s := fresh(t)
		cs, ok := s.(cases.Store)
		if !ok {
			t.Fatalf("%T does not implement cases.Store", s)
		}
		return cs
	}
	t.Run("IntakeIdempotent", func(t *testing.T) { testIntakeIdempotent(t, open(t)) })
	t.Run("IntakeConcurrentRetries", func(t *testing.T) { testIntakeConcurrent(t, open(t)) })
	t.Run("IntakeAnswerIsStored", func(t *testing.T) { testIntakeAnswerIsStored(t, open(t)) })
	t.Run("LinksBesideTransitions", func(t *testing.T) { testLinksBesideTransitions(t, open(t)) })
	t.Run("Duplicates", func(t *testing.T) { testDuplicates(t, open(t)) })
	t.Run("ManualLocationQueue", func(t *testing.T) { testManualQueue(t, open(t)) })
	t.Run("Lifecycle", func(t *testing.T) { testLifecycle(t, open(t)) })
	t.Run("OneCasePerUnit", func(t *testing.T) { testOneCasePerUnit(t, open(t)) })
	t.Run("Escalations", func(t *testing.T) { testEscalations(t, open(t)) })
	t.Run("CaseFilters", func(t *testing.T) { testCaseFilters(t, open(t)) })
	t.Run("KPIs", func(t *testing.T) { testKPIs(t, open(t)) })
	t.Run("Reroute", func(t *testing.T) { testReroute(t, open(t)) })
	t.Run("WarmThenIntake", func(t *testing.T) { testWarmThenIntake(t, fresh(t)) })
}

// testReroute: a transition that moves an open case to another area
// stores the new codes with its event and leaves stage and unit alone;
// the case is found under its new grid, not its old one.
func testReroute(t *testing.T, s cases.Store) {
	cat := category(t, "env_litter")
	in := mustIntake(t, s, report(cases.GridWorker, "rr-1", cat.Code, here, caseT0))
	if _, err := step(t, s, in.Case, cat, caseT0.Add(time.Minute), cases.Command{Action: cases.ActFile}); err != nil {
		t.Fatal(err)
	}
	if _, err := step(t, s, in.Case, cat, caseT0.Add(2*time.Minute), cases.Command{Action: cases.ActDispatch, Unit: "U-RR"}); err != nil {
		t.Fatal(err)
	}
	before, err := s.Case(ctxT(t), in.Case)
	if err != nil {
		t.Fatal(err)
	}
	to := cases.Area{Street: before.Street, Community: before.Community, Grid: before.Grid + "X"}
	got, err := s.Transition(ctxT(t), in.Case, func(c cases.Case) (cases.Case, cases.Event, error) {
		next, ev, ok := cases.Reroute(c, to, "9", caseT0.Add(3*time.Minute))
		if !ok {
			t.Fatalf("reroute of %+v to %+v: nothing to do", c, to)
		}
		return next, ev, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	after, err := s.Case(ctxT(t), in.Case)
	if err != nil {
		t.Fatal(err)
	}
	if after.Grid != to.Grid || got.Grid != to.Grid || after.Stage != cases.Dispatched || after.Unit != "U-RR" {
		t.Fatalf("after reroute: grid %q (want %q), stage %s, unit %q", after.Grid, to.Grid, after.Stage, after.Unit)
	}
	last := after.Events[len(after.Events)-1]
	if last.Action != cases.ActReroute || last.From != cases.Dispatched || last.To != cases.Dispatched {
		t.Fatalf("last event %+v, want a reroute at dispatched", last)
	}
	if l, n, err := s.Cases(ctxT(t), cases.CaseFilter{Grid: to.Grid}); err != nil || n != 1 || l[0].ID != in.Case {
		t.Fatalf("cases in the new grid: %v %d %v", l, n, err)
	}
	if _, n, err := s.Cases(ctxT(t), cases.CaseFilter{Grid: before.Grid}); err != nil || n != 0 {
		t.Fatalf("cases left in the old grid: %d %v", n, err)
	}
	// The unit is still held: it cannot take another case.
	other := mustIntake(t, s, report(cases.GridWorker, "rr-2", "env_litter", orb.Point{here[0] + 0.01, here[1]}, caseT0))
	if _, err := step(t, s, other.Case, cat, caseT0.Add(4*time.Minute), cases.Command{Action: cases.ActFile}); err != nil {
		t.Fatal(err)
	}
	if _, err := step(t, s, other.Case, cat, caseT0.Add(5*time.Minute), cases.Command{Action: cases.ActDispatch, Unit: "U-RR"}); !errs.Is(err, errs.Conflict) {
		t.Fatalf("dispatching the rerouted case's unit elsewhere: %v, want a conflict", err)
	}
}

var caseT0 = time.Date(2026, 5, 4, 8, 0, 0, 0, time.UTC)

func categories(t testing.TB) *cases.Categories {
	t.Helper()
	cats, err := cases.DefaultCategories()
	if err != nil {
		t.Fatal(err)
	}
	return cats
}

func category(t testing.TB, code string) cases.Category {
	t.Helper()
	c, ok := categories(t).Get(code)
	if !ok {
		t.Fatalf("no category %s", code)
	}
	return c
}

// report is a located incident at p (a second district's coordinates,
// not Pukou's), in street/community/grid codes of its own.
func report(ch cases.Channel, ext, cat string, p orb.Point, at time.Time) *cases.Incident {
	return &cases.Incident{Channel: ch, ExternalID: ext, Category: cat, Description: "描述 " + ext, ReportedAt: at,
		ReceivedAt: at.Add(time.Second), Submitter: "key-" + string(ch), Media: []string{"https://example.org/" + ext + ".jpg"},
		Located: true, Loc: p, LocatedBy: cases.ByPoint, Score: 1, Street: "440305001", Community: "440305001002",
		Grid: "440305001002003", Routing: cases.Routing{Subcentre: "S1", Workers: []string{"W1"}, Unit: "U1", UnitDistM: 120}}
}

// offsetM moves p east by m metres.
func offsetM(p orb.Point, m float64) orb.Point {
	return orb.Point{p[0] + m/(111195*math.Cos(p[1]*math.Pi/180)), p[1]}
}

var here = orb.Point{113.93, 22.53}

func mustIntake(t *testing.T, s cases.Store, in *cases.Incident) cases.Incident {
	t.Helper()
	got, _, err := s.Intake(ctxT(t), in, category(t, in.Category), in.ReceivedAt)
	if err != nil {
		t.Fatalf("Intake %s: %v", in.ExternalID, err)
	}
	return got
}

func testIntakeIdempotent(t *testing.T, s cases.Store) {
	in := report(cases.Hotline, "h-1", "env_litter", here, caseT0)
	in.Address = "测试路1号"
	a, created, err := s.Intake(ctxT(t), in, category(t, "env_litter"), caseT0)
	if err != nil || !created || a.ID == 0 || a.Case == 0 || a.Duplicate {
		t.Fatalf("first: %+v %v %v", a, created, err)
	}
	want := *in
	want.ID, want.Case = a.ID, a.Case
	if !reflect.DeepEqual(a, want) {
		t.Fatalf("read back\n got %+v\nwant %+v", a, want)
	}
	again := *in
	again.Description = "a retry with other text"
	b, created, err := s.Intake(ctxT(t), &again, category(t, "env_litter"), caseT0.Add(time.Minute))
	if err != nil || created || b.ID != a.ID || b.Description != in.Description {
		t.Fatalf("retry: %+v %v %v", b, created, err)
	}
	other := *in
	other.Channel = cases.Video // same external id, other channel: another report
	c, created, err := s.Intake(ctxT(t), &other, category(t, "env_litter"), caseT0)
	if err != nil || !created || c.ID == a.ID {
		t.Fatalf("other channel: %+v %v %v", c, created, err)
	}
	got, err := s.Incident(ctxT(t), a.ID)
	if err != nil || !reflect.DeepEqual(got, a) {
		t.Fatalf("Incident: %+v %v", got, err)
	}
	if _, err := s.Incident(ctxT(t), 9999); !errs.Is(err, errs.NotFound) {
		t.Fatalf("missing incident: %v", err)
	}
}

// testIntakeConcurrent sends one report 50 times at once: one incident,
// one case, one opening event, every caller told the same id.
func testIntakeConcurrent(t *testing.T, s cases.Store) {
	const n = 50
	ids := make([]cases.IncidentID, n)
	created := make([]bool, n)
	errList := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in := report(cases.Petition, "p-7", "str_illegal_parking", here, caseT0)
			var got cases.Incident
			got, created[i], errList[i] = s.Intake(ctxT(t), in, category(t, in.Category), caseT0)
			ids[i] = got.ID
		}()
	}
	wg.Wait()
	nCreated := 0
	for i := range n {
		if errList[i] != nil {
			// Only "retry" is an acceptable answer under contention.
			if !errs.Is(errList[i], errs.Unavailable) {
				t.Fatalf("retry %d: %v", i, errList[i])
			}
			continue
		}
		if ids[i] != ids[0] && errList[0] == nil {
			t.Fatalf("retry %d got incident %d, retry 0 got %d", i, ids[i], ids[0])
		}
		if created[i] {
			nCreated++
		}
	}
	if nCreated != 1 {
		t.Fatalf("%d retries created the incident", nCreated)
	}
	all, err := s.Incidents(ctxT(t), cases.IncidentFilter{Channel: cases.Petition})
	if err != nil || len(all) != 1 {
		t.Fatalf("%d incidents stored (%v)", len(all), err)
	}
	cs, total, err := s.Cases(ctxT(t), cases.CaseFilter{})
	if err != nil || total != 1 || len(cs) != 1 {
		t.Fatalf("%d cases stored (%v)", total, err)
	}
	c, err := s.Case(ctxT(t), cs[0].ID)
	if err != nil || len(c.Events) != 1 || c.Events[0].Action != cases.ActOpen || len(c.Incidents) != 1 {
		t.Fatalf("case %+v %v", c, err)
	}
}

func testDuplicates(t *testing.T, s cases.Store) {
	first := mustIntake(t, s, report(cases.Hotline, "d-1", "env_litter", here, caseT0))
	var d6 cases.CaseID
	for _, tc := range []struct {
		name string
		in   *cases.Incident
		dup  bool
	}{
		{"30 m, an hour later", report(cases.Video, "d-2", "env_litter", offsetM(here, 30), caseT0.Add(time.Hour)), true},
		{"49 m", report(cases.Police, "d-3", "env_litter", offsetM(here, 49), caseT0.Add(2*time.Hour)), true},
		{"60 m", report(cases.Police, "d-4", "env_litter", offsetM(here, 60), caseT0.Add(2*time.Hour)), false},
		{"other category", report(cases.Portal, "d-5", "env_sewage", here, caseT0.Add(time.Hour)), false},
		{"25 h later", report(cases.Portal, "d-6", "env_litter", here, caseT0.Add(25*time.Hour)), false},
	} {
		got := mustIntake(t, s, tc.in)
		if tc.in.ExternalID == "d-6" {
			d6 = got.Case
		}
		if tc.dup != (got.Case == first.Case) || got.Duplicate != tc.dup {
			t.Errorf("%s: case %d (first's %d), duplicate %v", tc.name, got.Case, first.Case, got.Duplicate)
		}
	}
	c, err := s.Case(ctxT(t), first.Case)
	if err != nil || len(c.Incidents) != 3 {
		t.Fatalf("case incidents %v (%v)", c.Incidents, err)
	}
	links := 0
	for _, ev := range c.Events {
		if ev.Action == cases.ActLink {
			links++
		}
	}
	if links != 2 {
		t.Fatalf("%d link events: %+v", links, c.Events)
	}

	// A dispatcher unlinks d-2: it gets its own case; the first case
	// records the unlink and keeps the others.
	d2, err := s.Incidents(ctxT(t), cases.IncidentFilter{Channel: cases.Video})
	if err != nil || len(d2) != 1 {
		t.Fatal(d2, err)
	}
	un, err := s.UnlinkIncident(ctxT(t), d2[0].ID, category(t, "env_litter"), "disp", caseT0.Add(3*time.Hour))
	if err != nil || un.Duplicate || un.Case == first.Case || un.Case == 0 {
		t.Fatalf("unlink: %+v %v", un, err)
	}
	c, _ = s.Case(ctxT(t), first.Case)
	if len(c.Incidents) != 2 || c.Events[len(c.Events)-1].Action != cases.ActUnlink {
		t.Fatalf("after unlink: %v %+v", c.Incidents, c.Events)
	}
	if _, err := s.UnlinkIncident(ctxT(t), un.ID, category(t, "env_litter"), "disp", caseT0); !errs.Is(err, errs.Conflict) {
		t.Fatalf("unlink twice: %v", err)
	}

	// A closed case takes no more duplicates.
	void := func(c cases.Case) (cases.Case, cases.Event, error) {
		return cases.Apply(c, cases.Command{Action: cases.ActVoid, Reason: "test"}, category(t, "env_litter"), caseT0.Add(4*time.Hour))
	}
	if _, err := s.Transition(ctxT(t), first.Case, void); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Transition(ctxT(t), un.Case, void); err != nil {
		t.Fatal(err)
	}
	// d-7 lies within 24 h of d-1 (void now) and of d-6 (open, reported
	// 20 h after it): it joins d-6's case.
	late := mustIntake(t, s, report(cases.Hotline, "d-7", "env_litter", here, caseT0.Add(5*time.Hour)))
	if !late.Duplicate || late.Case != d6 {
		t.Fatalf("d-7 on case %d, want d-6's %d", late.Case, d6)
	}
	if _, err := s.Transition(ctxT(t), d6, void); err != nil {
		t.Fatal(err)
	}
	last := mustIntake(t, s, report(cases.Hotline, "d-8", "env_litter", here, caseT0.Add(5*time.Hour)))
	if last.Duplicate || last.Case == first.Case || last.Case == d6 {
		t.Fatalf("linked to a void case: %+v", last)
	}
}

func testManualQueue(t *testing.T, s cases.Store) {
	in := report(cases.Hotline, "m-1", "liv_elderly_help", orb.Point{}, caseT0)
	in.Located, in.Loc, in.LocatedBy, in.Score = false, orb.Point{}, "", 0
	in.Street, in.Community, in.Grid, in.Routing = "", "", "", cases.Routing{}
	in.Address, in.Reason = "不存在的路", "no standard address resembles the address"
	q := mustIntake(t, s, in)
	if q.Located || q.Case != 0 || q.Reason == "" {
		t.Fatalf("queued: %+v", q)
	}
	mustIntake(t, s, report(cases.Hotline, "m-2", "liv_elderly_help", here, caseT0))
	no := false
	queue, err := s.Incidents(ctxT(t), cases.IncidentFilter{Located: &no})
	if err != nil || len(queue) != 1 || queue[0].ID != q.ID {
		t.Fatalf("queue %+v %v", queue, err)
	}
	loc := cases.Location{Loc: offsetM(here, 500), LocatedBy: cases.ByManual, Score: 1, Street: "440305001",
		Community: "440305001002", Grid: "440305001002001", Routing: cases.Routing{Subcentre: "S1", Workers: []string{}}}
	got, err := s.LocateIncident(ctxT(t), q.ID, loc, category(t, "liv_elderly_help"), caseT0.Add(time.Hour))
	if err != nil || !got.Located || got.LocatedBy != cases.ByManual || got.Case == 0 || got.Reason != "" || got.Grid != loc.Grid {
		t.Fatalf("located: %+v %v", got, err)
	}
	if queue, _ := s.Incidents(ctxT(t), cases.IncidentFilter{Located: &no}); len(queue) != 0 {
		t.Fatalf("still queued: %+v", queue)
	}
	if _, err := s.LocateIncident(ctxT(t), q.ID, loc, category(t, "liv_elderly_help"), caseT0); !errs.Is(err, errs.Conflict) {
		t.Fatalf("locate twice: %v", err)
	}
	if _, err := s.LocateIncident(ctxT(t), 999, loc, category(t, "liv_elderly_help"), caseT0); !errs.Is(err, errs.NotFound) {
		t.Fatalf("locate missing: %v", err)
	}
}

// step applies cmd to case id at at through the store.
func step(t *testing.T, s cases.Store, id cases.CaseID, cat cases.Category, at time.Time, cmd cases.Command) (cases.Case, error) {
	t.Helper()
	return s.Transition(ctxT(t), id, func(c cases.Case) (cases.Case, cases.Event, error) {
		return cases.Apply(c, cmd, cat, at)
	})
}

func yesNo(b bool) *bool { return &b }

func testLifecycle(t *testing.T, s cases.Store) {
	cat := category(t, "env_litter")
	in := mustIntake(t, s, report(cases.GridWorker, "l-1", cat.Code, here, caseT0))
	at := caseT0
	var c cases.Case
	for i, cmd := range []cases.Command{
		{Action: cases.ActFile}, {Action: cases.ActDispatch, Unit: "U7"}, {Action: cases.ActAccept},
		{Action: cases.ActArrive}, {Action: cases.ActResolve}, {Action: cases.ActVerify, OK: yesNo(false), Note: "still dirty"},
		{Action: cases.ActAccept}, {Action: cases.ActResolve}, {Action: cases.ActVerify, OK: yesNo(true)},
		{Action: cases.ActEvaluate, Satisfaction: 5},
	} {
		at = at.Add(7 * time.Minute)
		cmd.Actor, cmd.Role = "actor", "dispatcher"
		var err error
		if c, err = step(t, s, in.Case, cat, at, cmd); err != nil {
			t.Fatalf("step %d %s: %v", i, cmd.Action, err)
		}
	}
	got, err := s.Case(ctxT(t), in.Case)
	if err != nil {
		t.Fatal(err)
	}
	if got.Stage != cases.Evaluated || got.Rework != 1 || got.Satisfaction != 5 || got.Unit != "U7" ||
		!got.DispatchedAt.Equal(caseT0.Add(14*time.Minute)) || !got.ClosedAt.Equal(at.Add(-7*time.Minute)) {
		t.Fatalf("derived state %+v", got)
	}
	wantStages := []cases.Stage{cases.Reported, cases.Filed, cases.Dispatched, cases.Handling, cases.Handling, cases.Resolved,
		cases.Dispatched, cases.Handling, cases.Resolved, cases.Closed, cases.Evaluated}
	if len(got.Events) != len(wantStages) {
		t.Fatalf("%d events: %+v", len(got.Events), got.Events)
	}
	for i, ev := range got.Events {
		if ev.Seq != i+1 || ev.To != wantStages[i] || (i > 0 && ev.From != wantStages[i-1]) {
			t.Errorf("event %d: %+v", i, ev)
		}
	}
	if ev := got.Events[6]; ev.OK == nil || *ev.OK || ev.Note != "still dirty" || ev.Actor != "actor" {
		t.Errorf("rework event %+v", ev)
	}
	// The case's stored state is what the transitions returned.
	c.Incidents, c.Events = got.Incidents, got.Events
	if !reflect.DeepEqual(c, got) {
		t.Errorf("stored\n%+v\nreturned\n%+v", got, c)
	}

	// An illegal transition is a StageError and changes nothing.
	_, err = step(t, s, in.Case, cat, at, cases.Command{Action: cases.ActAccept})
	var se *cases.StageError
	if !errors.As(err, &se) || se.Stage != cases.Evaluated || !errs.Is(err, errs.Conflict) {
		t.Fatalf("illegal: %v", err)
	}
	after, _ := s.Case(ctxT(t), in.Case)
	if len(after.Events) != len(got.Events) || !after.UpdatedAt.Equal(got.UpdatedAt) {
		t.Fatal("an illegal transition changed the case")
	}
	if _, err := step(t, s, 9999, cat, at, cases.Command{Action: cases.ActFile}); !errs.Is(err, errs.NotFound) {
		t.Fatalf("missing case: %v", err)
	}
}

// testOneCasePerUnit: a unit holds one active case; the loser of a race
// gets a Conflict naming the held case; resolving releases the unit.
func testOneCasePerUnit(t *testing.T, s cases.Store) {
	cat := category(t, "str_illegal_parking")
	const n = 8
	ids := make([]cases.CaseID, n)
	for i := range n {
		in := mustIntake(t, s, report(cases.Patrol, fmt.Sprintf("u-%d", i), cat.Code, offsetM(here, float64(i)*200), caseT0))
		ids[i] = in.Case
		if _, err := step(t, s, in.Case, cat, caseT0, cases.Command{Action: cases.ActFile}); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	errList := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errList[i] = step(t, s, ids[i], cat, caseT0.Add(time.Minute), cases.Command{Action: cases.ActDispatch, Unit: "P-1"})
		}()
	}
	wg.Wait()
	winner := -1
	for i, err := range errList {
		if err == nil {
			if winner >= 0 {
				t.Fatalf("cases %d and %d both hold P-1", ids[winner], ids[i])
			}
			winner = i
		}
	}
	if winner < 0 {
		t.Fatalf("nobody won: %v", errList)
	}
	for i, err := range errList {
		if i == winner {
			continue
		}
		var busy *store.UnitBusyError
		if !errors.As(err, &busy) || busy.Case != ids[winner] || !errs.Is(err, errs.Conflict) {
			t.Fatalf("loser %d: %v (winner case %d)", i, err, ids[winner])
		}
	}
	loser := ids[(winner+1)%n]
	for _, a := range []cases.Action{cases.ActAccept, cases.ActResolve} {
		if _, err := step(t, s, ids[winner], cat, caseT0.Add(2*time.Minute), cases.Command{Action: a}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := step(t, s, loser, cat, caseT0.Add(3*time.Minute), cases.Command{Action: cases.ActDispatch, Unit: "P-1"}); err != nil {
		t.Fatalf("after the unit was released: %v", err)
	}
	// Dispatching the held case to the same unit again is refused by the
	// lifecycle (a repeat), not as a clash of the case with itself.
	_, err := step(t, s, loser, cat, caseT0.Add(4*time.Minute), cases.Command{Action: cases.ActDispatch, Unit: "P-1"})
	var busy *store.UnitBusyError
	if e, ok := errs.As(err); !ok || e.Code != errs.Conflict || e.Field != "unit" || errors.As(err, &busy) {
		t.Fatalf("redispatch to the same unit: %v, want the lifecycle's Conflict naming unit", err)
	}
	// Rework sends the winner back to P-1, which now holds another case.
	if _, err := step(t, s, ids[winner], cat, caseT0.Add(5*time.Minute), cases.Command{Action: cases.ActVerify, OK: yesNo(false)}); !errs.Is(err, errs.Conflict) {
		t.Fatalf("rework onto a busy unit: %v", err)
	}
}

func testEscalations(t *testing.T, s cases.Store) {
	cat := category(t, "env_litter") // dispatch within 1 h
	a := mustIntake(t, s, report(cases.Hotline, "e-1", cat.Code, here, caseT0))
	b := mustIntake(t, s, report(cases.Hotline, "e-2", cat.Code, offsetM(here, 900), caseT0.Add(30*time.Minute)))
	due := func(at time.Time) []cases.CaseID {
		ids, err := s.EscalationsDue(ctxT(t), at, 0)
		if err != nil {
			t.Fatal(err)
		}
		return ids
	}
	if ids := due(caseT0.Add(59 * time.Minute)); len(ids) != 0 {
		t.Fatalf("due early: %v", ids)
	}
	if ids := due(caseT0.Add(95 * time.Minute)); !reflect.DeepEqual(ids, []cases.CaseID{a.Case, b.Case}) {
		t.Fatalf("due: %v", ids)
	}
	esc := cases.Command{Action: cases.ActEscalate, Actor: "system", Role: "system"}
	c, err := step(t, s, a.Case, cat, caseT0.Add(95*time.Minute), esc)
	if err != nil || c.Escalation != 1 {
		t.Fatal(c, err)
	}
	if ids := due(caseT0.Add(95 * time.Minute)); !reflect.DeepEqual(ids, []cases.CaseID{b.Case}) {
		t.Fatalf("after one escalation: %v", ids)
	}
	// b (level 0) has been due since 09:30, a's second level since 10:00.
	if ids := due(caseT0.Add(3 * time.Hour)); !reflect.DeepEqual(ids, []cases.CaseID{b.Case, a.Case}) {
		t.Fatalf("second level: %v", ids)
	}
	if _, err := step(t, s, b.Case, cat, caseT0.Add(3*time.Hour), cases.Command{Action: cases.ActVoid, Reason: "test"}); err != nil {
		t.Fatal(err)
	}
	if ids := due(caseT0.Add(3 * time.Hour)); !reflect.DeepEqual(ids, []cases.CaseID{a.Case}) {
		t.Fatalf("a void case is not escalated: %v", ids)
	}
}

func testCaseFilters(t *testing.T, s cases.Store) {
	cat := category(t, "env_litter")
	for i := range 5 {
		in := report(cases.Channels[i], fmt.Sprintf("f-%d", i), cat.Code, offsetM(here, float64(i)*1000), caseT0.Add(time.Duration(i)*time.Hour))
		if i%2 == 1 {
			in.Street, in.Community, in.Grid = "440305002", "440305002001", "440305002001001"
		}
		mustIntake(t, s, in)
	}
	box := orb.Bound{Min: offsetM(here, -10), Max: orb.Point{offsetM(here, 1500)[0], here[1] + 0.001}}
	for name, tc := range map[string]struct {
		f    cases.CaseFilter
		want int
	}{
		"all":       {cases.CaseFilter{}, 5},
		"street":    {cases.CaseFilter{Street: "440305002"}, 2},
		"grid":      {cases.CaseFilter{Grid: "440305001002003"}, 3},
		"channel":   {cases.CaseFilter{Channel: cases.Channels[1]}, 1},
		"bbox":      {cases.CaseFilter{BBox: &box}, 2},
		"period":    {cases.CaseFilter{From: caseT0.Add(time.Hour), To: caseT0.Add(3 * time.Hour)}, 2},
		"overdue":   {cases.CaseFilter{OverdueAt: caseT0.Add(150 * time.Minute)}, 2},
		"stage":     {cases.CaseFilter{Stage: cases.Filed}, 0},
		"page":      {cases.CaseFilter{Limit: 2, Offset: 4}, 5},
		"category":  {cases.CaseFilter{Category: "env_sewage"}, 0},
		"community": {cases.CaseFilter{Community: "440305002001"}, 2},
	} {
		got, n, err := s.Cases(ctxT(t), tc.f)
		if err != nil || n != tc.want {
			t.Errorf("%s: %d matched (%v), want %d", name, n, err, tc.want)
		}
		if name == "page" && len(got) != 1 {
			t.Errorf("page: %d cases", len(got))
		}
	}
}

// testKPIs drives random cases through the store and compares the store's
// KPIs with cases.ComputeKPIs over the cases as the transitions returned
// them.
func testKPIs(t *testing.T, s cases.Store) {
	rng := rand.New(rand.NewSource(12))
	cats := categories(t).All()
	streets := []string{"440305001", "440305002"}
	var all []cases.Case
	for i := range 80 {
		cat := cats[rng.Intn(len(cats))]
		at := caseT0.Add(time.Duration(rng.Intn(72*60)) * time.Minute)
		in := report(cases.Channels[rng.Intn(len(cases.Channels))], fmt.Sprintf("k-%d", i), cat.Code,
			offsetM(here, float64(i)*300), at)
		in.Street = streets[i%2]
		in.Community = in.Street + fmt.Sprintf("%03d", 1+i%3)
		in.Grid = in.Community + "001"
		got := mustIntake(t, s, in)
		c := driveRandom(t, s, rng, got.Case, cat, at, fmt.Sprintf("U%d", i))
		all = append(all, c)
	}
	for _, q := range []cases.KPIQuery{
		{Level: cases.LevelDistrict, From: caseT0, To: caseT0.Add(96 * time.Hour), AsOf: caseT0.Add(60 * time.Hour)},
		{Level: cases.LevelDistrict, From: caseT0.Add(12 * time.Hour), To: caseT0.Add(36 * time.Hour), AsOf: caseT0.Add(36 * time.Hour)},
		{Level: cases.LevelStreet, Code: streets[1], From: caseT0, To: caseT0.Add(96 * time.Hour), AsOf: caseT0.Add(96 * time.Hour)},
		{Level: cases.LevelCommunity, Code: streets[0] + "002", From: caseT0, To: caseT0.Add(96 * time.Hour), AsOf: caseT0.Add(50 * time.Hour)},
		{Level: cases.LevelGrid, Code: streets[0] + "001001", From: caseT0, To: caseT0.Add(96 * time.Hour), AsOf: caseT0.Add(50 * time.Hour)},
		{Level: cases.LevelGrid, Code: "nowhere", From: caseT0, To: caseT0.Add(96 * time.Hour), AsOf: caseT0.Add(50 * time.Hour)},
		// The visible area of a map: the first 30 cases' points, the 30th
		// exactly on the box's east edge (closed box: it counts).
		{Level: cases.LevelDistrict, From: caseT0, To: caseT0.Add(96 * time.Hour), AsOf: caseT0.Add(60 * time.Hour), BBox: kpiBox(0, 29)},
		{Level: cases.LevelStreet, Code: streets[0], From: caseT0, To: caseT0.Add(96 * time.Hour), AsOf: caseT0.Add(60 * time.Hour), BBox: kpiBox(10, 49)},
	} {
		got, err := s.KPIs(ctxT(t), q)
		if err != nil {
			t.Fatalf("%+v: %v", q, err)
		}
		want := cases.ComputeKPIs(all, q)
		cases.RoundKPIs(&got)
		cases.RoundKPIs(&want)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s %s:\nstore %+v\n   go %+v", q.Level, q.Code, got, want)
		}
		if q.BBox != nil && want.Cases < 15 {
			t.Errorf("the box holds only %d cases: it does not test the bbox filter", want.Cases)
		}
		if q.Level == cases.LevelDistrict && q.From.Equal(caseT0) && q.BBox == nil && (want.Cases < 60 || want.Closed < 10 || want.Satisfaction.Count < 3 || len(want.Workload.Units) < 10) {
			t.Errorf("the random cases do not exercise the KPIs: %+v", want)
		}
	}
	if _, err := s.KPIs(ctxT(t), cases.KPIQuery{Level: "city", From: caseT0, To: caseT0.Add(time.Hour), AsOf: caseT0}); !errs.Is(err, errs.Invalid) {
		t.Fatalf("bad level: %v", err)
	}
}

// kpiBox is the box around the points of testKPIs's cases i to j
// (offsetM(here, k*300) moves east with k).
func kpiBox(i, j int) *orb.Bound {
	a, b := offsetM(here, float64(i)*300), offsetM(here, float64(j)*300)
	return &orb.Bound{Min: orb.Point{a[0], a[1] - 0.001}, Max: orb.Point{b[0], b[1] + 0.001}}
}

// driveRandom moves a case a random distance along its path, with
// minute-granular random delays, and returns it as the store returned it.
func driveRandom(t *testing.T, s cases.Store, rng *rand.Rand, id cases.CaseID, cat cases.Category, at time.Time, unit string) cases.Case {
	t.Helper()
	c, err := s.Case(ctxT(t), id)
	if err != nil {
		t.Fatal(err)
	}
	c.Incidents, c.Events = nil, nil
	if rng.Intn(12) == 0 {
		c, err = step(t, s, id, cat, at.Add(time.Minute), cases.Command{Action: cases.ActVoid, Reason: "invalid"})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	plan := []cases.Command{{Action: cases.ActFile}, {Action: cases.ActDispatch, Unit: unit}, {Action: cases.ActAccept},
		{Action: cases.ActArrive}, {Action: cases.ActResolve}}
	if cat.Path == cases.Department {
		plan = []cases.Command{{Action: cases.ActFile}, {Action: cases.ActEscalate}, {Action: cases.ActDispatch, Department: cat.Department},
			{Action: cases.ActAccept}, {Action: cases.ActResolve}}
	}
	if rng.Intn(4) == 0 {
		plan = append(plan, cases.Command{Action: cases.ActVerify, OK: yesNo(false)}, cases.Command{Action: cases.ActAccept},
			cases.Command{Action: cases.ActResolve})
	}
	plan = append(plan, cases.Command{Action: cases.ActVerify, OK: yesNo(true)})
	if rng.Intn(2) == 0 {
		plan = append(plan, cases.Command{Action: cases.ActEvaluate, Satisfaction: 1 + rng.Intn(5)})
	} else if rng.Intn(3) == 0 {
		plan = append(plan, cases.Command{Action: cases.ActEvaluate, SpotCheck: true})
	}
	steps := rng.Intn(len(plan) + 3)
	for i := 0; i < steps && i < len(plan); i++ {
		at = at.Add(time.Duration(1+rng.Intn(600)) * time.Minute)
		if c, err = step(t, s, id, cat, at, plan[i]); err != nil {
			t.Fatalf("case %d %s: %v", id, plan[i].Action, err)
		}
	}
	return c
}

// testIntakeAnswerIsStored: Intake's answer (a new case, a linked
// duplicate) is what Incident reads back, also for times finer than the
// store keeps and for absent lists (a backend may answer without reading
// back).
func testIntakeAnswerIsStored(t *testing.T, s cases.Store) {
	at := caseT0.Add(123456789 * time.Nanosecond).In(time.FixedZone("CST", 8*3600))
	a := report(cases.Hotline, "fine-1", "env_litter", here, at)
	a.ReceivedAt = at.Add(987654321 * time.Nanosecond)
	a.Media, a.Routing.Workers = nil, nil
	b := report(cases.Video, "fine-2", "env_litter", offsetM(here, 10), at.Add(time.Minute+1))
	b.Media = nil
	for i, in := range []*cases.Incident{a, b} {
		got, created, err := s.Intake(ctxT(t), in, category(t, in.Category), in.ReceivedAt)
		if err != nil || !created || got.Case == 0 || got.Duplicate != (i == 1) {
			t.Fatalf("intake %s: %+v %v %v", in.ExternalID, got, created, err)
		}
		read, err := s.Incident(ctxT(t), got.ID)
		if err != nil || !reflect.DeepEqual(got, read) {
			t.Fatalf("%s: Intake answered\n%+v\nIncident reads\n%+v (%v)", in.ExternalID, got, read, err)
		}
	}
}

// testLinksBesideTransitions: duplicates are linked to a case while the
// case is moved at the same moment; every intake and every transition
// succeeds and the case's events are numbered 1..n without a gap.
func testLinksBesideTransitions(t *testing.T, s cases.Store) {
	first := mustIntake(t, s, report(cases.Hotline, "lt-0", "env_litter", here, caseT0))
	const n = 12
	var wg sync.WaitGroup
	errc := make(chan error, 2*n)
	for i := 0; i < n; i++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			in := report(cases.Video, fmt.Sprintf("lt-%d", i+1), "env_litter", offsetM(here, float64(i)), caseT0.Add(time.Minute))
			got, _, err := s.Intake(ctxT(t), in, category(t, in.Category), in.ReceivedAt)
			if err == nil && (got.Case != first.Case || !got.Duplicate) {
				err = fmt.Errorf("%s: case %d, duplicate %v", in.ExternalID, got.Case, got.Duplicate)
			}
			errc <- err
		}()
		go func() {
			defer wg.Done()
			_, err := s.Transition(ctxT(t), first.Case, func(c cases.Case) (cases.Case, cases.Event, error) {
				return c, cases.Event{Action: cases.ActEscalate, From: c.Stage, To: c.Stage, Actor: "t", Role: "dispatcher",
					At: caseT0.Add(time.Hour), Note: fmt.Sprint(i)}, nil
			})
			errc <- err
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			t.Error(err)
		}
	}
	c, err := s.Case(ctxT(t), first.Case)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Events) != 1+2*n {
		t.Errorf("%d events, want %d", len(c.Events), 1+2*n)
	}
	for i, ev := range c.Events {
		if ev.Seq != i+1 {
			t.Fatalf("event %d has seq %d", i, ev.Seq)
		}
	}
}

// testWarmThenIntake: a warmed store (store.Warmer) still takes reports on
// every intake path — a new case, a duplicate of it, a retry — and
// answers what it stored; warming twice is harmless.
func testWarmThenIntake(t *testing.T, st store.Store) {
	w, ok := st.(store.Warmer)
	if !ok {
		t.Fatalf("%T does not implement store.Warmer", st)
	}
	for range 2 {
		if err := w.Warm(ctxT(t)); err != nil {
			t.Fatalf("Warm: %v", err)
		}
	}
	s := st.(cases.Store)
	first := mustIntake(t, s, report(cases.Hotline, "w-1", "env_litter", here, caseT0))
	dup := mustIntake(t, s, report(cases.Hotline, "w-2", "env_litter", offsetM(here, 10), caseT0.Add(time.Minute)))
	if first.Case == 0 || first.Duplicate || dup.Case != first.Case || !dup.Duplicate {
		t.Fatalf("first %+v, duplicate %+v", first, dup)
	}
	again, created, err := s.Intake(ctxT(t), report(cases.Hotline, "w-1", "env_litter", here, caseT0), category(t, "env_litter"), caseT0)
	if err != nil || created || again.ID != first.ID {
		t.Fatalf("retry: %+v %v %v", again, created, err)
	}
	for _, in := range []cases.Incident{first, dup} {
		got, err := s.Incident(ctxT(t), in.ID)
		if err != nil || !reflect.DeepEqual(got, in) {
			t.Fatalf("Incident %d:\n got %+v %v\nwant %+v", in.ID, got, err, in)
		}
	}
}
