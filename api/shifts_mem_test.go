package api

import (
	"context"
	"sort"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/store"
)

// The memStore's roster: the store contract's semantics on a map (the
// contract suite checks the real stores; this is the test double).

func (m *memStore) ReplaceShifts(ctx context.Context, shifts []bundle.Shift) error {
	shifts, err := store.CheckShiftList(shifts)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.shifts = map[string]bundle.Shift{}
	for _, s := range shifts {
		m.shifts[s.ID] = s
	}
	return nil
}

func (m *memStore) PutShift(ctx context.Context, s bundle.Shift) (bool, error) {
	n, err := m.PutShifts(ctx, []bundle.Shift{s})
	return n == 1, err
}

func (m *memStore) PutShifts(ctx context.Context, shifts []bundle.Shift) (int, error) {
	shifts, err := store.CheckShiftList(shifts)
	if err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.shifts == nil {
		m.shifts = map[string]bundle.Shift{}
	}
	n := 0
	for _, s := range shifts {
		if _, ok := m.shifts[s.ID]; !ok {
			n++
		}
		m.shifts[s.ID] = s
	}
	return n, nil
}

func (m *memStore) DeleteShift(ctx context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.shifts[id]; !ok {
		return errs.E(errs.NotFound, "id", "no shift %q", id)
	}
	delete(m.shifts, id)
	return nil
}

func (m *memStore) Shifts(ctx context.Context, f store.ShiftFilter) ([]bundle.Shift, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := []bundle.Shift{}
	for _, s := range m.shifts {
		if (f.Subject == "" || s.Subject == f.Subject) && (f.From.IsZero() || s.End.After(f.From)) && (f.To.IsZero() || s.Start.Before(f.To)) {
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if !a.Start.Equal(b.Start) {
			return a.Start.Before(b.Start)
		}
		if a.Subject != b.Subject {
			return a.Subject < b.Subject
		}
		return a.ID < b.ID
	})
	return out, nil
}
