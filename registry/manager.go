package registry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shelfwise/shelfwise"
)

// JobRetrain is the job kind that trains, evaluates and registers a new
// version of a task's model (param "task").
const JobRetrain = "retrain"

// Candidate is what a task's trainer produces: a serialised model with its
// held-out evaluation.
type Candidate struct {
	Model          string
	Metrics        map[string]float64
	PrimaryMetric  string
	HigherIsBetter bool
	// DataSnapshot identifies the training data (counts, latest time).
	DataSnapshot string
	// DataAsOf is when the training data was read from the store (zero:
	// the registration time); customers erased after it may be in the
	// artifact (see Task.Registered).
	DataAsOf time.Time
	Artifact []byte
}

// Task is one model task the manager trains and serves.
type Task struct {
	Name string
	// Train trains and evaluates a new model from the current data. It
	// reports progress and stops when ctx ends.
	Train func(ctx context.Context, progress shelfwise.Progress) (Candidate, error)
	// Load decodes an artifact into a ready-to-serve model without serving
	// it yet, and returns the function that swaps it in. Decoding happens
	// before the registry changes, so a bad artifact changes nothing.
	Load func(ctx context.Context, v shelfwise.ModelVersion, artifact []byte) (swap func(), err error)
	// Registered, if set, is called with each version Train produced once
	// it is registered and before it can be promoted, so the task can
	// rewrite an artifact that holds data erased while it trained (the
	// erasure's own sweep of saved versions ran before the version
	// existed). An error leaves the version a candidate that is not
	// promoted.
	Registered func(ctx context.Context, v shelfwise.ModelVersion) (shelfwise.ModelVersion, error)
	// Priority orders tasks trained together (RetrainMissing at start-up,
	// Schedule): higher first, then by name. Give the models that answer
	// live traffic (recommendations) a higher one, so they are ready
	// first when the job workers are fewer than the tasks.
	Priority int
}

// Slot holds the served model of a task. Readers call Get on every request
// and keep what it returns for the whole request; Set swaps atomically, so a
// request sees either the old model or the new one, never a mix.
type Slot[T any] struct {
	p atomic.Pointer[Served[T]]
}

// Served is a model with the registry version it came from.
type Served[T any] struct {
	Version shelfwise.ModelVersion
	Model   T
}

// Get returns the served model, or nil when none is loaded.
func (s *Slot[T]) Get() *Served[T] { return s.p.Load() }

// Set serves model as version v.
func (s *Slot[T]) Set(v shelfwise.ModelVersion, model T) {
	s.p.Store(&Served[T]{Version: v, Model: model})
}

// Manager trains, registers, promotes and serves models: the model side of
// the service. It is safe for concurrent use.
type Manager struct {
	Models *Models
	Queue  shelfwise.JobQueue
	// AutoPromote promotes a newly trained version when its evaluation is
	// no worse than the served one's (Models.Tolerance); otherwise it is
	// rejected. When false new versions stay candidates.
	AutoPromote bool
	Logger      *slog.Logger

	pmu   sync.Mutex // serialises promotions and rollbacks
	mu    sync.Mutex // guards tasks
	tasks map[string]Task
}

// NewManager returns a manager using models and queue, registering the
// retrain handler on the queue (call before queue.Start).
func NewManager(models *Models, queue shelfwise.JobQueue, logger *slog.Logger) *Manager {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	m := &Manager{Models: models, Queue: queue, AutoPromote: true, Logger: logger, tasks: map[string]Task{}}
	queue.Handle(JobRetrain, m.retrain)
	return m
}

// AddTask registers a task.
func (m *Manager) AddTask(t Task) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tasks[t.Name] = t
}

