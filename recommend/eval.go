package recommend

import (
	"context"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/shelfwise/shelfwise"
)

// Query is what a Scorer scores: one customer's purchase history (in the
// training log's item space, time order) at a moment.
type Query struct {
	// User is the customer's index in the training log, -1 for a customer
	// the model has not seen.
	User int
	// History is the customer's purchases, oldest first.
	History []Event
	// Changed is true when History holds events the model was not trained
	// on: latent-factor models then fold the customer in again.
	Changed bool
	// Now is the scoring time (Unix seconds).
	Now int64
	// Signals are the customer's views, carts and returns in the training
	// log (they shape the implicit-feedback profiles).
	Signals []Signal
	// UserVec, when set, is the customer's already folded-in latent vector
	// (the Engine caches it per customer after each live event).
	UserVec []float64

	// summary caches Summarize(History) for components scored together.
	summary *Summary
}

// Summary returns the summary of the query's history, computed once.
func (q *Query) Summary() *Summary {
	if q.summary == nil {
		q.summary = Summarize(q.History)
	}
	return q.summary
}

// Scorer scores every item of the training log for a query. Implementations
// are safe for concurrent use once trained.
type Scorer interface {
	// Score writes one score per item into out (len = number of items);
	// higher is better. Items it cannot rank get -Inf.
	Score(q *Query, out []float64)
}

// Trainer fits a Scorer on a training log. Trainers that tune themselves
// (the hybrid) carve their validation period from the end of this log.
type Trainer func(ctx context.Context, lg *Log) (Scorer, error)

// Protocol is the temporal evaluation protocol.
type Protocol struct {
	// TestDays: the test period is the last TestDays x 24 hours before the
	// latest purchase; everything at or before the cut is training.
	TestDays int
	// K is the length of the ranked lists.
	K int
	// NewItems scores only items the customer never bought in training,
	// which are then excluded from the ranking.
	NewItems bool
	// Interactions are views, carts and returns; those at or before the
	// cut join the training log. They never change the relevant sets,
	// which are purchases only.
	Interactions []Interaction
	// Weights, when non-zero, replace DefaultWeights in the training log.
	Weights *Weights
}

// EvalResult is the outcome of an evaluation.
type EvalResult struct {
	Metrics
	Items        int
	TrainUsers   int
	TrainPairs   int
	TrainLines   int
	TestLines    int
	Cut          time.Time
	TrainSeconds float64
	// UserRecall and UserNDCG are each evaluated customer's Recall@k and
	// NDCG@k (Recall and NDCG are their means), in the same customer order
	// for every model of one EvaluateEach call, so two models compare
	// customer by customer (see metrics.BootstrapMean).
	UserRecall, UserNDCG []float64
	// UserBaskets is each evaluated customer's number of baskets before
	// the cut, in the same order: for results by segment.
	UserBaskets []int
}

// SplitAt splits purchases into those at or before cut and those after it.
func SplitAt(ps []Purchase, cut time.Time) (train, test []Purchase) {
	for _, p := range ps {
		if p.Time.After(cut) {
			test = append(test, p)
		} else {
			train = append(train, p)
		}
	}
	return train, test
}

// CutTime is the latest purchase time minus days x 24 hours.
func CutTime(ps []Purchase, days int) time.Time {
	var last time.Time
	for _, p := range ps {
		if p.Time.After(last) {
			last = p.Time
		}
	}
	return last.Add(-time.Duration(days) * 24 * time.Hour)
}

// Evaluate runs the protocol: split at the cut, train on the earlier part,
// rank all training items for every customer who buys in both periods and
// score the lists against the distinct items each bought in the test period.
func Evaluate(ctx context.Context, ps []Purchase, p Protocol, train Trainer) (EvalResult, error) {
	res, err := EvaluateEach(ctx, ps, p, train)
	if err != nil {
		return EvalResult{}, err
	}
	return res[0], nil
}

