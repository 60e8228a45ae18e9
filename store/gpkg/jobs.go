package gpkg

import (
	"context"
	"encoding/json"
	"time"

	"github.com/gridd/gridd/jobs"
	"github.com/gridd/gridd/store/sqlstore"
)

var _ jobs.Store = (*DB)(nil)

// jobsDialect is the SQLite dialect of the jobs' SQL: JSON is text, and
// the one writer connection serialises the writes.
type jobsDialect struct{ whereDialect }

func (jobsDialect) JSONArg(p string) string    { return p }
func (jobsDialect) JSONText(col string) string { return col }
func (jobsDialect) ForUpdate() string          { return "" }

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
