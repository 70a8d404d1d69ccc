package registry

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"runtime"
	"sync"
	"time"

	"github.com/shelfwise/shelfwise"
)

var _ shelfwise.JobQueue = (*Queue)(nil)

// Queue is the in-process job queue: a bounded pool of goroutine workers
// running jobs recorded in the registry database. A job's status, progress
// and result survive restarts; jobs that were queued or running when the
// previous process stopped are run again by Start.
type Queue struct {
	db       *DB
	workers  int
	handlers map[string]shelfwise.JobHandler
	// Now returns the current time; tests may replace it.
	Now func() time.Time
	// OnFinish, if set, is called after every job ends (for metrics).
	OnFinish func(shelfwise.Job)

	mu      sync.Mutex
	pending []string                  // ids waiting for a worker, oldest first
	active  map[string]*shelfwise.Job // queued or running jobs, live state
	saved   map[string]time.Time      // last time a running job's progress was written
	wake    chan struct{}             // signalled when pending grows
	stop    chan struct{}             // closed by Shutdown
	closing bool                      // Shutdown called: take no new jobs
	seq     int64                     // last sequence number
	cancel  context.CancelFunc        // cancels running handlers
	wg      sync.WaitGroup            // workers
}

// NewQueue returns a queue on db running at most workers jobs at a time
// (runtime.GOMAXPROCS(0)/2, at least 1, when workers <= 0). Model training
// is itself parallel, so a small number of concurrent jobs is right.
func NewQueue(db *DB, workers int) *Queue {
	if workers <= 0 {
		workers = max(1, runtime.GOMAXPROCS(0)/2)
	}
	return &Queue{
		db: db, workers: workers, handlers: map[string]shelfwise.JobHandler{},
		Now: time.Now, active: map[string]*shelfwise.Job{}, saved: map[string]time.Time{},
		wake: make(chan struct{}, 1), stop: make(chan struct{}),
	}
}

// Handle registers the handler of kind.
func (q *Queue) Handle(kind string, h shelfwise.JobHandler) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.handlers[kind] = h
}

// Kinds lists the registered job kinds.
func (q *Queue) Kinds() []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := make([]string, 0, len(q.handlers))
	for k := range q.handlers {
		out = append(out, k)
	}
	return out
}

func newJobID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return "job_" + hex.EncodeToString(b)
}

