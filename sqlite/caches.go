package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/shelfwise/shelfwise"
)

// PutCustomerFeature stores a derived feature of a customer (e.g. RFM or
// lifetime-value figures) as text, typically JSON, replacing any previous
// value of the same name. EraseCustomer removes it.
func (db *DB) PutCustomerFeature(ctx context.Context, c shelfwise.CustomerKey, name, value string) error {
	if c == "" || name == "" {
		return shelfwise.Errorf(shelfwise.EINVALID, "customer feature needs a customer and a name")
	}
	return db.write(ctx, func(w *writer) error {
		_, err := w.exec(ctx, `INSERT INTO customer_features(customer, name, value, updated) VALUES (?, ?, ?, ?)
			ON CONFLICT(customer, name) DO UPDATE SET value = excluded.value, updated = excluded.updated`,
			string(c), name, value, toMS(db.Now()))
		return err
	})
}

// CustomerFeature returns a stored feature; ENOTFOUND if there is none.
func (db *DB) CustomerFeature(ctx context.Context, c shelfwise.CustomerKey, name string) (string, error) {
	var v string
	err := db.r.QueryRowContext(ctx, `SELECT value FROM customer_features WHERE customer = ? AND name = ?`, string(c), name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", shelfwise.Errorf(shelfwise.ENOTFOUND, "no feature %q for this customer", name)
	}
	return v, err
}

// CacheRecommendations stores a model's recommendation list for a customer
// (payload is typically JSON), replacing the previous one. EraseCustomer
// removes it.
func (db *DB) CacheRecommendations(ctx context.Context, c shelfwise.CustomerKey, model, payload string) error {
	if c == "" || model == "" {
		return shelfwise.Errorf(shelfwise.EINVALID, "cached recommendations need a customer and a model")
	}
	return db.write(ctx, func(w *writer) error {
		_, err := w.exec(ctx, `INSERT INTO recommendation_cache(customer, model, payload, created) VALUES (?, ?, ?, ?)
			ON CONFLICT(customer, model) DO UPDATE SET payload = excluded.payload, created = excluded.created`,
			string(c), model, payload, toMS(db.Now()))
		return err
	})
}

// CachedRecommendations returns a cached list; ENOTFOUND if there is none.
func (db *DB) CachedRecommendations(ctx context.Context, c shelfwise.CustomerKey, model string) (string, error) {
	var v string
	err := db.r.QueryRowContext(ctx, `SELECT payload FROM recommendation_cache WHERE customer = ? AND model = ?`, string(c), model).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", shelfwise.Errorf(shelfwise.ENOTFOUND, "no cached %q recommendations for this customer", model)
	}
	return v, err
}
