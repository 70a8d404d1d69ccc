package registry

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// TestReplaceArtifact rewrites a version's artifact: the new bytes are
// served and checked, the note records why, and the version keeps its
// number and status. A replacement interrupted after its row committed
// (the new file written beside the old one, not yet renamed) is finished by
// the next read; a missing version is ENOTFOUND.
func TestReplaceArtifact(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	m := NewModels(db)
	asOf := time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.UTC)
	reg := version("recommend", 0.3)
	reg.DataAsOf = asOf
	v, err := m.Register(ctx, reg, []byte("with the customer"))
	if err != nil {
		t.Fatal(err)
	}
	if !v.DataAsOf.Equal(asOf) {
		t.Fatalf("registered DataAsOf %v, want %v", v.DataAsOf, asOf)
	}
	if _, err := m.Promote(ctx, "recommend", v.Version, false); err != nil {
		t.Fatal(err)
	}
	nv, err := m.ReplaceArtifact(ctx, "recommend", v.Version, []byte("without them"), time.Time{}, "1 customer erased")
	if err != nil {
		t.Fatal(err)
	}
	if nv.Checksum == v.Checksum || nv.Size != int64(len("without them")) || !strings.Contains(nv.Note, "1 customer erased") ||
		!nv.DataAsOf.Equal(asOf) {
		t.Fatalf("replaced version %+v", nv)
	}
	got, err := m.Version(ctx, "recommend", v.Version)
	if err != nil || got.Checksum != nv.Checksum || got.Status != "promoted" || got.Version != v.Version || !got.DataAsOf.Equal(asOf) {
		t.Fatalf("stored version %+v, %v", got, err)
	}
	// A rewrite checked against the store moves DataAsOf.
	later := asOf.Add(time.Hour)
	if nv, err = m.ReplaceArtifact(ctx, "recommend", v.Version, []byte("without them"), later, ""); err != nil || !nv.DataAsOf.Equal(later) {
		t.Fatalf("replacement as of %v: %+v, %v", later, nv, err)
	}
	if got, err := m.Version(ctx, "recommend", v.Version); err != nil || !got.DataAsOf.Equal(later) {
		t.Fatalf("stored DataAsOf %v, %v; want %v", got.DataAsOf, err, later)
	}
	b, err := m.Artifact(ctx, "recommend", v.Version)
	if err != nil || !bytes.Equal(b, []byte("without them")) {
		t.Fatalf("artifact %q, %v", b, err)
	}

	// Interrupted: the replacement is durable and the row points to it.
	path := m.artifactPath("recommend", v.Version)
	if err := writeFileSync(path+replacementSuffix, []byte("scrubbed again")); err != nil {
		t.Fatal(err)
	}
	if _, err := db.sql.ExecContext(ctx, `UPDATE model_versions SET checksum = ? WHERE task = ? AND version = ?`,
		checksum([]byte("scrubbed again")), "recommend", v.Version); err != nil {
		t.Fatal(err)
	}
	if b, err := m.Artifact(ctx, "recommend", v.Version); err != nil || string(b) != "scrubbed again" {
		t.Fatalf("after an interrupted replacement: %q, %v", b, err)
	}
	if b, err := m.Artifact(ctx, "recommend", v.Version); err != nil || string(b) != "scrubbed again" {
		t.Fatalf("second read after recovery: %q, %v", b, err)
	}
	if _, err := m.ReplaceArtifact(ctx, "recommend", 99, []byte("x"), time.Time{}, ""); err == nil {
		t.Fatal("replacing a missing version: no error")
	}
}

// TestOpenAddsColumns opens a registry written before model_versions had
// data_as_of: the column is added, and old versions read it as their
// creation time.
func TestOpenAddsColumns(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	m := NewModels(db)
	v, err := m.Register(ctx, version("recommend", 0.3), []byte("old"))
	if err != nil {
		t.Fatal(err)
	}
	// Back to the old layout: a table without the column.
	for _, q := range []string{
		`CREATE TABLE old AS SELECT task, version, model, metrics, primary_metric, higher_better, snapshot,
			checksum, size, status, created, promoted, retired, note, job FROM model_versions`,
		`DROP TABLE model_versions`,
		`ALTER TABLE old RENAME TO model_versions`,
	} {
		if _, err := db.sql.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	db, err = Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got, err := NewModels(db).Version(ctx, "recommend", v.Version)
	if err != nil {
		t.Fatal(err)
	}
	if !got.DataAsOf.Equal(got.Created) || got.Created.IsZero() {
		t.Fatalf("old version after the upgrade: DataAsOf %v, Created %v", got.DataAsOf, got.Created)
	}
}
