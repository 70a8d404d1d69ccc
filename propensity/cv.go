package propensity

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"time"

	"github.com/shelfwise/shelfwise"
	"github.com/shelfwise/shelfwise/ml/metrics"
)

// Report is the outcome of CrossValidate: metrics on the pooled
// out-of-fold predictions.
type Report struct {
	Model     ModelKind  `json:"model"`
	Features  FeatureSet `json:"features"`
	Folds     int        `json:"folds"`
	Rows      int        `json:"rows"`
	Positives int        `json:"positives"`
	AUC       float64    `json:"auc"`
	PRAUC     float64    `json:"pr_auc"`
	// Accuracy uses each fold's accuracy-optimal threshold and F1 its
	// F1-optimal threshold, both chosen inside the fold's training set.
	Accuracy  float64 `json:"accuracy"`
	F1        float64 `json:"f1"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	LogLoss   float64 `json:"logloss"`
	Brier     float64 `json:"brier"`
	// ECE is the expected calibration error over 10 bins.
	ECE float64 `json:"ece"`
	// TrainSamplesPerS is training throughput: rows times passes per
	// second of training (for the MLP, its epochs alone).
	TrainSamplesPerS float64 `json:"train_samples_per_s"`
	// TrainSamplesPerCPUS is the same per CPU second of the training
	// threads (0 where not measurable): the speed with a core to itself.
	TrainSamplesPerCPUS float64 `json:"train_samples_per_cpu_s"`
	// Thresholds are the F1-optimal thresholds of the folds.
	Thresholds  []float64                `json:"thresholds"`
	Calibration []metrics.CalibrationBin `json:"calibration"`
	// Compression compares the MLP in float32, int8 and 50% pruned (model
	// mlp only): AUCs on the pooled out-of-fold predictions, sizes and
	// int8 scoring speed from the first fold's model.
	Compression *Compression `json:"compression,omitempty"`
	Seconds     float64      `json:"seconds"`
	// Predictions are the pooled out-of-fold probabilities, in input order.
	Predictions []float64 `json:"-"`
}

// CrossValidate runs stratified k-fold cross-validation with a fixed seed:
// each fold's model is trained (with its thresholds and any tuning) on the
// other folds only; metrics are computed once on the pooled out-of-fold
// predictions. Folds train in parallel on up to GOMAXPROCS goroutines.
func CrossValidate(ctx context.Context, sessions []shelfwise.Session, cfg Config, folds int, seed uint64) (*Report, error) {
	start := time.Now()
	if folds < 2 || folds > len(sessions) {
		return nil, shelfwise.Errorf(shelfwise.EINVALID, "propensity: %d folds for %d sessions", folds, len(sessions))
	}
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, shelfwise.Errorf(shelfwise.EINVALID, "%v", err)
	}
	y := make([]bool, len(sessions))
	for i, s := range sessions {
		y[i] = s.Purchased
	}
	fold := metrics.StratifiedKFold(y, folds, rand.New(rand.NewPCG(seed, 1)))
	p := make([]float64, len(sessions))
	pq := make([]float64, len(sessions))
	pp := make([]float64, len(sessions))
	predF1 := make([]bool, len(sessions))
	correct := make([]bool, len(sessions))
	models := make([]*Model, folds)
	errs := make([]error, folds)
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for f := range folds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			tr, te := metrics.Split(fold, f)
			fc := c
			fc.Seed = seed + uint64(f)*7919
			m, err := Train(ctx, pick(sessions, tr), fc)
			if err != nil {
				errs[f] = fmt.Errorf("fold %d: %w", f, err)
				return
			}
			models[f] = m
			if c.Model == MLP {
				mq, mp := m.Quantized(), m.Pruned(0.5)
				for _, i := range te {
					pq[i], pp[i] = mq.Score(sessions[i]), mp.Score(sessions[i])
				}
			}
			for _, i := range te {
				p[i] = m.Score(sessions[i])
				predF1[i] = p[i] >= m.Threshold
				correct[i] = (p[i] >= m.AccuracyThreshold) == y[i]
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	r := &Report{Model: c.Model, Features: c.Features, Folds: folds, Rows: len(sessions)}
	var conf metrics.Confusion
	nCorrect := 0
	for i := range y {
		if y[i] {
			r.Positives++
		}
		if correct[i] {
			nCorrect++
		}
		switch {
		case predF1[i] && y[i]:
			conf.TP++
		case predF1[i]:
			conf.FP++
		case y[i]:
			conf.FN++
		default:
			conf.TN++
		}
	}
	r.AUC = metrics.ROCAUC(p, y)
	r.PRAUC = metrics.PRAUC(p, y)
	r.Accuracy = float64(nCorrect) / float64(len(y))
	r.F1, r.Precision, r.Recall = conf.F1(), conf.Precision(), conf.Recall()
	r.LogLoss = metrics.LogLoss(p, y)
	r.Brier = metrics.Brier(p, y)
	r.Calibration = metrics.Calibration(p, y, 10)
	r.ECE = metrics.ExpectedCalibrationError(r.Calibration)
	var samples int64
	var secs, cpu float64
	for _, m := range models {
		r.Thresholds = append(r.Thresholds, m.Threshold)
		if c.Model == MLP {
			samples += m.Stats.MLPSamples
			secs += m.Stats.MLPSeconds
			cpu += m.Stats.MLPCPUSeconds
		} else {
			samples += m.Stats.Samples
			secs += m.Stats.Seconds
			cpu += m.Stats.CPUSeconds
		}
	}
	if secs > 0 {
		r.TrainSamplesPerS = float64(samples) / secs
	}
	if cpu > 0 {
		r.TrainSamplesPerCPUS = float64(samples) / cpu
	}
	if c.Model == MLP {
		_, te := metrics.Split(fold, 0)
		comp, _, err := models[0].CompressNet(ctx, pick(sessions, te))
		if err != nil {
			return nil, err
		}
		comp.AUC, comp.AUCInt8, comp.AUCPruned50 = r.AUC, metrics.ROCAUC(pq, y), metrics.ROCAUC(pp, y)
		r.Compression = &comp
	}
	r.Predictions = p
	r.Seconds = time.Since(start).Seconds()
	return r, nil
}

func pick(ss []shelfwise.Session, idx []int) []shelfwise.Session {
	out := make([]shelfwise.Session, len(idx))
	for k, i := range idx {
		out[k] = ss[i]
	}
	return out
}
