package sqlstore

import (
	"cmp"
	"context"
	"encoding/json"
	"time"

	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/jobs"
	"github.com/gridd/gridd/store/sqlq"
)

// JobsDialect is what the jobs' SQL says differently: how a JSON column
// is bound and read, and how a read locks its row.
type JobsDialect interface {
	TimeDialect
	// JSONArg is the placeholder p bound as the JSON column's type.
	JSONArg(p string) string
	// JSONText is the JSON column col read as text.
	JSONText(col string) string
	// ForUpdate ends a read that locks the row it reads ("" where writes
	// are serialised anyway).
	ForUpdate() string
}

// JobStore is jobs.Store's operations over a backend's Runner in dialect D.
type JobStore struct {
	Run Runner
	D   JobsDialect
}

// CreateJob stores a new queued job (migrations 085, 090: Conflict when
// another job has its key).
func (s JobStore) CreateJob(ctx context.Context, j *jobs.Job) (jobs.ID, error) {
	if err := j.ValidateNew(); err != nil {
		return 0, err
	}
	d := s.D
	return write(ctx, s.Run, "create job", func(tx sqlq.Tx) (id jobs.ID, err error) {
		err = tx.QueryRow(ctx, `INSERT INTO jobs (kind, status, params, done, total, created_at, updated_at, request_key)
			VALUES ($1, $2, `+d.JSONArg("$3")+`, $4, $5, $6, $7, $8) RETURNING id`,
			string(j.Kind), string(j.Status), j.ParamsJSON(), j.Done, j.Total, d.Time(j.CreatedAt), d.Time(j.UpdatedAt),
			nullText(j.Key)).Scan(&id)
		return id, err
	})
}

// Job reads one job (NotFound naming "id").
func (s JobStore) Job(ctx context.Context, id jobs.ID) (*jobs.Job, error) {
	var j *jobs.Job
	err := s.Run.Once(ctx, func(tx sqlq.Tx) (err error) {
		j, err = readJob(ctx, tx, s.D, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return j, nil
}

// JobByKey reads the job created with key (NotFound naming
// "Idempotency-Key").
func (s JobStore) JobByKey(ctx context.Context, key string) (*jobs.Job, error) {
	var noKey error = errs.E(errs.NotFound, "Idempotency-Key", "no job has this key")
	if key == "" {
		return nil, noKey
	}
	var j *jobs.Job
	err := s.Run.Once(ctx, func(tx sqlq.Tx) error {
		var id jobs.ID
		ok, err := sqlq.Found(tx.QueryRow(ctx, `SELECT id FROM jobs WHERE request_key = $1`, key).Scan(&id))
		if err != nil || !ok {
			return cmp.Or(err, noKey)
		}
		j, err = readJob(ctx, tx, s.D, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return j, nil
}

func readJob(ctx context.Context, tx sqlq.Tx, d JobsDialect, id jobs.ID) (*jobs.Job, error) {
	var params string
	var result, problem, key *string
	j := &jobs.Job{ID: id}
	ok, err := sqlq.Found(tx.QueryRow(ctx, `SELECT kind, status, `+d.JSONText("params")+`, done, total, created_at,
		started_at, finished_at, updated_at, `+d.JSONText("result")+`, `+d.JSONText("error")+`, request_key
		FROM jobs WHERE id = $1`, int64(id)).Scan(&j.Kind, &j.Status, &params, &j.Done, &j.Total, d.ScanTime(&j.CreatedAt),
		d.ScanTime(&j.StartedAt), d.ScanTime(&j.FinishedAt), d.ScanTime(&j.UpdatedAt), &result, &problem, &key))
	if err != nil || !ok {
		return nil, noJob(id, err)
	}
	j.Params = json.RawMessage(params)
	if result != nil {
		j.Result = json.RawMessage(*result)
	}
	if problem != nil {
		j.Error = json.RawMessage(*problem)
	}
	if key != nil {
		j.Key = *key
	}
	return j, nil
}

// noJob is err, or NotFound when there is none.
func noJob(id jobs.ID, err error) error {
	if err != nil {
		return err
	}
	return errs.E(errs.NotFound, "id", "no job %d", id)
}

// nullJSON binds b, NULL when empty.
func nullJSON(b json.RawMessage) any {
	if len(b) == 0 {
		return nil
	}
	return string(b)
}

// UpdateJob writes a job's state unless it is finished already (Conflict
// naming "status"), the row locked while it decides.
func (s JobStore) UpdateJob(ctx context.Context, j *jobs.Job) error {
	if err := j.Validate(); err != nil {
		return err
	}
	d := s.D
	return s.Run.Write(ctx, "update job", func(tx sqlq.Tx) error {
		var status jobs.Status
		ok, err := sqlq.Found(tx.QueryRow(ctx, `SELECT status FROM jobs WHERE id = $1`+d.ForUpdate(), int64(j.ID)).Scan(&status))
		if err != nil || !ok {
			return noJob(j.ID, err)
		}
		if status.Finished() {
			return errs.E(errs.Conflict, "status", "job %d is %s already", j.ID, status)
		}
		_, err = tx.Exec(ctx, `UPDATE jobs SET status = $1, done = $2, total = $3, started_at = $4, finished_at = $5,
			updated_at = $6, result = `+d.JSONArg("$7")+`, error = `+d.JSONArg("$8")+` WHERE id = $9`,
			string(j.Status), j.Done, j.Total, nullTime(d, j.StartedAt), nullTime(d, j.FinishedAt), d.Time(j.UpdatedAt),
			nullJSON(j.Result), nullJSON(j.Error), int64(j.ID))
		return err
	})
}

// InterruptJobs fails the open jobs not updated since before.
func (s JobStore) InterruptJobs(ctx context.Context, before, at time.Time, problem json.RawMessage) (int, error) {
	if !json.Valid(problem) {
		return 0, errs.E(errs.Invalid, "error", "the problem must be JSON")
	}
	d := s.D
	return write(ctx, s.Run, "interrupt jobs", func(tx sqlq.Tx) (int, error) {
		n, err := tx.Exec(ctx, `UPDATE jobs SET status = 'failed', finished_at = $1, updated_at = $1, error = `+d.JSONArg("$2")+`
			WHERE status IN ('queued', 'running') AND updated_at < $3`, d.Time(at), string(problem), d.Time(before))
		return int(n), err
	})
}
