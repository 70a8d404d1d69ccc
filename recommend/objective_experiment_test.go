package recommend

import (
	"context"
	"os"
	"testing"
)

// TestObjectiveExperiment asks, on validation only, how much Recall@k the
// tuning objective NDCG + RecallWeight x Recall should weigh: the blend
// is tuned on the older validation window's customers with each weight
// and scored on the latest window's (Recall@k and NDCG@k there, held
// out). Run with OBJX=1 (RERANKX_SEEDS picks the pseudonym keys).
//
// Held-out Recall@10 for keys 1 / 2 / 3 (mean): RecallWeight 0.5 .1563 /
// .1588 / .1587 (.1579); 1 .1559 / .1542 / .1602 (.1568); 2 .1590 / .1582
// / .1577 (.1583); 4 .1558 / .1568 / .1574 (.1567). The spread (.0016) is
// within the keys' own (.006). With 2 the test period gave Recall@10
// .1952 / .1979 / .1963 (eval seeds 1-3) against .1975 / .1981 / .1970
// with 1: no measurable effect either way, so the default stays 1.
func TestObjectiveExperiment(t *testing.T) {
	if os.Getenv("OBJX") == "" {
		t.Skip("set OBJX=1")
	}
	seeds := envList("RERANKX_SEEDS", []uint64{1})
	lines := loadOnlineRetail(t)
	ctx := context.Background()
	cfg := DefaultHybrid.withDefaults()
	for _, seed := range seeds {
		lg := experimentLog(lines, seed)
		tables, err := tuningTables(ctx, lg, cfg, []bool{false}, nil)
		if err != nil {
			t.Fatal(err)
		}
		tb := tables[0]
		recent, older := *tb, *tb
		recent.users, older.users = tb.users[:tb.windowEnds[0]], tb.users[tb.windowEnds[0]:]
		for _, rw := range []float64{0.5, 1, 2, 4} {
			older.recallWeight = rw
			w, _ := older.tune(false)
			recent.recallWeight = 0
			ndcg := recent.objective(w)
			recent.recallWeight = 1
			recall := recent.objective(w) - ndcg
			t.Logf("seed %d RecallWeight %.1f: held-out Recall@%d %.4f NDCG@%d %.4f (%d -> %d customers)",
				seed, rw, recent.k, recall, recent.k, ndcg, len(older.users), len(recent.users))
		}
	}
}
