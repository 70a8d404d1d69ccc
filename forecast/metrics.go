package forecast

import (
	"math"
	"sort"

	"github.com/shelfwise/shelfwise/ml/metrics"
)

// ScaleMAE is the MASE denominator: the in-sample mean absolute difference at
// lag m (m=1 for the naive scale M4 uses for weekly data). It returns 0 when
// the history is shorter than m+1 points.
func ScaleMAE(history []float64, m int) float64 {
	if m < 1 {
		m = 1
	}
	if len(history) <= m {
		return 0
	}
	s := 0.0
	for t := m; t < len(history); t++ {
		s += math.Abs(history[t] - history[t-m])
	}
	return s / float64(len(history)-m)
}

// ScaleMSE is the RMSSE denominator: the in-sample mean squared lag-m
// difference. M5 starts it at the first non-zero sale; callers trim leading
// zeros (TrimLeadingZeros) when they want that convention.
func ScaleMSE(history []float64, m int) float64 {
	if m < 1 {
		m = 1
	}
	if len(history) <= m {
		return 0
	}
	s := 0.0
	for t := m; t < len(history); t++ {
		d := history[t] - history[t-m]
		s += d * d
	}
	return s / float64(len(history)-m)
}

// TrimLeadingZeros drops the zeros before the first non-zero value.
func TrimLeadingZeros(y []float64) []float64 {
	for i, v := range y {
		if v != 0 {
			return y[i:]
		}
	}
	return y[:0]
}

// Pinball is the quantile (pinball) loss of forecast q at level tau for the
// actual value y.
func Pinball(y, q, tau float64) float64 {
	if y >= q {
		return tau * (y - q)
	}
	return (1 - tau) * (q - y)
}

// SMAPE is the symmetric mean absolute percentage error of one forecast in
// percent, as in the M4 competition: 200/h * sum |y-f| / (|y|+|f|). Points
// where both are 0 count as 0.
func SMAPE(actual, mean []float64) float64 {
	s := 0.0
	for i, y := range actual {
		d := math.Abs(y) + math.Abs(mean[i])
		if d > 0 {
			s += math.Abs(y-mean[i]) / d
		}
	}
	return 200 * s / float64(len(actual))
}

// Scored is one forecast with its actual values, ready to be scored.
type Scored struct {
	Actual []float64
	Mean   []float64
	// Levels and Quantiles are the quantile forecasts (Quantiles[i][h] at
	// level Levels[i]); both may be nil for point forecasts.
	Levels    []float64
	Quantiles [][]float64
	// Weights per step for WMAE (nil = 1, e.g. 5 for holiday weeks).
	Weights []float64
	// ScaleMAE and ScaleMSE are the series' MASE and RMSSE denominators.
	ScaleMAE float64
	ScaleMSE float64
	// Weight is the series' weight in WRMSSE (e.g. its recent revenue share).
	Weight float64
}

// Metrics are aggregate forecast accuracy figures. MASE, sMAPE, RMSSE and
// Pinball are means over forecasts (series x windows) of per-forecast
// values; WAPE, WMAE, Bias and coverages pool all points.
type Metrics struct {
	MASE  float64 `json:"mase"`
	SMAPE float64 `json:"smape"`
	WAPE  float64 `json:"wape"`
	WMAE  float64 `json:"wmae"`
	RMSSE float64 `json:"rmsse"`
	// WRMSSE weights per-forecast RMSSE by Scored.Weight (M5); NaN if no
	// weights were given.
	WRMSSE float64 `json:"wrmsse"`
	// Bias is sum(forecast-actual)/sum|actual|: positive over-forecasts.
	Bias float64 `json:"bias"`
	// Pinball is the mean pinball loss over the quantile levels, divided
	// by each series' ScaleMAE (a scaled pinball loss, comparable across
	// series), averaged over forecasts.
	Pinball    float64 `json:"pinball"`
	Coverage80 float64 `json:"coverage_80"`
	Coverage95 float64 `json:"coverage_95"`
	Forecasts  int     `json:"forecasts"`
	Points     int     `json:"points"`
}

