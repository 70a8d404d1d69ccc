package main

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/shelfwise/shelfwise"
	"github.com/shelfwise/shelfwise/recommend"
	"github.com/shelfwise/shelfwise/simulate"
)

// demoTestDays is the length of the demo's recommendation test period.
const demoTestDays = 28

// demoRecommend evaluates recommendations on the simulated chain with the
// temporal protocol of "eval recommend" (last 28 days as test, Recall@10 and
// NDCG@10 on what customers then bought): the hybrid against "most popular"
// and the customer's own history, and against an oracle that ranks by the
// simulator's true preferences.
func (m *Main) demoRecommend(ctx context.Context, d *demoRun) error {
	t0 := time.Now()
	var lines []shelfwise.OrderLine
	err := d.db.OrderLines(ctx, shelfwise.OrderFilter{Kinds: []shelfwise.LineKind{shelfwise.LineSale}, ProductsOnly: true},
		func(l shelfwise.OrderLine) error {
			lines = append(lines, l)
			return nil
		})
	if err != nil {
		return err
	}
	ps := recommend.PurchasesFromLines(lines)
	proto := recommend.Protocol{TestDays: demoTestDays, K: 10}
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
	d.report.RecommendUsers = users
	fmt.Fprintf(m.Stdout, "\n5. Recommendations: last %d days held out, %d customers scored (%.1fs):\n", demoTestDays, users, time.Since(t0).Seconds())
	if err := writeTable(m.Stdout, "", rows); err != nil {
		return err
	}
	d.results = append(d.results, Row{"recommend NDCG@10 (hybrid / most popular)", fmt.Sprintf("%.3f / %.3f", hybrid, popular)})
	return nil
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
