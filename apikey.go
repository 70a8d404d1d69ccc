package shelfwise

import (
	"context"
	"time"
)

// Role is what an API key may do.
type Role string

// Roles of API keys.
const (
	// RoleAdmin may do everything: ingest, read, manage models and keys,
	// erase customers.
	RoleAdmin Role = "admin"
	// RoleAnalyst may read everything and trigger retrains.
	RoleAnalyst Role = "analyst"
	// RoleApp is for shop front-ends: ingest events and read
	// recommendations and scores only.
	RoleApp Role = "app"
)

// Roles lists every role, most powerful first.
var Roles = []Role{RoleAdmin, RoleAnalyst, RoleApp}

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	return r == RoleAdmin || r == RoleAnalyst || r == RoleApp
}

// APIKey describes an API key. The key itself (the secret) is shown once at
// creation; only its SHA-256 hash is stored.
type APIKey struct {
	// ID is a short public identifier, safe to log and show.
	ID      string    `json:"id"`
	Role    Role      `json:"role"`
	Name    string    `json:"name,omitempty"`
	Created time.Time `json:"created"`
	// Revoked is when the key was revoked (zero while it is valid).
	Revoked time.Time `json:"revoked,omitzero"`
}

// APIKeyService creates, checks and revokes API keys.
type APIKeyService interface {
	// CreateKey makes a new 256-bit random key with a role and returns its
	// description and the secret, which is not retrievable afterwards.
	// EINVALID for an unknown role.
	CreateKey(ctx context.Context, role Role, name string) (APIKey, string, error)
	// Authenticate returns the key a secret belongs to; EUNAUTHORIZED when
	// it is unknown, malformed or revoked.
	Authenticate(ctx context.Context, secret string) (APIKey, error)
	// Keys lists every key (never the secrets), oldest first.
	Keys(ctx context.Context) ([]APIKey, error)
	// RevokeKey revokes a key by ID; ENOTFOUND if there is no such key.
	RevokeKey(ctx context.Context, id string) error
}
