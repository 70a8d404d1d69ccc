package ingest

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/shelfwise/shelfwise"
	"github.com/shelfwise/shelfwise/internal/realdata"
)

func TestM5RealCounts(t *testing.T) {
	dir := realdata.Path(t, "m5_walmart_subset")
	var mem Memory
	rep, err := Read(context.Background(), "m5", dir, Options{}, &mem)
	if err != nil {
		t.Fatal(err)
	}
	if rep.RowsRead != 10 || rep.Accepted != 10 {
		t.Fatalf("rows read %d accepted %d, want 10, 10", rep.RowsRead, rep.Accepted)
	}
	want := map[string]int64{
		RuleDuplicate: 0, RuleM5DuplicateSeries: 0, RuleUnparseable: 0, RuleM5NegativeUnits: 0,
		RuleM5NotOnSale: 4081, RuleM5SalesNoPrice: 0,
		RuleM5PriceDuplicate: 0, RuleM5PriceNonPos: 0, RuleM5PriceNoSales: 20463,
	}
	got := ruleCounts(rep)
	for rule, n := range want {
		if got[rule] != n {
			t.Errorf("rule %s=%d, want %d", rule, got[rule], n)
		}
	}
	written := map[string]int64{"sales_points": 19130, "prices": 22700, "calendar_events": 167 + 3*650, "products": 10, "stores": 10}
	for kind, n := range written {
		if rep.Written[kind] != n {
			t.Errorf("written %s=%d, want %d", kind, rep.Written[kind], n)
		}
	}
	// Totals and zero days per series, as SOURCE.md lists them.
	wantSeries := map[string][2]int{
		"HOBBIES_1_001@CA_1": {600, 1492}, "HOBBIES_1_002@CA_1": {493, 1511}, "HOUSEHOLD_1_001@CA_2": {450, 1616},
		"HOUSEHOLD_1_002@CA_2": {1567, 1030}, "FOODS_1_001@CA_3": {2302, 1054}, "FOODS_1_002@CA_3": {603, 1458},
		"FOODS_2_033@TX_1": {771, 1585}, "FOODS_2_034@TX_1": {3362, 699}, "FOODS_2_323@WI_1": {804, 1418},
		"FOODS_2_324@WI_1": {757, 1534},
	}
	gotSeries := map[string][2]int{}
	var revenue float64
	day1 := time.Date(2011, 1, 29, 0, 0, 0, 0, time.UTC)
	for _, p := range mem.SalesPoints {
		k := string(p.SKU) + "@" + string(p.Store)
		s := gotSeries[k]
		s[0] += int(p.Units)
		if p.Units == 0 {
			s[1]++
		}
		gotSeries[k] = s
		revenue += p.Revenue
		if !p.Available && (p.Units != 0 || p.Price != 0) {
			t.Fatalf("point %+v: not on sale but sold or priced", p)
		}
		if p.Available && p.Price <= 0 {
			t.Fatalf("point %+v: on sale without a price", p)
		}
	}
	for k, w := range wantSeries {
		if gotSeries[k] != w {
			t.Errorf("%s: units, zero days = %v, want %v", k, gotSeries[k], w)
		}
	}
	if math.Abs(revenue-44298.18) > 0.005 {
		t.Errorf("revenue=%.4f, want 44298.18", revenue)
	}
	first, last := mem.SalesPoints[0], mem.SalesPoints[1912]
	if first.SKU != "HOBBIES_1_001" || first.Store != "CA_1" || !first.Date.Equal(day1) || first.Available || first.Period != 11101 {
		t.Errorf("first point=%+v, want HOBBIES_1_001@CA_1 on 2011-01-29 (week 11101), not on sale", first)
	}
	if !last.Date.Equal(time.Date(2016, 4, 24, 0, 0, 0, 0, time.UTC)) || last.Grain != shelfwise.GrainDay {
		t.Errorf("day 1913 = %v, want 2016-04-24", last.Date)
	}
	var superBowl, snapCA int
	for _, c := range mem.Calendar {
		if c.Name == "SuperBowl" && c.Type == "sporting" {
			superBowl++
			if superBowl == 1 && !c.Date.Equal(time.Date(2011, 2, 6, 0, 0, 0, 0, time.UTC)) {
				t.Errorf("first Super Bowl on %v, want 2011-02-06", c.Date)
			}
		}
		if c.Name == "SNAP" && c.Type == "snap" && c.Region == "CA" {
			snapCA++
		}
	}
	if superBowl != 6 || snapCA != 650 {
		t.Errorf("Super Bowls %d, CA SNAP days %d, want 6, 650", superBowl, snapCA)
	}
	// The first price of HOBBIES_1_001 at CA_1 is 9.58 in week 11325, which
	// starts on Saturday 2013-07-13.
	var found bool
	for _, p := range mem.Prices {
		if p.SKU == "HOBBIES_1_001" && p.Store == "CA_1" {
			found = true
			if p.Price != 9.58 || !p.Start.Equal(time.Date(2013, 7, 13, 0, 0, 0, 0, time.UTC)) || p.End.Sub(p.Start) != 7*24*time.Hour {
				t.Errorf("first price=%+v, want 9.58 from 2013-07-13 for 7 days", p)
			}
			break
		}
	}
	if !found {
		t.Error("no price for HOBBIES_1_001 at CA_1")
	}
	for _, p := range mem.Products {
		if p.SKU == "FOODS_2_033" && (p.Department != "FOODS" || p.Category != "FOODS_2") {
			t.Errorf("product %+v, want department FOODS, category FOODS_2", p)
		}
	}
	for _, s := range mem.Stores {
		if s.ID == "TX_1" && s.Region != "TX" {
			t.Errorf("store %+v, want region TX", s)
		}
	}
	// The sales file alone finds its companions beside it.
	rep2, err := Read(context.Background(), "m5", filepath.Join(dir, "sales_train_validation.csv"), Options{}, &Memory{})
	if err != nil {
		t.Fatal(err)
	}
	if rep2.Fingerprint != rep.Fingerprint {
		t.Errorf("fingerprint from the file %s differs from the folder's %s", rep2.Fingerprint, rep.Fingerprint)
	}
}

