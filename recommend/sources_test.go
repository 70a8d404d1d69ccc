package recommend

import (
	"context"
	"slices"
	"testing"
)

// knownSources are the models a recommendation's Source may name.
var knownSources = []string{"repeat", "cart", "viewed", "session", "als", "itemknn", "fbt", "trending", "popular", "repeatability", "similar"}

// TestSourcesNameModels: on a simulated chain (purchases, returns, views
// and carts), every recommendation of 300 customers' lists, all items and
// new items only, names its source by one of knownSources, whichever
// branch of the explanation it took (component names such as "knn" or
// "recent_knn" once leaked through for products explained by a view).
func TestSourcesNameModels(t *testing.T) {
	if testing.Short() {
		t.Skip("simulates a chain and trains a model (about 4 s)")
	}
	ctx := context.Background()
	_, sink := simulateChain(t, "sources")
	in := TrainInput{Purchases: PurchasesFromLines(sink.OrderLines), Products: sink.Products,
		Interactions: append(ReturnsFromLines(sink.OrderLines), InteractionsFromEvents(sink.Events)...)}
	mc := DefaultModel
	mc.Hybrid.ValidationWindows, mc.Hybrid.NoRerank = 1, true
	mc.Hybrid.ALS.Factors, mc.Hybrid.ALS.Iterations = 16, 6
	m, err := TrainModel(ctx, in, mc)
	if err != nil {
		t.Fatal(err)
	}
	e := NewEngine(m)
	seen := map[string]int{}
	for _, c := range slices.Sorted(slices.Values(m.Log.Users))[:300] {
		for _, newOnly := range []bool{false, true} {
			recs, err := e.Recommend(ctx, Request{Customer: c, N: 10, Filter: Filter{NewOnly: newOnly}})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range recs {
				seen[r.Source]++
				if !slices.Contains(knownSources, r.Source) {
					t.Errorf("%s: source %q (reason %q) is not one of %v", c, r.Source, r.Reason, knownSources)
				}
			}
		}
	}
	if seen["viewed"] == 0 || seen["itemknn"] == 0 || seen["repeat"] == 0 {
		t.Errorf("sources %v: want views, item-kNN and repeat among them", seen)
	}
	t.Logf("sources: %v", seen)
}

func TestSourceOf(t *testing.T) {
	for comp, want := range map[string]string{"als": "als", "knn": "itemknn", "recent_knn": "itemknn", "last_basket": "fbt",
		"trending": "trending", "trending_linear": "trending", "rising": "trending", "popular": "popular", "repeatability": "repeatability"} {
		if got := sourceOf(comp); got != want {
			t.Errorf("sourceOf(%q) = %q, want %q", comp, got, want)
		}
	}
}