// Submit queues a job. A job of the same kind and params that is still
// queued or running is returned instead of queuing a duplicate.
func (q *Queue) Submit(ctx context.Context, kind string, params map[string]string) (shelfwise.Job, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if _, ok := q.handlers[kind]; !ok {
		return shelfwise.Job{}, shelfwise.Errorf(shelfwise.EINVALID, "unknown job kind %q", kind)
	}
	if q.closing {
		return shelfwise.Job{}, shelfwise.Errorf(shelfwise.ECONFLICT, "the server is shutting down; submit the job again later")
	}
	for _, j := range q.active {
		if j.Kind == kind && maps.Equal(j.Params, params) {
			return cloneJob(j), nil
		}
	}
	if q.seq == 0 {
		if err := q.db.sql.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM jobs`).Scan(&q.seq); err != nil {
			return shelfwise.Job{}, err
		}
	}
	q.seq++
	j := &shelfwise.Job{
		ID: newJobID(), Kind: kind, Params: maps.Clone(params), Status: shelfwise.JobQueued,
		Created: q.Now().UTC().Truncate(time.Millisecond),
	}
	p, _ := json.Marshal(j.Params)
	_, err := q.db.sql.ExecContext(ctx, `INSERT INTO jobs(id, seq, kind, params, status, progress, message,
		result, error, attempts, created, started, finished) VALUES (?, ?, ?, ?, ?, 0, '', '', '', 0, ?, 0, 0)`,
		j.ID, q.seq, kind, string(p), string(j.Status), j.Created.UnixMilli())
	if err != nil {
		return shelfwise.Job{}, fmt.Errorf("submit %s job: %w", kind, err)
	}
	q.active[j.ID] = j
	q.pending = append(q.pending, j.ID)
	q.signal()
	return cloneJob(j), nil
}

func (q *Queue) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

func cloneJob(j *shelfwise.Job) shelfwise.Job {
	c := *j
	c.Params = maps.Clone(j.Params)
	return c
}

// Job returns a job, with live progress when it is running here.
func (q *Queue) Job(ctx context.Context, id string) (shelfwise.Job, error) {
	q.mu.Lock()
	if j, ok := q.active[id]; ok {
		c := cloneJob(j)
		q.mu.Unlock()
		return c, nil
	}
	q.mu.Unlock()
	js, err := q.query(ctx, `WHERE id = ?`, id)
	if err != nil {
		return shelfwise.Job{}, err
	}
	if len(js) == 0 {
		return shelfwise.Job{}, shelfwise.Errorf(shelfwise.ENOTFOUND, "no job %q", id)
	}
	return js[0], nil
}

// Jobs lists the most recent jobs, newest first.
func (q *Queue) Jobs(ctx context.Context, limit int) ([]shelfwise.Job, error) {
	if limit <= 0 {
		limit = 50
	}
	js, err := q.query(ctx, `ORDER BY seq DESC LIMIT ?`, limit)
	if err != nil {
		return nil, err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	for i := range js {
		if j, ok := q.active[js[i].ID]; ok {
			js[i] = cloneJob(j)
		}
	}
	return js, nil
}

func (q *Queue) query(ctx context.Context, where string, args ...any) ([]shelfwise.Job, error) {
	rows, err := q.db.sql.QueryContext(ctx, `SELECT id, kind, params, status, progress, message, result,
		error, attempts, created, started, finished FROM jobs `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []shelfwise.Job
	for rows.Next() {
		var j shelfwise.Job
		var params, status string
		var created, started, finished int64
		if err := rows.Scan(&j.ID, &j.Kind, &params, &status, &j.Progress, &j.Message, &j.Result,
			&j.Error, &j.Attempts, &created, &started, &finished); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(params), &j.Params); err != nil {
			return nil, fmt.Errorf("job %s params: %w", j.ID, err)
		}
		j.Status = shelfwise.JobStatus(status)
		j.Created, j.Started, j.Finished = msTime(created), msTime(started), msTime(finished)
		out = append(out, j)
	}
	return out, rows.Err()
}

// Start re-queues unfinished jobs of a previous process and starts the
// workers. Their handlers run until Shutdown.
func (q *Queue) Start(ctx context.Context) error {
	left, err := q.query(ctx, `WHERE status IN (?, ?) ORDER BY seq`, string(shelfwise.JobQueued), string(shelfwise.JobRunning))
	if err != nil {
		return err
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	q.mu.Lock()
	q.cancel = cancel
	for i := range left {
		j := left[i]
		if _, ok := q.active[j.ID]; ok {
			continue // submitted to this queue before Start: already pending
		}
		if _, ok := q.handlers[j.Kind]; !ok {
			j.Status, j.Error, j.Finished = shelfwise.JobFailed, "no handler for job kind "+j.Kind, q.Now()
			if err := q.save(ctx, &j); err != nil {
				q.mu.Unlock()
				return err
			}
			continue
		}
		if j.Status == shelfwise.JobRunning {
			j.Status, j.Message = shelfwise.JobQueued, "interrupted; queued again"
			if err := q.save(ctx, &j); err != nil {
				q.mu.Unlock()
				return err
			}
		}
		q.active[j.ID] = &j
		q.pending = append(q.pending, j.ID)
	}
	q.mu.Unlock()
	for range q.workers {
		q.wg.Add(1)
		go q.work(runCtx)
	}
	q.signal()
	return nil
}

// save writes a job's state. Callers hold q.mu or own the job.
func (q *Queue) save(ctx context.Context, j *shelfwise.Job) error {
	_, err := q.db.sql.ExecContext(ctx, `UPDATE jobs SET status = ?, progress = ?, message = ?, result = ?,
		error = ?, attempts = ?, started = ?, finished = ? WHERE id = ?`,
		string(j.Status), j.Progress, j.Message, j.Result, j.Error, j.Attempts,
		timeMS(j.Started), timeMS(j.Finished), j.ID)
	return err
}

// next takes the oldest pending job id, or "" when the queue is closing.
func (q *Queue) next(ctx context.Context) string {
	for {
		q.mu.Lock()
		if q.closing {
			q.mu.Unlock()
			return ""
		}
		if len(q.pending) > 0 {
			id := q.pending[0]
			q.pending = q.pending[1:]
			if len(q.pending) > 0 {
				q.signal()
			}
			q.mu.Unlock()
			return id
		}
		q.mu.Unlock()
		select {
		case <-q.wake:
		case <-q.stop:
			return ""
		case <-ctx.Done():
			return ""
		}
	}
}

func (q *Queue) work(ctx context.Context) {
	defer q.wg.Done()
	for {
		id := q.next(ctx)
		if id == "" {
			return
		}
		q.run(ctx, id)
	}
}

// run runs one job to its end (or to shutdown, which leaves it queued).
func (q *Queue) run(ctx context.Context, id string) {
	q.mu.Lock()
	j := q.active[id]
	h := q.handlers[j.Kind]
	j.Status, j.Started, j.Finished = shelfwise.JobRunning, q.Now().UTC(), time.Time{}
	j.Attempts++
	j.Progress, j.Error = 0, ""
	snapshot := cloneJob(j)
	q.mu.Unlock()
	q.save(context.WithoutCancel(ctx), &snapshot)

	progress := func(frac float64, msg string) {
		q.mu.Lock()
		j.Progress = min(1, max(0, frac))
		if msg != "" {
			j.Message = msg
		}
		// Write progress at most twice a second; readers in this process
		// see it live from memory.
		now := q.Now()
		write := now.Sub(q.saved[id]) >= 500*time.Millisecond
		if write {
			q.saved[id] = now
		}
		c := cloneJob(j)
		q.mu.Unlock()
		if write {
			q.save(context.WithoutCancel(ctx), &c)
		}
	}
	result, err := runHandler(ctx, h, snapshot, progress)

	q.mu.Lock()
	switch {
	case err == nil:
		j.Status, j.Result, j.Progress, j.Message = shelfwise.JobSucceeded, result, 1, "done"
	case ctx.Err() != nil:
		// Shutdown: leave it to run again at the next start.
		j.Status, j.Message = shelfwise.JobQueued, "interrupted by shutdown; will run again at next start"
	default:
		j.Status, j.Error = shelfwise.JobFailed, shelfwise.ErrorMessage(err)
		if shelfwise.ErrorCode(err) == shelfwise.EINTERNAL {
			j.Error = err.Error()
		}
	}
	if j.Status.Done() {
		j.Finished = q.Now().UTC()
	}
	final := cloneJob(j)
	delete(q.active, id)
	delete(q.saved, id)
	q.mu.Unlock()
	q.save(context.WithoutCancel(ctx), &final)
	if q.OnFinish != nil && final.Status.Done() {
		q.OnFinish(final)
	}
}

// runHandler calls h, turning a panic into an error so one bad job cannot
// take the server down.
func runHandler(ctx context.Context, h shelfwise.JobHandler, j shelfwise.Job, p shelfwise.Progress) (res string, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("job %s panicked: %v", j.ID, r)
		}
	}()
	return h(ctx, j, p)
}

// Shutdown stops taking jobs and waits for running ones until ctx ends, then
// cancels them; cancelled jobs stay queued and run again at the next Start.
func (q *Queue) Shutdown(ctx context.Context) error {
	q.mu.Lock()
	if !q.closing {
		q.closing = true
		close(q.stop)
	}
	cancel := q.cancel
	q.mu.Unlock()
	done := make(chan struct{})
	go func() { q.wg.Wait(); close(done) }()
	select {
	case <-done:
		if cancel != nil {
			cancel()
		}
		return nil
	case <-ctx.Done():
		if cancel != nil {
			cancel()
		}
		<-done
		return errors.Join(ctx.Err(), errors.New("running jobs were interrupted and will run again at the next start"))
	}
}
