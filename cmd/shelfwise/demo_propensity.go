package main

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/shelfwise/shelfwise"
	"github.com/shelfwise/shelfwise/ml/metrics"
	"github.com/shelfwise/shelfwise/propensity"
)

// demoPropensity trains the purchase-propensity model on the earlier 80% of
// the simulated sessions, scores the later 20%, and compares its ROC-AUC with
// the ceiling set by the simulator's true purchase probabilities.
func (m *Main) demoPropensity(ctx context.Context, d *demoRun) error {
	var sessions []shelfwise.Session
	if err := d.db.Sessions(ctx, func(s shelfwise.Session) error {
		sessions = append(sessions, s)
		return nil
	}); err != nil {
		return err
	}
	if len(sessions) < 100 {
		return fmt.Errorf("only %d sessions in the store", len(sessions))
	}
	sort.SliceStable(sessions, func(i, j int) bool { return sessions[i].Start.Before(sessions[j].Start) })
	cut := len(sessions) * 4 / 5
	train, test := sessions[:cut], sessions[cut:]
	model, err := propensity.Train(ctx, train, propensity.Config{Model: propensity.GBDT, Seed: 1})
	if err != nil {
		return err
	}
	p, err := model.ScoreBatch(ctx, test)
	if err != nil {
		return err
	}
	y := make([]bool, len(test))
	truth := make([]float64, 0, len(test))
	var ty []bool
	for i, s := range test {
		y[i] = s.Purchased
		if tp, ok := d.truth.SessionProbability(s.ID); ok {
			truth = append(truth, tp)
			ty = append(ty, s.Purchased)
		}
	}
	auc := metrics.ROCAUC(p, y)
	fmt.Fprintf(m.Stdout, "\n3. Purchase propensity (boosted trees; trained on %d sessions, scored on the next %d):\n", len(train), len(test))
	rows := []Row{
		{"ROC-AUC", auc},
		{"PR-AUC", metrics.PRAUC(p, y)},
		{"log loss", metrics.LogLoss(p, y)},
		{"Brier score", metrics.Brier(p, y)},
	}
	d.report.PropensityAUC = auc
	if len(truth) == len(test) {
		d.report.PropensityCeilingAUC = metrics.ROCAUC(truth, ty)
		rows = append(rows, Row{"ROC-AUC of the true probabilities (ceiling)", d.report.PropensityCeilingAUC})
	}
	// What a shop does without a model: rank sessions by pages viewed.
	pages := make([]float64, len(test))
	for i, s := range test {
		pages[i] = s.Features["product_pages"]
	}
	d.report.PropensityBaselineAUC = metrics.ROCAUC(pages, y)
	rows = append(rows, Row{"ROC-AUC of ranking by product pages viewed (baseline)", d.report.PropensityBaselineAUC})
	if err := writeTable(m.Stdout, "", rows); err != nil {
		return err
	}
	best := 0
	for i := range p {
		if p[i] > p[best] {
			best = i
		}
	}
	ex := model.Explain(test[best], 3)
	var reasons []string
	for _, r := range ex.Reasons {
		reasons = append(reasons, fmt.Sprintf("%s=%s %s it", r.Feature, r.Value, r.Direction))
	}
	fmt.Fprintf(m.Stdout, "  highest-scored session: p=%.2f because %s\n", ex.Probability, strings.Join(reasons, "; "))
	d.results = append(d.results, Row{"propensity ROC-AUC (holdout)", auc})
	return nil
}
