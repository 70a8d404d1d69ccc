package recommend

import (
	"context"
	"math"
	"math/rand/v2"
)

// BPRConfig sets up Bayesian personalised ranking (Rendle et al. 2009)
// trained by stochastic gradient ascent with uniform negative sampling.
type BPRConfig struct {
	Factors int
	Epochs  int // each epoch draws as many triples as there are pairs
	Rate    float64
	Reg     float64
	Seed    uint64
}

// DefaultBPR is a sound starting point for retail purchase logs.
var DefaultBPR = BPRConfig{Factors: 64, Epochs: 40, Rate: 0.05, Reg: 0.002, Seed: 1}

// BPR holds user and item factors (row-major) and item biases.
type BPR struct {
	Cfg  BPRConfig
	U, V []float64
	Bias []float64
	f    int
}

// TrainBPR is the Trainer of BPR with DefaultBPR.
func TrainBPR(ctx context.Context, lg *Log) (Scorer, error) { return NewBPR(ctx, lg, DefaultBPR) }

// NewBPR trains BPR. It is sequential (deterministic for a seed).
func NewBPR(ctx context.Context, lg *Log, cfg BPRConfig) (*BPR, error) {
	f := cfg.Factors
	m := &BPR{Cfg: cfg, f: f, U: make([]float64, lg.NumUsers()*f), V: make([]float64, lg.NumItems()*f), Bias: make([]float64, lg.NumItems())}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0xb9))
	for i := range m.U {
		m.U[i] = rng.NormFloat64() * 0.1
	}
	for i := range m.V {
		m.V[i] = rng.NormFloat64() * 0.1
	}
	type pair struct{ u, i int32 }
	var pairs []pair
	pos := make([]map[int32]bool, lg.NumUsers())
	for u, h := range lg.Histories {
		items, _ := UserItems(h)
		pos[u] = make(map[int32]bool, len(items))
		for _, it := range items {
			pairs = append(pairs, pair{int32(u), it})
			pos[u][it] = true
		}
	}
	if len(pairs) == 0 || lg.NumItems() < 2 {
		return m, nil
	}
	n := lg.NumItems()
	grad := make([]float64, f)
	for ep := 0; ep < cfg.Epochs; ep++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		for s := 0; s < len(pairs); s++ {
			p := pairs[rng.IntN(len(pairs))]
			j := int32(rng.IntN(n))
			for tries := 0; pos[p.u][j] && tries < 10; tries++ {
				j = int32(rng.IntN(n))
			}
			if pos[p.u][j] {
				continue
			}
			m.step(int(p.u), int(p.i), int(j), grad)
		}
	}
	return m, nil
}

// step takes one gradient step on the triple (u prefers i over j).
func (m *BPR) step(u, i, j int, grad []float64) {
	f := m.f
	uu, vi, vj := m.U[u*f:(u+1)*f], m.V[i*f:(i+1)*f], m.V[j*f:(j+1)*f]
	x := m.Bias[i] - m.Bias[j]
	for k := range uu {
		x += uu[k] * (vi[k] - vj[k])
	}
	g := 1 / (1 + math.Exp(x)) // sigmoid(-x)
	lr, reg := m.Cfg.Rate, m.Cfg.Reg
	for k := range uu {
		grad[k] = g*(vi[k]-vj[k]) - reg*uu[k]
		vi[k] += lr * (g*uu[k] - reg*vi[k])
		vj[k] += lr * (-g*uu[k] - reg*vj[k])
		uu[k] += lr * grad[k]
	}
	m.Bias[i] += lr * (g - reg*m.Bias[i])
	m.Bias[j] += lr * (-g - reg*m.Bias[j])
}

// Score implements Scorer. An unknown or changed customer is scored by the
// mean of the factors of the items in the history (a fold-in that needs no
// solve).
func (m *BPR) Score(q *Query, out []float64) {
	f := m.f
	var uu []float64
	if q.User >= 0 && !q.Changed && (q.User+1)*f <= len(m.U) {
		uu = m.U[q.User*f : (q.User+1)*f]
	} else {
		uu = make([]float64, f)
		items, _ := UserItems(q.History)
		for _, it := range items {
			v := m.V[int(it)*f : int(it+1)*f]
			for k := range uu {
				uu[k] += v[k] / float64(len(items))
			}
		}
	}
	for i := range out {
		out[i] = m.Bias[i] + dot(uu, m.V[i*f:(i+1)*f])
	}
}
