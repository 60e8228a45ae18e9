package api

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"testing"

	"github.com/gridd/gridd/gridplan"
)

// FuzzPlanEdit: no body makes POST /plans/{id}/edits answer 5xx, and a
// refused edit leaves the draft's grids as they were.
func FuzzPlanEdit(f *testing.F) {
	_, st, ts := newTestServer(f)
	p, err := st.Plan(context.Background(), 2)
	if err != nil || p.Status != gridplan.Draft || len(p.Grids) < 2 {
		f.Fatalf("test store's plan 2: %v %+v", err, p)
	}
	a, b := p.Grids[0].Code, p.Grids[1].Code
	for _, s := range []string{
		fmt.Sprintf(`{"op":"merge","grids":[%q,%q]}`, a, b),
		fmt.Sprintf(`{"op":"lock","grids":[%q]}`, a),
		fmt.Sprintf(`{"op":"unlock","grids":[%q]}`, a),
		fmt.Sprintf(`{"op":"redraw","grid":%q,"polygon":{"type":"Polygon","coordinates":[[[118.6,32.0],[118.7,32.0],[118.7,32.1],[118.6,32.0]]]}}`, a),
		fmt.Sprintf(`{"op":"move","buildings":["B1"],"to":%q}`, b),
		fmt.Sprintf(`{"op":"move","units":["8b2a100d2d1bfff"],"to":%q}`, b),
		fmt.Sprintf(`{"op":"move","units":["zz",7],"to":%q}`, b),
		`{"op":"split","grid":"x","n":2}`,
		`{"op":"rebalance","communities":[]}`,
		`{"op":7}`, `[]`, `{}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		before, err := st.Plan(context.Background(), 2)
		if err != nil {
			t.Fatal(err)
		}
		status, out := postRaw(t, ts, "/plans/2/edits", "application/json", plannerSecret, body)
		if status >= 500 {
			t.Fatalf("%d for %q: %s", status, body, out)
		}
		after, err := st.Plan(context.Background(), 2)
		if err != nil {
			t.Fatal(err)
		}
		if status != http.StatusOK && !reflect.DeepEqual(after.Grids, before.Grids) {
			t.Fatalf("refused edit (%d) changed the draft: %s", status, out)
		}
	})
}

// TestPlanEditRoles: planners edit; dispatchers are forbidden, the public
// unauthenticated; a published plan is a conflict.
func TestPlanEditRoles(t *testing.T) {
	_, st, ts := newTestServer(t)
	p, err := st.Plan(context.Background(), 2)
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(fmt.Sprintf(`{"op":"lock","grids":[%q]}`, p.Grids[0].Code))
	for _, tc := range []struct {
		who, key, path string
		want           int
	}{
		{"public", "", "/plans/2/edits", 401},
		{"dispatcher", dispSecret, "/plans/2/edits", 403},
		{"planner", plannerSecret, "/plans/2/edits", 200},
		{"planner, published plan", plannerSecret, "/plans/1/edits", 409},
	} {
		if status, out := postRaw(t, ts, tc.path, "application/json", tc.key, body); status != tc.want {
			t.Errorf("%s: %d, want %d: %s", tc.who, status, tc.want, out)
		}
	}
	if p, _ := st.Plan(context.Background(), 2); !p.Grids[0].Locked {
		t.Error("the planner's lock is not stored")
	}
}
