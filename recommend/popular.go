package recommend

import (
	"context"
	"math"
	"sync/atomic"
)

// DistinctCustomers counts, for every item, the customers who bought it.
func DistinctCustomers(lg *Log) []float64 {
	pop := make([]float64, lg.NumItems())
	seen := make([]int32, lg.NumItems())
	for i := range seen {
		seen[i] = -1
	}
	for u, h := range lg.Histories {
		for _, e := range h {
			if seen[e.Item] != int32(u) {
				seen[e.Item] = int32(u)
				pop[e.Item]++
			}
		}
	}
	return pop
}

// Popular ranks items by a fixed score for everyone: the "most popular"
// baseline and the trending list.
// Scores must not change once the model scores.
type Popular struct {
	Scores []float64

	norm atomic.Pointer[fixedScores] // Scores normalised (built on first use)
}

// Score copies the item scores.
func (p *Popular) Score(q *Query, out []float64) { copy(out, p.Scores) }

// normalized implements fixedScorer.
func (p *Popular) normalized() *fixedScores { return loadFixed(&p.norm, p.Scores) }

// NewPopular counts distinct customers per item over the whole log.
func NewPopular(lg *Log) *Popular { return &Popular{Scores: DistinctCustomers(lg)} }

// TrainPopular is the Trainer of the "most popular" baseline.
func TrainPopular(_ context.Context, lg *Log) (Scorer, error) { return NewPopular(lg), nil }

// NewTrending scores items by distinct customers weighted by the recency of
// their latest purchase: weight exp(-age/halfLife*ln2). halfLifeDays <= 0
// counts only the last windowDays instead (a plain "popular lately").
func NewTrending(lg *Log, halfLifeDays, windowDays float64) *Popular {
	s := make([]float64, lg.NumItems())
	last := make(map[int32]int64)
	for _, h := range lg.Histories {
		clear(last)
		for _, e := range h {
			last[e.Item] = e.Time
		}
		for it, t := range last {
			age := float64(lg.End-t) / 86400
			switch {
			case halfLifeDays > 0:
				s[it] += math.Exp(-age / halfLifeDays * math.Ln2)
			case age <= windowDays:
				s[it]++
			}
		}
	}
	return &Popular{Scores: s}
}

// OwnHistory is the "own history" baseline: a customer's items ranked by
// their number of purchase lines, ties broken by overall popularity; items
// never bought rank after them by popularity.
type OwnHistory struct {
	pop    []float64
	maxPop float64
}

// TrainOwnHistory is the Trainer of the own-history baseline.
func TrainOwnHistory(_ context.Context, lg *Log) (Scorer, error) {
	pop := DistinctCustomers(lg)
	m := 0.0
	for _, p := range pop {
		m = max(m, p)
	}
	return &OwnHistory{pop: pop, maxPop: m}, nil
}

// Score implements Scorer.
func (o *OwnHistory) Score(q *Query, out []float64) {
	for i := range out {
		out[i] = o.pop[i] / (o.maxPop + 1)
	}
	for _, e := range q.History {
		out[e.Item]++
	}
}