// m5Fixture writes a tiny M5 dataset: 9 days in two weeks, one series.
func m5Fixture(t *testing.T, sales, prices string) string {
	t.Helper()
	dir := t.TempDir()
	cal := "date,wm_yr_wk,weekday,wday,month,year,d,event_name_1,event_type_1,event_name_2,event_type_2,snap_CA,snap_TX,snap_WI\n"
	start := time.Date(2011, 1, 29, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 9; i++ {
		d := start.AddDate(0, 0, i)
		ev := ",,,"
		if i == 8 {
			ev = "SuperBowl,Sporting,,"
		}
		cal += d.Format("2006-01-02") + "," + map[bool]string{true: "11101", false: "11102"}[i < 7] +
			",Day,1,1,2011,d_" + string(rune('1'+i)) + "," + ev + ",1,0,0\n"
	}
	writeFixture(t, dir, "calendar.csv", cal)
	writeFixture(t, dir, "sales_train_validation.csv", sales)
	if prices != "" {
		writeFixture(t, dir, "sell_prices.csv", prices)
	}
	return dir
}

const m5FixtureHeader = "id,item_id,dept_id,cat_id,store_id,state_id,d_1,d_2,d_3,d_4,d_5,d_6,d_7,d_8,d_9\n"

func TestM5Fixture(t *testing.T) {
	dir := m5Fixture(t,
		m5FixtureHeader+
			"A_1_001_CA_1_validation,A_1_001,A_1,A,CA_1,CA,0,0,1,0,0,0,0,2,3\n"+
			"A_1_001_CA_1_validation,A_1_001,A_1,A,CA_1,CA,0,0,1,0,0,0,0,2,3", // exact duplicate, no trailing newline
		"store_id,item_id,wm_yr_wk,sell_price\nCA_1,A_1_001,11102,2.5\nCA_1,A_1_001,11102,2.5\nCA_2,B_2_002,11101,1\n")
	var mem Memory
	rep, err := Read(context.Background(), "m5", dir, Options{}, &mem)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{RuleDuplicate: 1, RuleM5DuplicateSeries: 1, RuleM5NotOnSale: 14, RuleM5SalesNoPrice: 2, // the duplicate row counts too
		RuleM5PriceDuplicate: 1, RuleM5PriceNoSales: 1}
	got := ruleCounts(rep)
	for rule, n := range want {
		if got[rule] != n {
			t.Errorf("rule %s=%d, want %d", rule, got[rule], n)
		}
	}
	if rep.RowsRead != 2 || rep.Accepted != 1 || len(mem.SalesPoints) != 9 || len(mem.Prices) != 2 {
		t.Fatalf("read %d accepted %d points %d prices %d, want 2, 1, 9, 2", rep.RowsRead, rep.Accepted, len(mem.SalesPoints), len(mem.Prices))
	}
	if p := mem.SalesPoints[2]; !p.Available || p.Price != 0 || p.Units != 1 {
		t.Errorf("day 3 = %+v: sold without a price row, want available with price 0", p)
	}
	if p := mem.SalesPoints[8]; !p.Available || p.Price != 2.5 || p.Revenue != 7.5 {
		t.Errorf("day 9 = %+v, want price 2.5, revenue 7.5", p)
	}
	if len(mem.Calendar) != 10 || len(mem.Products) != 2 || len(mem.Stores) != 2 {
		t.Errorf("calendar %d products %d stores %d, want 10 (9 SNAP + 1 event), 2, 2", len(mem.Calendar), len(mem.Products), len(mem.Stores))
	}
}

func TestM5BadInput(t *testing.T) {
	goodPrices := "store_id,item_id,wm_yr_wk,sell_price\nCA_1,A_1_001,11101,2\n"
	goodRow := "x,A_1_001,A_1,A,CA_1,CA,0,0,1,0,0,0,0,2,3\n"
	t.Run("MissingCalendar", func(t *testing.T) {
		dir := m5Fixture(t, m5FixtureHeader+goodRow, goodPrices)
		os.Remove(filepath.Join(dir, "calendar.csv"))
		_, err := Read(context.Background(), "m5", dir, Options{}, &Memory{})
		wantInputError(t, err, "calendar.csv", 0, "", "companion file missing")
	})
	t.Run("MissingPrices", func(t *testing.T) {
		dir := m5Fixture(t, m5FixtureHeader+goodRow, "")
		_, err := Read(context.Background(), "m5", dir, Options{}, &Memory{})
		wantInputError(t, err, "sell_prices.csv", 0, "", "companion file missing")
	})
	t.Run("BadUnits", func(t *testing.T) {
		dir := m5Fixture(t, m5FixtureHeader+goodRow+"y,A_1_001,A_1,A,CA_2,CA,0,1.x,1,0,0,0,0,2,3\n", goodPrices)
		_, err := Read(context.Background(), "m5", dir, Options{}, &Memory{})
		wantInputError(t, err, "sales_train_validation.csv", 3, "d_2", `not a number: "1.x"`)
	})
	t.Run("UnknownDay", func(t *testing.T) {
		dir := m5Fixture(t, "id,item_id,dept_id,cat_id,store_id,state_id,d_1,d_99\nx,A_1_001,A_1,A,CA_1,CA,0,0\n", goodPrices)
		_, err := Read(context.Background(), "m5", dir, Options{}, &Memory{})
		wantInputError(t, err, "sales_train_validation.csv", 1, "d_99", "not in calendar.csv")
	})
	t.Run("PriceWeekUnknown", func(t *testing.T) {
		dir := m5Fixture(t, m5FixtureHeader+goodRow, goodPrices+"CA_1,A_1_001,11999,2\n")
		_, err := Read(context.Background(), "m5", dir, Options{}, &Memory{})
		wantInputError(t, err, "sell_prices.csv", 3, "wm_yr_wk", "week 11999 is not in calendar.csv")
	})
	t.Run("BadPrice", func(t *testing.T) {
		dir := m5Fixture(t, m5FixtureHeader+goodRow, goodPrices+"CA_1,A_1_001,11102,$2\n")
		_, err := Read(context.Background(), "m5", dir, Options{}, &Memory{})
		wantInputError(t, err, "sell_prices.csv", 3, "sell_price", `not a number: "$2"`)
	})
	t.Run("MissingColumn", func(t *testing.T) {
		dir := m5Fixture(t, "id,item_id,dept_id,cat_id,state_id,d_1\nx,A_1_001,A_1,A,CA,0\n", goodPrices)
		_, err := Read(context.Background(), "m5", dir, Options{}, &Memory{})
		wantInputError(t, err, "sales_train_validation.csv", 1, "store_id", "missing column store_id")
	})
}
