package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/shelfwise/shelfwise"
	shelfhttp "github.com/shelfwise/shelfwise/http"
	"github.com/shelfwise/shelfwise/recommend"
	"github.com/shelfwise/shelfwise/simulate"
)

// demoTestDays is the length of the demo's recommendation test period.
const demoTestDays = 28

// demoRecommend evaluates recommendations on the simulated chain with the
// temporal protocol of "eval recommend" (last 28 days as test, Recall@10 and
// NDCG@10 on what customers then bought): the hybrid against "most popular"
// and the customer's own history, and against an oracle that ranks by the
// simulator's true preferences. The models learn from what the served one
// learns from: purchases, returns, and the customers' views and carts.
func (m *Main) demoRecommend(ctx context.Context, d *demoRun) error {
	t0 := time.Now()
	in, err := recommenderData(ctx, d.db, time.Time{})
	if err != nil {
		return err
	}
	ps := in.Purchases
	proto := recommend.Protocol{TestDays: demoTestDays, K: 10, Interactions: in.Interactions}
	models := []struct {
		name  string
		train recommend.Trainer
	}{
		{"most popular", recommend.TrainPopular},
		{"own history", recommend.TrainOwnHistory},
		{"hybrid", recommend.HybridTrainer(demoHybrid())},
		{"true preferences (oracle)", oracleTrainer(d.truth)},
	}
	var rows []Row
	var users int
	var hybrid, popular float64
	trainers := make([]recommend.Trainer, len(models))
	for i, mo := range models {
		trainers[i] = mo.train
	}
	results, err := recommend.EvaluateEach(ctx, ps, proto, trainers...)
	if err != nil {
		return fmt.Errorf("%s: %w", models[len(results)].name, err)
	}
	for i, mo := range models {
		res := results[i]
		users = res.Users
		rows = append(rows, Row{mo.name + ": Recall@10 / NDCG@10", fmt.Sprintf("%.3f / %.3f", res.Recall, res.NDCG)})
		switch mo.name {
		case "hybrid":
			hybrid = res.NDCG
			d.report.HybridNDCG = res.NDCG
		case "most popular":
			popular = res.NDCG
			d.report.PopularNDCG = res.NDCG
		case "own history":
			d.report.OwnHistoryNDCG = res.NDCG
		default:
			d.report.OracleNDCG = res.NDCG
		}
	}
	// How sure the hybrid's lead over the strongest baseline is: its gain
	// customer by customer, with a 95% bootstrap interval.
	own, hy := results[1], results[2]
	gain := gainInterval95(hy.UserRecall, own.UserRecall, 1)
	rows = append(rows, Row{"hybrid's gain over own history, Recall@10 (95% interval)", fmt.Sprintf("%+.3f (%+.3f .. %+.3f)", hy.Recall-own.Recall, gain.Lo, gain.Hi)})
	d.report.HybridGainCI = ciJSON(gain)
	d.report.RecommendUsers = users
	fmt.Fprintf(m.Stdout, "\n5. Recommendations: last %d days held out, %d customers scored (%.1fs):\n", demoTestDays, users, time.Since(t0).Seconds())
	if err := writeTable(m.Stdout, "", rows); err != nil {
		return err
	}
	d.results = append(d.results, Row{"recommend NDCG@10 (hybrid / most popular)", fmt.Sprintf("%.3f / %.3f", hybrid, popular)})
	return m.demoRecommendExample(ctx, d, in)
}

