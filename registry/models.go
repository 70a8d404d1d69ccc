package registry

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/shelfwise/shelfwise"
)

var _ shelfwise.ModelRegistry = (*Models)(nil)

// Models is the model registry on the registry database. Artifacts live in
// files under models/ in the data directory.
type Models struct {
	db *DB
	// Tolerance is the relative slack Promote allows: 0 promotes only a
	// version at least as good as the served one; 0.01 accepts 1% worse.
	Tolerance float64
	// Now returns the current time; tests may replace it.
	Now func() time.Time
}

// NewModels returns the model registry of db.
func NewModels(db *DB) *Models { return &Models{db: db, Now: time.Now} }

var taskName = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,39}$`)

// checkTask validates a task name, which becomes part of file names.
func checkTask(task string) error {
	if !taskName.MatchString(task) {
		return shelfwise.Errorf(shelfwise.EINVALID,
			"task %q must be 1-40 lower-case letters, digits, '-' or '_'", task)
	}
	return nil
}

func (m *Models) artifactPath(task string, version int) string {
	return filepath.Join(m.db.dir, "models", fmt.Sprintf("%s-%06d.bin", task, version))
}

// Register stores a new candidate version of v.Task with its artifact.
func (m *Models) Register(ctx context.Context, v shelfwise.ModelVersion, artifact []byte) (shelfwise.ModelVersion, error) {
	if err := checkTask(v.Task); err != nil {
		return v, err
	}
	metrics, err := json.Marshal(v.Metrics)
	if err != nil {
		return v, shelfwise.Errorf(shelfwise.EINVALID, "metrics of %s are not finite numbers", v.Task)
	}
	v.Checksum = checksum(artifact)
	v.Size = int64(len(artifact))
	v.Status = shelfwise.VersionCandidate
	v.Created = m.Now().UTC().Truncate(time.Millisecond)
	v.Promoted = time.Time{}
	if v.DataAsOf.IsZero() || v.DataAsOf.After(v.Created) {
		v.DataAsOf = v.Created
	}
	v.DataAsOf = v.DataAsOf.UTC().Truncate(time.Millisecond)

	tx, err := m.db.sql.BeginTx(ctx, nil)
	if err != nil {
		return v, err
	}
	defer tx.Rollback()
	if err := tx.QueryRowContext(ctx,
		`SELECT COALESCE(MAX(version), 0) + 1 FROM model_versions WHERE task = ?`, v.Task).Scan(&v.Version); err != nil {
		return v, err
	}
	// The file is durable before the row that points to it commits, so a
	// committed version always has its artifact.
	if err := writeFileSync(m.artifactPath(v.Task, v.Version), artifact); err != nil {
		return v, fmt.Errorf("register %s v%d: %w", v.Task, v.Version, err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO model_versions(task, version, model, metrics,
		primary_metric, higher_better, snapshot, checksum, size, status, created, note, job, data_as_of)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		v.Task, v.Version, v.Model, string(metrics), v.PrimaryMetric, boolInt(v.HigherIsBetter),
		v.DataSnapshot, v.Checksum, v.Size, string(v.Status), v.Created.UnixMilli(), v.Note, v.Job,
		v.DataAsOf.UnixMilli())
	if err != nil {
		return v, fmt.Errorf("register %s v%d: %w", v.Task, v.Version, err)
	}
	return v, tx.Commit()
}

// writeFileSync writes data to path atomically: a temporary file, fsync,
// rename, fsync of the directory.
func writeFileSync(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(dir)
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

const versionCols = `task, version, model, metrics, primary_metric, higher_better, snapshot,
	checksum, size, status, created, promoted, note, job, data_as_of`

func scanVersion(s scanner) (shelfwise.ModelVersion, error) {
	var v shelfwise.ModelVersion
	var metrics, status string
	var higher int
	var created, promoted, asOf int64
	err := s.Scan(&v.Task, &v.Version, &v.Model, &metrics, &v.PrimaryMetric, &higher, &v.DataSnapshot,
		&v.Checksum, &v.Size, &status, &created, &promoted, &v.Note, &v.Job, &asOf)
	if err != nil {
		return v, err
	}
	if err := json.Unmarshal([]byte(metrics), &v.Metrics); err != nil {
		return v, fmt.Errorf("model %s v%d: metrics: %w", v.Task, v.Version, err)
	}
	v.HigherIsBetter = higher != 0
	v.Status = shelfwise.VersionStatus(status)
	v.Created = msTime(created)
	v.Promoted = msTime(promoted)
	v.DataAsOf = v.Created // versions registered before the column existed
	if asOf > 0 {
		v.DataAsOf = msTime(asOf)
	}
	return v, nil
}

func queryVersions(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, where string, args ...any) ([]shelfwise.ModelVersion, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+versionCols+` FROM model_versions `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []shelfwise.ModelVersion
	for rows.Next() {
		v, err := scanVersion(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// Versions lists versions newest first, of one task or all.
func (m *Models) Versions(ctx context.Context, task string) ([]shelfwise.ModelVersion, error) {
	if task == "" {
		return queryVersions(ctx, m.db.sql, `ORDER BY task, version DESC`)
	}
	return queryVersions(ctx, m.db.sql, `WHERE task = ? ORDER BY version DESC`, task)
}

// Version returns one version.
func (m *Models) Version(ctx context.Context, task string, version int) (shelfwise.ModelVersion, error) {
	vs, err := queryVersions(ctx, m.db.sql, `WHERE task = ? AND version = ?`, task, version)
	if err != nil {
		return shelfwise.ModelVersion{}, err
	}
	if len(vs) == 0 {
		return shelfwise.ModelVersion{}, shelfwise.Errorf(shelfwise.ENOTFOUND, "no version %d of model %q", version, task)
	}
	return vs[0], nil
}

// Current returns the promoted version of task.
func (m *Models) Current(ctx context.Context, task string) (shelfwise.ModelVersion, error) {
	vs, err := queryVersions(ctx, m.db.sql, `WHERE task = ? AND status = ?`, task, string(shelfwise.VersionPromoted))
	if err != nil {
		return shelfwise.ModelVersion{}, err
	}
	if len(vs) == 0 {
		return shelfwise.ModelVersion{}, shelfwise.Errorf(shelfwise.ENOTFOUND, "no promoted model for %q", task)
	}
	return vs[0], nil
}

// Artifact reads a version's artifact and checks its checksum. A
// replacement interrupted after its row committed is finished here.
func (m *Models) Artifact(ctx context.Context, task string, version int) ([]byte, error) {
	v, err := m.Version(ctx, task, version)
	if err != nil {
		return nil, err
	}
	path := m.artifactPath(task, version)
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return nil, fmt.Errorf("model %s v%d artifact: %w", task, version, err)
	}
	if err != nil || checksum(b) != v.Checksum {
		nb, nerr := os.ReadFile(path + replacementSuffix)
		if nerr == nil && checksum(nb) == v.Checksum {
			if err := os.Rename(path+replacementSuffix, path); err != nil {
				return nil, fmt.Errorf("model %s v%d artifact: finishing its replacement: %w", task, version, err)
			}
			return nb, nil
		}
		if err != nil {
			return nil, fmt.Errorf("model %s v%d artifact: %w", task, version, err)
		}
		return nil, fmt.Errorf("model %s v%d artifact: checksum mismatch (file corrupt or replaced)", task, version)
	}
	return b, nil
}

// replacementSuffix names the durable copy of a replacement artifact
// written before the version's row points to it.
const replacementSuffix = ".replacement"

func checksum(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// ReplaceArtifact rewrites a version's artifact. The new bytes are durable
// beside the old file before the row's checksum changes, then renamed over
// it; a crash in between is finished by the next Artifact call, so the
// version never points to bytes it cannot check.
func (m *Models) ReplaceArtifact(ctx context.Context, task string, version int, artifact []byte, dataAsOf time.Time, note string) (shelfwise.ModelVersion, error) {
	v, err := m.Version(ctx, task, version)
	if err != nil {
		return v, err
	}
	path := m.artifactPath(task, version)
	if err := writeFileSync(path+replacementSuffix, artifact); err != nil {
		return v, fmt.Errorf("replace %s v%d artifact: %w", task, version, err)
	}
	v.Checksum, v.Size = checksum(artifact), int64(len(artifact))
	if note != "" {
		if v.Note != "" {
			v.Note += "; "
		}
		v.Note += note
	}
	if !dataAsOf.IsZero() {
		v.DataAsOf = dataAsOf.UTC().Truncate(time.Millisecond)
	}
	if _, err := m.db.sql.ExecContext(ctx, `UPDATE model_versions SET checksum = ?, size = ?, note = ?, data_as_of = ? WHERE task = ? AND version = ?`,
		v.Checksum, v.Size, v.Note, v.DataAsOf.UnixMilli(), task, version); err != nil {
		os.Remove(path + replacementSuffix)
		return v, fmt.Errorf("replace %s v%d artifact: %w", task, version, err)
	}
	// A concurrent Artifact may have finished the rename already.
	if err := os.Rename(path+replacementSuffix, path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return v, fmt.Errorf("replace %s v%d artifact: %w", task, version, err)
	}
	return v, syncDir(filepath.Dir(path))
}

// Promote makes version the served one, if it is no worse than the current
// one or force is set.
func (m *Models) Promote(ctx context.Context, task string, version int, force bool) (shelfwise.ModelVersion, error) {
	tx, err := m.db.sql.BeginTx(ctx, nil)
	if err != nil {
		return shelfwise.ModelVersion{}, err
	}
	defer tx.Rollback()
	vs, err := queryVersions(ctx, tx, `WHERE task = ? AND version = ?`, task, version)
	if err != nil {
		return shelfwise.ModelVersion{}, err
	}
	if len(vs) == 0 {
		return shelfwise.ModelVersion{}, shelfwise.Errorf(shelfwise.ENOTFOUND, "no version %d of model %q", version, task)
	}
	v := vs[0]
	if v.Status == shelfwise.VersionPromoted {
		return v, nil
	}
	cur, err := queryVersions(ctx, tx, `WHERE task = ? AND status = ?`, task, string(shelfwise.VersionPromoted))
	if err != nil {
		return v, err
	}
	if len(cur) > 0 && !force && !shelfwise.NoWorse(v, cur[0], m.Tolerance) {
		return v, shelfwise.Errorf(shelfwise.ECONFLICT, "%s v%d is worse than the promoted v%d: %s",
			task, v.Version, cur[0].Version, Compare(v, cur[0]))
	}
	now := m.Now().UnixMilli()
	if len(cur) > 0 {
		if _, err := tx.ExecContext(ctx, `UPDATE model_versions SET status = ?, retired = ? WHERE task = ? AND version = ?`,
			string(shelfwise.VersionRetired), now, task, cur[0].Version); err != nil {
			return v, err
		}
	}
	note := v.Note
	if len(cur) > 0 {
		note = Compare(v, cur[0])
	}
	if _, err := tx.ExecContext(ctx, `UPDATE model_versions SET status = ?, promoted = ?, note = ? WHERE task = ? AND version = ?`,
		string(shelfwise.VersionPromoted), now, note, task, version); err != nil {
		return v, err
	}
	if err := tx.Commit(); err != nil {
		return v, err
	}
	v.Status, v.Promoted, v.Note = shelfwise.VersionPromoted, msTime(now), note
	return v, nil
}

// Compare describes a candidate's primary metric against another version's,
// e.g. "ndcg@10 0.0812 vs 0.0790 (higher is better)".
func Compare(v, cur shelfwise.ModelVersion) string {
	a, _ := v.Primary()
	b, _ := cur.Primary()
	dir := "lower is better"
	if cur.HigherIsBetter {
		dir = "higher is better"
	}
	return fmt.Sprintf("%s %.4g vs %.4g of v%d (%s)", cur.PrimaryMetric, a, b, cur.Version, dir)
}

// Reject marks a candidate rejected.
func (m *Models) Reject(ctx context.Context, task string, version int, note string) error {
	res, err := m.db.sql.ExecContext(ctx, `UPDATE model_versions SET status = ?, note = ?
		WHERE task = ? AND version = ? AND status = ?`,
		string(shelfwise.VersionRejected), note, task, version, string(shelfwise.VersionCandidate))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return shelfwise.Errorf(shelfwise.ENOTFOUND, "no candidate version %d of model %q", version, task)
	}
	return nil
}

// Rollback re-promotes the most recently retired version.
func (m *Models) Rollback(ctx context.Context, task string) (shelfwise.ModelVersion, error) {
	tx, err := m.db.sql.BeginTx(ctx, nil)
	if err != nil {
		return shelfwise.ModelVersion{}, err
	}
	defer tx.Rollback()
	prev, err := queryVersions(ctx, tx, `WHERE task = ? AND status = ? ORDER BY retired DESC, version DESC LIMIT 1`,
		task, string(shelfwise.VersionRetired))
	if err != nil {
		return shelfwise.ModelVersion{}, err
	}
	if len(prev) == 0 {
		return shelfwise.ModelVersion{}, shelfwise.Errorf(shelfwise.ENOTFOUND, "model %q has no earlier version to roll back to", task)
	}
	now := m.Now().UnixMilli()
	// The rolled-back version becomes rejected, not retired, so a second
	// rollback goes further back instead of flipping between two versions.
	if _, err := tx.ExecContext(ctx, `UPDATE model_versions SET status = ?, note = ? WHERE task = ? AND status = ?`,
		string(shelfwise.VersionRejected), "rolled back", task, string(shelfwise.VersionPromoted)); err != nil {
		return shelfwise.ModelVersion{}, err
	}
	v := prev[0]
	if _, err := tx.ExecContext(ctx, `UPDATE model_versions SET status = ?, promoted = ?, note = ? WHERE task = ? AND version = ?`,
		string(shelfwise.VersionPromoted), now, "restored by rollback", task, v.Version); err != nil {
		return v, err
	}
	if err := tx.Commit(); err != nil {
		return v, err
	}
	v.Status, v.Promoted, v.Note = shelfwise.VersionPromoted, msTime(now), "restored by rollback"
	return v, nil
}
