package api

import (
	"context"
	"sort"
	"time"

	"github.com/gridd/gridd/dispatch"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/store"
)

// The memStore's units: the bundle's patrols and workers, with the
// store contract's report semantics (store.Outcomes).

func (m *memStore) report1(ctx context.Context, r dispatch.PositionReport) error {
	_, err := m.ReportPositions(ctx, []dispatch.PositionReport{r})
	return err
}

func (m *memStore) unitRows() map[string]store.UnitRow {
	out := map[string]store.UnitRow{}
	if m.b != nil {
		for _, u := range store.UnitRows(m.b) {
			out[u.ID] = u
		}
	}
	return out
}

func (m *memStore) ReportPositions(ctx context.Context, rs []dispatch.PositionReport) ([]dispatch.ReportResult, error) {
	if err := dispatch.ValidateReports(rs, store.MaxReportBatch); err != nil {
		return nil, err
	}
	rs = store.NormaliseReports(rs)
	m.mu.Lock()
	defer m.mu.Unlock()
	rows := m.unitRows()
	for i, r := range rs {
		if _, ok := rows[r.Unit]; !ok {
			return nil, errs.E(errs.NotFound, dispatch.FieldAt(i, "unit"), "no unit %q", r.Unit)
		}
	}
	if m.patrols == nil {
		m.patrols, m.history = map[string]dispatch.PositionReport{}, map[string][]dispatch.PositionReport{}
	}
	prev := map[string]time.Time{}
	for _, r := range rs {
		if c, ok := m.patrols[r.Unit]; ok {
			prev[r.Unit] = c.At
		}
	}
	inserted := make([]bool, len(rs))
	for i, r := range rs {
		dup := false
		for _, h := range m.history[r.Unit] {
			dup = dup || h.At.Equal(r.At)
		}
		if !dup {
			inserted[i] = true
			m.history[r.Unit] = append(m.history[r.Unit], r)
		}
	}
	out := store.Outcomes(rs, inserted, prev)
	for i := range out {
		if out[i].Outcome == dispatch.Moved {
			m.patrols[rs[i].Unit] = rs[i]
		}
	}
	for i := range out {
		u := m.unitLocked(rows[out[i].Unit])
		out[i].Status, out[i].HeldCase = u.Status, u.HeldCase
		if u.Loc != nil {
			out[i].Loc = *u.Loc
		}
	}
	return out, nil
}

func (m *memStore) unitLocked(r store.UnitRow) dispatch.Unit {
	u := dispatch.Unit{ID: r.ID, Kind: r.Kind, Name: r.Name, Street: r.Street, Community: r.Community, Loc: r.Home,
		ReportedStatus: dispatch.StatusAvailable, HeldCase: m.held[r.ID], OnDuty: true}
	if c, ok := m.patrols[r.ID]; ok {
		loc, at := c.Loc, c.At
		u.Loc, u.ReportedAt, u.ReportedStatus = &loc, &at, c.Status
	}
	u.Status = dispatch.Effective(u.ReportedStatus, u.HeldCase)
	return u
}

func (m *memStore) Units(ctx context.Context, f store.UnitFilter) ([]dispatch.Unit, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := []dispatch.Unit{}
	for _, r := range m.unitRows() {
		u := m.unitLocked(r)
		if (f.Kind == "" || u.Kind == f.Kind) && (f.Street == "" || u.Street == f.Street) &&
			(f.Status == "" || u.Status == f.Status) && (f.BBox == nil || store.InBBox(f.BBox, u.Loc)) {
			out = append(out, u)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func (m *memStore) Unit(ctx context.Context, id string) (dispatch.Unit, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.unitRows()[id]
	if !ok {
		return dispatch.Unit{}, errs.E(errs.NotFound, "id", "no unit %q", id)
	}
	return m.unitLocked(r), nil
}

func (m *memStore) Track(ctx context.Context, id string, from, to time.Time) ([]dispatch.TrackPoint, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.unitRows()[id]; !ok {
		return nil, errs.E(errs.NotFound, "id", "no unit %q", id)
	}
	out := []dispatch.TrackPoint{}
	for _, h := range m.history[id] {
		if !h.At.Before(from) && !h.At.After(to) {
			out = append(out, dispatch.TrackPoint{At: h.At, Loc: h.Loc, Status: h.Status})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out, nil
}
