package api

import (
	"context"
	"encoding/json"
	"io"
	"net/http/httptest"
	"testing"

	"github.com/gridd/gridd/gridplan"
)

// TestReadyz: 200 only when ready; 503 "degraded" (the readiness
// document, not a problem) while reads are served from memory and the
// store is down, so a load balancer sends no writes; 503 a problem when
// gridd cannot serve (no catalogue); "grids" says when no plan is
// published. /healthz stays 200 throughout: the process is alive.
func TestReadyz(t *testing.T) {
	type want struct {
		status        int
		state, grids  string
		store, writes string
	}
	cases := []struct {
		name    string
		dead    bool
		rebuild bool
		noPlan  bool
		want    want
	}{
		{"ready", false, true, false, want{200, "ready", "published", "reachable", "accepted"}},
		{"degraded", true, true, false, want{503, "degraded", "published", "unreachable", "failing"}},
		{"no catalogue", false, false, false, want{503, "", "", "", ""}},
		{"no catalogue, dead store", true, false, false, want{503, "", "", "", ""}},
		{"no plan published", false, true, true, want{200, "ready", "none: no plan is published", "reachable", "accepted"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := newTestStore(1)
			if c.noPlan {
				for _, p := range st.plans {
					p.Status = gridplan.Archived
				}
			}
			s, err := New(Config{Store: st, NewLocator: testLocator, PlanPoll: -1})
			if err != nil {
				t.Fatal(err)
			}
			if c.rebuild {
				if err := s.Rebuild(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			if c.dead {
				st.mu.Lock()
				st.pingErr = io.ErrUnexpectedEOF
				st.mu.Unlock()
			}
			ts := httptest.NewServer(s.Handler())
			defer ts.Close()
			r := do(t, ts, "GET", "/readyz", nil)
			if r.status != c.want.status {
				t.Fatalf("status %d, want %d: %s", r.status, c.want.status, r.body)
			}
			if h := do(t, ts, "GET", "/healthz", nil); h.status != 200 {
				t.Fatalf("/healthz %d: %s", h.status, h.body)
			}
			if c.want.state == "" {
				if r.header.Get("Content-Type") != mediaProblem {
					t.Fatalf("a 503 that is not a problem: %s", r.header.Get("Content-Type"))
				}
				return
			}
			if ct := r.header.Get("Content-Type"); ct != mediaJSON {
				t.Fatalf("Content-Type %q, want %q", ct, mediaJSON)
			}
			var m map[string]any
			if err := json.Unmarshal(r.body, &m); err != nil {
				t.Fatal(err)
			}
			if m["status"] != c.want.state || m["grids"] != c.want.grids || m["store"] != c.want.store || m["writes"] != c.want.writes {
				t.Fatalf("body %s, want %+v", r.body, c.want)
			}
		})
	}
}
