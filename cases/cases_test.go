package cases

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/errs"
)

var t0 = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

func defaults(t testing.TB) *Categories {
	t.Helper()
	cats, err := DefaultCategories()
	if err != nil {
		t.Fatal(err)
	}
	return cats
}

func TestDefaultCategories(t *testing.T) {
	cats := defaults(t)
	classes := map[string]bool{}
	paths := map[Path]int{}
	for _, c := range cats.All() {
		classes[c.Class] = true
		paths[c.Path]++
	}
	for _, want := range []string{"市容环境", "宣传广告", "施工管理", "突发事件", "街面秩序", "其他", "矛盾纠纷", "治安隐患", "民生服务", "安全生产"} {
		if !classes[want] {
			t.Errorf("class %s missing", want)
		}
	}
	if paths[OnSite] == 0 || paths[Department] == 0 {
		t.Errorf("paths %v", paths)
	}
	if _, ok := cats.Get("no_such"); ok {
		t.Error("Get of an unknown code")
	}
}

func TestReadCategoriesRejects(t *testing.T) {
	head := strings.Join(categoryHeader, ",") + "\n"
	for name, tc := range map[string]struct{ csv, field string }{
		"header":      {"code,name\n", "categories.csv:1"},
		"path":        {head + "a,甲,其他,walk,,3,1,2,4,0\n", "categories/0"},
		"dept":        {head + "a,甲,其他,department,,3,1,2,4,0\n", "categories/0"},
		"priority":    {head + "a,甲,其他,on_site,,x,1,2,4,0\n", "categories.csv:2"},
		"hours":       {head + "a,甲,其他,on_site,,3,NaN,2,4,0\n", "categories.csv:2"},
		"negative":    {head + "a,甲,其他,on_site,,3,1,-2,4,0\n", "categories/0"},
		"close<disp":  {head + "a,甲,其他,on_site,,3,5,2,4,0\n", "categories/0"},
		"duplicate":   {head + "a,甲,其他,on_site,,3,1,2,4,0\na,乙,其他,on_site,,3,1,2,4,0\n", "categories/1"},
		"empty":       {head, "categories"},
		"cost":        {head + "a,甲,其他,on_site,,3,1,2,4,-1\n", "categories/0"},
		"code spaces": {head + "a b,甲,其他,on_site,,3,1,2,4,1\n", "categories/0"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ReadCategories(strings.NewReader(tc.csv))
			if !errs.Is(err, errs.Invalid) {
				t.Fatalf("got %v", err)
			}
			if !strings.Contains(err.Error(), tc.field) {
				t.Errorf("error %q does not name %s", err, tc.field)
			}
		})
	}
}

func FuzzReadCategories(f *testing.F) {
	f.Add(defaultCSV)
	f.Add(strings.Join(categoryHeader, ",") + "\na,甲,其他,on_site,,3,1,2,4,0\n")
	f.Fuzz(func(t *testing.T, s string) {
		cats, err := ReadCategories(strings.NewReader(s))
		if err != nil {
			if errs.CodeOf(err) != errs.Invalid {
				t.Fatalf("code %s", errs.CodeOf(err))
			}
			return
		}
		for _, c := range cats.All() {
			if err := c.Validate(); err != nil {
				t.Fatalf("accepted an invalid category %+v: %v", c, err)
			}
		}
	})
}

func cat(t testing.TB, code string) Category {
	c, ok := defaults(t).Get(code)
	if !ok {
		t.Fatalf("no category %s", code)
	}
	return c
}

func openCase(t testing.TB, code string) (Case, Category) {
	k := cat(t, code)
	in := &Incident{ID: 1, Channel: Hotline, Category: code, ReportedAt: t0, Loc: orb.Point{118.6, 32.05}, Located: true}
	c, ev := Open(in, k, t0)
	c.ID = 7
	if ev.To != Reported || ev.Action != ActOpen {
		t.Fatalf("opening event %+v", ev)
	}
	return c, k
}

func yes() *bool { b := true; return &b }
func no() *bool  { b := false; return &b }

// cmdFor builds a valid command for a.
func cmdFor(a Action, path Path) Command {
	c := Command{Action: a, Actor: "tester", Role: "dispatcher"}
	switch a {
	case ActDispatch:
		if path == OnSite {
			c.Unit = "P11"
		} else {
			c.Department = "DEPT-WA"
		}
	case ActVerify:
		c.OK = yes()
	case ActEvaluate:
		c.Satisfaction = 4
	case ActVoid:
		c.Reason = "duplicate of a phone call"
	}
	return c
}

