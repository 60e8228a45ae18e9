package postgis

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/jobs"
)

var _ jobs.Store = (*DB)(nil)

// CreateJob stores a new queued job (migration 085).
func (db *DB) CreateJob(ctx context.Context, j *jobs.Job) (jobs.ID, error) {
	if err := j.ValidateNew(); err != nil {
		return 0, err
	}
	params := j.ParamsJSON()
	var id int64
	err := db.write(ctx, "create job", func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `INSERT INTO jobs (kind, status, params, done, total, created_at, updated_at, request_key)
			VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7, NULLIF($8, '')) RETURNING id`,
			string(j.Kind), string(j.Status), params, j.Done, j.Total, j.CreatedAt.UTC(), j.UpdatedAt.UTC(), j.Key).Scan(&id)
	})
	return jobs.ID(id), err
}

// JobByKey reads the job created with key.
func (db *DB) JobByKey(ctx context.Context, key string) (*jobs.Job, error) {
	var id int64
	err := db.pool.QueryRow(ctx, `SELECT id FROM jobs WHERE request_key = $1`, key).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) || key == "" {
		return nil, errs.E(errs.NotFound, "Idempotency-Key", "no job has this key")
	}
	if err != nil {
		return nil, wrapErr(ctx, err)
	}
	return db.Job(ctx, jobs.ID(id))
}

// Job reads one job.
func (db *DB) Job(ctx context.Context, id jobs.ID) (*jobs.Job, error) {
	var (
		kind, status, params, result, problem, key *string
		started, finished                          *time.Time
		j                                          = &jobs.Job{ID: id}
	)
	err := db.pool.QueryRow(ctx, `SELECT kind, status, params::text, done, total, created_at, started_at, finished_at, updated_at, result::text, error::text, request_key
		FROM jobs WHERE id = $1`, int64(id)).Scan(&kind, &status, &params, &j.Done, &j.Total, &j.CreatedAt, &started, &finished, &j.UpdatedAt, &result, &problem, &key)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errs.E(errs.NotFound, "id", "no job %d", id)
	}
	if err != nil {
		return nil, wrapErr(ctx, err)
	}
	j.Kind, j.Status, j.Params = jobs.Kind(*kind), jobs.Status(*status), json.RawMessage(*params)
	j.CreatedAt, j.UpdatedAt = j.CreatedAt.UTC(), j.UpdatedAt.UTC()
	if started != nil {
		j.StartedAt = started.UTC()
	}
	if finished != nil {
		j.FinishedAt = finished.UTC()
	}
	if result != nil {
		j.Result = json.RawMessage(*result)
	}
	if key != nil {
		j.Key = *key
	}
	if problem != nil {
		j.Error = json.RawMessage(*problem)
	}
	return j, nil
}

func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func nullJSON(b json.RawMessage) *string {
	if len(b) == 0 {
		return nil
	}
	s := string(b)
	return &s
}

// UpdateJob writes a job's state unless it is finished already (the row
// locked while it decides).
func (db *DB) UpdateJob(ctx context.Context, j *jobs.Job) error {
	if err := j.Validate(); err != nil {
		return err
	}
	return db.write(ctx, "update job", func(tx pgx.Tx) error {
		var status string
		err := tx.QueryRow(ctx, `SELECT status FROM jobs WHERE id = $1 FOR UPDATE`, int64(j.ID)).Scan(&status)
		if errors.Is(err, pgx.ErrNoRows) {
			return errs.E(errs.NotFound, "id", "no job %d", j.ID)
		}
		if err != nil {
			return err
		}
		if jobs.Status(status).Finished() {
			return errs.E(errs.Conflict, "status", "job %d is %s already", j.ID, status)
		}
		_, err = tx.Exec(ctx, `UPDATE jobs SET status = $1, done = $2, total = $3, started_at = $4, finished_at = $5, updated_at = $6,
			result = $7::jsonb, error = $8::jsonb WHERE id = $9`, string(j.Status), j.Done, j.Total, nullTime(j.StartedAt), nullTime(j.FinishedAt),
			j.UpdatedAt.UTC(), nullJSON(j.Result), nullJSON(j.Error), int64(j.ID))
		return err
	})
}

// InterruptJobs fails the open jobs not updated since before.
func (db *DB) InterruptJobs(ctx context.Context, before, at time.Time, problem json.RawMessage) (int, error) {
	if !json.Valid(problem) {
		return 0, errs.E(errs.Invalid, "error", "the problem must be JSON")
	}
	var n int64
	err := db.write(ctx, "interrupt jobs", func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE jobs SET status = 'failed', finished_at = $1, updated_at = $1, error = $2::jsonb
			WHERE status IN ('queued', 'running') AND updated_at < $3`, at.UTC(), string(problem), before.UTC())
		n = tag.RowsAffected()
		return err
	})
	return int(n), err
}