// Tasks lists the registered task names in order.
func (m *Manager) Tasks() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]string, 0, len(m.tasks))
	for n := range m.tasks {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// TrainOrder lists the registered task names in the order they are
// trained together: by Priority, highest first, then by name.
func (m *Manager) TrainOrder() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	ts := make([]Task, 0, len(m.tasks))
	for _, t := range m.tasks {
		ts = append(ts, t)
	}
	sort.Slice(ts, func(i, j int) bool {
		if ts[i].Priority != ts[j].Priority {
			return ts[i].Priority > ts[j].Priority
		}
		return ts[i].Name < ts[j].Name
	})
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.Name
	}
	return out
}

// RetrainMissing queues a retrain, in TrainOrder, for every task that has
// no promoted version (a fresh data directory) and returns the jobs.
func (m *Manager) RetrainMissing(ctx context.Context) ([]shelfwise.Job, error) {
	var jobs []shelfwise.Job
	var errs []error
	for _, name := range m.TrainOrder() {
		_, err := m.Models.Current(ctx, name)
		if shelfwise.ErrorCode(err) != shelfwise.ENOTFOUND {
			if err != nil {
				errs = append(errs, err)
			}
			continue
		}
		j, err := m.Retrain(ctx, name)
		if err != nil {
			errs = append(errs, fmt.Errorf("queue the first training of %s: %w", name, err))
			continue
		}
		jobs = append(jobs, j)
	}
	return jobs, errors.Join(errs...)
}

func (m *Manager) task(name string) (Task, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.tasks[name]
	if !ok {
		return Task{}, shelfwise.Errorf(shelfwise.ENOTFOUND, "no model task %q (this server has: %v)", name, m.tasksLocked())
	}
	return t, nil
}

