package sim

import (
	"fmt"
	"math/rand/v2"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/cases"
)

// channelWeights are the channels' plausible shares of a day's reports:
// the hotline and the grid workers bring most, the police line and the
// patrols a good part, the platforms and Open311 the rest.
var channelWeights = []struct {
	ch cases.Channel
	w  float64
}{
	{cases.Hotline, 30}, {cases.GridWorker, 18}, {cases.Patrol, 12}, {cases.Police, 10}, {cases.Governance, 8},
	{cases.Video, 7}, {cases.Petition, 5}, {cases.Portal, 5}, {cases.Open311, 5},
}

// Where a report is, as shares of all reports (the rest carry a point).
const (
	shareAddress     = 0.08 // a building's standard address, no point
	shareUnlocatable = 0.02 // an address no building has
	shareOutside     = 0.02 // a point outside the district
	shareDuplicate   = 0.05 // the same place and category as a recent report
	shareDepartment  = 0.10 // department-path categories (the seed's 90/10 split)
)

// report is one report a channel sends; it is a pure function of the seed
// and its sequence number.
type report struct {
	seq        int
	channel    cases.Channel
	externalID string
	category   string
	loc        *orb.Point
	address    string
	kind       string // point, address, unlocatable, outside, duplicate
	lose       bool   // the first attempt gives up before the answer (a lost answer)
}

// rng is report or case seq's own random source, independent of timing.
func rngFor(seed int64, stream, seq uint64) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed)^stream*0x9e3779b97f4a7c15, seq))
}

// base is report seq's channel, category and place before duplicates are
// applied (a duplicate copies an earlier report's base).
func (s *sim) base(seq int) report {
	r := rngFor(s.cfg.Seed, 1, uint64(seq))
	rep := report{seq: seq}
	x := r.Float64() * 100
	for _, cw := range channelWeights {
		if x < cw.w {
			rep.channel = cw.ch
			break
		}
		x -= cw.w
	}
	if rep.channel == "" {
		rep.channel = cases.Hotline
	}
	rep.category = s.pickCategory(r)
	b := s.d.buildings[r.IntN(len(s.d.buildings))]
	// A few metres off the building's point, as a phone or a patrol reports.
	p := orb.Point{b.loc[0] + (r.Float64()-0.5)*0.0002, b.loc[1] + (r.Float64()-0.5)*0.0002}
	rep.loc = &p
	rep.kind = "point"
	switch y := r.Float64(); {
	case y < shareAddress && b.address != "":
		rep.loc, rep.address, rep.kind = nil, b.address, "address"
	case y < shareAddress+shareUnlocatable:
		rep.loc, rep.address, rep.kind = nil, fmt.Sprintf("无名路%d号附近", 9000+r.IntN(999)), "unlocatable"
	case y < shareAddress+shareUnlocatable+shareOutside:
		q := orb.Point{s.d.bound.Max[0] + 0.05 + r.Float64()*0.2, s.d.bound.Max[1] + 0.05 + r.Float64()*0.2}
		rep.loc, rep.kind = &q, "outside"
	}
	return rep
}

// pickCategory picks a category so that about 90 % of cases are handled
// on site and 10 % by departments, by the shipped table's paths (codes the
// table does not know count as on site).
func (s *sim) pickCategory(r *rand.Rand) string {
	if len(s.deptCats) > 0 && r.Float64() < shareDepartment {
		return s.deptCats[r.IntN(len(s.deptCats))]
	}
	if len(s.siteCats) > 0 {
		return s.siteCats[r.IntN(len(s.siteCats))]
	}
	return s.d.cats[r.IntN(len(s.d.cats))]
}

// report is report seq as sent: its base, or a duplicate of a recent one.
func (s *sim) report(seq int) report {
	r := rngFor(s.cfg.Seed, 2, uint64(seq))
	rep := s.base(seq)
	if seq > 0 && r.Float64() < shareDuplicate {
		prev := s.base(seq - 1 - r.IntN(min(seq, 50)))
		if prev.kind == "point" {
			p := orb.Point{(*prev.loc)[0] + (r.Float64()-0.5)*0.0001, (*prev.loc)[1] + (r.Float64()-0.5)*0.0001}
			rep.loc, rep.address, rep.category, rep.kind = &p, "", prev.category, "duplicate"
		}
	}
	rep.externalID = fmt.Sprintf("sim-%d-%d", s.cfg.Seed, seq)
	rep.lose = r.Float64() < s.cfg.LoseShare
	return rep
}
