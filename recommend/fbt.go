package recommend

import (
	"context"
	"math"
)

// Rule is an association rule "baskets with the antecedent also hold Item".
type Rule struct {
	Item int32
	// Count is the number of baskets holding both items.
	Count int
	// Support is Count over all baskets; Confidence is Count over the
	// baskets holding the antecedent; Lift is Confidence over the share of
	// baskets holding Item.
	Support, Confidence, Lift float64
}

// FBTConfig sets up frequently-bought-together mining.
type FBTConfig struct {
	// MinCount is the fewest baskets a pair must share.
	MinCount int
	// MinLift drops pairs that co-occur no more than chance.
	MinLift float64
	// K rules kept per item, by confidence.
	K int
}

// DefaultFBT keeps 20 rules per item seen together in at least 3 baskets.
var DefaultFBT = FBTConfig{MinCount: 3, MinLift: 1, K: 20}

// FBT holds the association rules of every item.
type FBT struct {
	Cfg   FBTConfig
	Rules [][]Rule
}

// NewFBT mines the baskets of lg.
func NewFBT(ctx context.Context, lg *Log, cfg FBTConfig) (*FBT, error) {
	m := &FBT{Cfg: cfg, Rules: make([][]Rule, lg.NumItems())}
	nb := float64(len(lg.Baskets))
	scratch := make([][]float64, workers())
	err := cooccurrence(ctx, lg.NumItems(), lg.Baskets, func(w, i int, c, n []float32) {
		if scratch[w] == nil {
			scratch[w] = make([]float64, len(c))
		}
		conf := scratch[w]
		for j, cij := range c {
			conf[j] = math.Inf(-1)
			if int(cij) < cfg.MinCount || n[i] == 0 {
				continue
			}
			cf := float64(cij) / float64(n[i])
			if lift := cf / (float64(n[j]) / nb); lift > cfg.MinLift {
				conf[j] = cf
			}
		}
		top := TopK(conf, cfg.K)
		rs := make([]Rule, len(top))
		for k, j := range top {
			cf := conf[j]
			rs[k] = Rule{Item: j, Count: int(c[j]), Support: float64(c[j]) / nb, Confidence: cf, Lift: cf / (float64(n[j]) / nb)}
		}
		m.Rules[i] = rs
	})
	return m, err
}

// Score implements Scorer: items ranked by their confidence given the items
// of the customer's latest basket.
func (m *FBT) Score(q *Query, out []float64) {
	clear(out)
	for _, it := range lastBasketItems(q.History) {
		for _, r := range m.Rules[it] {
			out[r.Item] += r.Confidence
		}
	}
}

// lastBasketItems returns the items of the latest basket of a history (or
// of the last hour of live events, which have no basket).
func lastBasketItems(h []Event) []int32 {
	var out []int32
	for k, start := len(h)-1, lastBasketStart(h); k >= start; k-- {
		out = append(out, h[k].Item)
	}
	return out
}

// lastBasketStart is the index in h of the first event of its latest
// basket (len(h) for an empty history): lastBasketItems are the items of
// h[lastBasketStart(h):], latest first.
func lastBasketStart(h []Event) int {
	if len(h) == 0 {
		return 0
	}
	last := h[len(h)-1]
	k := len(h) - 1
	for ; k >= 0; k-- {
		e := h[k]
		if e.Basket != last.Basket && last.Time-e.Time > 3600 {
			break
		}
	}
	return k + 1
}
