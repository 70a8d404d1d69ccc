package simulate

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// TruthFile is the name of the truth in its directory; a large truth is
// written gzipped as TruthFile + ".gz".
const TruthFile = "truth.json"

// gzipAbove is the JSON size above which the truth is gzipped (a variable
// for tests).
var gzipAbove = 4 << 20

// WriteTruth writes t as JSON into dir (created if needed), gzipped when
// large, atomically (a temporary file renamed into place), replacing any
// earlier truth there.
func WriteTruth(dir string, t *Truth) error {
	b, err := json.Marshal(t)
	if err != nil {
		return fmt.Errorf("simulate: encode truth: %w", err)
	}
	name, stale := TruthFile, TruthFile+".gz"
	if len(b) > gzipAbove {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		if _, err := zw.Write(b); err != nil {
			return err
		}
		if err := zw.Close(); err != nil {
			return err
		}
		b = buf.Bytes()
		name, stale = stale, name
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("simulate: write truth: %w", err)
	}
	f, err := os.CreateTemp(dir, name+".tmp*")
	if err != nil {
		return fmt.Errorf("simulate: write truth: %w", err)
	}
	_, werr := f.Write(b)
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(f.Name(), filepath.Join(dir, name))
	}
	if werr != nil {
		os.Remove(f.Name())
		return fmt.Errorf("simulate: write truth: %w", werr)
	}
	if err := os.Remove(filepath.Join(dir, stale)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("simulate: remove stale truth: %w", err)
	}
	return nil
}

// ReadTruth reads the truth WriteTruth wrote into dir (plain or gzipped).
func ReadTruth(dir string) (*Truth, error) {
	path := filepath.Join(dir, TruthFile)
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		path += ".gz"
		f, err = os.Open(path)
	}
	if err != nil {
		return nil, fmt.Errorf("simulate: read truth: %w", err)
	}
	defer f.Close()
	var r io.Reader = f
	if filepath.Ext(path) == ".gz" {
		zr, err := gzip.NewReader(f)
		if err != nil {
			return nil, fmt.Errorf("simulate: read truth %s: %w", path, err)
		}
		defer zr.Close()
		r = zr
	}
	var t Truth
	if err := json.NewDecoder(r).Decode(&t); err != nil {
		return nil, fmt.Errorf("simulate: read truth %s: %w", path, err)
	}
	if t.Version != Version {
		return nil, fmt.Errorf("simulate: read truth %s: version %q, want %q", path, t.Version, Version)
	}
	if err := t.check(); err != nil {
		return nil, fmt.Errorf("simulate: read truth %s: %w", path, err)
	}
	t.prepare()
	return &t, nil
}

// check verifies that the indexes between a decoded truth's tables are in
// range, so its methods cannot panic.
func (t *Truth) check() error {
	if len(t.Stores) == 0 || len(t.Products) == 0 || t.Days <= 0 {
		return errors.New("no stores, products or days")
	}
	for i, c := range t.Categories {
		if c.Department < 0 || c.Department >= len(t.Departments) {
			return fmt.Errorf("category %d: department %d out of range", i, c.Department)
		}
	}
	for i, s := range t.Subcategories {
		if s.Category < 0 || s.Category >= len(t.Categories) {
			return fmt.Errorf("subcategory %d: category %d out of range", i, s.Category)
		}
	}
	for i, p := range t.Products {
		if p.Subcategory < 0 || p.Subcategory >= len(t.Subcategories) || p.Brand < 0 || p.Brand >= len(t.Brands) {
			return fmt.Errorf("product %d: subcategory or brand out of range", i)
		}
		if len(p.Prices) == 0 || p.RefPrice <= 0 {
			return fmt.Errorf("product %d: no prices", i)
		}
	}
	for i, c := range t.Customers {
		if c.Store < 0 || c.Store >= len(t.Stores) {
			return fmt.Errorf("customer %d: store %d out of range", i, c.Store)
		}
		for _, r := range c.Repeat {
			if r.Product < 0 || r.Product >= len(t.Products) || r.Every <= 0 {
				return fmt.Errorf("customer %d: repeat item out of range", i)
			}
		}
	}
	return nil
}