// TestEveryTransition applies every action at every stage and checks the
// answer against the table: allowed actions move to the expected stage,
// the others are a Conflict naming the stage and the allowed actions.
func TestEveryTransition(t *testing.T) {
	want := map[Stage]map[Action]Stage{
		Reported:   {ActFile: Filed, ActEscalate: Reported, ActVoid: Void},
		Filed:      {ActDispatch: Dispatched, ActEscalate: Filed, ActVoid: Void},
		Dispatched: {ActDispatch: Dispatched, ActAccept: Handling, ActEscalate: Dispatched, ActVoid: Void},
		Handling:   {ActArrive: Handling, ActResolve: Resolved, ActEscalate: Handling, ActVoid: Void},
		Resolved:   {ActVerify: Closed, ActEscalate: Resolved, ActVoid: Void},
		Closed:     {ActEvaluate: Evaluated},
		Evaluated:  {},
		Void:       {},
	}
	for _, path := range []Path{OnSite, Department} {
		code := "env_litter"
		if path == Department {
			code = "env_sewage"
		}
		for _, st := range Stages {
			for _, a := range Actions {
				c, k := openCase(t, code)
				c.Stage = st
				if st.HoldsUnit() && path == OnSite {
					c.Unit = "P11"
				}
				if st == Dispatched { // a re-dispatch goes to another unit or department
					if path == OnSite {
						c.Unit = "P10"
					} else {
						c.Department = "DEPT-OLD"
					}
				}
				got, ev, err := Apply(c, cmdFor(a, path), k, t0.Add(time.Hour))
				to, ok := want[st][a]
				if path == Department && a == ActArrive {
					ok = false // departments report back; they do not "arrive"
				}
				name := fmt.Sprintf("%s/%s/%s", path, st, a)
				if !ok {
					var se *StageError
					if !errors.As(err, &se) || !errs.Is(err, errs.Conflict) || se.Stage != st {
						t.Errorf("%s: got %v, want a StageError at %s", name, err, st)
						continue
					}
					if !slices.Equal(se.Allowed, Allowed(&c)) || !strings.Contains(err.Error(), string(st)) {
						t.Errorf("%s: allowed %v, message %q", name, se.Allowed, err)
					}
					for _, x := range se.Allowed {
						if _, ok := want[st][x]; !ok {
							t.Errorf("%s: allows %s", name, x)
						}
					}
					continue
				}
				if err != nil {
					t.Errorf("%s: %v", name, err)
					continue
				}
				if got.Stage != to || ev.From != st || ev.To != to || ev.Action != a || !ev.At.Equal(t0.Add(time.Hour)) {
					t.Errorf("%s: stage %s event %+v, want %s", name, got.Stage, ev, to)
				}
			}
		}
	}
}

// TestIfVersion: an action sent with the version its sender read applies
// to that state only; a retry of it (the version it read is gone) is a
// Conflict naming If-Match and changes nothing; without a version the
// action applies as before.
func TestIfVersion(t *testing.T) {
	c, k := openCase(t, "env_litter")
	v0 := c.Version()
	file := cmdFor(ActFile, OnSite)
	file.IfVersion = v0
	c1, _, err := Apply(c, file, k, t0.Add(time.Minute))
	if err != nil || c1.Stage != Filed || c1.Version() == v0 {
		t.Fatalf("file at version %s: %v, stage %s, version %s", v0, err, c1.Stage, c1.Version())
	}
	esc := Command{Action: ActEscalate, Actor: "d", Role: "dispatcher", IfVersion: c1.Version()}
	c2, _, err := Apply(c1, esc, k, t0.Add(2*time.Minute))
	if err != nil || c2.Escalation != 1 {
		t.Fatalf("escalate: %v, level %d", err, c2.Escalation)
	}
	// The same escalation retried: its version is gone, nothing changes.
	c3, _, err := Apply(c2, esc, k, t0.Add(3*time.Minute))
	if e, ok := errs.As(err); !ok || e.Code != errs.Conflict || e.Field != "If-Match" {
		t.Fatalf("a retried escalation: %v, want a Conflict naming If-Match", err)
	}
	if c3.Escalation != 1 || c3.Version() != c2.Version() {
		t.Fatalf("a refused retry changed the case: level %d, version %s", c3.Escalation, c3.Version())
	}
	esc.IfVersion = ""
	if c4, _, err := Apply(c2, esc, k, t0.Add(3*time.Minute)); err != nil || c4.Escalation != 2 {
		t.Fatalf("an escalation without a version: %v, level %d", err, c4.Escalation)
	}
}

