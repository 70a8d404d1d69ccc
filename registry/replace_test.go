package registry

import (
	"bytes"
	"context"
	"strings"
	"testing"
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
	v, err := m.Register(ctx, version("recommend", 0.3), []byte("with the customer"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Promote(ctx, "recommend", v.Version, false); err != nil {
		t.Fatal(err)
	}
	nv, err := m.ReplaceArtifact(ctx, "recommend", v.Version, []byte("without them"), "1 customer erased")
	if err != nil {
		t.Fatal(err)
	}
	if nv.Checksum == v.Checksum || nv.Size != int64(len("without them")) || !strings.Contains(nv.Note, "1 customer erased") {
		t.Fatalf("replaced version %+v", nv)
	}
	got, err := m.Version(ctx, "recommend", v.Version)
	if err != nil || got.Checksum != nv.Checksum || got.Status != "promoted" || got.Version != v.Version {
		t.Fatalf("stored version %+v, %v", got, err)
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
	if _, err := m.ReplaceArtifact(ctx, "recommend", 99, []byte("x"), ""); err == nil {
		t.Fatal("replacing a missing version: no error")
	}
}
