package access

import (
	"testing"

	"github.com/gridd/gridd/errs"
)

func TestParseRoles(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Roles
		ok   bool
	}{
		{"admin", Of(Admin), true},
		{"dispatcher,planner", Of(Dispatcher, Planner), true},
		{" Unit , intake ", Of(Unit, Intake), true},
		{"public", 0, true},
		{"public,admin", 0, false},
		{"root", 0, false},
		{"", 0, false},
		{"admin,", 0, false},
	} {
		got, err := ParseRoles(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("%q: %v %v, want %v ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
		if err != nil && !errs.Is(err, errs.Invalid) {
			t.Errorf("%q: %v is not invalid", tc.in, err)
		}
	}
}

func TestAny(t *testing.T) {
	for _, tc := range []struct {
		p    Principal
		need []Role
		want bool
	}{
		{Principal{}, nil, true},
		{Principal{}, []Role{Dispatcher}, false},
		{Principal{Roles: Of(Dispatcher)}, []Role{Dispatcher}, true},
		{Principal{Roles: Of(Planner)}, []Role{Dispatcher}, false}, // no ladder
		{Principal{Roles: Of(Dispatcher)}, []Role{Planner}, false},
		{Principal{Roles: Of(Admin)}, []Role{Unit}, true}, // admin holds every right
		{Principal{Roles: Of(Unit, Intake)}, []Role{Dispatcher, Intake}, true},
	} {
		if got := tc.p.Any(tc.need...); got != tc.want {
			t.Errorf("%v any %v: %v", tc.p.Roles, tc.need, got)
		}
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		p  Principal
		ok bool
	}{
		{Principal{Roles: Of(Unit), Unit: "P1"}, true},
		{Principal{Roles: Of(Unit)}, false},
		{Principal{Roles: Of(Dispatcher), Unit: "P1"}, false},
		{Principal{Roles: Of(Department), Department: "city"}, true},
		{Principal{Roles: Of(Department)}, false},
		{Principal{Roles: Of(Admin), Department: "x"}, false},
	} {
		if err := tc.p.Validate(); (err == nil) != tc.ok {
			t.Errorf("%+v: %v", tc.p, err)
		}
	}
}

func TestString(t *testing.T) {
	if s := Of(Admin, Intake).String(); s != "intake,admin" {
		t.Error(s)
	}
	if s := Roles(0).String(); s != "public" {
		t.Error(s)
	}
	for _, r := range All {
		got, err := ParseRoles(Of(r).String())
		if err != nil || got != Of(r) {
			t.Errorf("%s round trip: %v %v", r, got, err)
		}
	}
}

func FuzzParseRoles(f *testing.F) {
	f.Add("admin,unit")
	f.Add("public")
	f.Fuzz(func(t *testing.T, s string) {
		set, err := ParseRoles(s)
		if err != nil {
			return
		}
		back, err := ParseRoles(set.String())
		if err != nil || back != set {
			t.Fatalf("%q → %v → %v %v", s, set, back, err)
		}
	})
}