func (m *Manager) tasksLocked() []string {
	out := make([]string, 0, len(m.tasks))
	for n := range m.tasks {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Retrain queues a retrain job for task (or returns the one already queued).
func (m *Manager) Retrain(ctx context.Context, task string) (shelfwise.Job, error) {
	if _, err := m.task(task); err != nil {
		return shelfwise.Job{}, err
	}
	return m.Queue.Submit(ctx, JobRetrain, map[string]string{"task": task})
}

// LoadCurrent serves the promoted version of every task, as at start-up. A
// task without a promoted version serves nothing until one is trained.
func (m *Manager) LoadCurrent(ctx context.Context) error {
	var errs []error
	for _, name := range m.Tasks() {
		v, err := m.Models.Current(ctx, name)
		if shelfwise.ErrorCode(err) == shelfwise.ENOTFOUND {
			continue
		} else if err != nil {
			errs = append(errs, err)
			continue
		}
		swap, err := m.load(ctx, v)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		swap()
	}
	return errors.Join(errs...)
}

func (m *Manager) load(ctx context.Context, v shelfwise.ModelVersion) (func(), error) {
	t, err := m.task(v.Task)
	if err != nil {
		return nil, err
	}
	b, err := m.Models.Artifact(ctx, v.Task, v.Version)
	if err != nil {
		return nil, err
	}
	swap, err := t.Load(ctx, v, b)
	if err != nil {
		return nil, fmt.Errorf("load %s v%d: %w", v.Task, v.Version, err)
	}
	return swap, nil
}

// Promote serves version of task if it is no worse than the served one (or
// force). The model is loaded before the registry changes and swapped in
// after, so a failure leaves the served model and the registry as they were.
func (m *Manager) Promote(ctx context.Context, task string, version int, force bool) (shelfwise.ModelVersion, error) {
	m.pmu.Lock()
	defer m.pmu.Unlock()
	v, err := m.Models.Version(ctx, task, version)
	if err != nil {
		return v, err
	}
	swap, err := m.load(ctx, v)
	if err != nil {
		return v, err
	}
	v, err = m.Models.Promote(ctx, task, version, force)
	if err != nil {
		return v, err
	}
	swap()
	m.Logger.Info("model promoted", "task", task, "version", v.Version, "note", v.Note)
	return v, nil
}

// Rollback serves the previously promoted version of task again.
func (m *Manager) Rollback(ctx context.Context, task string) (shelfwise.ModelVersion, error) {
	m.pmu.Lock()
	defer m.pmu.Unlock()
	vs, err := queryVersions(ctx, m.Models.db.sql, `WHERE task = ? AND status = ? ORDER BY retired DESC, version DESC LIMIT 1`,
		task, string(shelfwise.VersionRetired))
	if err != nil {
		return shelfwise.ModelVersion{}, err
	}
	if len(vs) == 0 {
		return shelfwise.ModelVersion{}, shelfwise.Errorf(shelfwise.ENOTFOUND, "model %q has no earlier version to roll back to", task)
	}
	swap, err := m.load(ctx, vs[0])
	if err != nil {
		return vs[0], err
	}
	v, err := m.Models.Rollback(ctx, task)
	if err != nil {
		return v, err
	}
	if v.Version != vs[0].Version { // changed under us; load what the registry chose
		if swap, err = m.load(ctx, v); err != nil {
			return v, err
		}
	}
	swap()
	m.Logger.Info("model rolled back", "task", task, "version", v.Version)
	return v, nil
}

// retrain is the JobRetrain handler.
func (m *Manager) retrain(ctx context.Context, job shelfwise.Job, progress shelfwise.Progress) (string, error) {
	name := job.Params["task"]
	t, err := m.task(name)
	if err != nil {
		return "", err
	}
	progress(0, "training "+name)
	c, err := t.Train(ctx, func(f float64, msg string) { progress(0.9*f, msg) })
	if err != nil {
		return "", err
	}
	progress(0.9, "registering")
	v, err := m.Models.Register(ctx, shelfwise.ModelVersion{
		Task: name, Model: c.Model, Metrics: c.Metrics, PrimaryMetric: c.PrimaryMetric,
		HigherIsBetter: c.HigherIsBetter, DataSnapshot: c.DataSnapshot, DataAsOf: c.DataAsOf, Job: job.ID,
	}, c.Artifact)
	if err != nil {
		return "", err
	}
	if t.Registered != nil {
		if v, err = t.Registered(ctx, v); err != nil {
			return "", fmt.Errorf("registered %s v%d as a candidate, but: %w", name, v.Version, err)
		}
	}
	cur, err := m.Models.Current(ctx, name)
	first := shelfwise.ErrorCode(err) == shelfwise.ENOTFOUND
	if err != nil && !first {
		return "", err
	}
	switch {
	case !first && !m.AutoPromote:
		return fmt.Sprintf("registered %s v%d as a candidate (%s)", name, v.Version, Compare(v, cur)), nil
	case first || shelfwise.NoWorse(v, cur, m.Models.Tolerance):
		p, err := m.Promote(ctx, name, v.Version, false)
		if shelfwise.ErrorCode(err) == shelfwise.ECONFLICT {
			break // another version was promoted meanwhile and is better
		} else if err != nil {
			return "", err
		}
		if first {
			return fmt.Sprintf("registered and promoted %s v%d (first version; %s %.4g)",
				name, p.Version, p.PrimaryMetric, p.Metrics[p.PrimaryMetric]), nil
		}
		return fmt.Sprintf("registered and promoted %s v%d: %s", name, p.Version, p.Note), nil
	}
	note := "not promoted: " + Compare(v, cur)
	if err := m.Models.Reject(ctx, name, v.Version, note); err != nil {
		return "", err
	}
	return fmt.Sprintf("registered %s v%d, %s", name, v.Version, note), nil
}

// Schedule queues a retrain of every task (in TrainOrder) every interval
// until ctx ends.
func (m *Manager) Schedule(ctx context.Context, every time.Duration) {
	if every <= 0 {
		return
	}
	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				for _, name := range m.TrainOrder() {
					if _, err := m.Retrain(ctx, name); err != nil {
						m.Logger.Warn("scheduled retrain not queued", "task", name, "err", err)
					}
				}
			}
		}
	}()
}
