package shelfwise

import (
	"context"
	"math"
	"time"
)

// Tasks that have models in the registry. A task names what a model is for;
// ModelVersion.Model names the algorithm that won it.
const (
	TaskRecommend  = "recommend"
	TaskForecast   = "forecast"
	TaskPropensity = "propensity"
)

// VersionStatus is where a model version is in its life.
type VersionStatus string

// Statuses of a model version. Exactly one version per task is promoted at a
// time (the one readers are served); the one it replaced becomes retired and
// is what Rollback returns to.
const (
	// VersionCandidate is registered and evaluated but not served.
	VersionCandidate VersionStatus = "candidate"
	// VersionPromoted is the version readers are served.
	VersionPromoted VersionStatus = "promoted"
	// VersionRetired was promoted before and was replaced.
	VersionRetired VersionStatus = "retired"
	// VersionRejected lost against the promoted version's evaluation.
	VersionRejected VersionStatus = "rejected"
)

// ModelVersion is one trained model of a task with what is needed to trust
// and reproduce it: its held-out metrics, the snapshot of the data it was
// trained on and the checksum of its serialised artifact.
type ModelVersion struct {
	Task    string `json:"task"`
	Version int    `json:"version"` // 1, 2, ... per task
	// Model names the algorithm (e.g. "hybrid", "auto-ets", "gbdt").
	Model string `json:"model"`
	// Metrics are the held-out evaluation metrics by name.
	Metrics map[string]float64 `json:"metrics"`
	// PrimaryMetric is the metric promotion compares; HigherIsBetter gives
	// its direction (true for AUC or NDCG, false for MASE or log loss).
	PrimaryMetric  string `json:"primary_metric"`
	HigherIsBetter bool   `json:"higher_is_better"`
	// DataSnapshot identifies the training data: counts and the time of the
	// latest record, so a version can be tied to what it saw.
	DataSnapshot string `json:"data_snapshot"`
	// DataAsOf is when the artifact's customer data was last read from the
	// store: the training's read, or a later rewrite against the store. A
	// customer erased after it may still be in the artifact (Created when
	// the trainer did not say).
	DataAsOf time.Time `json:"data_as_of"`
	// Checksum is the hex SHA-256 of the artifact; Size its length in bytes.
	Checksum string        `json:"checksum"`
	Size     int64         `json:"size"`
	Status   VersionStatus `json:"status"`
	Created  time.Time     `json:"created"`
	// Promoted is when the version was last promoted (zero if never).
	Promoted time.Time `json:"promoted,omitzero"`
	// Note says why the version has its status ("NDCG@10 0.081 < 0.084").
	Note string `json:"note,omitempty"`
	// Job is the id of the job that trained it, if any.
	Job string `json:"job,omitempty"`
}

// Primary returns the version's primary metric value and whether it has one.
func (v ModelVersion) Primary() (float64, bool) {
	x, ok := v.Metrics[v.PrimaryMetric]
	return x, ok && v.PrimaryMetric != ""
}

// NoWorse reports whether candidate's primary metric is at least as good as
// current's, allowing a relative tolerance (0.01 = may be 1% worse). A
// candidate without the current version's primary metric is never no worse.
func NoWorse(candidate, current ModelVersion, tolerance float64) bool {
	if candidate.PrimaryMetric != current.PrimaryMetric {
		return false
	}
	c, ok1 := candidate.Primary()
	p, ok2 := current.Primary()
	if !ok1 || !ok2 || math.IsNaN(c) || math.IsNaN(p) {
		return false
	}
	slack := tolerance * math.Abs(p)
	if current.HigherIsBetter {
		return c >= p-slack
	}
	return c <= p+slack
}

// ModelRegistry stores model versions and their artifacts and decides which
// version of each task is served.
type ModelRegistry interface {
	// Register stores a new version of v.Task with its artifact, assigning
	// the next version number, the checksum, size and creation time. The
	// version starts as a candidate.
	Register(ctx context.Context, v ModelVersion, artifact []byte) (ModelVersion, error)
	// Versions lists a task's versions, newest first (all tasks when task
	// is empty).
	Versions(ctx context.Context, task string) ([]ModelVersion, error)
	// Version returns one version; ENOTFOUND if it does not exist.
	Version(ctx context.Context, task string, version int) (ModelVersion, error)
	// Current returns the promoted version of a task; ENOTFOUND if none.
	Current(ctx context.Context, task string) (ModelVersion, error)
	// Artifact returns a version's artifact after checking its checksum;
	// EINTERNAL if the stored bytes do not match.
	Artifact(ctx context.Context, task string, version int) ([]byte, error)
	// ReplaceArtifact rewrites a version's artifact (e.g. without an erased
	// customer), updating its checksum and size, its DataAsOf when dataAsOf
	// is not zero (the rewrite was checked against the store as of then),
	// and appending note to its note; the version's number, metrics and
	// status stay.
	ReplaceArtifact(ctx context.Context, task string, version int, artifact []byte, dataAsOf time.Time, note string) (ModelVersion, error)
	// Promote makes a version the served one and retires the previous.
	// Unless force is set it returns ECONFLICT, changing nothing, when the
	// version's evaluation is worse than the promoted one's (NoWorse with
	// the registry's tolerance).
	Promote(ctx context.Context, task string, version int, force bool) (ModelVersion, error)
	// Reject marks a candidate as rejected with a note saying why.
	Reject(ctx context.Context, task string, version int, note string) error
	// Rollback promotes the most recently retired version again and
	// retires the current one; ENOTFOUND if there is none to go back to.
	Rollback(ctx context.Context, task string) (ModelVersion, error)
}
