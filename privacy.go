package shelfwise

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// SecretEnv is the environment variable that, when set, holds the
// pseudonymisation key (hex, or any string of at least 32 bytes).
const SecretEnv = "SHELFWISE_SECRET"

// SecretFile is the file in the data directory that holds the generated key.
const SecretFile = "secret.key"

// Pseudonymizer turns raw customer identifiers into CustomerKeys with a keyed
// HMAC-SHA256, so the same customer gets the same key across imports and the
// live API while the raw identifier never reaches storage. Without the key a
// pseudonym cannot be reversed or recomputed.
type Pseudonymizer struct {
	key []byte
}

// NewPseudonymizer returns a Pseudonymizer keyed with key.
func NewPseudonymizer(key []byte) *Pseudonymizer {
	return &Pseudonymizer{key: append([]byte(nil), key...)}
}

// Key returns the pseudonym of a raw identifier. Surrounding spaces are
// ignored; an empty identifier gives the empty (anonymous) key. Callers
// normalise format artefacts first (e.g. "17850.0" -> "17850").
func (p *Pseudonymizer) Key(raw string) CustomerKey {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return ""
	}
	m := hmac.New(sha256.New, p.key)
	m.Write([]byte(raw))
	return CustomerKey("c" + hex.EncodeToString(m.Sum(nil)[:12]))
}

// LoadSecret returns the pseudonymisation key: SHELFWISE_SECRET if set, else
// the key stored in dir/secret.key, generating a random 256-bit one there
// (mode 0600) on first use. The key is never stored in the database.
func LoadSecret(dir string) ([]byte, error) {
	if s := os.Getenv(SecretEnv); s != "" {
		if b, err := hex.DecodeString(s); err == nil && len(b) >= 16 {
			return b, nil
		}
		if len(s) < 32 {
			return nil, Errorf(EINVALID, "%s must be at least 32 characters", SecretEnv)
		}
		return []byte(s), nil
	}
	path := filepath.Join(dir, SecretFile)
	b, err := os.ReadFile(path)
	if err == nil {
		key, derr := hex.DecodeString(strings.TrimSpace(string(b)))
		if derr != nil || len(key) < 16 {
			return nil, fmt.Errorf("read secret %s: not a hex key", path)
		}
		return key, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read secret: %w", err)
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return LoadSecret(dir) // another process won the race
	} else if err != nil {
		return nil, fmt.Errorf("write secret: %w", err)
	}
	if _, err := f.WriteString(hex.EncodeToString(key) + "\n"); err != nil {
		f.Close()
		return nil, fmt.Errorf("write secret: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, err
	}
	return key, f.Close()
}
