package ingest

import (
	"github.com/shelfwise/shelfwise"
)

// onlineRetailWant are the counts SOURCE.md and the issue give for the UCI
// Online Retail file (checked on the CSV and the Parquet copy by
// TestImportRealCSVThenParquet).
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
	RuleFeeCode:       144, // C2 CARRIAGE
	RuleUnparseable:   0,
}

func ruleCounts(r shelfwise.ImportReport) map[string]int64 {
	m := map[string]int64{}
	for _, rc := range r.Rules {
		m[rc.Rule] = rc.Count
	}
	return m
}
