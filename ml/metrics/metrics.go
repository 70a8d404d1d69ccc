package metrics

import (
	"math"
	"math/rand/v2"
	"sort"
)

// order returns the indices of p sorted by descending score.
func order(p []float64) []int {
	idx := make([]int, len(p))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return p[idx[a]] > p[idx[b]] })
	return idx
}

// ROCAUC is the area under the ROC curve: the probability that a random
// positive scores above a random negative, ties counting one half. It is
// NaN when one class is absent.
func ROCAUC(p []float64, y []bool) float64 {
	idx := order(p)
	var pos, neg float64
	for _, v := range y {
		if v {
			pos++
		} else {
			neg++
		}
	}
	if pos == 0 || neg == 0 {
		return math.NaN()
	}
	// Walk groups of tied scores from the top; each negative in a group
	// is beaten by all positives above it and half of those tied with it.
	var above, area float64
	for i := 0; i < len(idx); {
		j := i
		var gp, gn float64
		for ; j < len(idx) && p[idx[j]] == p[idx[i]]; j++ {
			if y[idx[j]] {
				gp++
			} else {
				gn++
			}
		}
		area += gn * (above + gp/2)
		above += gp
		i = j
	}
	return area / (pos * neg)
}

// PRAUC is the area under the precision-recall curve computed as average
// precision: the sum over score thresholds of precision times the recall
// gained (as scikit-learn's average_precision_score). NaN with no positive.
func PRAUC(p []float64, y []bool) float64 {
	idx := order(p)
	var pos float64
	for _, v := range y {
		if v {
			pos++
		}
	}
	if pos == 0 {
		return math.NaN()
	}
	var tp, fp, ap float64
	for i := 0; i < len(idx); {
		j := i
		var gp float64
		for ; j < len(idx) && p[idx[j]] == p[idx[i]]; j++ {
			if y[idx[j]] {
				gp++
			} else {
				fp++
			}
		}
		tp += gp
		if gp > 0 {
			ap += (gp / pos) * tp / (tp + fp)
		}
		i = j
	}
	return ap
}

// LogLoss is the mean binary cross-entropy, with p clipped to [1e-15,
// 1-1e-15].
func LogLoss(p []float64, y []bool) float64 {
	var s float64
	for i, v := range p {
		v = math.Min(math.Max(v, 1e-15), 1-1e-15)
		if y[i] {
			s -= math.Log(v)
		} else {
			s -= math.Log(1 - v)
		}
	}
	return s / float64(len(p))
}

// Brier is the mean squared difference between p and the 0/1 label.
func Brier(p []float64, y []bool) float64 {
	var s float64
	for i, v := range p {
		d := v
		if y[i] {
			d = v - 1
		}
		s += d * d
	}
	return s / float64(len(p))
}

// Confusion counts the outcomes of classifying p >= threshold as positive.
type Confusion struct {
	TP, FP, TN, FN int
}

// NewConfusion classifies p at threshold against y.
func NewConfusion(p []float64, y []bool, threshold float64) Confusion {
	var c Confusion
	for i, v := range p {
		switch pred := v >= threshold; {
		case pred && y[i]:
			c.TP++
		case pred:
			c.FP++
		case y[i]:
			c.FN++
		default:
			c.TN++
		}
	}
	return c
}

// Accuracy is the fraction classified correctly.
func (c Confusion) Accuracy() float64 {
	return float64(c.TP+c.TN) / float64(c.TP+c.TN+c.FP+c.FN)
}

// Precision is TP / (TP + FP), 0 when nothing is predicted positive.
func (c Confusion) Precision() float64 { return ratio(c.TP, c.TP+c.FP) }

// Recall is TP / (TP + FN), 0 when there is no positive.
func (c Confusion) Recall() float64 { return ratio(c.TP, c.TP+c.FN) }

// F1 is the harmonic mean of precision and recall: 2TP / (2TP + FP + FN).
func (c Confusion) F1() float64 { return ratio(2*c.TP, 2*c.TP+c.FP+c.FN) }

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// Accuracy is the fraction of p >= threshold agreeing with y.
func Accuracy(p []float64, y []bool, threshold float64) float64 {
	return NewConfusion(p, y, threshold).Accuracy()
}

