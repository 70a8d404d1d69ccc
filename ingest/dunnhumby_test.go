package ingest

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shelfwise/shelfwise"
	"github.com/shelfwise/shelfwise/internal/realdata"
)

var dhTestKey = shelfwise.NewPseudonymizer([]byte("test-key-0123456789abcdef0123456789"))

func TestDunnhumbyRealCounts(t *testing.T) {
	dir := realdata.Path(t, "dunnhumby_complete_journey_sample")
	var mem Memory
	rep, err := Read(context.Background(), "dunnhumby", dir, Options{Pseudonymizer: dhTestKey}, &mem)
	if err != nil {
		t.Fatal(err)
	}
	if rep.RowsRead != 75000 || rep.Accepted != 75000 {
		t.Fatalf("rows read %d accepted %d, want 75000, 75000", rep.RowsRead, rep.Accepted)
	}
	want := map[string]int64{
		RuleDuplicate: 0, RuleDHZeroQuantity: 416, RuleDHZeroSales: 113, RuleDHNegativeQuantity: 0,
		RuleDHNegativeDiscount: 0, RuleNoCustomer: 0, RuleDHMissingStore: 0, RuleDHUnknownProduct: 222,
		RuleDHNonProduct: 915, RuleUnparseable: 0, RuleDHProductDup: 0, RuleDHNoCategory: 540, RuleDHNoType: 528,
		RuleDHPromoNone: 0, RuleDHPromoUnknown: 0, RuleDHPromoDup: 0, RuleDHDemographics: 801,
	}
	got := ruleCounts(rep)
	for rule, n := range want {
		if got[rule] != n {
			t.Errorf("rule %s=%d, want %d", rule, got[rule], n)
		}
	}
	written := map[string]int64{"order_lines": 75000, "products": 92331, "promotions": 155001 + 239212, "stores": 293}
	for kind, n := range written {
		if rep.Written[kind] != n {
			t.Errorf("written %s=%d, want %d", kind, rep.Written[kind], n)
		}
	}
	households, baskets, products := map[shelfwise.CustomerKey]bool{}, map[shelfwise.InvoiceID]bool{}, map[shelfwise.SKU]bool{}
	var amount, discount, qty float64
	for _, l := range mem.OrderLines {
		households[l.Customer] = true
		baskets[l.Invoice] = true
		products[l.SKU] = true
		amount += l.Amount()
		discount += l.Discount
		qty += l.Quantity
		if !strings.HasPrefix(string(l.Customer), "c") || len(l.Customer) != 25 {
			t.Fatalf("customer %q is not a pseudonym", l.Customer)
		}
		if l.Time.Before(time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC)) || l.Time.After(time.Date(2018, 1, 1, 4, 0, 0, 0, time.UTC)) {
			t.Fatalf("line time %v outside 2017-01-01 .. 2018-01-01", l.Time)
		}
	}
	if len(households) != 2377 || len(baskets) != 47243 || len(products) != 20902 {
		t.Errorf("households %d baskets %d products %d, want 2377, 47243, 20902", len(households), len(baskets), len(products))
	}
	if math.Abs(amount-233935.24) > 0.005 || math.Abs(discount-41779.72) > 0.005 || qty != 7784694 {
		t.Errorf("sales %.4f discount %.4f quantity %v, want 233935.24, 41779.72, 7784694", amount, discount, qty)
	}
	if p := mem.Promotions[0]; p.SKU != "1000050" || p.Store != "337" || p.Kind != "display:3" ||
		!p.Start.Equal(time.Date(2016, 12, 26, 0, 0, 0, 0, time.UTC)) || !p.End.Equal(time.Date(2017, 1, 2, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("first promotion %+v, want display:3 of 1000050 at 337 in week 1 (from 2016-12-26)", p)
	}
	var fuel shelfwise.Product
	for _, p := range mem.Products {
		if p.SKU == "6534178" {
			fuel = p
		}
		if p.SKU == "25671" && (p.Department != "GROCERY" || p.Category != "FRZN ICE" || p.Subcategory != "ICE - CRUSHED/CUBED" ||
			p.Brand != "National" || p.Attributes["manufacturer_id"] != "2" || p.Attributes["package_size"] != "22 LB") {
			t.Errorf("product 25671 = %+v", p)
		}
	}
	if !fuel.NonProduct {
		t.Errorf("gasoline product %+v not flagged non-product", fuel)
	}
}

