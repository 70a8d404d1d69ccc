package forecast

import "math"

// nelderMead minimises f from x0 with initial steps step[i], stopping when
// the simplex's function values agree within tol (absolute plus relative)
// or after maxEval evaluations. f may return +Inf outside the feasible
// region. It returns the best point and value. Small and allocation-light:
// model fitting calls it hundreds of thousands of times.
func nelderMead(f func([]float64) float64, x0, step []float64, tol float64, maxEval int) ([]float64, float64) {
	n := len(x0)
	pts := make([][]float64, n+1)
	vals := make([]float64, n+1)
	for i := range pts {
		pts[i] = append([]float64(nil), x0...)
		if i > 0 {
			pts[i][i-1] += step[i-1]
		}
		vals[i] = f(pts[i])
	}
	evals := n + 1
	cen := make([]float64, n)
	xr := make([]float64, n)
	xe := make([]float64, n)
	for evals < maxEval {
		// Order: best first, worst last (insertion sort, n is tiny).
		for i := 1; i <= n; i++ {
			for j := i; j > 0 && vals[j] < vals[j-1]; j-- {
				vals[j], vals[j-1] = vals[j-1], vals[j]
				pts[j], pts[j-1] = pts[j-1], pts[j]
			}
		}
		if math.Abs(vals[n]-vals[0]) <= tol*(1+math.Abs(vals[0])) {
			break
		}
		for k := range cen {
			cen[k] = 0
			for i := 0; i < n; i++ {
				cen[k] += pts[i][k]
			}
			cen[k] /= float64(n)
		}
		worst := pts[n]
		for k := range xr {
			xr[k] = cen[k] + (cen[k] - worst[k])
		}
		fr := f(xr)
		evals++
		switch {
		case fr < vals[0]:
			for k := range xe {
				xe[k] = cen[k] + 2*(cen[k]-worst[k])
			}
			fe := f(xe)
			evals++
			if fe < fr {
				copy(worst, xe)
				vals[n] = fe
			} else {
				copy(worst, xr)
				vals[n] = fr
			}
		case fr < vals[n-1]:
			copy(worst, xr)
			vals[n] = fr
		default:
			// Contract towards the better of worst and reflected point.
			outside := fr < vals[n]
			for k := range xe {
				if outside {
					xe[k] = cen[k] + 0.5*(xr[k]-cen[k])
				} else {
					xe[k] = cen[k] + 0.5*(worst[k]-cen[k])
				}
			}
			fc := f(xe)
			evals++
			if (outside && fc <= fr) || (!outside && fc < vals[n]) {
				copy(worst, xe)
				vals[n] = fc
				continue
			}
			// Shrink towards the best point.
			for i := 1; i <= n; i++ {
				for k := range pts[i] {
					pts[i][k] = pts[0][k] + 0.5*(pts[i][k]-pts[0][k])
				}
				vals[i] = f(pts[i])
				evals++
			}
		}
	}
	best := 0
	for i := range vals {
		if vals[i] < vals[best] {
			best = i
		}
	}
	return pts[best], vals[best]
}
