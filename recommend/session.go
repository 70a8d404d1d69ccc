package recommend

import (
	"context"
	"math"
)

// SessionConfig sets up the session next-item model.
type SessionConfig struct {
	// K transitions kept per item.
	K int
	// Decay weights the session's items by Decay^(steps back from the
	// latest), so the latest item counts most.
	Decay float64
}

// DefaultSession keeps 50 transitions per item and halves the weight of
// each older session item.
var DefaultSession = SessionConfig{K: 50, Decay: 0.5}

// SessionModel holds item-to-item transitions: what customers buy in their
// next basket after buying an item (or view next, for live sessions).
type SessionModel struct {
	Cfg  SessionConfig
	Next [][]Neighbor // Next[a]: items b with P(b next | a)
}

// NewSessionModel counts transitions between each customer's consecutive
// baskets.
func NewSessionModel(ctx context.Context, lg *Log, cfg SessionConfig) (*SessionModel, error) {
	n := lg.NumItems()
	counts := make([]map[int32]float64, n)
	for u, h := range lg.Histories {
		if u%256 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var prev, cur []int32
		curBasket := int32(-1)
		flush := func() {
			for _, a := range prev {
				if counts[a] == nil {
					counts[a] = map[int32]float64{}
				}
				for _, b := range cur {
					if a != b {
						counts[a][b] += 1 / float64(len(cur))
					}
				}
			}
			prev = cur
			cur = nil
		}
		for _, e := range h {
			if e.Basket != curBasket {
				if cur != nil {
					flush()
				}
				curBasket = e.Basket
			}
			cur = append(cur, e.Item)
		}
		if cur != nil {
			flush()
		}
	}
	m := &SessionModel{Cfg: cfg, Next: make([][]Neighbor, n)}
	buf := make([]float64, n)
	for a, c := range counts {
		if len(c) == 0 {
			continue
		}
		for i := range buf {
			buf[i] = math.Inf(-1)
		}
		total := 0.0
		for b, v := range c {
			buf[b] = v
			total += v
		}
		for _, b := range TopK(buf, cfg.K) {
			m.Next[a] = append(m.Next[a], Neighbor{Item: b, Sim: float32(buf[b] / total)})
		}
	}
	return m, nil
}

// ScoreSession scores items as next steps after the session's items
// (oldest first).
func (m *SessionModel) ScoreSession(items []int32, out []float64) {
	clear(out)
	w := 1.0
	for k := len(items) - 1; k >= 0; k-- {
		for _, nb := range m.Next[items[k]] {
			out[nb.Item] += w * float64(nb.Sim)
		}
		w *= m.Cfg.Decay
	}
}

// Score implements Scorer on the customer's latest basket.
func (m *SessionModel) Score(q *Query, out []float64) {
	m.ScoreSession(lastBasketItems(q.History), out)
}
