package ingest

import (
	"context"
	"testing"

	"github.com/shelfwise/shelfwise"
	"github.com/shelfwise/shelfwise/internal/realdata"
)

// onlineRetailWant are the counts SOURCE.md and the issue give for the UCI
// Online Retail file.
var onlineRetailWant = map[string]int64{
	RuleNoCustomer:    135080,
	RuleDuplicate:     5268,
	RuleCancellation:  9288,
	RuleAdjustment:    1336,
	RuleNonPositive:   2517,
	RuleZeroPrice:     2515,
	RuleNegativePrice: 2,
	RuleNoDescription: 1454,
	RuleNonProduct:    2796,
	RuleUnparseable:   0,
}

func ruleCounts(r shelfwise.ImportReport) map[string]int64 {
	m := map[string]int64{}
	for _, rc := range r.Rules {
		m[rc.Rule] = rc.Count
	}
	return m
}

func TestOnlineRetailRealCounts(t *testing.T) {
	key := shelfwise.NewPseudonymizer([]byte("test-key-0123456789abcdef0123456789"))
	var reports []shelfwise.ImportReport
	var firstCustomers [][]shelfwise.CustomerKey
	for _, file := range []string{"uci_online_retail/online_retail.csv.gz", "uci_online_retail/online_retail.parquet"} {
		t.Run(file, func(t *testing.T) {
			path := realdata.Path(t, file)
			var mem Memory
			rep, err := Read(context.Background(), "online-retail", path, Options{Pseudonymizer: key}, &mem)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := rep.RowsRead, int64(541909); got != want {
				t.Fatalf("rows read=%d, want %d", got, want)
			}
			if got, want := rep.Accepted, int64(541909-5268); got != want {
				t.Errorf("accepted=%d, want %d", got, want)
			}
			got := ruleCounts(rep)
			for rule, want := range onlineRetailWant {
				if got[rule] != want {
					t.Errorf("rule %s=%d, want %d", rule, got[rule], want)
				}
			}
			if got, want := int64(len(mem.OrderLines)), rep.Accepted; got != want {
				t.Errorf("order lines=%d, want %d", got, want)
			}
			customers := map[shelfwise.CustomerKey]bool{}
			var firsts []shelfwise.CustomerKey
			for _, l := range mem.OrderLines {
				if l.Customer != "" {
					customers[l.Customer] = true
					if len(firsts) < 100 {
						firsts = append(firsts, l.Customer)
					}
				}
				if l.Customer == "17850" || l.Customer == "17850.0" {
					t.Fatal("raw customer id reached the sink")
				}
			}
			if got, want := len(customers), 4372; got != want {
				t.Errorf("customers=%d, want %d", got, want)
			}
			reports = append(reports, rep)
			firstCustomers = append(firstCustomers, firsts)
		})
	}
	if len(reports) == 2 {
		if reports[0].Fingerprint != reports[1].Fingerprint {
			t.Errorf("CSV and Parquet fingerprints differ: %s vs %s", reports[0].Fingerprint, reports[1].Fingerprint)
		}
		for i := range firstCustomers[0] {
			if firstCustomers[0][i] != firstCustomers[1][i] {
				t.Fatalf("pseudonym %d differs between CSV and Parquet", i)
			}
		}
	}
}
