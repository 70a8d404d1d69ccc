package ingest

import (
	"compress/gzip"
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/shelfwise/shelfwise"
	"github.com/shelfwise/shelfwise/internal/realdata"
)

func TestWalmartRealCounts(t *testing.T) {
	dir := realdata.Path(t, "walmart_recruiting_store_sales")
	var mem Memory
	rep, err := Read(context.Background(), "walmart", dir, Options{}, &mem)
	if err != nil {
		t.Fatal(err)
	}
	if rep.RowsRead != 421570 || rep.Accepted != 421570 {
		t.Fatalf("rows read %d accepted %d, want 421570, 421570", rep.RowsRead, rep.Accepted)
	}
	want := map[string]int64{
		RuleDuplicate: 0, RuleWalmartDuplicateKey: 0, RuleUnparseable: 0,
		RuleWalmartNegativeSales: 1285, RuleWalmartZeroSales: 73, RuleWalmartUnknownStore: 0, RuleWalmartHolidayDiffers: 0,
		walmartMissingRule("MarkDown1"): 4158, walmartMissingRule("MarkDown2"): 5269, walmartMissingRule("MarkDown3"): 4577,
		walmartMissingRule("MarkDown4"): 4726, walmartMissingRule("MarkDown5"): 4140,
		walmartMissingRule("CPI"): 585, walmartMissingRule("Unemployment"): 585,
		walmartMissingRule("Temperature"): 0, walmartMissingRule("Fuel_Price"): 0,
		RuleWalmartNegMarkdown: 44, RuleWalmartFeatureDup: 0, RuleWalmartStoreDup: 0,
	}
	got := ruleCounts(rep)
	for rule, n := range want {
		if got[rule] != n {
			t.Errorf("rule %s=%d, want %d", rule, got[rule], n)
		}
	}
	written := map[string]int64{
		"sales_points": 421570, "stores": 45, "products": 81, "calendar_events": 13,
		"covariates": 45*182*9 - (4158 + 5269 + 4577 + 4726 + 4140) - 2*585,
	}
	for kind, n := range written {
		if rep.Written[kind] != n {
			t.Errorf("written %s=%d, want %d", kind, rep.Written[kind], n)
		}
	}
	var cents int64
	series := map[[2]string]bool{}
	stores := map[shelfwise.StoreID]bool{}
	first, last := mem.SalesPoints[0].Date, mem.SalesPoints[0].Date
	for _, p := range mem.SalesPoints {
		cents += int64(math.Round(p.Units * 100))
		series[[2]string{string(p.Store), string(p.SKU)}] = true
		stores[p.Store] = true
		if p.Date.Before(first) {
			first = p.Date
		}
		if p.Date.After(last) {
			last = p.Date
		}
		if p.Revenue != p.Units || p.Grain != shelfwise.GrainWeek || p.Date.Weekday() != time.Saturday {
			t.Fatalf("point %+v: want weekly, starting on a Saturday, revenue = units", p)
		}
	}
	if cents != 673721898711 {
		t.Errorf("sum of Weekly_Sales=%d cents, want 6,737,218,987.11", cents)
	}
	if len(series) != 3331 || len(stores) != 45 {
		t.Errorf("series %d stores %d, want 3331, 45", len(series), len(stores))
	}
	// 2010-02-05 .. 2012-10-26 are the Fridays ending the first and last weeks.
	if !first.Equal(time.Date(2010, 1, 30, 0, 0, 0, 0, time.UTC)) || !last.Equal(time.Date(2012, 10, 20, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("weeks %v .. %v, want those starting 2010-01-30 .. 2012-10-20", first, last)
	}
	names := map[string]int{}
	for _, c := range mem.Calendar {
		names[c.Name]++
		if c.Type != "holiday" {
			t.Errorf("event %+v: want type holiday", c)
		}
	}
	if names["Super Bowl"] != 4 || names["Labor Day"] != 3 || names["Thanksgiving"] != 3 || names["Christmas"] != 3 {
		t.Errorf("holidays %v, want 4 Super Bowls and 3 of each other", names)
	}
	if c := mem.Calendar[0]; c.Name != "Super Bowl" || !c.Date.Equal(time.Date(2010, 2, 7, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("first holiday %+v, want Super Bowl 2010-02-07", c)
	}
	// Points in holiday weeks are the train rows flagged IsHoliday (29,661).
	holidayWeek := map[time.Time]bool{}
	for _, c := range mem.Calendar {
		for i := 0; i < 7; i++ {
			holidayWeek[c.Date.AddDate(0, 0, -i)] = true
		}
	}
	var inHoliday int
	for _, p := range mem.SalesPoints {
		if holidayWeek[p.Date] {
			inHoliday++
		}
	}
	if inHoliday != 29661 {
		t.Errorf("points in holiday weeks=%d, want 29661", inHoliday)
	}
	for _, s := range mem.Stores {
		if s.ID == "1" && (s.Type != "A" || s.Size != 151315) {
			t.Errorf("store 1 = %+v, want type A, size 151315", s)
		}
	}
	for _, c := range mem.Covariates {
		if c.Name == "markdown1" && c.Store == "1" {
			// Store 1's first MarkDown1 is 10382.9, in the week labelled 2011-11-11.
			if c.Value != 10382.9 || !c.Date.Equal(time.Date(2011, 11, 5, 0, 0, 0, 0, time.UTC)) {
				t.Errorf("first markdown1 of store 1 = %+v, want 10382.9 in the week from 2011-11-05", c)
			}
			break
		}
	}
	if c := mem.Covariates[0]; c.Store != "1" || c.Name != "temperature" || c.Value != 42.31 {
		t.Errorf("first covariate %+v, want store 1 temperature 42.31", c)
	}
	if len(mem.Promotions) != 0 {
		t.Errorf("promotions=%d, want none (markdowns are store-level covariates)", len(mem.Promotions))
	}
}

// walmartFixture writes a tiny Walmart bundle (stores.csv with CR-only line
// ends, as Kaggle shipped it; gzipped features) and returns its folder.
func walmartFixture(t *testing.T, train string) string {
	t.Helper()
	dir := t.TempDir()
	writeFixture(t, dir, "stores.csv", "Store,Type,Size\r1,A,151315\r2,B,202307\r2,B,202307")
	f, err := os.Create(filepath.Join(dir, "features.csv.gz"))
	if err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(f)
	zw.Write([]byte("Store,Date,Temperature,Fuel_Price,MarkDown1,MarkDown2,MarkDown3,MarkDown4,MarkDown5,CPI,Unemployment,IsHoliday\n" +
		"1,2010-02-05,42.31,2.572,NA,NA,NA,NA,NA,211.1,8.1,FALSE\n" +
		"1,2010-02-12,38.51,2.548,100,-5,NA,NA,0,NA,NA,TRUE\n" +
		"1,2010-02-12,38.51,2.548,100,-5,NA,NA,0,NA,NA,TRUE\n")) // duplicate store-week
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	writeFixture(t, dir, "train.csv", train)
	return dir
}

const walmartTrainHeader = "Store,Dept,Date,Weekly_Sales,IsHoliday\n"

func TestWalmartFixture(t *testing.T) {
	dir := walmartFixture(t, walmartTrainHeader+
		"1,1,2010-02-05,24924.5,FALSE\n"+
		"1,1,2010-02-12,-46.49,FALSE\n"+ // holiday flag differs from features
		"1,1,2010-02-12,-46.49,FALSE\n"+ // exact duplicate
		"1,1,2010-02-12,7,TRUE\n"+ // same store-dept-week, other sales
		"3,2,2010-02-12,0,TRUE\n") // store 3 is not in stores.csv
	var mem Memory
	rep, err := Read(context.Background(), "walmart", filepath.Join(dir, "train.csv"), Options{}, &mem)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{RuleDuplicate: 1, RuleWalmartDuplicateKey: 2, RuleWalmartNegativeSales: 2, RuleWalmartZeroSales: 1,
		RuleWalmartUnknownStore: 1, RuleWalmartHolidayDiffers: 2, walmartMissingRule("MarkDown1"): 1, RuleWalmartStoreDup: 1,
		walmartMissingRule("MarkDown3"): 3, walmartMissingRule("CPI"): 2, RuleWalmartNegMarkdown: 2, RuleWalmartFeatureDup: 1}
	got := ruleCounts(rep)
	for rule, n := range want {
		if got[rule] != n {
			t.Errorf("rule %s=%d, want %d", rule, got[rule], n)
		}
	}
	if rep.RowsRead != 5 || rep.Accepted != 3 || len(mem.SalesPoints) != 3 || len(mem.Stores) != 2 {
		t.Fatalf("read %d accepted %d points %d stores %d, want 5, 3, 3, 2", rep.RowsRead, rep.Accepted, len(mem.SalesPoints), len(mem.Stores))
	}
	if s := mem.Stores[1]; s.ID != "2" || s.Type != "B" || s.Size != 202307 {
		t.Errorf("store %+v, want 2 B 202307 (CR-only line ends)", s)
	}
	if len(mem.Covariates) != 9 || len(mem.Calendar) != 1 || len(mem.Products) != 2 {
		t.Errorf("covariates %d events %d products %d, want 9 (6 + 3 markdowns), 1, 2",
			len(mem.Covariates), len(mem.Calendar), len(mem.Products))
	}
}

func TestWalmartBadInput(t *testing.T) {
	t.Run("MissingFeatures", func(t *testing.T) {
		dir := walmartFixture(t, walmartTrainHeader+"1,1,2010-02-05,1,FALSE\n")
		os.Remove(filepath.Join(dir, "features.csv.gz"))
		_, err := Read(context.Background(), "walmart", dir, Options{}, &Memory{})
		wantInputError(t, err, "features.csv", 0, "", "companion file missing")
	})
	t.Run("MissingStores", func(t *testing.T) {
		dir := walmartFixture(t, walmartTrainHeader+"1,1,2010-02-05,1,FALSE\n")
		os.Remove(filepath.Join(dir, "stores.csv"))
		_, err := Read(context.Background(), "walmart", dir, Options{}, &Memory{})
		wantInputError(t, err, "stores.csv", 0, "", "companion file missing")
	})
	tests := []struct {
		name, row, field, msg string
	}{
		{"BadSales", "1,1,2010-02-05,12.3.4,FALSE", "Weekly_Sales", `not a number: "12.3.4"`},
		{"BadDate", "1,1,05/02/2010,1,FALSE", "Date", "not a date/time"},
		{"BadDept", "1,x,2010-02-05,1,FALSE", "Dept", "not an integer"},
		{"BadHoliday", "1,1,2010-02-05,1,maybe", "IsHoliday", "not a boolean"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := walmartFixture(t, walmartTrainHeader+"1,1,2010-02-12,1,TRUE\n"+tt.row+"\n")
			_, err := Read(context.Background(), "walmart", dir, Options{}, &Memory{})
			wantInputError(t, err, "train.csv", 3, tt.field, tt.msg)
		})
	}
	t.Run("BadMarkdown", func(t *testing.T) {
		dir := walmartFixture(t, walmartTrainHeader)
		writeFixture(t, dir, "features.csv", "Store,Date,Temperature,Fuel_Price,MarkDown1,MarkDown2,MarkDown3,MarkDown4,MarkDown5,CPI,Unemployment,IsHoliday\n"+
			"1,2010-02-05,42.31,2.572,1O0,NA,NA,NA,NA,211.1,8.1,FALSE\n")
		os.Remove(filepath.Join(dir, "features.csv.gz"))
		_, err := Read(context.Background(), "walmart", dir, Options{}, &Memory{})
		wantInputError(t, err, "features.csv", 2, "MarkDown1", `not a number: "1O0"`)
	})
}
