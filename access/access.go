// Package access is gridd's role model: what a caller may do. A key holds a
// set of roles (not one rung of a ladder); admin holds every right; a
// caller without a key is public and holds none. The package is pure: the
// api package resolves a request's Principal from its key, layers name the
// roles that may read them, and domain packages check a Principal's unit or
// department against the thing it acts on.
package access

import (
	"strings"

	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/internal/clip"
)

// Role is one right a key may hold.
type Role string

const (
	Intake     Role = "intake"     // a platform integration: submits reports, reads its own
	Unit       Role = "unit"       // a patrol or grid worker: acts on cases assigned to its unit
	Department Role = "department" // a participating department: acts on cases dispatched to it
	Dispatcher Role = "dispatcher" // the command centre: moves any case, reads live patrols
	Planner    Role = "planner"    // drafts and publishes plans
	Admin      Role = "admin"      // operates the service; holds every right
	// Fleet is an integration (the vehicle-location system) that reports
	// the positions of many units.
	Fleet Role = "fleet"
)

// All lists every role, in the order the bits of Roles use.
var All = []Role{Intake, Unit, Department, Dispatcher, Planner, Admin, Fleet}

// bit is r's bit in a Roles set, 0 for an unknown role.
func (r Role) bit() Roles {
	for i, a := range All {
		if a == r {
			return 1 << i
		}
	}
	return 0
}

// ParseRole reads one role name (case-insensitive).
func ParseRole(s string) (Role, error) {
	r := Role(strings.ToLower(strings.TrimSpace(s)))
	if r.bit() == 0 {
		return "", errs.E(errs.Invalid, "role", "%q is not a role; want one of %s", clip.Text(s, 40), Of(All...))
	}
	return r, nil
}

// Roles is a set of roles. The zero value is the empty set (public).
type Roles uint16

// Of builds a set from roles; unknown roles are ignored.
func Of(roles ...Role) Roles {
	var s Roles
	for _, r := range roles {
		s |= r.bit()
	}
	return s
}

// ParseRoles reads a comma-separated list of role names. "public" alone is
// the empty set, so that a key can be named in logs without granting
// anything.
func ParseRoles(s string) (Roles, error) {
	if strings.EqualFold(strings.TrimSpace(s), "public") {
		return 0, nil
	}
	var set Roles
	for _, part := range strings.Split(s, ",") {
		r, err := ParseRole(part)
		if err != nil {
			return 0, err
		}
		set |= r.bit()
	}
	return set, nil
}

// Has reports whether the set holds r itself (admin does not count here;
// see Principal.Any for rights).
func (s Roles) Has(r Role) bool { b := r.bit(); return b != 0 && s&b == b }

// List returns the set's roles in All's order.
func (s Roles) List() []Role {
	var out []Role
	for _, r := range All {
		if s.Has(r) {
			out = append(out, r)
		}
	}
	return out
}

// String is the comma-separated list, "public" for the empty set.
func (s Roles) String() string {
	if s == 0 {
		return "public"
	}
	l := s.List()
	parts := make([]string, len(l))
	for i, r := range l {
		parts[i] = string(r)
	}
	return strings.Join(parts, ",")
}

// Principal is who a request acts as: a key's name, its roles, and the
// unit or department its unit or department role is bound to. The zero
// Principal is the public.
type Principal struct {
	Name       string
	Roles      Roles
	Unit       string // the unit id, when Roles has Unit
	Department string // the department code, when Roles has Department
}

// Public reports whether p holds no role (no key, or a "public" key).
func (p Principal) Public() bool { return p.Roles == 0 }

// Any reports whether p may do what any of roles may: p holds one of
// them, or admin. With no roles named, everyone may.
func (p Principal) Any(roles ...Role) bool {
	if len(roles) == 0 || p.Roles.Has(Admin) {
		return true
	}
	return p.Roles&Of(roles...) != 0
}

// Validate checks that a unit role names its unit, a department role its
// department, and that neither is named without its role.
func (p Principal) Validate() error {
	switch {
	case p.Roles.Has(Unit) && p.Unit == "":
		return errs.E(errs.Invalid, "unit", "the unit role needs unit=ID")
	case !p.Roles.Has(Unit) && p.Unit != "":
		return errs.E(errs.Invalid, "unit", "unit=%s is given but the key has no unit role", clip.Text(p.Unit, 40))
	case p.Roles.Has(Department) && p.Department == "":
		return errs.E(errs.Invalid, "department", "the department role needs department=CODE")
	case !p.Roles.Has(Department) && p.Department != "":
		return errs.E(errs.Invalid, "department", "department=%s is given but the key has no department role", clip.Text(p.Department, 40))
	}
	return nil
}