// EvaluateEach is Evaluate for several trainers on one split (the split,
// training log and held-out purchases are built once), in order. On an
// error it returns the results of the trainers before the one that failed,
// so len(results) names it.
func EvaluateEach(ctx context.Context, ps []Purchase, p Protocol, trainers ...Trainer) ([]EvalResult, error) {
	if p.TestDays <= 0 || p.K <= 0 {
		return nil, shelfwise.Errorf(shelfwise.EINVALID, "test days and k must be positive")
	}
	cut := CutTime(ps, p.TestDays)
	trainPs, testPs := SplitAt(ps, cut)
	if len(trainPs) == 0 || len(testPs) == 0 { // the test period covers the whole log
		first := ps[0].Time
		for _, q := range ps {
			if q.Time.Before(first) {
				first = q.Time
			}
		}
		return nil, shelfwise.Errorf(shelfwise.EINVALID, "a %d-day test period leaves no purchases before its cut %s: the first purchase is at %s",
			p.TestDays, cut.Format(time.DateTime), first.Format(time.DateTime))
	}
	lg := NewLog(trainPs)
	if p.Weights != nil {
		lg.Weights = *p.Weights
	}
	var xs []Interaction
	for _, x := range p.Interactions {
		if !x.Time.After(cut) {
			xs = append(xs, x)
		}
	}
	lg.AddInteractions(xs)
	sets := heldOutSets(lg, testPs, p.NewItems)
	baskets := make([]int, len(sets))
	for i, h := range sets {
		baskets[i], _ = basketCounts(lg.Histories[h.user], 0) // Summarize's count
	}
	pop := popularityPercentile(lg)
	out := make([]EvalResult, 0, len(trainers))
	for _, train := range trainers {
		start := time.Now()
		sc, err := train(ctx, lg)
		if err != nil {
			return out, err
		}
		res := EvalResult{Items: lg.NumItems(), TrainUsers: lg.NumUsers(), TrainPairs: lg.Pairs(),
			TrainLines: len(trainPs), TestLines: len(testPs), Cut: cut, TrainSeconds: time.Since(start).Seconds()}
		acc, err := scoreHeldOut(ctx, lg, sc, sets, pop, cut.Unix(), p)
		if err != nil {
			return out, err
		}
		res.Metrics = acc.Result()
		res.UserRecall, res.UserNDCG = acc.PerUser()
		res.UserBaskets = baskets
		out = append(out, res)
	}
	return out, nil
}

// heldOut is one evaluated customer: the relevant items and their count
// (which may include items outside the catalogue).
type heldOut struct {
	user     int
	relevant map[int32]bool
	n        int
}

// heldOutSets builds the relevant sets of the customers who appear in both
// the log and the held-out purchases, in user order.
func heldOutSets(lg *Log, test []Purchase, newItems bool) []heldOut {
	bought := map[int]map[shelfwise.SKU]bool{}
	for _, p := range test {
		u := lg.User(p.Customer)
		if u < 0 {
			continue
		}
		if bought[u] == nil {
			bought[u] = map[shelfwise.SKU]bool{}
		}
		bought[u][p.SKU] = true
	}
	users := make([]int, 0, len(bought))
	for u := range bought {
		users = append(users, u)
	}
	sort.Ints(users)
	var out []heldOut
	for _, u := range users {
		var own map[int32]bool
		if newItems {
			own = map[int32]bool{}
			for _, e := range lg.Histories[u] {
				own[e.Item] = true
			}
		}
		h := heldOut{user: u, relevant: map[int32]bool{}}
		for s := range bought[u] {
			it := lg.Item(s)
			if it >= 0 && own[int32(it)] {
				continue
			}
			h.n++
			if it >= 0 {
				h.relevant[int32(it)] = true
			}
		}
		if h.n > 0 {
			out = append(out, h)
		}
	}
	return out
}

// scoreHeldOut ranks the catalogue for every held-out customer in parallel
// and accumulates the metrics, customers in the order of sets.
func scoreHeldOut(ctx context.Context, lg *Log, sc Scorer, sets []heldOut, pop []float64, now int64, p Protocol) (*MetricsAccumulator, error) {
	lists := rankAll(ctx, lg, sc, sets, now, p.K, p.NewItems)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	acc := NewMetricsAccumulator(p.K, lg.NumItems(), pop)
	for i, h := range sets {
		acc.Add(lists[i], h.relevant, h.n)
	}
	return acc, nil
}

// rankAll returns the top-k list of every held-out customer.
func rankAll(ctx context.Context, lg *Log, sc Scorer, sets []heldOut, now int64, k int, newItems bool) [][]int32 {
	lists := make([][]int32, len(sets))
	bufs := make([][]float64, workers())
	parallelFor(len(sets), func(w, i int) {
		if ctx.Err() != nil {
			return
		}
		if bufs[w] == nil {
			bufs[w] = make([]float64, lg.NumItems())
		}
		out := bufs[w]
		u := sets[i].user
		sc.Score(&Query{User: u, History: lg.Histories[u], Signals: lg.signals(u), Now: now}, out)
		if newItems {
			for _, e := range lg.Histories[u] {
				out[e.Item] = math.Inf(-1)
			}
		}
		lists[i] = TopK(out, k)
	})
	return lists
}

// popularityPercentile ranks items by their number of distinct customers:
// 1 for the most popular, 0 for the least.
func popularityPercentile(lg *Log) []float64 {
	n := lg.NumItems()
	pop := DistinctCustomers(lg)
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return pop[order[a]] < pop[order[b]] })
	out := make([]float64, n)
	for r, i := range order {
		if n > 1 {
			out[i] = float64(r) / float64(n-1)
		} else {
			out[i] = 1
		}
	}
	return out
}

// String formats the headline metrics.
func (m Metrics) String() string {
	return fmt.Sprintf("recall@%d=%.4f ndcg@%d=%.4f map@%d=%.4f hit@%d=%.4f coverage=%.4f users=%d",
		m.K, m.Recall, m.K, m.NDCG, m.K, m.MAP, m.K, m.HitRate, m.Coverage, m.Users)
}