// TestRepeatedDispatch: dispatching a case to the unit or department it
// is dispatched to already is a Conflict naming the field (a retry would
// only add an event); to another one it reassigns.
func TestRepeatedDispatch(t *testing.T) {
	for _, path := range []Path{OnSite, Department} {
		code := map[Path]string{OnSite: "env_litter", Department: "env_sewage"}[path]
		c, k := openCase(t, code)
		c, _, _ = Apply(c, cmdFor(ActFile, path), k, t0)
		d := cmdFor(ActDispatch, path)
		c, _, err := Apply(c, d, k, t0.Add(time.Minute))
		if err != nil || c.Stage != Dispatched {
			t.Fatalf("%s: dispatch: %v", path, err)
		}
		field := map[Path]string{OnSite: "unit", Department: "department"}[path]
		if _, _, err := Apply(c, d, k, t0.Add(2*time.Minute)); !errs.Is(err, errs.Conflict) || !strings.Contains(err.Error(), field) {
			t.Fatalf("%s: the same dispatch again: %v, want a Conflict naming %s", path, err, field)
		}
		other := d
		if path == OnSite {
			other.Unit = "P12"
		} else {
			other.Department = "DEPT-OTHER"
		}
		if c2, _, err := Apply(c, other, k, t0.Add(2*time.Minute)); err != nil || c2.Unit != other.Unit || c2.Department != other.Department {
			t.Fatalf("%s: reassign: %v %+v", path, err, c2)
		}
	}
}

func TestCommandValidate(t *testing.T) {
	for name, tc := range map[string]struct {
		c     Command
		field string
	}{
		"unknown":        {Command{Action: "fly"}, "action"},
		"dispatch none":  {Command{Action: ActDispatch}, "unit"},
		"dispatch both":  {Command{Action: ActDispatch, Unit: "P1", Department: "D"}, "unit"},
		"verify no ok":   {Command{Action: ActVerify}, "ok"},
		"evaluate 0":     {Command{Action: ActEvaluate}, "satisfaction"},
		"evaluate 6":     {Command{Action: ActEvaluate, Satisfaction: 6}, "satisfaction"},
		"void no reason": {Command{Action: ActVoid, Reason: "  "}, "reason"},
		"note too long":  {Command{Action: ActFile, Note: strings.Repeat("x", 2001)}, "note"},
	} {
		err := tc.c.Validate()
		e, ok := errs.As(err)
		if !ok || e.Code != errs.Invalid || e.Field != tc.field {
			t.Errorf("%s: got %v, want invalid %s", name, err, tc.field)
		}
	}
	if err := (&Command{Action: ActEvaluate, SpotCheck: true}).Validate(); err != nil {
		t.Errorf("spot check: %v", err)
	}
}

// TestOnSiteLoop walks an on-site case to evaluated with a rework, checking
// deadlines and derived times at each step.
func TestOnSiteLoop(t *testing.T) {
	c, k := openCase(t, "env_litter") // dispatch 1h, arrive 2h, close 24h
	if want := t0.Add(time.Hour); !c.Deadline.Equal(want) || !c.EscalateAt.Equal(want) {
		t.Fatalf("opened: deadline %v escalate %v", c.Deadline, c.EscalateAt)
	}
	if !c.DueAt.Equal(t0.Add(24 * time.Hour)) {
		t.Fatalf("due %v", c.DueAt)
	}
	at := t0
	do := func(a Action, mod func(*Command)) {
		t.Helper()
		at = at.Add(10 * time.Minute)
		cmd := cmdFor(a, OnSite)
		if mod != nil {
			mod(&cmd)
		}
		var err error
		c, _, err = Apply(c, cmd, k, at)
		if err != nil {
			t.Fatalf("%s: %v", a, err)
		}
	}
	do(ActFile, nil)
	do(ActDispatch, nil)
	if c.Unit != "P11" || !c.DispatchedAt.Equal(t0.Add(20*time.Minute)) || !c.Deadline.Equal(at.Add(2*time.Hour)) {
		t.Fatalf("dispatched: %+v", c)
	}
	do(ActAccept, nil)
	if !c.Deadline.Equal(t0.Add(20*time.Minute + 2*time.Hour)) {
		t.Fatalf("accepted keeps the arrival deadline: %v", c.Deadline)
	}
	do(ActArrive, nil)
	if !c.Deadline.Equal(c.DueAt) {
		t.Fatalf("arrived: deadline %v", c.Deadline)
	}
	do(ActResolve, nil)
	do(ActVerify, func(cmd *Command) { cmd.OK = no() })
	if c.Stage != Dispatched || c.Rework != 1 || !c.ResolvedAt.IsZero() || !c.Deadline.Equal(at.Add(2*time.Hour)) {
		t.Fatalf("rework: %+v", c)
	}
	do(ActAccept, nil)
	do(ActResolve, nil)
	do(ActVerify, nil)
	if c.Stage != Closed || c.ClosedAt.IsZero() || !c.Deadline.IsZero() || !c.EscalateAt.IsZero() {
		t.Fatalf("closed: %+v", c)
	}
	do(ActEvaluate, nil)
	if c.Stage != Evaluated || c.Satisfaction != 4 {
		t.Fatalf("evaluated: %+v", c)
	}
	if !c.DispatchedAt.Equal(t0.Add(20 * time.Minute)) {
		t.Errorf("the first dispatch time moved: %v", c.DispatchedAt)
	}
}

