package recommend

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/shelfwise/shelfwise"
	"github.com/shelfwise/shelfwise/ingest"
	"github.com/shelfwise/shelfwise/simulate"
)

// sessionRecall is the mean share of a held-out session's later products
// (those of its second half of views and carts not among the first half's)
// that the engine lists in its top 10 for the session's first half,
// observed as an anonymous visitor, over the sessions of known customers
// with at least four such events and a later product not seen before.
func sessionRecall(t *testing.T, m *Model, test map[shelfwise.SessionID][]shelfwise.Event, ids []shelfwise.SessionID) (float64, int) {
	t.Helper()
	eng := NewEngine(m)
	sum, n := 0.0, 0
	for _, id := range ids {
		evs := test[id]
		if len(evs) < 4 || evs[0].Customer == "" {
			continue
		}
		first := slices.Clone(evs[:len(evs)/2])
		var seen, later []shelfwise.SKU
		for k := range first {
			first[k].Customer = "" // the visitor has not signed in
			seen = append(seen, first[k].SKU)
		}
		for _, e := range evs[len(evs)/2:] {
			if !slices.Contains(seen, e.SKU) && !slices.Contains(later, e.SKU) {
				later = append(later, e.SKU)
			}
		}
		if len(later) == 0 {
			continue
		}
		if err := eng.Observe(first...); err != nil {
			t.Fatal(err)
		}
		recs, err := eng.Recommend(context.Background(), Request{Session: id, N: 10, Now: first[len(first)-1].Time})
		if err != nil {
			t.Fatal(err)
		}
		hits := 0
		for _, r := range recs {
			if slices.Contains(later, r.SKU) {
				hits++
			}
		}
		sum += float64(hits) / float64(len(later))
		n++
	}
	return sum / float64(n), n
}

// simulateChain runs the demo's simulator over 240 days of one store and
// a web shop, customers pseudonymised with key, and returns its config and
// output.
func simulateChain(t *testing.T, key string) (simulate.Config, *ingest.Memory) {
	t.Helper()
	cfg := simulate.Demo()
	cfg.Days, cfg.Stores = 240, 1
	cfg.Pseudonymizer = shelfwise.NewPseudonymizer([]byte(key))
	var sink ingest.Memory
	if _, err := simulate.Run(context.Background(), cfg, &sink); err != nil {
		t.Fatal(err)
	}
	return cfg, &sink
}

// TestSessionTransitionsSimulated: on a simulated chain whose visitors
// browse by their own taste, the session model learned from browsing
// sessions (SessionsFromEvents) finds more of what a visitor looks at
// later in a held-out session than the one learned from consecutive
// baskets alone, which in turn beats the trending list; and the items it
// adds are explained by the product looked at before.
func TestSessionTransitionsSimulated(t *testing.T) {
	if testing.Short() {
		t.Skip("simulates a chain and trains a model (about 15 s)")
	}
	ctx := context.Background()
	cfg, sink := simulateChain(t, "session test")
	cut := cfg.Start.AddDate(0, 0, cfg.Days-28)
	var train []shelfwise.OrderLine
	for _, l := range sink.OrderLines {
		if l.Time.Before(cut) {
			train = append(train, l)
		}
	}
	var before []shelfwise.Event
	test := map[shelfwise.SessionID][]shelfwise.Event{}
	var ids []shelfwise.SessionID
	for _, e := range sink.Events {
		switch {
		case e.Time.Before(cut):
			before = append(before, e)
		case e.Session != "" && e.SKU != "" && (e.Type == shelfwise.EventView || e.Type == shelfwise.EventCart):
			if _, ok := test[e.Session]; !ok {
				ids = append(ids, e.Session)
			}
			test[e.Session] = append(test[e.Session], e)
		}
	}
	in := TrainInput{
		Purchases:    PurchasesFromLines(train),
		Interactions: append(ReturnsFromLines(train), InteractionsFromEvents(before)...),
		Sessions:     SessionsFromEvents(before),
		Products:     sink.Products,
	}
	mc := DefaultModel
	mc.Hybrid.ValidationWindows = 1
	mc.Hybrid.ALS.Factors, mc.Hybrid.ALS.Iterations = 16, 6
	m, err := TrainModel(ctx, in, mc)
	if err != nil {
		t.Fatal(err)
	}
	if m.Session.Browsed == nil {
		t.Fatal("the session model learned from no browsing session")
	}
	baskets := *m
	if baskets.Session, err = NewSessionModel(ctx, m.Log, nil, mc.Session); err != nil {
		t.Fatal(err)
	}
	trend := *m
	trend.Session = &SessionModel{Cfg: mc.Session, Next: make([][]Neighbor, m.Log.NumItems())}

	browsing, n := sessionRecall(t, m, test, ids)
	fromBaskets, _ := sessionRecall(t, &baskets, test, ids)
	none, _ := sessionRecall(t, &trend, test, ids)
	t.Logf("%d held-out sessions: recall@10 of their later products %.4f (browsing), %.4f (baskets), %.4f (no transitions)", n, browsing, fromBaskets, none)
	if n < 200 {
		t.Fatalf("only %d held-out sessions", n)
	}
	if browsing < 1.1*fromBaskets || fromBaskets < 1.1*none {
		t.Fatalf("recall@10 %.4f (browsing) / %.4f (baskets) / %.4f (none): each should be at least 10%% above the next", browsing, fromBaskets, none)
	}

	// What the session brings in reads "often looked at after X", X one
	// of the products the visitor looked at.
	eng := NewEngine(m)
	explained := 0
	for _, id := range ids[:min(len(ids), 300)] {
		evs := test[id]
		names := map[string]bool{}
		for _, e := range evs {
			e.Customer = ""
			if err := eng.Observe(e); err != nil {
				t.Fatal(err)
			}
			names[m.name(int32(m.Log.Item(e.SKU)))] = true
		}
		recs, err := eng.Recommend(ctx, Request{Session: id, N: 10, Now: evs[len(evs)-1].Time})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			if r.Source != "session" {
				continue
			}
			explained++
			x, ok := strings.CutPrefix(r.Reason, "often looked at after ")
			if !ok || !names[x] {
				t.Fatalf("session %s: %s reads %q, want \"often looked at after\" one of %v", id, r.SKU, r.Reason, names)
			}
		}
	}
	t.Logf("%d recommendations explained by the session", explained)
	if explained == 0 {
		t.Fatal("no recommendation of 300 sessions comes from the session")
	}
}
