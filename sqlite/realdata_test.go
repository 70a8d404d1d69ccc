package sqlite_test

import (
	"context"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/shelfwise/shelfwise"
	"github.com/shelfwise/shelfwise/ingest"
	"github.com/shelfwise/shelfwise/internal/realdata"
	"github.com/shelfwise/shelfwise/sqlite"
)

// TestRealM5Series imports the M5 subset and reads its daily and weekly
// item x store series back. Known answers are the totals in the dataset's
// SOURCE.md.
func TestRealM5Series(t *testing.T) {
	path := realdata.Path(t, "m5_walmart_subset")
	ctx := context.Background()
	db, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	opts := ingest.Options{Pseudonymizer: shelfwise.NewPseudonymizer([]byte("0123456789abcdef0123456789abcdef"))}
	if _, err := ingest.Import(ctx, db, "m5", path, opts); err != nil {
		t.Fatal(err)
	}
	totals := map[shelfwise.SeriesKey]float64{
		{SKU: "HOBBIES_1_001", Store: "CA_1"}: 600, {SKU: "HOBBIES_1_002", Store: "CA_1"}: 493,
		{SKU: "HOUSEHOLD_1_001", Store: "CA_2"}: 450, {SKU: "HOUSEHOLD_1_002", Store: "CA_2"}: 1567,
		{SKU: "FOODS_1_001", Store: "CA_3"}: 2302, {SKU: "FOODS_1_002", Store: "CA_3"}: 603,
		{SKU: "FOODS_2_033", Store: "TX_1"}: 771, {SKU: "FOODS_2_034", Store: "TX_1"}: 3362,
		{SKU: "FOODS_2_323", Store: "WI_1"}: 804, {SKU: "FOODS_2_324", Store: "WI_1"}: 757,
	}
	d1 := time.Date(2011, 1, 29, 0, 0, 0, 0, time.UTC) // d_1
	for _, grain := range []shelfwise.Grain{shelfwise.GrainDay, shelfwise.GrainWeek} {
		t.Run(string(grain), func(t *testing.T) {
			var prev string
			n := 0
			err := db.Series(ctx, shelfwise.SeriesQuery{Grain: grain, Level: []string{"sku", "store"}}, func(s *shelfwise.Series) error {
				n++
				if k := s.Key.String(); k <= prev {
					t.Errorf("series %s after %s: not in key order", k, prev)
				} else {
					prev = k
				}
				sum := 0.0
				for i, v := range s.Values {
					sum += v
					if (s.Available == nil || s.Available[i]) && s.Price[i] <= 0 {
						t.Errorf("%s step %d: on sale but no price", s.Key, i)
						break
					}
				}
				if got, want := sum, totals[s.Key]; got != want {
					t.Errorf("%s: total units %v, want %v", s.Key, got, want)
				}
				if grain == shelfwise.GrainDay {
					if !s.Start.Equal(d1) || len(s.Values) != 1913 {
						t.Errorf("%s: starts %s with %d days, want %s and 1913", s.Key, s.Start.Format(time.DateOnly), len(s.Values), d1.Format(time.DateOnly))
					}
				} else if s.Start.Weekday() != time.Monday || len(s.Values) != 274 {
					t.Errorf("%s: weekly series starts on %s with %d weeks, want a Monday and 274", s.Key, s.Start.Weekday(), len(s.Values))
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := n, len(totals); got != want {
				t.Errorf("series=%d, want %d", got, want)
			}
		})
	}
}

// TestRealWalmartCovariates imports the Walmart dataset and checks the
// store keeps every covariate of features.csv: one per store x week x
// non-NA column (temperature, fuel price, five markdowns, CPI,
// unemployment), 49,670 in all, counted here from the file itself.
func TestRealWalmartCovariates(t *testing.T) {
	path := realdata.Path(t, "walmart_recruiting_store_sales")
	if testing.Short() {
		t.Skip("imports all of Walmart (a few seconds); runs without -short")
	}
	ctx := context.Background()
	want := countNonNA(t, filepath.Join(path, "features.csv.gz"))
	if want != 49670 {
		t.Fatalf("features.csv.gz has %d non-NA covariate values, want 49670", want)
	}
	db, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rep, err := ingest.Import(ctx, db, "walmart", path, ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := rep.Written["covariates"]; got != int64(want) {
		t.Errorf("report written covariates=%d, want %d", got, want)
	}
	st, err := db.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Covariates; got != int64(want) {
		t.Errorf("stored covariates=%d, want %d", got, want)
	}
	// Store 1's temperature: one per features week (182), the first
	// 42.31 for the week ending Friday 2010-02-05.
	temp, err := db.Covariates(ctx, shelfwise.CovariateQuery{Names: []string{"temperature"}, Store: "1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(temp) != 182 {
		t.Fatalf("store 1 temperatures=%d, want 182", len(temp))
	}
	if c, d := temp[0], time.Date(2010, 1, 30, 0, 0, 0, 0, time.UTC); c.Value != 42.31 || !c.Date.Equal(d) || c.SKU != "" {
		t.Errorf("first store 1 temperature=%+v, want 42.31 on %s", c, d.Format(time.DateOnly))
	}
}

// countNonNA counts the cells of a gzipped Walmart features CSV that hold a
// covariate value: every column but Store, Date and IsHoliday, "NA" and
// empty cells excluded.
func countNonNA(t *testing.T, path string) int {
	t.Helper()
	r := realdata.OpenCSV(t, path)
	head, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return n
		} else if err != nil {
			t.Fatal(err)
		}
		for i, v := range rec {
			switch head[i] {
			case "Store", "Date", "IsHoliday":
				continue
			}
			if v != "NA" && v != "" {
				n++
			}
		}
	}
}
