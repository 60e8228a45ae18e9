package api

import (
	"context"
	"encoding/json"
	"time"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/jobs"
	"github.com/gridd/gridd/store"
)

func (m *memStore) CreateJob(ctx context.Context, j *jobs.Job) (jobs.ID, error) {
	return m.jobs.CreateJob(ctx, j)
}
func (m *memStore) Job(ctx context.Context, id jobs.ID) (*jobs.Job, error) {
	return m.jobs.Job(ctx, id)
}
func (m *memStore) JobByKey(ctx context.Context, key string) (*jobs.Job, error) {
	return m.jobs.JobByKey(ctx, key)
}
func (m *memStore) UpdateJob(ctx context.Context, j *jobs.Job) error { return m.jobs.UpdateJob(ctx, j) }
func (m *memStore) InterruptJobs(ctx context.Context, before, at time.Time, p json.RawMessage) (int, error) {
	return m.jobs.InterruptJobs(ctx, before, at, p)
}

// KeyedAnswer and EditGridsKeyed keep keyed answers in memory; the edit
// and the answer are written under one lock, as a store's transaction.
func (m *memStore) KeyedAnswer(ctx context.Context, id gridplan.PlanID, key string) (*store.KeyedAnswer, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	a, ok := m.keyed[keyedKey{id, key}]
	if !ok {
		return nil, errs.E(errs.NotFound, "Idempotency-Key", "plan %d has no answer under this key", id)
	}
	return &a, nil
}

func (m *memStore) EditGridsKeyed(ctx context.Context, id gridplan.PlanID, put []gridplan.Grid, removed []bundle.GridCode, base []gridplan.Grid, units *gridplan.UnitsEdit, a store.KeyedAnswer) error {
	if err := a.Validate(); err != nil {
		return err
	}
	m.mu.Lock()
	_, used := m.keyed[keyedKey{id, a.Key}]
	m.mu.Unlock()
	if used {
		return errs.E(errs.Conflict, "Idempotency-Key", "plan %d has an answer under this key already", id)
	}
	var err error
	if units != nil {
		err = m.EditGridsUnits(ctx, id, put, removed, base, *units)
	} else {
		err = m.EditGrids(ctx, id, put, removed, base)
	}
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.keyed == nil {
		m.keyed = map[keyedKey]store.KeyedAnswer{}
	}
	m.keyed[keyedKey{id, a.Key}] = a
	return nil
}

type keyedKey struct {
	plan gridplan.PlanID
	key  string
}
