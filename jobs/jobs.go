// Package jobs is long work run in the background of one gridd process
// and reported through the store, so that any replica can answer how a
// job goes: its status, progress, times and result or error. The Runner
// runs jobs with a per-process concurrency limit; the Store keeps them.
// It imports no HTTP and no SQL.
package jobs

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/internal/clip"
)

// ID identifies a job; stores assign them, starting at 1.
type ID int64

// ParseID parses a positive decimal job id.
func ParseID(s string) (ID, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, errs.E(errs.Invalid, "id", "%q is not a job id (a positive integer)", clip.Text(s, 40))
	}
	return ID(n), nil
}

func (id ID) String() string { return strconv.FormatInt(int64(id), 10) }

// Status is a job's state: queued, then running, then succeeded or
// failed. A finished job (succeeded or failed) never changes again.
type Status string

const (
	Queued    Status = "queued"
	Running   Status = "running"
	Succeeded Status = "succeeded"
	Failed    Status = "failed"
)

// Valid reports whether s is a known status.
func (s Status) Valid() bool { return s == Queued || s == Running || s == Succeeded || s == Failed }

// Finished reports whether s is final.
func (s Status) Finished() bool { return s == Succeeded || s == Failed }

// Kind names what a job does ("plan": POST /plans).
type Kind string

// Job is one piece of background work as stored.
type Job struct {
	ID     ID
	Kind   Kind
	Status Status
	// Params is the request the job was accepted with (JSON object).
	Params json.RawMessage
	// Key is the request's idempotency key, "" for none: at most one job
	// has a given key, so a retried request finds the job its first try
	// made (Store.JobByKey) instead of starting another.
	Key string
	// Done of Total is the progress (for a plan: communities planned);
	// Total is 0 until the work knows it.
	Done, Total int
	CreatedAt   time.Time
	StartedAt   time.Time // zero while queued
	FinishedAt  time.Time // zero until finished
	// UpdatedAt is the last time the process running the job wrote it
	// (a heartbeat while queued or running): a job not updated for a while
	// belongs to a process that died (InterruptJobs).
	UpdatedAt time.Time
	// Result is the work's answer (JSON) once succeeded.
	Result json.RawMessage
	// Error is the failure as problem details (JSON) once failed.
	Error json.RawMessage
}

// Validate checks what a store must refuse: an unknown kind or status,
// progress out of range, times and result/error that do not fit the
// status.
func (j *Job) Validate() error {
	switch {
	case j.Kind == "" || len(j.Kind) > 40:
		return errs.E(errs.Invalid, "kind", "a job needs a kind of 1 to 40 bytes, got %q", clip.Text(string(j.Kind), 40))
	case !j.Status.Valid():
		return errs.E(errs.Invalid, "status", "%q is not a job status (queued, running, succeeded, failed)", clip.Text(string(j.Status), 40))
	case j.Done < 0 || j.Total < 0 || j.Done > j.Total && j.Total > 0:
		return errs.E(errs.Invalid, "progress", "progress %d of %d is out of range", j.Done, j.Total)
	case j.CreatedAt.IsZero() || j.UpdatedAt.IsZero():
		return errs.E(errs.Invalid, "created", "a job needs its creation and update times")
	case j.Status != Queued && j.StartedAt.IsZero() && j.Status != Failed:
		return errs.E(errs.Invalid, "started", "a %s job needs its start time", j.Status)
	case j.Status.Finished() != !j.FinishedAt.IsZero():
		return errs.E(errs.Invalid, "finished", "a %s job %s a finish time", j.Status, map[bool]string{true: "needs", false: "has no"}[j.Status.Finished()])
	case j.Status == Succeeded && !json.Valid(j.Result):
		return errs.E(errs.Invalid, "result", "a succeeded job needs its result as JSON")
	case j.Status == Failed && !json.Valid(j.Error):
		return errs.E(errs.Invalid, "error", "a failed job needs its error as JSON")
	case len(j.Params) > 0 && !json.Valid(j.Params):
		return errs.E(errs.Invalid, "params", "a job's params must be JSON")
	}
	return CheckKey(j.Key, true)
}

// MaxKeyBytes bounds an idempotency key.
const MaxKeyBytes = 200

// CheckKey reports a key longer than MaxKeyBytes or holding anything but
// printable ASCII, and an empty one unless empty is allowed, as Invalid
// naming "Idempotency-Key" (the header that carries it).
func CheckKey(k string, empty bool) error {
	if k == "" && empty {
		return nil
	}
	if k == "" || len(k) > MaxKeyBytes {
		return errs.E(errs.Invalid, "Idempotency-Key", "want 1 to %d bytes, got %d", MaxKeyBytes, len(k))
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x20 || k[i] > 0x7e {
			return errs.E(errs.Invalid, "Idempotency-Key", "byte %d is not printable ASCII", i)
		}
	}
	return nil
}

// ValidateNew checks a job about to be created: Validate, and queued.
func (j *Job) ValidateNew() error {
	if err := j.Validate(); err != nil {
		return err
	}
	if j.Status != Queued {
		return errs.E(errs.Invalid, "status", "a new job is queued, not %s", j.Status)
	}
	return nil
}

// ParamsJSON is the job's params as stored: "{}" when it has none.
func (j *Job) ParamsJSON() string {
	if len(j.Params) == 0 {
		return "{}"
	}
	return string(j.Params)
}

// Store keeps jobs. Implementations return errs NotFound for a missing
// job (never a nil job and nil error).
type Store interface {
	// CreateJob stores j (valid, status queued) and returns its id; j.ID
	// is ignored. Conflict, nothing written, when j has a Key another job
	// has already.
	CreateJob(ctx context.Context, j *Job) (ID, error)
	// JobByKey returns the job created with key (NotFound when none).
	JobByKey(ctx context.Context, key string) (*Job, error)
	// Job returns one job.
	Job(ctx context.Context, id ID) (*Job, error)
	// UpdateJob writes j's status, progress, times, result and error over
	// the stored job j.ID: NotFound when there is none, Conflict (nothing
	// written) when the stored job is finished already (for instance
	// marked interrupted meanwhile), Invalid when j fails Validate.
	UpdateJob(ctx context.Context, j *Job) error
	// InterruptJobs marks failed, at time at with problem as the error,
	// every queued or running job not updated since before (the process
	// running it died), and returns how many.
	InterruptJobs(ctx context.Context, before, at time.Time, problem json.RawMessage) (int, error)
}
