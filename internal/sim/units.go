package sim

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/geo"
)

// speedMS is how fast a unit moves, metres a second (a patrol car in town).
const speedMS = 8.0

// unit is one patrol as the simulator moves it.
type unit struct {
	id, street string
	streetIdx  int
	pos, to    orb.Point
	caseID     int64 // the case it holds, 0 when free
	rng        *rand.Rand
}

// fleet is the units: where they are, which case each holds.
type fleet struct {
	s     *sim
	mu    sync.Mutex
	units []*unit
	byID  map[string]*unit
}

func newFleet(s *sim) *fleet {
	f := &fleet{s: s, byID: map[string]*unit{}}
	idx := map[string]int{}
	for i, st := range s.d.streets {
		idx[st.code] = i
	}
	for i, h := range s.d.units {
		u := &unit{id: h.id, street: h.street, streetIdx: -1, pos: h.loc, to: h.loc, rng: rngFor(s.cfg.Seed, 6, uint64(i))}
		if j, ok := idx[h.street]; ok {
			u.streetIdx = j
		}
		f.units = append(f.units, u)
		f.byID[u.id] = u
	}
	return f
}

// canDrive says whether the key could read the units (a dispatcher key).
func (f *fleet) canDrive() bool { return len(f.units) > 0 }

// nextStop is a building of the unit's street (anywhere when its street
// has none): units patrol from building to building.
func (f *fleet) nextStop(u *unit) orb.Point {
	d := f.s.d
	if u.streetIdx >= 0 && len(d.streets[u.streetIdx].buildings) > 0 {
		b := d.streets[u.streetIdx].buildings
		return d.buildings[b[u.rng.IntN(len(b))]].loc
	}
	return d.buildings[u.rng.IntN(len(d.buildings))].loc
}

// move advances every unit dt along its way.
func (f *fleet) move(dt time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, u := range f.units {
		step := speedMS * dt.Seconds()
		for step > 0 {
			dist := geo.DistanceM(u.pos, u.to)
			if dist <= step {
				u.pos = u.to
				step -= dist
				if u.caseID != 0 {
					break // it waits at the case's place
				}
				u.to = f.nextStop(u)
				if geo.DistanceM(u.pos, u.to) < 1 {
					break
				}
				continue
			}
			k := step / dist
			u.pos = orb.Point{u.pos[0] + (u.to[0]-u.pos[0])*k, u.pos[1] + (u.to[1]-u.pos[1])*k}
			step = 0
		}
	}
}

// positionReport is one entry of POST /units/positions.
type positionReport struct {
	Unit   string  `json:"unit"`
	Lon    float64 `json:"lon"`
	Lat    float64 `json:"lat"`
	CRS    string  `json:"crs"`
	At     string  `json:"at"`
	Status string  `json:"status"`
}

// loop moves the units and reports their positions in batches of 100
// every PositionsEvery until stop.
func (f *fleet) loop(ctx context.Context, stop <-chan struct{}) {
	every := f.s.cfg.PositionsEvery
	if every <= 0 || len(f.units) == 0 {
		return
	}
	t := time.NewTicker(every)
	defer t.Stop()
	last := time.Now()
	for {
		select {
		case <-stop:
			return
		case <-ctx.Done():
			return
		case now := <-t.C:
			f.move(now.Sub(last))
			last = now
			f.report(ctx, now)
		}
	}
}

func (f *fleet) report(ctx context.Context, now time.Time) {
	f.mu.Lock()
	batch := make([]positionReport, 0, len(f.units))
	at := now.UTC().Format(time.RFC3339Nano)
	for _, u := range f.units {
		st := "available"
		if u.caseID != 0 {
			st = "busy"
		}
		batch = append(batch, positionReport{Unit: u.id, Lon: u.pos[0], Lat: u.pos[1], CRS: "wgs84", At: at, Status: st})
	}
	f.mu.Unlock()
	for len(batch) > 0 {
		n := min(100, len(batch))
		status, body, err := f.s.postJSON(ctx, "positions", "/units/positions", batch[:n])
		batch = batch[n:]
		if err != nil {
			continue
		}
		if status/100 != 2 {
			f.s.stats.err(fmt.Sprintf("positions_http_%d", status))
			if status == http.StatusNotFound {
				return // the route is not there (yet): one error a tick is enough
			}
			var p struct{ Detail string }
			_ = json.Unmarshal(body, &p)
			continue
		}
		f.s.positions.Add(int64(n))
	}
}

// claim marks u as holding caseID (false when it holds another case).
func (f *fleet) claim(id string, caseID int64, at orb.Point) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	u := f.byID[id]
	if u == nil || (u.caseID != 0 && u.caseID != caseID) {
		return false
	}
	u.caseID, u.to = caseID, at
	return true
}

// held marks u as held by another case (a 409 told so).
func (f *fleet) held(id string, caseID int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if u := f.byID[id]; u != nil && u.caseID == 0 {
		u.caseID = caseID
	}
}

// release frees u if it holds caseID.
func (f *fleet) release(id string, caseID int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if u := f.byID[id]; u != nil && u.caseID == caseID {
		u.caseID = 0
		u.to = f.nextStop(u)
	}
}

// nearestFree is the nearest unit not holding a case, of street first.
func (f *fleet) nearestFree(street string, at orb.Point, not map[string]bool) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	best, bestD, bestSame := "", 0.0, false
	for _, u := range f.units {
		if u.caseID != 0 || not[u.id] {
			continue
		}
		same := street != "" && u.street == street
		d := geo.DistanceM(u.pos, at)
		if best == "" || (same && !bestSame) || (same == bestSame && d < bestD) {
			best, bestD, bestSame = u.id, d, same
		}
	}
	return best
}