// TestDunnhumbyWeeks checks the week calendar the promotions use against the
// transactions: every line of week w falls in [start(w), start(w)+7d) in
// local US time, i.e. at most a few hours later in UTC.
func TestDunnhumbyWeeks(t *testing.T) {
	f, err := openCSV(realdata.Path(t, "dunnhumby_complete_journey_sample/transactions_sample.csv.gz"), csvOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cWeek, cTime := f.Col("week"), f.Col("transaction_timestamp")
	var n, late int
	for {
		ok, err := f.Next()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		w, err := f.Int(cWeek)
		if err != nil {
			t.Fatal(err)
		}
		ts, err := f.Time(cTime)
		if err != nil {
			t.Fatal(err)
		}
		start := dunnhumbyWeekStart(w)
		if ts.Before(start) || !ts.Before(start.AddDate(0, 0, 7).Add(6*time.Hour)) {
			t.Fatalf("line %d: week %d at %v, outside [%v, +7d6h)", f.Line(), w, ts, start)
		}
		if !ts.Before(start.AddDate(0, 0, 7)) {
			late++
		}
		n++
	}
	if n != 75000 || late != 1770 {
		t.Errorf("lines %d, %d in the first hours after the week's end (UTC), want 75000, 1770", n, late)
	}
}

// dunnhumbyFixture writes a small Complete Journey folder.
func dunnhumbyFixture(t *testing.T, tx string) string {
	t.Helper()
	dir := t.TempDir()
	writeFixture(t, dir, "products.csv", `"product_id","manufacturer_id","department","brand","product_category","product_type","package_size"`+"\n"+
		`"1","2","GROCERY","National","FRZN ICE","ICE","22 LB"`+"\n"+
		`"2","69","FUEL","Private","FUEL","GASOLINE-REG UNLEADED",`+"\n"+
		`"1","2","GROCERY","National","FRZN ICE","ICE","22 LB"`+"\n")
	writeFixture(t, dir, "promotions_sample.csv", `"product_id","store_id","display_location","mailer_location","week"`+"\n"+
		`"1","300","0","A",2`+"\n"+`"1","300","5","D",3`+"\n"+`"9","300","0","0",3`+"\n"+`"9","300","0","0",3`+"\n")
	writeFixture(t, dir, "demographics.csv", `"household_id","age","income"`+"\n"+`"7","65+","35-49K"`+"\n")
	writeFixture(t, dir, "transactions_sample.csv", tx)
	return dir
}

const dunnhumbyTxHeader = `"household_id","store_id","basket_id","product_id","quantity","sales_value","retail_disc","coupon_disc","coupon_match_disc","week","transaction_timestamp"` + "\n"

func TestDunnhumbyFixture(t *testing.T) {
	dir := dunnhumbyFixture(t, dunnhumbyTxHeader+
		`"7","300","10","1",2,3,0.5,0.25,0,1,"2017-01-01 12:30:27"`+"\n"+
		`"7","300","10","1",2,3,0.5,0.25,0,1,"2017-01-01 12:30:27"`+"\n"+ // identical line: kept
		`"7","300","11","2",0,0,0,1.4,0,2,"2017-01-03 10:00:00"`+"\n"+ // coupon line without units
		`"8","301","12","9",1,0,0,0,0,2,"2017-01-03 10:00:00"`+"\n"+ // free, unknown product
		`"","","13","1",-1,-1.5,-0.5,0,0,2,"2017-01-04 10:00:00"`+"\n") // anonymous return, old-style negative discount
	var mem Memory
	rep, err := Read(context.Background(), "dunnhumby", dir, Options{Pseudonymizer: dhTestKey}, &mem)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{RuleDuplicate: 1, RuleDHZeroQuantity: 1, RuleDHZeroSales: 1, RuleDHNegativeQuantity: 1,
		RuleDHNegativeDiscount: 1, RuleNoCustomer: 1, RuleDHMissingStore: 1, RuleDHUnknownProduct: 1, RuleDHNonProduct: 1,
		RuleDHProductDup: 1, RuleDHPromoNone: 2, RuleDHPromoUnknown: 2, RuleDHPromoDup: 1, RuleDHDemographics: 1}
	got := ruleCounts(rep)
	for rule, n := range want {
		if got[rule] != n {
			t.Errorf("rule %s=%d, want %d", rule, got[rule], n)
		}
	}
	if rep.RowsRead != 5 || len(mem.OrderLines) != 5 || len(mem.Products) != 2 || len(mem.Promotions) != 3 || len(mem.Stores) != 2 {
		t.Fatalf("read %d lines %d products %d promotions %d stores %d, want 5, 5, 2, 3, 2",
			rep.RowsRead, len(mem.OrderLines), len(mem.Products), len(mem.Promotions), len(mem.Stores))
	}
	if l := mem.OrderLines[0]; l.UnitPrice != 1.5 || l.Discount != 0.75 || l.Quantity != 2 || l.Kind != shelfwise.LineSale || l.Customer != dhTestKey.Key("7") {
		t.Errorf("line 1 = %+v, want 2 x 1.5 with discount 0.75 by household 7's pseudonym", l)
	}
	if l := mem.OrderLines[2]; l.UnitPrice != 0 || l.Quantity != 0 || l.Discount != 1.4 {
		t.Errorf("coupon line = %+v, want quantity 0, unit price 0, discount 1.4", l)
	}
	if l := mem.OrderLines[4]; l.Kind != shelfwise.LineReturn || l.UnitPrice != 1.5 || l.Discount != 0.5 || l.Customer != "" || l.Amount() != -1.5 {
		t.Errorf("return line = %+v, want a return of 1 x 1.5, discount 0.5, anonymous", l)
	}
	if p := mem.Promotions[2]; p.Kind != "mailer:D" || !p.Start.Equal(time.Date(2017, 1, 9, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("promotion %+v, want mailer:D in week 3 (from 2017-01-09)", p)
	}
	if _, err := Read(context.Background(), "dunnhumby", dir, Options{}, &Memory{}); shelfwise.ErrorCode(err) != shelfwise.EINVALID {
		t.Errorf("without a pseudonymizer: err=%v, want EINVALID", err)
	}
}

func TestDunnhumbyBadInput(t *testing.T) {
	good := `"7","300","10","1",2,3,0.5,0.25,0,1,"2017-01-01 12:30:27"` + "\n"
	t.Run("MissingProducts", func(t *testing.T) {
		dir := dunnhumbyFixture(t, dunnhumbyTxHeader+good)
		os.Remove(filepath.Join(dir, "products.csv"))
		_, err := Read(context.Background(), "dunnhumby", filepath.Join(dir, "transactions_sample.csv"), Options{Pseudonymizer: dhTestKey}, &Memory{})
		wantInputError(t, err, "products.csv", 0, "", "companion file missing")
	})
	t.Run("MissingPromotions", func(t *testing.T) {
		dir := dunnhumbyFixture(t, dunnhumbyTxHeader+good)
		os.Remove(filepath.Join(dir, "promotions_sample.csv"))
		_, err := Read(context.Background(), "dunnhumby", dir, Options{Pseudonymizer: dhTestKey}, &Memory{})
		wantInputError(t, err, "promotions.csv", 0, "", "companion file missing")
	})
	tests := []struct {
		name, row, field, msg string
	}{
		{"BadQuantity", `"7","300","10","1",two,3,0.5,0.25,0,1,"2017-01-01 12:30:27"`, "quantity", `not a number: "two"`},
		{"BadSales", `"7","300","10","1",2,3$,0.5,0.25,0,1,"2017-01-01 12:30:27"`, "sales_value", `not a number: "3$"`},
		{"BadDiscount", `"7","300","10","1",2,3,0.5,x,0,1,"2017-01-01 12:30:27"`, "coupon_disc", `not a number: "x"`},
		{"BadTime", `"7","300","10","1",2,3,0.5,0.25,0,1,"01/13/2017 25:00"`, "transaction_timestamp", "not a date/time"},
		{"MissingBasket", `"7","300","","1",2,3,0.5,0.25,0,1,"2017-01-01 12:30:27"`, "basket_id", "missing basket_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := dunnhumbyFixture(t, dunnhumbyTxHeader+good+tt.row+"\n")
			_, err := Read(context.Background(), "dunnhumby", dir, Options{Pseudonymizer: dhTestKey}, &Memory{})
			wantInputError(t, err, "transactions_sample.csv", 3, tt.field, tt.msg)
		})
	}
	t.Run("BadPromotionWeek", func(t *testing.T) {
		dir := dunnhumbyFixture(t, dunnhumbyTxHeader+good)
		writeFixture(t, dir, "promotions_sample.csv", "product_id,store_id,display_location,mailer_location,week\n1,300,0,A,w2\n")
		_, err := Read(context.Background(), "dunnhumby", dir, Options{Pseudonymizer: dhTestKey}, &Memory{})
		wantInputError(t, err, "promotions_sample.csv", 2, "week", `not an integer: "w2"`)
	})
}
