package propensity

import (
	"context"
	"time"

	"github.com/shelfwise/shelfwise"
	"github.com/shelfwise/shelfwise/ml/metrics"
)

// Quantized returns a copy of m whose network scores with int8 weights
// (nil if m has no network).
func (m *Model) Quantized() *Model {
	if m.Net == nil {
		return nil
	}
	c := *m
	c.quant = m.Net.Quantize()
	return &c
}

// Pruned returns a copy of m whose network has the fraction frac of each
// layer's smallest weights set to zero (nil if m has no network).
func (m *Model) Pruned(frac float64) *Model {
	if m.Net == nil {
		return nil
	}
	c := *m
	c.Net = m.Net.Prune(frac)
	c.quant = nil
	return &c
}

// Compression compares the network stored in float32 with its int8 form
// and a 50%-pruned copy on a set of (held-out) sessions.
type Compression struct {
	Float32Bytes int     `json:"float32_bytes"`
	Int8Bytes    int     `json:"int8_bytes"`
	Ratio        float64 `json:"ratio"`
	AUC          float64 `json:"auc"`
	AUCInt8      float64 `json:"auc_int8"`
	AUCPruned50  float64 `json:"auc_pruned50"`
	// Int8RowsPerS is the int8 network's scoring throughput on the
	// sessions' encoded rows (all cores; encoding excluded).
	Int8RowsPerS float64 `json:"int8_rows_per_s"`
}

// CompressNet measures Compression for m's network on sessions; ok is
// false when m has no network.
func (m *Model) CompressNet(ctx context.Context, ss []shelfwise.Session) (Compression, bool, error) {
	if m.Net == nil {
		return Compression{}, false, nil
	}
	q := m.Net.Quantize()
	qb, err := q.MarshalBinary()
	if err != nil {
		return Compression{}, false, err
	}
	c := Compression{Float32Bytes: len(m.Net.MarshalFloat32()), Int8Bytes: len(qb)}
	c.Ratio = float64(c.Float32Bytes) / float64(c.Int8Bytes)
	y := make([]bool, len(ss))
	for i, s := range ss {
		y[i] = s.Purchased
	}
	for _, v := range []struct {
		m   *Model
		dst *float64
	}{{m, &c.AUC}, {m.Quantized(), &c.AUCInt8}, {m.Pruned(0.5), &c.AUCPruned50}} {
		p, err := v.m.ScoreBatch(ctx, ss)
		if err != nil {
			return c, false, err
		}
		*v.dst = metrics.ROCAUC(p, y)
	}
	t := newTable(m.Schema, ss)
	out := make([]float64, t.rows)
	start := time.Now()
	reps := 0
	for time.Since(start) < 300*time.Millisecond {
		if err := q.PredictBatch(ctx, t.dense, out, 0); err != nil {
			return c, false, err
		}
		reps++
	}
	c.Int8RowsPerS = float64(reps*t.rows) / time.Since(start).Seconds()
	return c, true, nil
}
