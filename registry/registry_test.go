package registry

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shelfwise/shelfwise"
)

func openTest(t *testing.T) *DB {
	t.Helper()
	db, err := Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestKeys(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	k := NewKeys(db)
	key, secret, err := k.CreateKey(ctx, shelfwise.RoleAnalyst, "laptop")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, KeyPrefix) || len(secret) != len(KeyPrefix)+43 {
		t.Fatalf("secret %q: want %s + 43 base64 characters (256 bits)", secret, KeyPrefix)
	}
	t.Run("StoredAsHashOnly", func(t *testing.T) {
		raw, err := os.ReadFile(filepath.Join(db.Dir(), FileName))
		if err != nil {
			t.Fatal(err)
		}
		wal, _ := os.ReadFile(filepath.Join(db.Dir(), FileName+"-wal"))
		if strings.Contains(string(raw)+string(wal), secret[len(KeyPrefix):]) {
			t.Fatal("the key secret is stored in the database")
		}
		var n int
		db.sql.QueryRow(`SELECT COUNT(*) FROM api_keys WHERE hash = ?`, HashKey(secret)).Scan(&n)
		if n != 1 {
			t.Fatalf("rows with the key's hash = %d, want 1", n)
		}
	})
	t.Run("Authenticate", func(t *testing.T) {
		got, err := k.Authenticate(ctx, secret)
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != key.ID || got.Role != shelfwise.RoleAnalyst || got.Name != "laptop" {
			t.Fatalf("got %+v, want %+v", got, key)
		}
		// A fresh service (another process) finds it in the database.
		if got, err := NewKeys(db).Authenticate(ctx, secret); err != nil || got.ID != key.ID {
			t.Fatalf("fresh service: %+v, %v", got, err)
		}
	})
	t.Run("ErrWrongKey", func(t *testing.T) {
		last := "A"
		if strings.HasSuffix(secret, "A") {
			last = "B"
		}
		for _, s := range []string{"", "nope", secret[:len(secret)-1] + last, secret + "x", strings.ToUpper(secret)} {
			if _, err := k.Authenticate(ctx, s); shelfwise.ErrorCode(err) != shelfwise.EUNAUTHORIZED {
				t.Errorf("Authenticate(%q) err=%v, want unauthorized", s, err)
			}
		}
	})
	t.Run("ErrRole", func(t *testing.T) {
		if _, _, err := k.CreateKey(ctx, "root", ""); shelfwise.ErrorCode(err) != shelfwise.EINVALID {
			t.Fatalf("err=%v, want invalid", err)
		}
	})
	t.Run("Revoke", func(t *testing.T) {
		other := NewKeys(db) // caches the key, as a running server would
		if _, err := other.Authenticate(ctx, secret); err != nil {
			t.Fatal(err)
		}
		if err := k.RevokeKey(ctx, key.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := k.Authenticate(ctx, secret); shelfwise.ErrorCode(err) != shelfwise.EUNAUTHORIZED {
			t.Fatalf("after revoke err=%v, want unauthorized", err)
		}
		// The other process trusts its cache for at most cacheTTL.
		other.Now = func() time.Time { return time.Now().Add(cacheTTL + time.Second) }
		if _, err := other.Authenticate(ctx, secret); shelfwise.ErrorCode(err) != shelfwise.EUNAUTHORIZED {
			t.Fatalf("other process after TTL err=%v, want unauthorized", err)
		}
		if err := k.RevokeKey(ctx, key.ID); shelfwise.ErrorCode(err) != shelfwise.ENOTFOUND {
			t.Fatalf("second revoke err=%v, want not found", err)
		}
		keys, err := k.Keys(ctx)
		if err != nil || len(keys) != 1 || keys[0].Revoked.IsZero() {
			t.Fatalf("Keys=%+v, %v", keys, err)
		}
	})
}

func version(task string, ndcg float64) shelfwise.ModelVersion {
	return shelfwise.ModelVersion{Task: task, Model: "m", Metrics: map[string]float64{"ndcg": ndcg},
		PrimaryMetric: "ndcg", HigherIsBetter: true, DataSnapshot: "snap"}
}

func TestModels(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	m := NewModels(db)
	v1, err := m.Register(ctx, version("recommend", 0.10), []byte("model one"))
	if err != nil {
		t.Fatal(err)
	}
	if v1.Version != 1 || v1.Status != shelfwise.VersionCandidate || v1.Size != 9 || len(v1.Checksum) != 64 {
		t.Fatalf("v1=%+v", v1)
	}
	if _, err := m.Current(ctx, "recommend"); shelfwise.ErrorCode(err) != shelfwise.ENOTFOUND {
		t.Fatalf("Current before promote err=%v", err)
	}
	if _, err := m.Promote(ctx, "recommend", 1, false); err != nil {
		t.Fatal(err)
	}
	v2, _ := m.Register(ctx, version("recommend", 0.09), []byte("model two"))
	t.Run("ErrWorse", func(t *testing.T) {
		_, err := m.Promote(ctx, "recommend", v2.Version, false)
		if shelfwise.ErrorCode(err) != shelfwise.ECONFLICT {
			t.Fatalf("err=%v, want conflict", err)
		}
		if cur, _ := m.Current(ctx, "recommend"); cur.Version != 1 {
			t.Fatalf("current=v%d after refused promotion, want v1", cur.Version)
		}
	})
	t.Run("Tolerance", func(t *testing.T) {
		m.Tolerance = 0.15 // 0.09 is within 15% of 0.10
		defer func() { m.Tolerance = 0 }()
		if _, err := m.Promote(ctx, "recommend", v2.Version, false); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("Rollback", func(t *testing.T) {
		v, err := m.Rollback(ctx, "recommend")
		if err != nil || v.Version != 1 {
			t.Fatalf("rollback to v%d, %v; want v1", v.Version, err)
		}
		if got, _ := m.Version(ctx, "recommend", 2); got.Status != shelfwise.VersionRejected {
			t.Fatalf("v2 status %s after rollback, want rejected", got.Status)
		}
		if _, err := m.Rollback(ctx, "recommend"); shelfwise.ErrorCode(err) != shelfwise.ENOTFOUND {
			t.Fatalf("second rollback err=%v, want not found (nothing older)", err)
		}
	})
	t.Run("Artifact", func(t *testing.T) {
		b, err := m.Artifact(ctx, "recommend", 2)
		if err != nil || string(b) != "model two" {
			t.Fatalf("artifact %q, %v", b, err)
		}
		if err := os.WriteFile(m.artifactPath("recommend", 2), []byte("model twO"), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := m.Artifact(ctx, "recommend", 2); err == nil || !strings.Contains(err.Error(), "checksum") {
			t.Fatalf("corrupt artifact err=%v, want checksum mismatch", err)
		}
	})
	t.Run("ErrTaskName", func(t *testing.T) {
		if _, err := m.Register(ctx, version("../x", 1), nil); shelfwise.ErrorCode(err) != shelfwise.EINVALID {
			t.Fatalf("err=%v", err)
		}
	})
}

func TestNoWorse(t *testing.T) {
	lower := func(x float64) shelfwise.ModelVersion {
		return shelfwise.ModelVersion{Metrics: map[string]float64{"mase": x}, PrimaryMetric: "mase"}
	}
	tests := []struct {
		name    string
		cand    float64
		cur     float64
		tol     float64
		noWorse bool
	}{
		{"Better", 0.9, 1.0, 0, true},
		{"Equal", 1.0, 1.0, 0, true},
		{"Worse", 1.01, 1.0, 0, false},
		{"WorseWithinTolerance", 1.01, 1.0, 0.02, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := shelfwise.NoWorse(lower(tt.cand), lower(tt.cur), tt.tol); got != tt.noWorse {
				t.Fatalf("NoWorse=%v, want %v", got, tt.noWorse)
			}
		})
	}
}

// fakeTask trains "models" whose metric is taken from a list, and serves
// the decoded artifact through a Slot.
type fakeTask struct {
	mu      sync.Mutex
	metrics []float64
	slot    Slot[string]
	// registered records the versions the Registered hook saw, with
	// their status then (a version is registered before any promotion).
	registered []shelfwise.ModelVersion
}

// fakeAsOf is the DataAsOf of the fake task's candidates.
var fakeAsOf = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

func (f *fakeTask) task() Task {
	return Task{
		Name: "recommend",
		Train: func(ctx context.Context, p shelfwise.Progress) (Candidate, error) {
			f.mu.Lock()
			x := f.metrics[0]
			f.metrics = f.metrics[1:]
			f.mu.Unlock()
			p(0.5, "half way")
			return Candidate{Model: "fake", Metrics: map[string]float64{"ndcg": x}, PrimaryMetric: "ndcg",
				HigherIsBetter: true, Artifact: []byte("artifact"), DataAsOf: fakeAsOf}, nil
		},
		Registered: func(ctx context.Context, v shelfwise.ModelVersion) (shelfwise.ModelVersion, error) {
			f.mu.Lock()
			f.registered = append(f.registered, v)
			f.mu.Unlock()
			return v, nil
		},
		Load: func(ctx context.Context, v shelfwise.ModelVersion, b []byte) (func(), error) {
			if string(b) != "artifact" {
				return nil, errors.New("bad artifact")
			}
			return func() { f.slot.Set(v, string(b)) }, nil
		},
	}
}

func waitJob(t *testing.T, q *Queue, id string) shelfwise.Job {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		j, err := q.Job(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if j.Status.Done() {
			return j
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("job %s did not finish", id)
	return shelfwise.Job{}
}

func TestManagerRetrain(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	q := NewQueue(db, 2)
	mg := NewManager(NewModels(db), q, nil)
	ft := &fakeTask{metrics: []float64{0.10, 0.08, 0.12}}
	mg.AddTask(ft.task())
	var finished []shelfwise.Job
	var fmu sync.Mutex
	q.OnFinish = func(j shelfwise.Job) { fmu.Lock(); finished = append(finished, j); fmu.Unlock() }
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer q.Shutdown(ctx)

	wantServed := []int{1, 1, 3}
	wantStatus := []shelfwise.VersionStatus{shelfwise.VersionPromoted, shelfwise.VersionRejected, shelfwise.VersionPromoted}
	for i := range 3 {
		j, err := mg.Retrain(ctx, "recommend")
		if err != nil {
			t.Fatal(err)
		}
		j = waitJob(t, q, j.ID)
		if j.Status != shelfwise.JobSucceeded || j.Progress != 1 || j.Attempts != 1 {
			t.Fatalf("job %d: %+v", i, j)
		}
		if got := ft.slot.Get().Version.Version; got != wantServed[i] {
			t.Fatalf("after retrain %d served v%d, want v%d (%s)", i+1, got, wantServed[i], j.Result)
		}
		v, _ := mg.Models.Version(ctx, "recommend", i+1)
		if v.Status != wantStatus[i] || v.Job != j.ID {
			t.Fatalf("v%d status %s job %s, want %s %s", i+1, v.Status, v.Job, wantStatus[i], j.ID)
		}
	}
	if _, err := mg.Retrain(ctx, "nope"); shelfwise.ErrorCode(err) != shelfwise.ENOTFOUND {
		t.Fatalf("unknown task err=%v", err)
	}
	t.Run("RollbackSwaps", func(t *testing.T) {
		v, err := mg.Rollback(ctx, "recommend")
		if err != nil || v.Version != 1 || ft.slot.Get().Version.Version != 1 {
			t.Fatalf("rollback: %+v %v, served v%d", v, err, ft.slot.Get().Version.Version)
		}
	})
	t.Run("ForcePromote", func(t *testing.T) {
		if _, err := mg.Promote(ctx, "recommend", 2, false); shelfwise.ErrorCode(err) != shelfwise.ECONFLICT {
			t.Fatalf("err=%v, want conflict", err)
		}
		if ft.slot.Get().Version.Version != 1 {
			t.Fatal("refused promotion changed the served model")
		}
		if _, err := mg.Promote(ctx, "recommend", 2, true); err != nil || ft.slot.Get().Version.Version != 2 {
			t.Fatalf("forced promote: %v, served v%d", err, ft.slot.Get().Version.Version)
		}
	})
	t.Run("LoadCurrentAfterRestart", func(t *testing.T) {
		ft2 := &fakeTask{}
		mg2 := NewManager(NewModels(db), NewQueue(db, 1), nil)
		mg2.AddTask(ft2.task())
		if err := mg2.LoadCurrent(ctx); err != nil {
			t.Fatal(err)
		}
		if ft2.slot.Get() == nil || ft2.slot.Get().Version.Version != 2 {
			t.Fatalf("restart serves %+v, want v2", ft2.slot.Get())
		}
	})
	fmu.Lock()
	defer fmu.Unlock()
	if len(finished) != 3 {
		t.Fatalf("OnFinish called %d times, want 3", len(finished))
	}
	ft.mu.Lock()
	defer ft.mu.Unlock()
	if len(ft.registered) != 3 {
		t.Fatalf("Registered called %d times, want 3", len(ft.registered))
	}
	for i, v := range ft.registered {
		if v.Version != i+1 || v.Status != shelfwise.VersionCandidate || !v.DataAsOf.Equal(fakeAsOf) {
			t.Errorf("Registered saw v%d status %s as of %v, want v%d candidate as of %v",
				v.Version, v.Status, v.DataAsOf, i+1, fakeAsOf)
		}
	}
}

func TestQueueResumesAfterShutdown(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	q := NewQueue(db, 1)
	started := make(chan struct{})
	q.Handle("slow", func(ctx context.Context, j shelfwise.Job, p shelfwise.Progress) (string, error) {
		p(0.25, "working")
		close(started)
		<-ctx.Done()
		return "", ctx.Err()
	})
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	j, err := q.Submit(ctx, "slow", map[string]string{"n": "1"})
	if err != nil {
		t.Fatal(err)
	}
	if dup, _ := q.Submit(ctx, "slow", map[string]string{"n": "1"}); dup.ID != j.ID {
		t.Fatalf("duplicate submit made job %s, want existing %s", dup.ID, j.ID)
	}
	<-started
	if got, _ := q.Job(ctx, j.ID); got.Status != shelfwise.JobRunning || got.Progress != 0.25 || got.Message != "working" {
		t.Fatalf("running job: %+v", got)
	}
	sctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if err := q.Shutdown(sctx); err == nil {
		t.Fatal("Shutdown with a job still running returned nil")
	}
	if _, err := q.Submit(ctx, "slow", nil); shelfwise.ErrorCode(err) != shelfwise.ECONFLICT {
		t.Fatalf("submit after shutdown err=%v", err)
	}
	// The next process runs it again.
	q2 := NewQueue(db, 1)
	q2.Handle("slow", func(ctx context.Context, j shelfwise.Job, p shelfwise.Progress) (string, error) {
		return "done on attempt " + string(rune('0'+j.Attempts)), nil
	})
	if err := q2.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer q2.Shutdown(ctx)
	got := waitJob(t, q2, j.ID)
	if got.Status != shelfwise.JobSucceeded || got.Attempts != 2 || got.Result != "done on attempt 2" {
		t.Fatalf("resumed job: %+v", got)
	}
	jobs, err := q2.Jobs(ctx, 10)
	if err != nil || len(jobs) != 1 {
		t.Fatalf("Jobs=%v, %v", jobs, err)
	}
}

func TestQueueFailureAndPanic(t *testing.T) {
	ctx := context.Background()
	q := NewQueue(openTest(t), 2)
	q.Handle("bad", func(ctx context.Context, j shelfwise.Job, p shelfwise.Progress) (string, error) {
		if j.Params["panic"] == "1" {
			panic("boom")
		}
		return "", shelfwise.Errorf(shelfwise.EINVALID, "no data to train on")
	})
	q.Start(ctx)
	defer q.Shutdown(ctx)
	a, _ := q.Submit(ctx, "bad", nil)
	b, _ := q.Submit(ctx, "bad", map[string]string{"panic": "1"})
	if got := waitJob(t, q, a.ID); got.Status != shelfwise.JobFailed || got.Error != "no data to train on" {
		t.Fatalf("failed job: %+v", got)
	}
	if got := waitJob(t, q, b.ID); got.Status != shelfwise.JobFailed || !strings.Contains(got.Error, "panicked") {
		t.Fatalf("panicking job: %+v", got)
	}
	if _, err := q.Submit(ctx, "unknown", nil); shelfwise.ErrorCode(err) != shelfwise.EINVALID {
		t.Fatalf("unknown kind err=%v", err)
	}
}

// TestRetrainMissingOrder: the first trainings are queued by priority
// (then name), tasks already served are skipped, and a queue of one
// worker runs them in that order.
func TestRetrainMissingOrder(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	q := NewQueue(db, 1)
	mg := NewManager(NewModels(db), q, nil)
	var mu sync.Mutex
	var ran []string
	add := func(name string, prio int) {
		mg.AddTask(Task{Name: name, Priority: prio,
			Train: func(ctx context.Context, p shelfwise.Progress) (Candidate, error) {
				mu.Lock()
				ran = append(ran, name)
				mu.Unlock()
				return Candidate{Model: "fake", Metrics: map[string]float64{"m": 1}, PrimaryMetric: "m", HigherIsBetter: true,
					Artifact: []byte(name)}, nil
			},
			Load: func(ctx context.Context, v shelfwise.ModelVersion, b []byte) (func(), error) { return func() {}, nil },
		})
	}
	add("forecast", 0)
	add("propensity", 0)
	add("recommend", 10)
	add("alpha", -1)
	if got := strings.Join(mg.TrainOrder(), ","); got != "recommend,forecast,propensity,alpha" {
		t.Fatalf("TrainOrder = %s", got)
	}
	if got := strings.Join(mg.Tasks(), ","); got != "alpha,forecast,propensity,recommend" {
		t.Fatalf("Tasks = %s, want sorted by name", got)
	}
	// propensity is already served: not trained again.
	if _, err := mg.Models.Register(ctx, shelfwise.ModelVersion{Task: "propensity", Model: "fake", Metrics: map[string]float64{"m": 1},
		PrimaryMetric: "m", HigherIsBetter: true}, []byte("p")); err != nil {
		t.Fatal(err)
	}
	if _, err := mg.Models.Promote(ctx, "propensity", 1, true); err != nil {
		t.Fatal(err)
	}
	jobs, err := mg.RetrainMissing(ctx)
	if err != nil || len(jobs) != 3 {
		t.Fatalf("RetrainMissing: %d jobs, %v", len(jobs), err)
	}
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer q.Shutdown(ctx)
	for _, j := range jobs {
		if got := waitJob(t, q, j.ID); got.Status != shelfwise.JobSucceeded {
			t.Fatalf("job %+v", got)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if got := strings.Join(ran, ","); got != "recommend,forecast,alpha" {
		t.Fatalf("trained %s, want recommend,forecast,alpha", got)
	}
}

// TestQueueWorkersBound: a queue of 2 workers runs two jobs at once, never
// three.
func TestQueueWorkersBound(t *testing.T) {
	ctx := context.Background()
	q := NewQueue(openTest(t), 2)
	var mu sync.Mutex
	running, peak := 0, 0
	release := make(chan struct{})
	q.Handle("work", func(ctx context.Context, j shelfwise.Job, p shelfwise.Progress) (string, error) {
		mu.Lock()
		running++
		peak = max(peak, running)
		mu.Unlock()
		<-release
		mu.Lock()
		running--
		mu.Unlock()
		return "ok", nil
	})
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer q.Shutdown(ctx)
	var ids []string
	for i := range 5 {
		j, err := q.Submit(ctx, "work", map[string]string{"i": string(rune('0' + i))})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, j.ID)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		r := running
		mu.Unlock()
		if r == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d jobs running, want 2 at once", r)
		}
		time.Sleep(time.Millisecond)
	}
	close(release)
	for _, id := range ids {
		if got := waitJob(t, q, id); got.Status != shelfwise.JobSucceeded {
			t.Fatalf("job %+v", got)
		}
	}
	if peak != 2 {
		t.Fatalf("peak of %d jobs at once, want 2", peak)
	}
}
