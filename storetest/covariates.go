package storetest

import (
	"context"
	"math"
	"testing"

	"github.com/shelfwise/shelfwise"
)

func (s *suite) testCovariates(t *testing.T) {
	ctx := context.Background()
	f := NewFixture()
	db := s.loaded(t)
	// want selects fixture covariates by index.
	want := func(idx ...int) []shelfwise.Covariate {
		out := []shelfwise.Covariate{}
		for _, i := range idx {
			out = append(out, f.Covariates[i])
		}
		return out
	}
	tests := []struct {
		name string
		q    shelfwise.CovariateQuery
		want []shelfwise.Covariate
	}{
		{"All", shelfwise.CovariateQuery{}, f.Covariates},
		{"Names", shelfwise.CovariateQuery{Names: []string{"temperature", "cpi"}}, want(0, 2, 3, 4)},
		// A store keeps its own rows and the chain-wide cpi.
		{"Store", shelfwise.CovariateQuery{Store: "S2"}, want(0, 4)},
		// A SKU keeps its own rows and those of every product.
		{"SKU", shelfwise.CovariateQuery{SKU: "B1"}, want(0, 2, 3, 4)},
		{"StoreAndSKU", shelfwise.CovariateQuery{Store: "S1", SKU: "A1"}, want(0, 1, 2, 3)},
		{"TimeRange", shelfwise.CovariateQuery{From: day(1, 0, 0), To: day(8, 0, 0)}, want(3)},
		{"UnknownStoreGetsChainWide", shelfwise.CovariateQuery{Store: "S9"}, want(0)},
		{"UnknownName", shelfwise.CovariateQuery{Names: []string{"humidity"}}, want()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := db.Covariates(ctx, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			if got == nil {
				got = []shelfwise.Covariate{}
			}
			same(t, "covariates", got, tt.want)
		})
	}
	t.Run("Written", func(t *testing.T) {
		reps, err := db.Imports(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := reps[0].Written["covariates"], int64(len(f.Covariates)); got != want {
			t.Errorf("report written covariates=%d, want %d", got, want)
		}
	})
	bad := []struct {
		name string
		c    shelfwise.Covariate
	}{
		{"ErrNoName", shelfwise.Covariate{Store: "S1", Date: Day0, Value: 1}},
		{"ErrNoDate", shelfwise.Covariate{Store: "S1", Name: "cpi", Value: 1}},
		{"ErrNaN", shelfwise.Covariate{Store: "S1", Date: Day0, Name: "cpi", Value: math.NaN()}},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			db := s.db(t)
			g := Fixture{Covariates: []shelfwise.Covariate{f.Covariates[0], tt.c}}
			err := ImportFixture(ctx, db, g, tt.name)
			wantCode(t, "import of a bad covariate", err, shelfwise.EINVALID)
			same(t, "stats after a refused import", stats(t, db), shelfwise.Stats{})
		})
	}
}

// testStoreWidePromotion checks that a promotion without a SKU is kept,
// listed with every SKU's promotions, and marks every product's series at
// its store.
func (s *suite) testStoreWidePromotion(t *testing.T) {
	ctx := context.Background()
	f := NewFixture()
	db := s.loaded(t)
	sale := shelfwise.Promotion{Store: "S2", Start: day(1, 0, 0), End: day(3, 0, 0), Kind: "sale", Discount: 0.2}
	if err := ImportFixture(ctx, db, Fixture{Promotions: []shelfwise.Promotion{sale}}, "fp-sale"); err != nil {
		t.Fatalf("import of a store-wide promotion: %v", err)
	}
	if got, want := stats(t, db).Promotions, int64(2); got != want {
		t.Errorf("promotions=%d, want %d", got, want)
	}
	got, err := db.Promotions(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	same(t, "all promotions (store-wide first)", got, []shelfwise.Promotion{sale, f.Promotions[0]})
	got, err = db.Promotions(ctx, "B1")
	if err != nil {
		t.Fatal(err)
	}
	same(t, "promotions of B1", got, []shelfwise.Promotion{sale})
	series := readSeries(t, db, shelfwise.SeriesQuery{Grain: shelfwise.GrainDay, Level: []string{"sku", "store"}})
	n := 0
	for _, s := range series {
		switch s.Key.Store {
		case "S2": // A1 sold on day 2, B1 on day 1: both inside the sale.
			n++
			if len(s.Promo) != len(s.Values) {
				t.Errorf("%s: promo %v, want all ones over %d days", s.Key, s.Promo, len(s.Values))
				continue
			}
			for i, p := range s.Promo {
				if p != 1 {
					t.Errorf("%s day %d: promo %v, want 1", s.Key, i, p)
				}
			}
		case "S1":
			if s.Key.SKU != "A1" && s.Promo != nil {
				t.Errorf("%s: promo %v, want none (the sale is at S2)", s.Key, s.Promo)
			}
		}
	}
	if n != 2 {
		t.Errorf("series at S2=%d, want 2", n)
	}
}
