package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/shelfwise/shelfwise"
)

const productSelect = `SELECT d.code, p.name, p.department, p.category, p.subcategory, p.brand, p.attributes, p.non_product
	FROM products p JOIN sku_dict d ON d.id = p.sku_id`

// scanner is what *sql.Row and *sql.Rows have in common.
type scanner interface{ Scan(...any) error }

func scanProduct(sc scanner) (shelfwise.Product, error) {
	var p shelfwise.Product
	var attrs string
	var sku string
	if err := sc.Scan(&sku, &p.Name, &p.Department, &p.Category, &p.Subcategory, &p.Brand, &attrs, &p.NonProduct); err != nil {
		return p, err
	}
	p.SKU = shelfwise.SKU(sku)
	m, err := jsonMap[string](attrs)
	if err != nil {
		return p, fmt.Errorf("product %s attributes: %w", sku, err)
	}
	p.Attributes = m
	return p, nil
}

// Products returns the catalogue ordered by SKU.
func (db *DB) Products(ctx context.Context) ([]shelfwise.Product, error) {
	rows, err := db.r.QueryContext(ctx, productSelect+` ORDER BY d.code`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []shelfwise.Product
	for rows.Next() {
		p, err := scanProduct(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// Product returns one product; ENOTFOUND if it is not in the catalogue.
func (db *DB) Product(ctx context.Context, sku shelfwise.SKU) (shelfwise.Product, error) {
	p, err := scanProduct(db.r.QueryRowContext(ctx, productSelect+` WHERE d.code = ?`, string(sku)))
	if errors.Is(err, sql.ErrNoRows) {
		return p, shelfwise.Errorf(shelfwise.ENOTFOUND, "product %q not found", sku)
	}
	return p, err
}

// Stores returns the stores ordered by ID.
func (db *DB) Stores(ctx context.Context) ([]shelfwise.Store, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT d.code, s.name, s.region, s.type, s.size, s.attributes
		FROM stores s JOIN store_dict d ON d.id = s.store_id ORDER BY d.code`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []shelfwise.Store
	for rows.Next() {
		var s shelfwise.Store
		var id, attrs string
		if err := rows.Scan(&id, &s.Name, &s.Region, &s.Type, &s.Size, &attrs); err != nil {
			return nil, err
		}
		s.ID = shelfwise.StoreID(id)
		if s.Attributes, err = jsonMap[float64](attrs); err != nil {
			return nil, fmt.Errorf("store %s attributes: %w", id, err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