// demoRecommendExample trains the demo's hybrid on all of in and shows
// one customer's lists with the reason for each item: their top 5, the top
// 5 of products they never bought, and that list again after a live
// add-to-cart of the next such product, which the engine folds in without
// retraining.
func (m *Main) demoRecommendExample(ctx context.Context, d *demoRun, in recommend.TrainInput) error {
	t0 := time.Now()
	cfg := recommend.DefaultModel
	cfg.Hybrid = demoHybrid()
	model, err := recommend.TrainModel(ctx, in, cfg)
	if err != nil {
		return fmt.Errorf("recommendation example: %w", err)
	}
	eng := recommend.NewEngine(model)
	// The first customer (in key order) with at least ten products bought
	// whose list of new products the carted product enters (most: where
	// it stays sixth, there is nothing to show).
	var (
		key                shelfwise.CustomerKey
		top, before, after []shelfwise.Recommendation
		cart               shelfwise.SKU
	)
	for _, c := range slices.Sorted(slices.Values(model.Log.Users)) {
		if u := model.Log.User(c); len(recommend.Summarize(model.Log.Histories[u]).Items) < 10 {
			continue
		}
		req := recommend.Request{Customer: c, N: 5, Filter: recommend.Filter{NewOnly: true}}
		// The product to add to the cart: the best new product after the
		// list shown, so what changes comes from the live event.
		more := req
		more.N++
		fresh, err := eng.Recommend(ctx, more)
		if err != nil {
			return err
		}
		if len(fresh) < more.N {
			continue
		}
		before, cart = fresh[:req.N], fresh[req.N].SKU
		ev := shelfwise.Event{Time: model.TrainedAt.Add(time.Hour), Customer: c, Type: shelfwise.EventCart, SKU: cart, Quantity: 1}
		if err := eng.Observe(ev); err != nil {
			return err
		}
		if after, err = eng.Recommend(ctx, req); err != nil {
			return err
		}
		if slices.ContainsFunc(after, func(r shelfwise.Recommendation) bool { return r.SKU == cart }) {
			key = c
			break
		}
	}
	if key == "" {
		fmt.Fprintln(m.Stdout, "  example: no customer with ten products bought whose list a live add-to-cart enters")
		return nil
	}
	// Their top 5 as it was before the add-to-cart.
	top, err = recommend.NewEngine(model).Recommend(ctx, recommend.Request{Customer: key, N: 5})
	if err != nil {
		return err
	}
	name := func(sku shelfwise.SKU) string { return productName(model, sku) }
	fmt.Fprintf(m.Stdout, "  example: customer %s (pseudonymised), from the hybrid trained on all the data (%.1fs):\n", shelfhttp.ShortID(string(key)), time.Since(t0).Seconds())
	for _, l := range []struct {
		title string
		recs  []shelfwise.Recommendation
	}{
		{"top 5", top},
		{"top 5 new to them", before},
		{fmt.Sprintf("top 5 new to them after adding %s (%s) to the cart, without retraining", cart, name(cart)), after},
	} {
		fmt.Fprintf(m.Stdout, "   %s:\n", l.title)
		if err := writeRecs(m.Stdout, l.recs, name); err != nil {
			return err
		}
	}
	for _, r := range after {
		if r.SKU == cart {
			d.report.ExampleCartReason = r.Reason
		}
	}
	// What the cart page would offer beside it: the products most often in
	// the same basket (association rules, with confidence and lift).
	fbt, err := eng.BoughtTogether(cart, 3)
	if err != nil {
		return err
	}
	if len(fbt) > 0 {
		fmt.Fprintf(m.Stdout, "   bought together with %s (the cart page's suggestions):\n", name(cart))
		if err := writeRecs(m.Stdout, fbt, name); err != nil {
			return err
		}
		d.report.ExampleFBTReason = fbt[0].Reason
	}
	return m.demoSessionExample(ctx, d, eng, top, name)
}

// demoSessionExample shows the list of a visitor who has not signed in and
// looked at two products (the example customer's top two): what the
// session model learned that visitors look at next, beside trending
// products. name is the catalogue's name of a product.
func (m *Main) demoSessionExample(ctx context.Context, d *demoRun, eng *recommend.Engine, top []shelfwise.Recommendation, name func(shelfwise.SKU) string) error {
	if len(top) < 2 {
		return nil
	}
	model := eng.Model()
	const visitor = shelfwise.SessionID("demo-visitor")
	for k, r := range top[:2] {
		ev := shelfwise.Event{Time: model.TrainedAt.Add(time.Duration(k+1) * time.Minute), Session: visitor, Type: shelfwise.EventView, SKU: r.SKU}
		if err := eng.Observe(ev); err != nil {
			return err
		}
	}
	recs, err := eng.Recommend(ctx, recommend.Request{Session: visitor, N: 5})
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "   a visitor, not signed in, who looked at %s, then %s:\n", name(top[0].SKU), name(top[1].SKU))
	for _, r := range recs {
		if r.Source == "session" {
			d.report.ExampleSessionReason = r.Reason
			break
		}
	}
	return writeRecs(m.Stdout, recs, name)
}

// writeRecs prints a recommendation list, a line per item with its reason.
func writeRecs(w io.Writer, recs []shelfwise.Recommendation, name func(shelfwise.SKU) string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for i, r := range recs {
		fmt.Fprintf(tw, "    %d.\t%s\t%s\t%s\n", i+1, r.SKU, name(r.SKU), r.Reason)
	}
	return tw.Flush()
}

// demoHybrid is the default hybrid made lighter for the demo's time budget:
// one validation window, 32 ALS factors, no boosted reranker.
func demoHybrid() recommend.HybridConfig {
	c := recommend.DefaultHybrid
	c.ValidationWindows = 1
	c.ALS.Factors = 32
	c.ALS.Iterations = 8
	c.NoRerank = true
	return c
}

// oracleTrainer ranks items by the simulator's true preference scores: the
// ceiling a recommender could reach on this chain.
func oracleTrainer(t *simulate.Truth) recommend.Trainer {
	return func(_ context.Context, lg *recommend.Log) (recommend.Scorer, error) {
		return oracle{t: t, lg: lg}, nil
	}
}

type oracle struct {
	t  *simulate.Truth
	lg *recommend.Log
}

// Score writes the true preference of the query's customer for every item.
func (o oracle) Score(q *recommend.Query, out []float64) {
	for i := range out {
		if q.User < 0 {
			out[i] = math.Inf(-1)
			continue
		}
		out[i] = o.t.Score(o.lg.Users[q.User], o.lg.Items[i])
	}
}