// Accumulator pools Scored forecasts into Metrics. The zero value is ready.
// It is not safe for concurrent use.
type Accumulator struct {
	mase, smape, rmsse, pinball    float64
	nMASE, nSMAPE, nRMSSE, nPinbal int
	wrmsse, wsum                   float64
	absErr, absAct, bias           float64
	wAbsErr, wSum                  float64
	in80, in95, nInt80, nInt95     int
	forecasts, points              int
}

// Add scores one forecast and pools it.
func (a *Accumulator) Add(s Scored) {
	h := len(s.Actual)
	if h == 0 {
		return
	}
	a.forecasts++
	a.points += h
	var sumAbs, sumSq float64
	for i, y := range s.Actual {
		e := s.Mean[i] - y
		sumAbs += math.Abs(e)
		sumSq += e * e
		a.absErr += math.Abs(e)
		a.absAct += math.Abs(y)
		a.bias += e
		w := 1.0
		if s.Weights != nil {
			w = s.Weights[i]
		}
		a.wAbsErr += w * math.Abs(e)
		a.wSum += w
	}
	if s.ScaleMAE > 0 {
		a.mase += sumAbs / float64(h) / s.ScaleMAE
		a.nMASE++
	}
	a.smape += SMAPE(s.Actual, s.Mean)
	a.nSMAPE++
	if s.ScaleMSE > 0 {
		r := math.Sqrt(sumSq / float64(h) / s.ScaleMSE)
		a.rmsse += r
		a.nRMSSE++
		if s.Weight > 0 {
			a.wrmsse += s.Weight * r
			a.wsum += s.Weight
		}
	}
	if len(s.Levels) > 0 {
		a.addQuantiles(s)
	}
}

func (a *Accumulator) addQuantiles(s Scored) {
	h := len(s.Actual)
	if s.ScaleMAE > 0 {
		pl := 0.0
		for i, tau := range s.Levels {
			for t, y := range s.Actual {
				pl += Pinball(y, s.Quantiles[i][t], tau)
			}
		}
		a.pinball += pl / float64(h*len(s.Levels)) / s.ScaleMAE
		a.nPinbal++
	}
	for _, iv := range []struct {
		lo, hi float64
		in, n  *int
	}{{0.1, 0.9, &a.in80, &a.nInt80}, {0.025, 0.975, &a.in95, &a.nInt95}} {
		lo, hi := LevelIndex(s.Levels, iv.lo), LevelIndex(s.Levels, iv.hi)
		if lo < 0 || hi < 0 {
			continue
		}
		for t, y := range s.Actual {
			*iv.n++
			if y >= s.Quantiles[lo][t] && y <= s.Quantiles[hi][t] {
				*iv.in++
			}
		}
	}
}

// LevelIndex returns the index of quantile level tau in levels, or -1.
func LevelIndex(levels []float64, tau float64) int {
	for i, l := range levels {
		if math.Abs(l-tau) < 1e-9 {
			return i
		}
	}
	return -1
}

// Metrics returns the pooled figures so far. Undefined figures are NaN.
func (a *Accumulator) Metrics() Metrics {
	div := func(x float64, n int) float64 {
		if n == 0 {
			return math.NaN()
		}
		return x / float64(n)
	}
	fdiv := func(x, d float64) float64 {
		if d == 0 {
			return math.NaN()
		}
		return x / d
	}
	return Metrics{
		MASE:       div(a.mase, a.nMASE),
		SMAPE:      div(a.smape, a.nSMAPE),
		WAPE:       fdiv(a.absErr, a.absAct),
		WMAE:       fdiv(a.wAbsErr, a.wSum),
		RMSSE:      div(a.rmsse, a.nRMSSE),
		WRMSSE:     fdiv(a.wrmsse, a.wsum),
		Bias:       fdiv(a.bias, a.absAct),
		Pinball:    div(a.pinball, a.nPinbal),
		Coverage80: div(float64(a.in80), a.nInt80),
		Coverage95: div(float64(a.in95), a.nInt95),
		Forecasts:  a.forecasts,
		Points:     a.points,
	}
}

// Quantile returns the tau-quantile of xs (linear interpolation between
// order statistics, R type 7). It sorts a copy; xs is not modified.
func Quantile(xs []float64, tau float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return metrics.QuantileSorted(s, tau)
}
