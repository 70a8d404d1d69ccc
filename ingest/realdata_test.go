package ingest

import (
	"context"
	"math"
	"path/filepath"
	"testing"

	"github.com/shelfwise/shelfwise"
	"github.com/shelfwise/shelfwise/internal/realdata"
)

var testKey = shelfwise.NewPseudonymizer([]byte("test-key-0123456789abcdef0123456789"))

// readReal reads a real dataset into memory and checks rows read, accepted
// and every rule count against the figures of its SOURCE.md.
func readReal(t *testing.T, format, rel string, rows, accepted int64, rules map[string]int64) (*Memory, shelfwise.ImportReport) {
	t.Helper()
	path := realdata.Path(t, rel)
	var mem Memory
	rep, err := Read(context.Background(), format, path, Options{Pseudonymizer: testKey}, &mem)
	if err != nil {
		t.Fatal(err)
	}
	if rep.RowsRead != rows {
		t.Errorf("rows read=%d, want %d", rep.RowsRead, rows)
	}
	if rep.Accepted != accepted {
		t.Errorf("accepted=%d, want %d", rep.Accepted, accepted)
	}
	got := ruleCounts(rep)
	if len(got) != len(rules) {
		t.Errorf("rules=%v, want %v", got, rules)
	}
	for rule, want := range rules {
		if got[rule] != want {
			t.Errorf("rule %s=%d, want %d", rule, got[rule], want)
		}
	}
	return &mem, rep
}

func TestShoppersReal(t *testing.T) {
	mem, _ := readReal(t, "shoppers", "online_shoppers_intention", 12330, 12330,
		map[string]int64{RuleDuplicate: 125, RuleUnparseable: 0})
	if got, want := len(mem.Sessions), 12330; got != want {
		t.Fatalf("sessions=%d, want %d", got, want)
	}
	var buy int
	visitors := map[string]int{}
	months := map[string]bool{}
	for _, s := range mem.Sessions {
		if s.Purchased {
			buy++
		}
		visitors[s.Categorical["VisitorType"]]++
		months[s.Categorical["Month"]] = true
		if len(s.Features) != 10 || len(s.Categorical) != 7 {
			t.Fatalf("session %s: %d features, %d categorical", s.ID, len(s.Features), len(s.Categorical))
		}
	}
	if buy != 1908 {
		t.Errorf("purchased=%d, want 1908", buy)
	}
	if visitors["Returning_Visitor"] != 10551 || visitors["New_Visitor"] != 1694 || visitors["Other"] != 85 {
		t.Errorf("visitor types=%v", visitors)
	}
	if !months["June"] || months["Jun"] || months["Jan"] || months["Apr"] {
		t.Errorf("months=%v", months)
	}
	s := mem.Sessions[1] // row 2: 0,0,0,0,2,64,0,0.1,0,0,Feb,2,2,1,2,...
	if s.ID != "s2" || s.Features["ProductRelated"] != 2 || s.Features["ProductRelated_Duration"] != 64 ||
		s.Features["ExitRates"] != 0.1 || s.Categorical["Browser"] != "2" || s.Categorical["Weekend"] != "false" {
		t.Errorf("second session=%+v", s)
	}
}

func TestCDNOWReal(t *testing.T) {
	mem, rep := readReal(t, "cdnow", "cdnow", 69659, 69659,
		map[string]int64{RuleDuplicate: 255, RuleZeroValue: 80, RuleZeroQuantity: 0, RuleUnparseable: 0})
	if got, want := rep.Written["order_lines"], int64(69659); got != want {
		t.Errorf("order lines written=%d, want %d", got, want)
	}
	customers := map[shelfwise.CustomerKey]bool{}
	invoices := map[shelfwise.InvoiceID]bool{}
	var cds, dollars float64
	for _, l := range mem.OrderLines {
		customers[l.Customer] = true
		invoices[l.Invoice] = true
		cds += l.Quantity
		dollars += l.Amount()
	}
	if len(customers) != 23570 {
		t.Errorf("customers=%d, want 23570", len(customers))
	}
	if len(invoices) != 69659 {
		t.Errorf("invoices=%d, want one per row", len(invoices))
	}
	first := mem.OrderLines[0] // " 00001 19970101  1   11.77"
	if first.Customer != testKey.Key("1") || first.Time.Format("2006-01-02") != "1997-01-01" || first.Quantity != 1 ||
		first.UnitPrice != 11.77 || first.SKU != CDNOWSKU {
		t.Errorf("first line=%+v", first)
	}
	third := mem.OrderLines[2] // " 00002 19970112  5   77.00"
	if third.Quantity != 5 || math.Abs(third.UnitPrice-15.4) > 1e-12 {
		t.Errorf("third line=%+v", third)
	}
	t.Logf("CDNOW: %.0f CDs, $%.2f", cds, dollars)
}

