package main

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/shelfwise/shelfwise"
	"github.com/shelfwise/shelfwise/ingest"
	"github.com/shelfwise/shelfwise/ml/metrics"
	"github.com/shelfwise/shelfwise/recommend"
	"github.com/spf13/cobra"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/stat"
)

// evalRecommendFlags are the flags of "eval recommend".
type evalRecommendFlags struct {
	format, data, model string
	testDays, k         int
	validationDays      int
	newItems, json      bool
	returnWeight        float64
	quantityWeight      float64
	seed                uint64
}

// recommendModels maps --model names to trainers.
var recommendModels = map[string]func(validationDays, k int, newItems bool) recommend.Trainer{
	"hybrid": func(vd, k int, newItems bool) recommend.Trainer {
		cfg := recommend.DefaultHybrid
		cfg.ValidationDays, cfg.K, cfg.NewItems = vd, k, newItems
		return recommend.HybridTrainer(cfg)
	},
	"als":     func(int, int, bool) recommend.Trainer { return recommend.TrainALS },
	"bpr":     func(int, int, bool) recommend.Trainer { return recommend.TrainBPR },
	"itemknn": func(int, int, bool) recommend.Trainer { return recommend.TrainItemKNN },
	"popular": func(int, int, bool) recommend.Trainer { return recommend.TrainPopular },
	"repeat":  func(int, int, bool) recommend.Trainer { return recommend.TrainRepeat },
	"own":     func(int, int, bool) recommend.Trainer { return recommend.TrainOwnHistory },
	"trending": func(int, int, bool) recommend.Trainer {
		return func(_ context.Context, lg *recommend.Log) (recommend.Scorer, error) {
			return recommend.NewTrending(lg, 0, 30), nil
		}
	},
}

