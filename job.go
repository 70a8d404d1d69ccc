package shelfwise

import (
	"context"
	"time"
)

// JobStatus is the state of a background job.
type JobStatus string

// Statuses of a job. Queued and running jobs found at start-up after a crash
// or a shutdown that did not let them finish are interrupted and run again.
const (
	JobQueued    JobStatus = "queued"
	JobRunning   JobStatus = "running"
	JobSucceeded JobStatus = "succeeded"
	JobFailed    JobStatus = "failed"
	JobCanceled  JobStatus = "canceled"
)

// Done reports whether the status is final.
func (s JobStatus) Done() bool {
	return s == JobSucceeded || s == JobFailed || s == JobCanceled
}

// Job is a unit of background work (training and evaluating a model, a batch
// of forecasts) with its progress. Params and Result are plain strings so a
// job can be shipped to a worker on another machine.
type Job struct {
	ID     string            `json:"id"`
	Kind   string            `json:"kind"` // e.g. "retrain"
	Params map[string]string `json:"params,omitempty"`
	Status JobStatus         `json:"status"`
	// Progress is the fraction done in [0,1]; Message what it is doing.
	Progress float64   `json:"progress"`
	Message  string    `json:"message,omitempty"`
	Result   string    `json:"result,omitempty"`
	Error    string    `json:"error,omitempty"`
	Attempts int       `json:"attempts"`
	Created  time.Time `json:"created"`
	Started  time.Time `json:"started,omitzero"`
	Finished time.Time `json:"finished,omitzero"`
}

// Seconds is the job's run time so far (or in total when done).
func (j Job) Seconds(now time.Time) float64 {
	if j.Started.IsZero() {
		return 0
	}
	end := j.Finished
	if end.IsZero() {
		end = now
	}
	return end.Sub(j.Started).Seconds()
}

// Progress reports a running job's fraction done and what it is doing.
// Handlers call it as they go; it is cheap and safe to call often.
type Progress func(fraction float64, message string)

// JobHandler runs one kind of job. It returns a short human-readable result
// or an error. It must stop promptly when ctx is cancelled (shutdown); the
// job is then run again at the next start.
type JobHandler func(ctx context.Context, job Job, progress Progress) (string, error)

// JobQueue runs background jobs: in-process goroutine workers by default,
// NATS JetStream workers when scaled out. Jobs are recorded durably, so their
// status survives restarts.
type JobQueue interface {
	// Handle registers the handler of a job kind. Call before Start.
	Handle(kind string, h JobHandler)
	// Submit queues a job and returns it; EINVALID for an unknown kind.
	Submit(ctx context.Context, kind string, params map[string]string) (Job, error)
	// Job returns one job; ENOTFOUND if it does not exist.
	Job(ctx context.Context, id string) (Job, error)
	// Jobs lists the most recent jobs, newest first.
	Jobs(ctx context.Context, limit int) ([]Job, error)
	// Start starts the workers and re-queues jobs left unfinished by a
	// previous process.
	Start(ctx context.Context) error
	// Shutdown stops taking jobs and waits for running ones until ctx ends;
	// jobs still running then are cancelled and left to run again.
	Shutdown(ctx context.Context) error
}