func TestCDNOWSummaryReal(t *testing.T) {
	path := realdata.Path(t, "cdnow/cdnow_customers_summary_with_transactions.csv")
	cs, err := ReadCDNOWSummary(context.Background(), path, testKey)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 2357 {
		t.Fatalf("customers=%d, want 2357", len(cs))
	}
	if c := cs[0]; c.X != 2 || c.TX != 30.43 || c.T != 38.86 || c.Zbar != 22.35 || c.Customer != testKey.Key("1") {
		t.Errorf("first=%+v", c)
	}
	var repeaters int
	for _, c := range cs {
		if c.X > 0 {
			repeaters++
		}
	}
	if repeaters != 946 { // the Gamma-Gamma fit's 946 customers with x > 0
		t.Errorf("customers with x>0=%d, want 946", repeaters)
	}
	// The folder works too.
	if cs2, err := ReadCDNOWSummary(context.Background(), filepath.Dir(path), testKey); err != nil || len(cs2) != 2357 {
		t.Errorf("folder: %d, %v", len(cs2), err)
	}
}

func TestDominicksOJReal(t *testing.T) {
	mem, _ := readReal(t, "dominicks-oj", "dominicks_oj_taddy/oj.csv", 28947, 28947,
		map[string]int64{RuleDuplicate: 11846, RuleUnparseable: 0})
	brands := map[shelfwise.SKU]int{}
	var featured int
	for i, p := range mem.SalesPoints {
		brands[p.SKU]++
		if p.Feature == 1 {
			featured++
		}
		if p.Period != i || p.Grain != shelfwise.GrainPeriod || p.Units != math.Round(p.Units) {
			t.Fatalf("point %d=%+v", i, p)
		}
	}
	for _, b := range []shelfwise.SKU{"tropicana", "minute.maid", "dominicks"} {
		if brands[b] != 9649 {
			t.Errorf("brand %s rows=%d, want 9649", b, brands[b])
		}
	}
	if featured != 6868 {
		t.Errorf("featured=%d, want 6868", featured)
	}
	if p := mem.SalesPoints[0]; p.Units != 8256 || p.Price != 3.87 || p.SKU != "tropicana" {
		t.Errorf("first point=%+v", p)
	}
	if len(mem.Products) != 3 {
		t.Errorf("products=%d, want 3", len(mem.Products))
	}
}

func TestDominicksBayesmReal(t *testing.T) {
	// The folder resolves to the main file; reading the main file finds
	// the demographics beside it.
	dir := realdata.Path(t, "dominicks_oj_bayesm")
	if p, err := findFile(dir, "orangeJuice_yx.csv"); err != nil || filepath.Base(p) != "orangeJuice_yx.csv.gz" {
		t.Fatalf("folder resolves to %q, %v", p, err)
	}
	for _, rel := range []string{"dominicks_oj_bayesm/orangeJuice_yx.csv.gz"} {
		t.Run(filepath.Base(rel), func(t *testing.T) {
			mem, rep := readReal(t, "dominicks-bayesm", rel, 106139, 106139, map[string]int64{
				RuleDuplicate: 0, RuleDuplicateKey: 0, RuleFractionalFeature: 1585, RuleNoDemographics: 0, RuleUnparseable: 0})
			if got, want := rep.Written["prices"], int64(9649*11); got != want {
				t.Errorf("prices=%d, want %d (11 per store-week)", got, want)
			}
			if len(mem.Stores) != 83 || len(mem.Products) != 11 {
				t.Fatalf("stores=%d products=%d", len(mem.Stores), len(mem.Products))
			}
			if s := mem.Stores[0]; s.ID != "2" || len(s.Attributes) != 11 || math.Abs(s.Attributes["INCOME"]-10.5532051751687) > 1e-12 {
				t.Errorf("store 2=%+v", s)
			}
			if mem.Products[0].Name != "Tropicana Premium 64oz" || mem.Products[10].Name != "Dominick's 128oz" {
				t.Errorf("products=%v", mem.Products)
			}
			// First row: store 2, brand 1, week 40, logmove 9.0186954877, price1 0.06046875, deal 1.
			p := mem.SalesPoints[0]
			if p.Store != "2" || p.SKU != "OJ01" || p.Period != 40 || p.Units != math.Round(math.Exp(9.0186954877)) ||
				p.Price != 0.06046875 || p.Deal != 1 || p.Feature != 0 || !p.Date.Equal(DominicksWeekStart(40)) {
				t.Errorf("first point=%+v", p)
			}
			var cross int
			for _, pr := range mem.Prices {
				if pr.Store == "2" && pr.Start.Equal(DominicksWeekStart(40)) {
					cross++
					if pr.SKU == "OJ10" && pr.Price != 0.02484375 {
						t.Errorf("price10 of store 2 week 40=%v", pr.Price)
					}
				}
			}
			if cross != 11 {
				t.Errorf("prices of store 2 week 40=%d, want 11", cross)
			}
			if len(mem.Covariates) != 106139 || mem.Covariates[0].Name != "profit" {
				t.Errorf("covariates=%d", len(mem.Covariates))
			}
		})
	}
}
