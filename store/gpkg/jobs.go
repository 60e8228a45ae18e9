package gpkg

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

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
	err := db.write(ctx, "create job", func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO jobs (kind, status, params, done, total, created_at, updated_at, request_key)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			string(j.Kind), string(j.Status), params, j.Done, j.Total, fmtTime(j.CreatedAt), fmtTime(j.UpdatedAt), nullKey(j.Key)).Scan(&id)
	})
	return jobs.ID(id), err
}

// Job reads one job.
func (db *DB) Job(ctx context.Context, id jobs.ID) (*jobs.Job, error) {
	var j *jobs.Job
	err := db.read(ctx, func(tx *sql.Tx) error {
		var err error
		j, err = readJob(ctx, tx, id)
		return err
	})
	return j, err
}

// JobByKey reads the job created with key.
func (db *DB) JobByKey(ctx context.Context, key string) (*jobs.Job, error) {
	var j *jobs.Job
	err := db.read(ctx, func(tx *sql.Tx) error {
		var id int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM jobs WHERE request_key = ?`, key).Scan(&id)
		if err == sql.ErrNoRows || key == "" {
			return errs.E(errs.NotFound, "Idempotency-Key", "no job has this key")
		}
		if err != nil {
			return err
		}
		j, err = readJob(ctx, tx, jobs.ID(id))
		return err
	})
	return j, err
}

// nullKey is a job's key as stored: NULL for none.
func nullKey(k string) any {
	if k == "" {
		return nil
	}
	return k
}

func readJob(ctx context.Context, tx *sql.Tx, id jobs.ID) (*jobs.Job, error) {
	var (
		kind, status, params, created, updated string
		started, finished, result, problem, ky sql.NullString
		j                                      = &jobs.Job{ID: id}
	)
	err := tx.QueryRowContext(ctx, `SELECT kind, status, params, done, total, created_at, started_at, finished_at, updated_at, result, error, request_key
		FROM jobs WHERE id = ?`, int64(id)).Scan(&kind, &status, &params, &j.Done, &j.Total, &created, &started, &finished, &updated, &result, &problem, &ky)
	if err == sql.ErrNoRows {
		return nil, errs.E(errs.NotFound, "id", "no job %d", id)
	}
	if err != nil {
		return nil, err
	}
	j.Kind, j.Status, j.Params, j.Key = jobs.Kind(kind), jobs.Status(status), json.RawMessage(params), ky.String
	times := []struct {
		s   sql.NullString
		dst *time.Time
	}{{sql.NullString{String: created, Valid: true}, &j.CreatedAt}, {started, &j.StartedAt}, {finished, &j.FinishedAt}, {sql.NullString{String: updated, Valid: true}, &j.UpdatedAt}}
	for _, t := range times {
		if !t.s.Valid {
			continue
		}
		if *t.dst, err = parseTime(t.s.String); err != nil {
			return nil, errs.Wrap(errs.Internal, err, "job time")
		}
	}
	if result.Valid {
		j.Result = json.RawMessage(result.String)
	}
	if problem.Valid {
		j.Error = json.RawMessage(problem.String)
	}
	return j, nil
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return fmtTime(t)
}

func nullJSON(b json.RawMessage) any {
	if len(b) == 0 {
		return nil
	}
	return string(b)
}

// UpdateJob writes a job's state unless it is finished already.
func (db *DB) UpdateJob(ctx context.Context, j *jobs.Job) error {
	if err := j.Validate(); err != nil {
		return err
	}
	return db.write(ctx, "update job", func(tx *sql.Tx) error {
		var status string
		err := tx.QueryRowContext(ctx, `SELECT status FROM jobs WHERE id = ?`, int64(j.ID)).Scan(&status)
		if err == sql.ErrNoRows {
			return errs.E(errs.NotFound, "id", "no job %d", j.ID)
		}
		if err != nil {
			return err
		}
		if jobs.Status(status).Finished() {
			return errs.E(errs.Conflict, "status", "job %d is %s already", j.ID, status)
		}
		_, err = tx.ExecContext(ctx, `UPDATE jobs SET status = ?, done = ?, total = ?, started_at = ?, finished_at = ?, updated_at = ?, result = ?, error = ?
			WHERE id = ?`, string(j.Status), j.Done, j.Total, nullTime(j.StartedAt), nullTime(j.FinishedAt), fmtTime(j.UpdatedAt),
			nullJSON(j.Result), nullJSON(j.Error), int64(j.ID))
		return err
	})
}

// InterruptJobs fails the open jobs not updated since before.
func (db *DB) InterruptJobs(ctx context.Context, before, at time.Time, problem json.RawMessage) (int, error) {
	if !json.Valid(problem) {
		return 0, errs.E(errs.Invalid, "error", "the problem must be JSON")
	}
	var n int64
	err := db.write(ctx, "interrupt jobs", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE jobs SET status = 'failed', finished_at = ?, updated_at = ?, error = ?
			WHERE status IN ('queued', 'running') AND updated_at < ?`, fmtTime(at), fmtTime(at), string(problem), fmtTime(before))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}
