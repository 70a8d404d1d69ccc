package registry

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/shelfwise/shelfwise"
)

// KeyPrefix starts every API key secret, so keys are recognisable in
// configuration files and secret scanners.
const KeyPrefix = "swk_"

// keyBytes is the number of random bytes in a key: 256 bits.
const keyBytes = 32

// cacheTTL bounds how long a key checked once is trusted without reading
// the database again, i.e. how long a revocation made by another process
// (shelfwise keys revoke) may take to apply.
const cacheTTL = 10 * time.Second

var _ shelfwise.APIKeyService = (*Keys)(nil)

// Keys is the API key service on the registry database. Authenticate hashes
// the presented secret with SHA-256 and looks the hash up in a small cache
// before the database, so checking a key on every request costs one hash and
// one map read.
type Keys struct {
	db *DB
	// Now returns the current time; tests may replace it.
	Now func() time.Time

	mu    sync.RWMutex
	cache map[string]cachedKey // by hash
}

type cachedKey struct {
	key     shelfwise.APIKey
	checked time.Time
}

// NewKeys returns the key service of db.
func NewKeys(db *DB) *Keys {
	return &Keys{db: db, Now: time.Now, cache: map[string]cachedKey{}}
}

// HashKey returns the hex SHA-256 of a key secret: what is stored.
func HashKey(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// CreateKey makes a new key with role and a free-form name.
func (k *Keys) CreateKey(ctx context.Context, role shelfwise.Role, name string) (shelfwise.APIKey, string, error) {
	if !role.Valid() {
		return shelfwise.APIKey{}, "", shelfwise.Errorf(shelfwise.EINVALID,
			"unknown role %q: use admin, analyst or app", role)
	}
	if len(name) > 200 {
		return shelfwise.APIKey{}, "", shelfwise.Errorf(shelfwise.EINVALID, "key name longer than 200 characters")
	}
	raw := make([]byte, keyBytes)
	if _, err := rand.Read(raw); err != nil {
		return shelfwise.APIKey{}, "", fmt.Errorf("create key: %w", err)
	}
	secret := KeyPrefix + base64.RawURLEncoding.EncodeToString(raw)
	hash := HashKey(secret)
	key := shelfwise.APIKey{
		ID:      "key_" + hash[:12],
		Role:    role,
		Name:    name,
		Created: k.Now().UTC().Truncate(time.Millisecond),
	}
	_, err := k.db.sql.ExecContext(ctx,
		`INSERT INTO api_keys(hash, id, role, name, created) VALUES (?, ?, ?, ?, ?)`,
		hash, key.ID, string(role), name, key.Created.UnixMilli())
	if err != nil {
		return shelfwise.APIKey{}, "", fmt.Errorf("create key: %w", err)
	}
	return key, secret, nil
}

// Authenticate returns the key of secret; EUNAUTHORIZED if none.
func (k *Keys) Authenticate(ctx context.Context, secret string) (shelfwise.APIKey, error) {
	if !strings.HasPrefix(secret, KeyPrefix) || len(secret) != len(KeyPrefix)+43 {
		return shelfwise.APIKey{}, shelfwise.Errorf(shelfwise.EUNAUTHORIZED, "invalid API key")
	}
	hash := HashKey(secret)
	now := k.Now()
	k.mu.RLock()
	c, ok := k.cache[hash]
	k.mu.RUnlock()
	if !ok || now.Sub(c.checked) > cacheTTL {
		key, err := k.lookup(ctx, hash)
		if err != nil {
			return shelfwise.APIKey{}, err
		}
		c = cachedKey{key: key, checked: now}
		k.mu.Lock()
		k.cache[hash] = c
		k.mu.Unlock()
	}
	if !c.key.Revoked.IsZero() {
		return shelfwise.APIKey{}, shelfwise.Errorf(shelfwise.EUNAUTHORIZED, "API key %s was revoked", c.key.ID)
	}
	return c.key, nil
}

func (k *Keys) lookup(ctx context.Context, hash string) (shelfwise.APIKey, error) {
	row := k.db.sql.QueryRowContext(ctx,
		`SELECT id, role, name, created, revoked FROM api_keys WHERE hash = ?`, hash)
	key, err := scanKey(row)
	if errors.Is(err, sql.ErrNoRows) {
		return shelfwise.APIKey{}, shelfwise.Errorf(shelfwise.EUNAUTHORIZED, "invalid API key")
	}
	return key, err
}

type scanner interface{ Scan(...any) error }

func scanKey(s scanner) (shelfwise.APIKey, error) {
	var key shelfwise.APIKey
	var role string
	var created, revoked int64
	if err := s.Scan(&key.ID, &role, &key.Name, &created, &revoked); err != nil {
		return key, err
	}
	key.Role = shelfwise.Role(role)
	key.Created = msTime(created)
	key.Revoked = msTime(revoked)
	return key, nil
}

// Keys lists every key, oldest first.
func (k *Keys) Keys(ctx context.Context) ([]shelfwise.APIKey, error) {
	rows, err := k.db.sql.QueryContext(ctx,
		`SELECT id, role, name, created, revoked FROM api_keys ORDER BY created, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []shelfwise.APIKey
	for rows.Next() {
		key, err := scanKey(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, key)
	}
	return out, rows.Err()
}

// RevokeKey revokes the key with id. It applies at once in this process and
// within cacheTTL in others.
func (k *Keys) RevokeKey(ctx context.Context, id string) error {
	res, err := k.db.sql.ExecContext(ctx,
		`UPDATE api_keys SET revoked = ? WHERE id = ? AND revoked = 0`, k.Now().UnixMilli(), id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return shelfwise.Errorf(shelfwise.ENOTFOUND, "no valid API key with id %q", id)
	}
	k.mu.Lock()
	for h, c := range k.cache {
		if c.key.ID == id {
			delete(k.cache, h)
		}
	}
	k.mu.Unlock()
	return nil
}

// msTime converts Unix milliseconds to UTC time; 0 is the zero time.
func msTime(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// timeMS converts a time to Unix milliseconds; the zero time is 0.
func timeMS(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}
