package postgis

import (
	"context"
	"encoding/json"
	"time"

	"github.com/gridd/gridd/jobs"
	"github.com/gridd/gridd/store/sqlstore"
)

var _ jobs.Store = (*DB)(nil)

// jobsDialect is the PostgreSQL dialect of the jobs' SQL: JSON is jsonb,
// bound and read as text, and UpdateJob locks the row it decides on.
type jobsDialect struct{ whereDialect }

func (jobsDialect) JSONArg(p string) string    { return p + "::jsonb" }
func (jobsDialect) JSONText(col string) string { return col + "::text" }
func (jobsDialect) ForUpdate() string          { return " FOR UPDATE" }

func (db *DB) jobs() sqlstore.JobStore {
	return sqlstore.JobStore{Run: sqlRunner{db}, D: jobsDialect{}}
}

// CreateJob stores a new queued job (migration 085).
func (db *DB) CreateJob(ctx context.Context, j *jobs.Job) (jobs.ID, error) {
	return db.jobs().CreateJob(ctx, j)
}

// JobByKey reads the job created with key.
func (db *DB) JobByKey(ctx context.Context, key string) (*jobs.Job, error) {
	return db.jobs().JobByKey(ctx, key)
}

// Job reads one job.
func (db *DB) Job(ctx context.Context, id jobs.ID) (*jobs.Job, error) { return db.jobs().Job(ctx, id) }

// UpdateJob writes a job's state unless it is finished already.
func (db *DB) UpdateJob(ctx context.Context, j *jobs.Job) error { return db.jobs().UpdateJob(ctx, j) }

// InterruptJobs fails the open jobs not updated since before.
func (db *DB) InterruptJobs(ctx context.Context, before, at time.Time, problem json.RawMessage) (int, error) {
	return db.jobs().InterruptJobs(ctx, before, at, problem)
}