// newEvalRecommendCmd is "shelfwise eval recommend".
func (m *Main) newEvalRecommendCmd() *cobra.Command {
	var fl evalRecommendFlags
	cmd := &cobra.Command{
		Use:   "recommend --format NAME --data PATH",
		Short: "Evaluate recommendations on the last days of a purchase log",
		Long: `eval recommend reads a dataset, keeps the purchases (a customer, quantity and
price above 0, not a "C" cancellation invoice, a stock code with a digit),
trains on everything up to the latest purchase minus --test-days x 24 hours
and ranks the whole catalogue for every customer who buys in both periods.
It prints Recall@k, NDCG@k (binary gains), MAP@k, hit rate, catalogue
coverage and popularity bias against the distinct items each customer bought
in the test period. --new-items scores only items the customer never bought
before (excluded from the ranking too).

Beside the model it scores, on the same split, the baselines a retailer has
without it ("baselines" in --json): the customer's own history by number of
order lines (all items only), the most popular items and the most popular of
the last 30 days.

Recall@k and NDCG@k come with 95% bootstrap intervals over the test
customers ("recall_at_10_ci95" and the like in --json), and each baseline
with the model's gain over it, compared customer by customer, and that
gain's interval ("model_gain_recall_at_10_ci95"): an interval above 0 says
the model is ahead beyond the chance of which customers happened to buy in
the test period. The intervals repeat for the same --seed. A last table
("segments") splits the customers by their number of baskets before the
cut (1, 2-3, 4-7, 8-15, 16+; 0 for customers known only by their
events) and gives the model's Recall@k beside the
strongest baseline's in each, with the gain's interval: where the model
wins and where it does not yet.

The hybrid tunes its blend weights and reranker on a validation period
carved from the end of the training data (--validation-days), never on the
test period.

Models: hybrid (default), als, bpr, itemknn, popular, trending (popular in the
last 30 days), repeat (own history with buying cycle and recency), own (own
history by number of lines).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return m.runEvalRecommend(cmd.Context(), fl) },
	}
	f := cmd.Flags()
	f.StringVar(&fl.format, "format", "", "format of the data: "+strings.Join(ingest.FormatNames(), ", "))
	f.StringVar(&fl.data, "data", "", "file, or folder of a multi-file dataset")
	f.IntVar(&fl.testDays, "test-days", 30, "length of the test period in days")
	f.IntVar(&fl.validationDays, "validation-days", 0, "validation period carved from the end of training (default: --test-days)")
	f.IntVar(&fl.k, "k", 10, "length of the ranked lists")
	f.StringVar(&fl.model, "model", "hybrid", "model: hybrid, als, bpr, itemknn, popular, trending, repeat, own")
	f.BoolVar(&fl.newItems, "new-items", false, "score only items the customer has not bought before")
	f.Float64Var(&fl.returnWeight, "return-weight", recommend.DefaultWeights.Return, "how much returned units lower a purchase's weight (0 = ignore returns, 1 = a full return cancels it)")
	f.Float64Var(&fl.quantityWeight, "quantity-weight", recommend.DefaultWeights.Quantity, "weight of log(1 + units) on each purchase line (0 = every line counts the same)")
	f.Uint64Var(&fl.seed, "seed", 1, "seed of the evaluation's pseudonyms (customer order, validation sample)")
	f.BoolVar(&fl.json, "json", false, "print one JSON object")
	return cmd
}

func (m *Main) runEvalRecommend(ctx context.Context, fl evalRecommendFlags) error {
	start := time.Now()
	if fl.format == "" || fl.data == "" {
		return shelfwise.Errorf(shelfwise.EINVALID, "eval recommend needs --format NAME and --data PATH")
	}
	mk, ok := recommendModels[fl.model]
	if !ok {
		return shelfwise.Errorf(shelfwise.EINVALID, "unknown --model %q (hybrid, als, bpr, itemknn, popular, trending, repeat, own)", fl.model)
	}
	if fl.testDays <= 0 || fl.k <= 0 {
		return shelfwise.Errorf(shelfwise.EINVALID, "--test-days and --k must be positive")
	}
	if fl.validationDays <= 0 {
		fl.validationDays = fl.testDays
	}
	// The evaluation keeps nothing and prints no identifier, so its
	// pseudonymisation key comes from --seed: customer order (and with it
	// the validation sample and ties) is then the same on every run.
	var sb [8]byte
	binary.LittleEndian.PutUint64(sb[:], fl.seed)
	sum := sha256.Sum256(append([]byte("shelfwise eval recommend pseudonyms "), sb[:]...))
	key := sum[:]
	var mem ingest.Memory
	if _, err := ingest.Read(ctx, fl.format, fl.data, ingest.Options{Pseudonymizer: shelfwise.NewPseudonymizer(key)}, &mem); err != nil {
		return err
	}
	ps := recommend.PurchasesFromLines(mem.OrderLines)
	if len(ps) == 0 {
		return shelfwise.Errorf(shelfwise.EINVALID, "%s has no purchases to recommend from: %s", fl.data, recommend.WhyNoPurchases(mem.OrderLines))
	}
	var trained recommend.Scorer
	train := mk(fl.validationDays, fl.k, fl.newItems)
	w := recommend.DefaultWeights
	w.Return, w.Quantity = fl.returnWeight, fl.quantityWeight
	xs := append(recommend.ReturnsFromLines(mem.OrderLines), recommend.InteractionsFromEvents(mem.Events)...)
	proto := recommend.Protocol{TestDays: fl.testDays, K: fl.k, NewItems: fl.newItems, Interactions: xs, Weights: &w}
	tctx := ctx
	if fl.model == "hybrid" {
		var done func()
		tctx, done = m.recommendProgress(ctx, "training the hybrid")
		defer done()
	}
	// The baselines a retailer has without us are scored after the model,
	// on the same split.
	trainers := []recommend.Trainer{func(ctx context.Context, lg *recommend.Log) (recommend.Scorer, error) {
		s, err := train(ctx, lg)
		trained = s
		return s, err
	}}
	var bases []recommendBaseline
	for _, b := range recommendBaselines(fl.newItems) {
		if b.model != fl.model {
			bases = append(bases, b)
			trainers = append(trainers, recommendModels[b.model](fl.validationDays, fl.k, fl.newItems))
		}
	}
	results, err := recommend.EvaluateEach(tctx, ps, proto, trainers...)
	if err != nil {
		if n := len(results); n > 0 {
			return fmt.Errorf("baseline %s: %w", bases[n-1].model, err)
		}
		return err
	}
	res := results[0]
	if res.Users == 0 {
		what := "bought in both the training and the test period"
		if fl.newItems {
			what = "bought a product new to them in the test period"
		}
		lines := "lines"
		if res.TestLines == 1 {
			lines = "line"
		}
		return shelfwise.Errorf(shelfwise.EINVALID, "%s: no customer %s (cut %s, %d test %s): nothing to score",
			fl.data, what, res.Cut.Format(time.DateTime), res.TestLines, lines)
	}
	k := fmt.Sprint(fl.k)
	// 95% bootstrap intervals over the test customers: of the model's
	// means, and of its gain over each baseline customer by customer.
	recallCI, ndcgCI := interval95(res.UserRecall, fl.seed), interval95(res.UserNDCG, fl.seed)
	out := map[string]any{
		"model": fl.model, "format": fl.format, "new_items": fl.newItems, "test_days": fl.testDays, "k": fl.k,
		"recall_at_" + k: res.Recall, "ndcg_at_" + k: res.NDCG, "map_at_" + k: res.MAP, "hit_rate_at_" + k: res.HitRate,
		"recall_at_" + k + "_ci95": ciJSON(recallCI), "ndcg_at_" + k + "_ci95": ciJSON(ndcgCI),
		"coverage": res.Coverage, "popularity_bias": res.PopularityBias,
		"users": res.Users, "items": res.Items, "train_users": res.TrainUsers, "train_pairs": res.TrainPairs,
		"train_lines": res.TrainLines, "test_lines": res.TestLines, "cut": res.Cut.Format(time.DateTime),
		"interactions": len(xs), "return_weight": w.Return, "quantity_weight": w.Quantity,
		"train_seconds": res.TrainSeconds, "seconds": time.Since(start).Seconds(),
	}
	if h, ok := trained.(*recommend.Hybrid); ok {
		out["validation_days"] = fl.validationDays
		out["validation_objective"] = h.ValidationScore
		out["reranker"] = h.Rerank != nil
		out["reranker_validation_gain"] = h.RerankGain
		if h.Rerank != nil {
			out["reranker_blend"] = h.Rerank.Blend
			out["reranker_top"] = h.Rerank.Top
			if h.Rerank.Trees != nil {
				out["reranker_trees"] = h.Rerank.Trees.NumTrees()
			}
		}
		out["weights"] = h.Weights()
	}
	baseOut := map[string]any{}
	var baseRows []Row
	for i, b := range bases {
		br := results[1+i]
		gainR, gainN := gainInterval95(res.UserRecall, br.UserRecall, fl.seed), gainInterval95(res.UserNDCG, br.UserNDCG, fl.seed)
		baseOut[b.model] = map[string]any{"recall_at_" + k: br.Recall, "ndcg_at_" + k: br.NDCG, "map_at_" + k: br.MAP, "hit_rate_at_" + k: br.HitRate,
			"model_gain_recall_at_" + k: res.Recall - br.Recall, "model_gain_recall_at_" + k + "_ci95": ciJSON(gainR),
			"model_gain_ndcg_at_" + k: res.NDCG - br.NDCG, "model_gain_ndcg_at_" + k + "_ci95": ciJSON(gainN)}
		baseRows = append(baseRows,
			Row{fmt.Sprintf("baseline %s: Recall@%s / NDCG@%s", b.name, k, k), fmt.Sprintf("%.4f / %.4f", br.Recall, br.NDCG)},
			Row{"  the model's gain over it (95% interval)", fmt.Sprintf("%+.4f (%s) / %+.4f (%s)", res.Recall-br.Recall, gainText(gainR), res.NDCG-br.NDCG, gainText(gainN))})
	}
	out["baselines"] = baseOut
	// Where the model wins: by the customer's number of baskets before the
	// cut, against the strongest baseline.
	var (
		segs []basketSegment
		base recommendBaseline // the strongest baseline, which segs compare with
	)
	if len(bases) > 0 {
		strongest := 0
		for i := range bases {
			if results[1+i].Recall > results[1+strongest].Recall {
				strongest = i
			}
		}
		base = bases[strongest]
		segs = basketSegments(res, results[1+strongest], fl.seed)
		js := make([]map[string]any, len(segs))
		for i, sg := range segs {
			js[i] = map[string]any{"baskets": sg.label, "customers": sg.customers,
				"recall_at_" + k: sg.recall, "ndcg_at_" + k: sg.ndcg, "baseline": base.model,
				"baseline_recall_at_" + k: sg.baseRecall, "model_gain_recall_at_" + k + "_ci95": ciJSON(sg.gain)}
		}
		out["segments"] = js
	}
	if fl.json {
		return writeJSON(m.Stdout, out)
	}
	rows := []Row{
		{"model", fl.model}, {"new items only", fl.newItems}, {"test days", fl.testDays}, {"cut", out["cut"]},
		{"Recall@" + k, res.Recall}, {"  95% interval", ciText(recallCI)}, {"NDCG@" + k, res.NDCG}, {"  95% interval", ciText(ndcgCI)},
		{"MAP@" + k, res.MAP}, {"hit rate@" + k, res.HitRate},
		{"coverage", res.Coverage}, {"popularity bias", res.PopularityBias},
	}
	rows = append(rows, baseRows...)
	rows = append(rows, []Row{
		{"test users", res.Users}, {"items", res.Items}, {"train users", res.TrainUsers}, {"train pairs", res.TrainPairs},
		{"train seconds", res.TrainSeconds}, {"seconds", out["seconds"]},
	}...)
	if err := writeTable(m.Stdout, "Recommendations on "+fl.data, rows); err != nil {
		return err
	}
	return writeSegments(m.Stdout, segs, fl.model, base.name, k)
}

// basketSegment is eval recommend's result for the customers with a given
// number of baskets before the cut, beside a baseline's.
type basketSegment struct {
	label        string
	customers    int
	recall, ndcg float64
	baseRecall   float64
	gain         metrics.Interval // of the Recall@k gain over the baseline
}

// basketBounds are the segments' upper bounds: 0 (customers known only by
// their views, carts or returns), 1, 2-3, 4-7, 8-15, 16+.
var basketBounds = []int{0, 1, 3, 7, 15, math.MaxInt}

// basketSegments splits res and base (the same customers, in the same
// order) by the customers' baskets before the cut; empty segments are
// left out.
func basketSegments(res, base recommend.EvalResult, seed uint64) []basketSegment {
	var out []basketSegment
	lo := 0
	for _, hi := range basketBounds {
		var r, n, br []float64
		for i, nb := range res.UserBaskets {
			if nb >= lo && nb <= hi {
				r, n, br = append(r, res.UserRecall[i]), append(n, res.UserNDCG[i]), append(br, base.UserRecall[i])
			}
		}
		label := fmt.Sprintf("%d-%d", lo, hi)
		switch {
		case hi == math.MaxInt:
			label = fmt.Sprintf("%d+", lo)
		case lo == hi:
			label = fmt.Sprint(lo)
		}
		if len(r) > 0 {
			out = append(out, basketSegment{label: label, customers: len(r), recall: stat.Mean(r, nil), ndcg: stat.Mean(n, nil),
				baseRecall: stat.Mean(br, nil), gain: gainInterval95(r, br, seed)})
		}
		if hi < math.MaxInt {
			lo = hi + 1
		}
	}
	return out
}

// writeSegments prints the results by segment, beside the baseline's, as
// a table.
func writeSegments(w io.Writer, segs []basketSegment, model, baseline, k string) error {
	if len(segs) == 0 {
		return nil
	}
	fmt.Fprintf(w, "\nBy the customer's baskets before the cut, Recall@%s against the strongest baseline (%s):\n", k, baseline)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "  baskets\tcustomers\t%s\t%s\tgain (95%% interval)\n", model, baseline)
	for _, sg := range segs {
		fmt.Fprintf(tw, "  %s\t%d\t%.4f\t%.4f\t%+.4f (%s)\n", sg.label, sg.customers, sg.recall, sg.baseRecall, sg.recall-sg.baseRecall, gainText(sg.gain))
	}
	return tw.Flush()
}

// evalDraws is the number of bootstrap resamples of the test customers
// behind the recommendation intervals (eval recommend, the demo, the
// service's model metrics).
const evalDraws = 2000

// interval95 is the 95% bootstrap interval of the mean of a per-customer
// metric, seeded.
func interval95(xs []float64, seed uint64) metrics.Interval {
	return metrics.BootstrapMean(xs, 0.95, evalDraws, seed)
}

// gainInterval95 is the 95% interval of one model's gain over another,
// compared customer by customer: interval95 of a[i] - b[i].
func gainInterval95(a, b []float64, seed uint64) metrics.Interval {
	return interval95(floats.SubTo(make([]float64, len(a)), a, b), seed)
}

// ciJSON is an interval as [lo, hi] for --json; nil (null) when there is
// none (no test customers: NaN bounds, which JSON cannot hold).
func ciJSON(iv metrics.Interval) []float64 {
	if math.IsNaN(iv.Lo) || math.IsNaN(iv.Hi) {
		return nil
	}
	return []float64{iv.Lo, iv.Hi}
}

// ciText is an interval as "lo .. hi".
func ciText(iv metrics.Interval) string { return fmt.Sprintf("%.4f .. %.4f", iv.Lo, iv.Hi) }

// gainText is an interval of gains as "+lo .. +hi".
func gainText(iv metrics.Interval) string { return fmt.Sprintf("%+.4f .. %+.4f", iv.Lo, iv.Hi) }

// recommendBaseline is a baseline of eval recommend: its --model name and
// what it is.
type recommendBaseline struct{ model, name string }

// recommendBaselines are the baselines eval recommend scores beside the
// model: the customer's own history by number of lines (not for new
// items, which leave it nothing to rank), the most popular items (distinct
// customers) and the most popular of the last 30 days.
func recommendBaselines(newItems bool) []recommendBaseline {
	bs := []recommendBaseline{{"own", "own history"}, {"popular", "most popular"}, {"trending", "popular in the last 30 days"}}
	if newItems {
		return bs[1:]
	}
	return bs
}
