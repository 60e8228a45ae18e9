package jobs

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"github.com/gridd/gridd/errs"
)

// Work is a job's body: it reports progress (done of total; calls may come
// from several goroutines) and returns its result as JSON. It must return
// soon after ctx is cancelled (gridd stopping).
type Work func(ctx context.Context, progress func(done, total int)) (json.RawMessage, error)

// Config configures a Runner.
type Config struct {
	// Concurrency is how many jobs run at once in this process; the
	// others wait, queued. 0 means 1.
	Concurrency int
	// MaxQueued is how many jobs may wait; Submit refuses more
	// (Unavailable). 0 means 8.
	MaxQueued int
	// Heartbeat is how often a queued or running job is written (its
	// progress and UpdatedAt); 0 means 1 s.
	Heartbeat time.Duration
	// Stale is how long a queued or running job may go without a write
	// before Sweep marks it failed ("interrupted"): its process died. It
	// must be well above Heartbeat; 0 means 1 min.
	Stale time.Duration
	// Problem turns a failure into problem details (the HTTP layer's
	// choice); nil writes {"detail": err.Error()}.
	Problem func(error) json.RawMessage
	// Now is the clock; nil means time.Now.
	Now    func() time.Time
	Logger *slog.Logger // nil: discard
}

// Runner runs jobs in this process, at most Config.Concurrency at once,
// writing each job's state to the store as it goes.
type Runner struct {
	st   Store
	cfg  Config
	base context.Context // cancelled when gridd stops: running work ends, the job fails
	mu   sync.Mutex
	// running is how many jobs hold a slot; fifo are the turns of the
	// jobs waiting for one, in submission order (closed when it is theirs).
	running int
	fifo    []chan struct{}
	wg      sync.WaitGroup
}

// NewRunner returns a Runner over st whose jobs end when ctx is done.
func NewRunner(ctx context.Context, st Store, cfg Config) *Runner {
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 1
	}
	if cfg.MaxQueued <= 0 {
		cfg.MaxQueued = 8
	}
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = time.Second
	}
	if cfg.Stale <= 0 {
		cfg.Stale = time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Problem == nil {
		cfg.Problem = func(err error) json.RawMessage {
			b, _ := json.Marshal(map[string]string{"detail": err.Error()})
			return b
		}
	}
	return &Runner{st: st, cfg: cfg, base: ctx}
}

func (r *Runner) now() time.Time { return r.cfg.Now().UTC().Truncate(time.Microsecond) }

// Submit stores a new queued job of kind with params and runs work in the
// background once a slot is free. It returns the job as stored; the
// request's ctx only bounds the store write. Unavailable when MaxQueued
// jobs wait already.
func (r *Runner) Submit(ctx context.Context, kind Kind, params json.RawMessage, work Work) (*Job, error) {
	return r.SubmitKeyed(ctx, kind, params, "", work)
}

// SubmitKeyed is Submit of a request with an idempotency key: the job
// stored carries it, so that at most one job has it. Conflict, nothing
// run, when a job has the key already (the caller answers that job:
// Store.JobByKey); "" is no key.
func (r *Runner) SubmitKeyed(ctx context.Context, kind Kind, params json.RawMessage, key string, work Work) (*Job, error) {
	if work == nil {
		return nil, errs.E(errs.Internal, "work", "a job needs work")
	}
	r.mu.Lock()
	waiting := len(r.fifo)
	r.mu.Unlock()
	if waiting >= r.cfg.MaxQueued {
		return nil, errs.E(errs.Unavailable, "", "%d jobs are waiting already; retry later", waiting)
	}
	now := r.now()
	j := &Job{Kind: kind, Status: Queued, Params: params, Key: key, CreatedAt: now, UpdatedAt: now}
	id, err := r.st.CreateJob(ctx, j)
	if err != nil {
		return nil, err
	}
	j.ID = id
	out := *j
	turn := make(chan struct{})
	r.mu.Lock()
	if r.running < r.cfg.Concurrency && len(r.fifo) == 0 {
		r.running++
		close(turn)
	} else {
		r.fifo = append(r.fifo, turn)
	}
	r.mu.Unlock()
	r.wg.Add(1)
	go r.run(j, work, turn)
	return &out, nil
}

// release hands the slot of a finished job to the oldest waiting one.
func (r *Runner) release() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.fifo) > 0 {
		close(r.fifo[0])
		r.fifo = r.fifo[1:]
		return
	}
	r.running--
}