func TestDepartmentDeadline(t *testing.T) {
	c, k := openCase(t, "env_sewage")
	if c.Department != "DEPT-WA" || c.Path != Department {
		t.Fatalf("%+v", c)
	}
	c, _, _ = Apply(c, cmdFor(ActFile, Department), k, t0)
	c, _, err := Apply(c, Command{Action: ActDispatch, Unit: "P1"}, k, t0)
	if !errs.Is(err, errs.Invalid) {
		t.Fatalf("a unit on the department path: %v", err)
	}
	c, _, err = Apply(c, cmdFor(ActDispatch, Department), k, t0.Add(time.Minute))
	if err != nil || !c.Deadline.Equal(c.DueAt) || !c.DueAt.Equal(t0.Add(48*time.Hour)) {
		t.Fatalf("department deadline %v due %v: %v", c.Deadline, c.DueAt, err)
	}
}

// TestEscalationRule: the loop escalates at the deadline to the
// sub-centre, a further dispatch limit (at least an hour) later to the
// centre, and never past the centre; a stage change resets the level.
func TestEscalationRule(t *testing.T) {
	c, k := openCase(t, "env_litter")
	if EscalationDue(&c, t0.Add(59*time.Minute)) {
		t.Fatal("due before the deadline")
	}
	if !EscalationDue(&c, t0.Add(time.Hour)) {
		t.Fatal("not due at the deadline")
	}
	sys := Command{Action: ActEscalate, Actor: "system"}
	c, ev, err := Apply(c, sys, k, t0.Add(time.Hour))
	if err != nil || c.Escalation != 1 || ev.From != Reported || ev.To != Reported {
		t.Fatalf("first: %+v %v", c, err)
	}
	if !c.EscalateAt.Equal(t0.Add(2*time.Hour)) || EscalationDue(&c, t0.Add(90*time.Minute)) {
		t.Fatalf("second escalation at %v", c.EscalateAt)
	}
	c, _, _ = Apply(c, sys, k, t0.Add(2*time.Hour))
	if c.Escalation != 2 || !c.EscalateAt.IsZero() || EscalationDue(&c, t0.Add(100*time.Hour)) {
		t.Fatalf("second: %+v", c)
	}
	if _, _, err := Apply(c, sys, k, t0.Add(3*time.Hour)); !errs.Is(err, errs.Conflict) {
		t.Fatalf("third: %v", err)
	}
	c, _, _ = Apply(c, cmdFor(ActFile, OnSite), k, t0.Add(3*time.Hour))
	if c.Escalation != 0 || !c.Overdue(t0.Add(3*time.Hour)) {
		t.Fatalf("filed late: %+v", c)
	}
}

func TestIncidentValidate(t *testing.T) {
	cats := defaults(t)
	good := Incident{Channel: Video, ExternalID: "v-1", Category: "env_litter", ReportedAt: t0}
	if err := good.Validate(cats); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		mod   func(*Incident)
		field string
	}{
		"channel":  {func(i *Incident) { i.Channel = "fax" }, "channel"},
		"external": {func(i *Incident) { i.ExternalID = " " }, "external_id"},
		"category": {func(i *Incident) { i.Category = "x" }, "category"},
		"time":     {func(i *Incident) { i.ReportedAt = time.Time{} }, "reported_at"},
		"media":    {func(i *Incident) { i.Media = []string{"ftp://x"} }, "media/0"},
		"location": {func(i *Incident) { i.Located, i.Loc = true, orb.Point{200, 0} }, "location"},
	} {
		in := good
		tc.mod(&in)
		e, ok := errs.As(in.Validate(cats))
		if !ok || e.Field != tc.field {
			t.Errorf("%s: got %v", name, e)
		}
	}
}

