package sim

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/paulmach/orb"
)

// caseAnswer is what the driver reads of POST /cases/{id}/events' answer
// (or its 409 problem).
type caseAnswer struct {
	Stage    string `json:"stage"`
	Street   string `json:"street_code"`
	Unit     string `json:"unit"`
	HeldCase int64  `json:"held_case"`
	Location struct{ Lon, Lat float64 }
}

// driveCase takes a new case from filed to evaluated as the command centre
// would: on site (dispatched to the suggested unit, or the nearest free
// one when that is taken; accepted, arrived, resolved, sometimes sent back
// once) or through the department the routing names; verified, closed and
// evaluated. A few are voided as invalid.
func (s *sim) driveCase(ctx context.Context, rep report, a answer) {
	s.casesDriven.Add(1)
	r := rngFor(s.cfg.Seed, 7, uint64(rep.seq))
	id := a.caseID
	var loc orb.Point
	if rep.loc != nil {
		loc = *rep.loc
	}
	act := func(body map[string]any) (int, caseAnswer, bool) {
		s.pause(ctx, r)
		if ctx.Err() != nil {
			return 0, caseAnswer{}, false
		}
		status, raw, err := s.postJSON(ctx, "case", fmt.Sprintf("/cases/%d/events", id), body)
		if err != nil {
			return 0, caseAnswer{}, false
		}
		var c caseAnswer
		_ = json.Unmarshal(raw, &c)
		if status != http.StatusOK && status != http.StatusConflict {
			s.stats.err(fmt.Sprintf("case_%s_http_%d", body["action"], status))
		}
		return status, c, status == http.StatusOK
	}
	if _, c, ok := act(map[string]any{"action": "file"}); !ok {
		return
	} else if loc == (orb.Point{}) {
		loc = orb.Point{c.Location.Lon, c.Location.Lat}
	}
	if r.Float64() < 0.03 {
		if _, _, ok := act(map[string]any{"action": "void", "reason": "无效信息（模拟）"}); ok {
			s.casesDone.Add(1)
			s.casesVoid.Add(1)
		}
		return
	}
	unitID := ""
	if a.dept != "" {
		s.casesDept.Add(1)
		if _, _, ok := act(map[string]any{"action": "escalate", "note": "报区中心派部门"}); !ok {
			return
		}
		if _, _, ok := act(map[string]any{"action": "dispatch", "department": a.dept}); !ok {
			return
		}
	} else {
		tried := map[string]bool{}
		cand := a.unit
		for try := 0; try < 4 && unitID == ""; try++ {
			if cand == "" || tried[cand] || !s.units.claim(cand, id, loc) {
				cand = s.units.nearestFree("", loc, tried)
				if cand == "" || !s.units.claim(cand, id, loc) {
					s.stats.err("no_free_unit")
					return
				}
			}
			tried[cand] = true
			status, c, ok := act(map[string]any{"action": "dispatch", "unit": cand})
			switch {
			case ok:
				unitID = cand
			case status == http.StatusConflict && c.HeldCase != 0:
				s.stats.err("dispatch_unit_busy_409")
				s.units.release(cand, id)
				s.units.held(cand, c.HeldCase)
				cand = ""
			default:
				s.units.release(cand, id)
				return
			}
		}
		if unitID == "" {
			return
		}
	}
	release := func() {
		if unitID != "" {
			s.units.release(unitID, id)
		}
	}
	defer release()
	steps := []string{"accept", "resolve"}
	if unitID != "" {
		steps = []string{"accept", "arrive", "resolve"}
	}
	for _, st := range steps {
		if _, _, ok := act(map[string]any{"action": st}); !ok {
			return
		}
	}
	if r.Float64() < 0.05 { // 返工: verification fails once
		s.rework.Add(1)
		if _, _, ok := act(map[string]any{"action": "verify", "ok": false, "note": "核查未通过"}); !ok {
			return
		}
		for _, st := range []string{"accept", "resolve"} {
			if _, _, ok := act(map[string]any{"action": st}); !ok {
				return
			}
		}
	}
	release()
	if _, _, ok := act(map[string]any{"action": "verify", "ok": true}); !ok {
		return
	}
	ev := map[string]any{"action": "evaluate", "satisfaction": []int{3, 4, 4, 5, 5, 5}[r.IntN(6)]}
	if r.Float64() < 0.1 {
		ev = map[string]any{"action": "evaluate", "spot_check": true}
	}
	if _, _, ok := act(ev); ok {
		s.casesDone.Add(1)
	}
}

// pause waits about StepDelay (0.5–1.5×) between a case's steps.
func (s *sim) pause(ctx context.Context, r *rand.Rand) {
	d := time.Duration(float64(s.cfg.StepDelay) * (0.5 + r.Float64()))
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