// F1 is the F1 score of classifying p >= threshold as positive.
func F1(p []float64, y []bool, threshold float64) float64 {
	return NewConfusion(p, y, threshold).F1()
}

// BestThreshold returns the threshold (one of the scores, or +Inf: all
// negative) maximising score(confusion) and the score reached; ties go
// to the higher threshold. It is O(n log n).
func BestThreshold(p []float64, y []bool, score func(Confusion) float64) (threshold, best float64) {
	idx := order(p)
	var c Confusion
	for _, v := range y {
		if v {
			c.FN++
		} else {
			c.TN++
		}
	}
	threshold, best = math.Inf(1), score(c)
	for i := 0; i < len(idx); {
		j := i
		for ; j < len(idx) && p[idx[j]] == p[idx[i]]; j++ {
			if y[idx[j]] {
				c.TP++
				c.FN--
			} else {
				c.FP++
				c.TN--
			}
		}
		if s := score(c); s > best {
			threshold, best = p[idx[i]], s
		}
		i = j
	}
	return threshold, best
}

// BestF1Threshold returns the F1-optimal threshold and its F1.
func BestF1Threshold(p []float64, y []bool) (float64, float64) {
	return BestThreshold(p, y, Confusion.F1)
}

// BestAccuracyThreshold returns the accuracy-optimal threshold and its
// accuracy.
func BestAccuracyThreshold(p []float64, y []bool) (float64, float64) {
	return BestThreshold(p, y, Confusion.Accuracy)
}

// CalibrationBin is one row of a calibration table: the scores in
// [Lo, Hi), their mean and the observed fraction of positives.
type CalibrationBin struct {
	Lo           float64 `json:"lo"`
	Hi           float64 `json:"hi"`
	Count        int     `json:"count"`
	MeanScore    float64 `json:"mean_score"`
	FracPositive float64 `json:"frac_positive"`
}

// Calibration groups p into bins equal-width bins over [0, 1].
func Calibration(p []float64, y []bool, bins int) []CalibrationBin {
	out := make([]CalibrationBin, bins)
	for b := range out {
		out[b].Lo, out[b].Hi = float64(b)/float64(bins), float64(b+1)/float64(bins)
	}
	for i, v := range p {
		b := min(bins-1, max(0, int(v*float64(bins))))
		out[b].Count++
		out[b].MeanScore += v
		if y[i] {
			out[b].FracPositive++
		}
	}
	for b := range out {
		if n := float64(out[b].Count); n > 0 {
			out[b].MeanScore /= n
			out[b].FracPositive /= n
		}
	}
	return out
}

// ExpectedCalibrationError is the count-weighted mean |MeanScore -
// FracPositive| over a calibration table.
func ExpectedCalibrationError(table []CalibrationBin) float64 {
	var s float64
	var n int
	for _, b := range table {
		s += float64(b.Count) * math.Abs(b.MeanScore-b.FracPositive)
		n += b.Count
	}
	if n == 0 {
		return 0
	}
	return s / float64(n)
}

// StratifiedKFold assigns each row a fold in [0, k) so that every fold has
// (within one) the same number of positives and of negatives. Rows are
// shuffled by rng within each class first.
func StratifiedKFold(y []bool, k int, rng *rand.Rand) []int {
	fold := make([]int, len(y))
	var pos, neg []int
	for i, v := range y {
		if v {
			pos = append(pos, i)
		} else {
			neg = append(neg, i)
		}
	}
	offset := 0
	for _, cls := range [][]int{pos, neg} {
		rng.Shuffle(len(cls), func(a, b int) { cls[a], cls[b] = cls[b], cls[a] })
		for j, i := range cls {
			fold[i] = (j + offset) % k
		}
		offset += len(cls)
	}
	return fold
}

// Split returns the row indices outside (train) and inside (test) fold f.
func Split(fold []int, f int) (train, test []int) {
	for i, g := range fold {
		if g == f {
			test = append(test, i)
		} else {
			train = append(train, i)
		}
	}
	return train, test
}