func TestParseIDs(t *testing.T) {
	for _, s := range []string{"", "0", "-1", "x", "1.5", "99999999999999999999"} {
		if _, err := ParseCaseID(s); !errs.Is(err, errs.Invalid) {
			t.Errorf("case %q: %v", s, err)
		}
		if _, err := ParseIncidentID(s); !errs.Is(err, errs.Invalid) {
			t.Errorf("incident %q: %v", s, err)
		}
	}
	if id, err := ParseCaseID("42"); err != nil || id != 42 {
		t.Errorf("42: %v %v", id, err)
	}
}

func TestMedianAndKPIDefinitions(t *testing.T) {
	if Median(nil) != -1 || Median([]float64{3, 1, 2}) != 2 || Median([]float64{4, 1, 2, 3}) != 2.5 {
		t.Fatal("median")
	}
	mk := func(ch Channel, path Path, closeAfter time.Duration, rework int) Case {
		c := Case{Stage: Closed, Path: path, Category: "env_litter", Channel: ch, ReportedAt: t0, DueAt: t0.Add(24 * time.Hour),
			DispatchedAt: t0.Add(10 * time.Minute), Unit: "P1", CostYuan: 80, Rework: rework}
		c.ResolvedAt = c.DispatchedAt.Add(time.Hour)
		c.ClosedAt = t0.Add(closeAfter)
		return c
	}
	cs := []Case{mk(Video, OnSite, 2*time.Hour, 0), mk(Video, OnSite, 30*time.Hour, 1), mk(Hotline, Department, 3*time.Hour, 0)}
	open := Case{Stage: Filed, Path: OnSite, Category: "x", Channel: Hotline, ReportedAt: t0, DueAt: t0.Add(time.Hour)}
	notDue := Case{Stage: Filed, Path: OnSite, Category: "x", Channel: Hotline, ReportedAt: t0, DueAt: t0.Add(1000 * time.Hour)}
	void := Case{Stage: Void, Path: OnSite, Category: "x", Channel: Hotline, ReportedAt: t0, DueAt: t0}
	cs = append(cs, open, notDue, void)
	k := ComputeKPIs(cs, KPIQuery{Level: LevelDistrict, From: t0, To: t0.Add(48 * time.Hour), AsOf: t0.Add(48 * time.Hour)})
	if k.Cases != 5 || k.Closed != 3 || k.Due != 4 || k.ClosureRate != 0.75 || k.OnTimeRate != 0.5 {
		t.Fatalf("%+v", k)
	}
	if k.ReworkRate != 1.0/3 || k.OnSiteShare != 0.8 || k.Median.Close != 180 || k.Median.Dispatch != 10 || k.Median.Accept != -1 {
		t.Fatalf("%+v", k)
	}
	if k.ByChannel["12345"] != 3 || len(k.Workload.Units) != 1 || k.Workload.Units[0].Cases != 3 || k.Workload.Units[0].Hours != 3 || k.Workload.Units[0].CostYuan != 240 {
		t.Fatalf("%+v", k)
	}
}

func TestReroute(t *testing.T) {
	at := time.Date(2026, 5, 4, 8, 0, 0, 0, time.UTC)
	base := Case{ID: 4, Stage: Handling, Unit: "U1", Street: "S", Community: "C", Grid: "G1"}
	to := Area{Street: "S", Community: "C", Grid: "G2"}
	tests := []struct {
		name   string
		c      Case
		to     Area
		wantOK bool
	}{
		{"open case, new grid", base, to, true},
		{"same area", base, Area{Street: "S", Community: "C", Grid: "G1"}, false},
		{"closed case", func() Case { c := base; c.Stage = Closed; return c }(), to, false},
		{"void case", func() Case { c := base; c.Stage = Void; return c }(), to, false},
		{"lost its grid", base, Area{Street: "S", Community: "C"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			next, ev, ok := Reroute(tc.c, tc.to, "3", at)
			if ok != tc.wantOK {
				t.Fatalf("ok = %v, want %v", ok, tc.wantOK)
			}
			if !ok {
				return
			}
			if next.Grid != tc.to.Grid || next.Stage != tc.c.Stage || next.Unit != tc.c.Unit || !next.UpdatedAt.Equal(at) {
				t.Fatalf("next = %+v", next)
			}
			if ev.Action != ActReroute || ev.From != tc.c.Stage || ev.To != tc.c.Stage || ev.Case != tc.c.ID || ev.Note == "" {
				t.Fatalf("event = %+v", ev)
			}
		})
	}
}