// leave takes turn out of the queue; false when it was handed a slot
// meanwhile (the caller holds it then).
func (r *Runner) leave(turn chan struct{}) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, t := range r.fifo {
		if t == turn {
			r.fifo = append(r.fifo[:i], r.fifo[i+1:]...)
			return true
		}
	}
	return false
}

// Wait blocks until every submitted job has finished (after the Runner's
// context is cancelled, they finish soon).
func (r *Runner) Wait() { r.wg.Wait() }

// Sweep marks failed ("interrupted") every queued or running job not
// written for Config.Stale, or with all every open job: its process died.
// gridd calls it at start (all when it is the store's only process,
// before submitting any job) and then every Stale/2 (Loop).
func (r *Runner) Sweep(ctx context.Context, all bool) (int, error) {
	now := r.now()
	before := now.Add(-r.cfg.Stale)
	if all {
		before = now.Add(time.Microsecond)
	}
	prob := r.cfg.Problem(errs.E(errs.Unavailable, "job", "interrupted: the gridd process running this job stopped before it finished; submit it again"))
	return r.st.InterruptJobs(ctx, before, now, prob)
}

// Loop sweeps every Stale/2 until ctx is done.
func (r *Runner) Loop(ctx context.Context) {
	t := time.NewTicker(r.cfg.Stale / 2)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := r.Sweep(ctx, false); err != nil && ctx.Err() == nil {
				r.cfg.Logger.Warn("sweep interrupted jobs", "err", err.Error())
			} else if n > 0 {
				r.cfg.Logger.Warn("jobs interrupted (their process died)", "jobs", n)
			}
		}
	}
}

// run waits for a slot, runs work and writes the outcome; a heartbeat
// writes the job meanwhile.
func (r *Runner) run(j *Job, work Work, turn chan struct{}) {
	defer r.wg.Done()
	var (
		mu  sync.Mutex // guards j between the heartbeat, progress and run
		wmu sync.Mutex // orders the writes as their snapshots: a stale one never lands last
	)
	// save applies change to j and writes a snapshot of it.
	save := func(change func(now time.Time)) {
		wmu.Lock()
		defer wmu.Unlock()
		mu.Lock()
		now := r.now()
		change(now)
		j.UpdatedAt = now
		c := *j
		mu.Unlock()
		r.write(&c)
	}
	stop := make(chan struct{})
	beat := make(chan struct{})
	go func() {
		defer close(beat)
		t := time.NewTicker(r.cfg.Heartbeat)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				save(func(time.Time) {})
			}
		}
	}()
	finish := func(res json.RawMessage, err error) {
		close(stop)
		<-beat
		save(func(now time.Time) {
			j.FinishedAt = now
			if err != nil {
				j.Status, j.Error = Failed, r.cfg.Problem(err)
				r.cfg.Logger.Warn("job failed", "job", int64(j.ID), "kind", string(j.Kind), "err", err.Error())
				return
			}
			j.Status, j.Result = Succeeded, res
			if j.Total > 0 {
				j.Done = j.Total
			}
		})
	}
	select {
	case <-turn:
	case <-r.base.Done():
		if r.leave(turn) {
			finish(nil, errs.E(errs.Unavailable, "job", "interrupted: gridd stopped before the job started; submit it again"))
			return
		}
	}
	defer r.release()
	save(func(now time.Time) { j.Status, j.StartedAt = Running, now })
	progress := func(done, total int) {
		mu.Lock()
		if total >= 0 && done >= 0 && done <= total {
			j.Done, j.Total = done, total
		}
		mu.Unlock()
	}
	res, err := work(r.base, progress)
	if err == nil && r.base.Err() != nil {
		err = r.base.Err()
	}
	if err != nil && r.base.Err() != nil {
		err = errs.Wrap(errs.Unavailable, err, "interrupted: gridd stopped before the job finished; submit it again")
	}
	finish(res, err)
}

// write stores j's state; it outlives the Runner's context (the last
// write of a job interrupted by a stop must land).
func (r *Runner) write(j *Job) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.base), 10*time.Second)
	defer cancel()
	if err := r.st.UpdateJob(ctx, j); err != nil {
		r.cfg.Logger.Warn("write job", "job", int64(j.ID), "status", string(j.Status), "err", err.Error())
	}
}
