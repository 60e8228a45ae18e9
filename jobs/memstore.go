package jobs

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/gridd/gridd/errs"
)

// MemStore is a Store in memory, for tests and test doubles of whole
// stores; its zero value is ready. It follows the Store contract.
type MemStore struct {
	mu   sync.Mutex
	jobs []Job
}

var _ Store = (*MemStore)(nil)

func (m *MemStore) CreateJob(ctx context.Context, j *Job) (ID, error) {
	if err := j.ValidateNew(); err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if j.Key != "" && m.byKey(j.Key) != nil {
		return 0, errs.E(errs.Conflict, "Idempotency-Key", "a job has this key already")
	}
	c := *j
	c.ID = ID(len(m.jobs) + 1)
	m.jobs = append(m.jobs, c)
	return c.ID, nil
}

func (m *MemStore) Job(ctx context.Context, id ID) (*Job, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if id < 1 || int(id) > len(m.jobs) {
		return nil, errs.E(errs.NotFound, "id", "no job %d", id)
	}
	c := m.jobs[id-1]
	return &c, nil
}

func (m *MemStore) JobByKey(ctx context.Context, key string) (*Job, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if j := m.byKey(key); key != "" && j != nil {
		c := *j
		return &c, nil
	}
	return nil, errs.E(errs.NotFound, "Idempotency-Key", "no job has this key")
}

// byKey is the job with key, nil for none; m.mu is held.
func (m *MemStore) byKey(key string) *Job {
	for i := range m.jobs {
		if m.jobs[i].Key == key {
			return &m.jobs[i]
		}
	}
	return nil
}

func (m *MemStore) UpdateJob(ctx context.Context, j *Job) error {
	if err := j.Validate(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if j.ID < 1 || int(j.ID) > len(m.jobs) {
		return errs.E(errs.NotFound, "id", "no job %d", j.ID)
	}
	old := &m.jobs[j.ID-1]
	if old.Status.Finished() {
		return errs.E(errs.Conflict, "status", "job %d is %s already", j.ID, old.Status)
	}
	c := *j
	c.Kind, c.Params, c.Key, c.CreatedAt = old.Kind, old.Params, old.Key, old.CreatedAt
	*old = c
	return nil
}

func (m *MemStore) InterruptJobs(ctx context.Context, before, at time.Time, problem json.RawMessage) (int, error) {
	if !json.Valid(problem) {
		return 0, errs.E(errs.Invalid, "error", "the problem must be JSON")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for i := range m.jobs {
		j := &m.jobs[i]
		if !j.Status.Finished() && j.UpdatedAt.Before(before) {
			j.Status, j.FinishedAt, j.UpdatedAt, j.Error = Failed, at, at, problem
			n++
		}
	}
	return n, nil
}
