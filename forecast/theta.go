package forecast

import "math"

// Theta is the Theta method of Assimakopoulos and Nikolopoulos in Hyndman
// and Billah's form: simple exponential smoothing plus half the slope of a
// linear trend on time, on seasonally adjusted data when a lag-Period
// autocorrelation test (90%) finds seasonality.
type Theta struct{ Period int }

// Name implements Method.
func (Theta) Name() string { return "theta" }

// Forecast implements Method.
func (th Theta) Forecast(y []float64, h int) (Prediction, error) {
	n := len(y)
	if n < 4 {
		return Naive{}.Forecast(y, h)
	}
	x, seas := deseasonalise(y, th.Period)
	fit, err := FitETS(x, ETSSpec{Error: 'A', Trend: 'N', Season: 'N'})
	if err != nil {
		return Naive{}.Forecast(y, h)
	}
	mean, sd, _ := fit.Forecast(h)
	b := olsSlope(x)
	a := fit.Alpha
	level := append([]float64(nil), mean...)
	trend := make([]float64, h)
	for k := range mean {
		hh := float64(k + 1)
		trend[k] = 0.5 * b * (hh - 1 + 1/a - math.Pow(1-a, float64(n))/a)
		mean[k] += trend[k]
	}
	comps := map[string][]float64{"level": level, "trend": trend}
	if seas != nil {
		s := make([]float64, h)
		for k := range mean {
			f := seas[(n+k)%len(seas)]
			s[k] = mean[k] * (f - 1)
			mean[k] *= f
			level[k] *= f
			trend[k] *= f
			sd[k] *= f
		}
		comps["seasonality"] = s
	}
	return Prediction{Model: "theta", Mean: mean, SD: sd, Components: comps}, nil
}

// deseasonalise divides y by multiplicative seasonal indices when period > 1,
// the data are positive, at least two seasons are present and the
// autocorrelation at lag period is significant at 90%. It returns the
// adjusted series and the indices by position modulo period (nil if none).
func deseasonalise(y []float64, period int) ([]float64, []float64) {
	n := len(y)
	if period <= 1 || n < 2*period || !seasonalACF(y, period) {
		return y, nil
	}
	for _, v := range y {
		if v <= 0 {
			return y, nil
		}
	}
	idx, _, _ := seasonalInit(y[max(0, n-4*period):], period, true)
	// seasonalInit indexes from the start of the slice; re-align to the
	// position modulo period in the full series.
	off := max(0, n-4*period)
	seas := make([]float64, period)
	for j := range idx {
		seas[(off+j)%period] = idx[j]
	}
	x := make([]float64, n)
	for t, v := range y {
		x[t] = v / seas[t%period]
	}
	return x, seas
}

// seasonalACF tests the lag-m autocorrelation against 1.645 times its
// Bartlett standard error.
func seasonalACF(y []float64, m int) bool {
	n := len(y)
	mu := meanOf(y)
	var den float64
	for _, v := range y {
		den += (v - mu) * (v - mu)
	}
	if den == 0 {
		return false
	}
	acf := func(k int) float64 {
		s := 0.0
		for t := k; t < n; t++ {
			s += (y[t] - mu) * (y[t-k] - mu)
		}
		return s / den
	}
	sum := 0.0
	for k := 1; k < m; k++ {
		r := acf(k)
		sum += r * r
	}
	lim := 1.645 * math.Sqrt((1+2*sum)/float64(n))
	return math.Abs(acf(m)) > lim
}

// olsSlope is the least-squares slope of y on t = 0..n-1.
func olsSlope(y []float64) float64 {
	n := float64(len(y))
	tm := (n - 1) / 2
	ym := meanOf(y)
	var sxy, sxx float64
	for t, v := range y {
		d := float64(t) - tm
		sxy += d * (v - ym)
		sxx += d * d
	}
	if sxx == 0 {
		return 0
	}
	return sxy / sxx
}
