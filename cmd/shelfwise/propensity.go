package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/shelfwise/shelfwise"
	"github.com/shelfwise/shelfwise/ingest"
	"github.com/shelfwise/shelfwise/ml/metrics"
	"github.com/shelfwise/shelfwise/propensity"
	"github.com/spf13/cobra"
)

// newTrainCmd is the parent of "train TASK": train a task's model on a
// dataset and save it. Tasks add their subcommand in trainTasks.
func (m *Main) newTrainCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "train TASK", Short: "Train a task's model on a dataset and save it to a file"}
	for _, c := range m.trainTasks() {
		cmd.AddCommand(c)
	}
	return cmd
}

// trainTasks lists the train subcommands.
func (m *Main) trainTasks() []*cobra.Command {
	return []*cobra.Command{m.newTrainPropensityCmd(), m.newTrainRecommendCmd()}
}

// newScoreCmd is the parent of "score TASK": apply a saved model.
func (m *Main) newScoreCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "score TASK", Short: "Score a dataset with a saved model"}
	for _, c := range m.scoreTasks() {
		cmd.AddCommand(c)
	}
	return cmd
}

// scoreTasks lists the score subcommands.
func (m *Main) scoreTasks() []*cobra.Command {
	return []*cobra.Command{m.newScorePropensityCmd()}
}

type trainPropensityFlags struct {
	format, data, model, features, out string
	seed                               uint64
	json                               bool
}

func (m *Main) newTrainPropensityCmd() *cobra.Command {
	var fl trainPropensityFlags
	cmd := &cobra.Command{
		Use:   "propensity --format NAME --data PATH",
		Short: "Train a purchase-propensity model on sessions and save it",
		Long: `train propensity trains a purchase-propensity model on every session of the
dataset (a stratified 20% holdout picks the boosting rounds, network epochs,
ensemble weights and decision threshold; the components are then refitted on
all sessions) and writes it to --out, a versioned, checksummed model file.
It prints the threshold and the features that matter most (permutation
importance on the holdout-free training data is optimistic; use eval
propensity for honest metrics).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return m.runTrainPropensity(cmd.Context(), fl) },
	}
	f := cmd.Flags()
	f.StringVar(&fl.format, "format", "", "format of the data: "+strings.Join(ingest.FormatNames(), ", "))
	f.StringVar(&fl.data, "data", "", "file, or folder of the dataset")
	f.StringVar(&fl.model, "model", "ensemble", "model: mlp, gbdt, logreg, ensemble")
	f.StringVar(&fl.features, "features", "all", "features: numeric or all")
	f.StringVar(&fl.out, "out", "", "model file to write (default DB/models/propensity-MODEL.swm)")
	f.Uint64Var(&fl.seed, "seed", 1, "training seed")
	f.BoolVar(&fl.json, "json", false, "print one JSON object")
	return cmd
}

// readSessions reads a dataset's sessions through ingest.
func readSessions(ctx context.Context, format, path string) ([]shelfwise.Session, error) {
	if format == "" || path == "" {
		return nil, shelfwise.Errorf(shelfwise.EINVALID, "--format NAME and --data PATH are required")
	}
	var mem ingest.Memory
	if _, err := ingest.Read(ctx, format, path, ingest.Options{}, &mem); err != nil {
		return nil, err
	}
	if len(mem.Sessions) == 0 {
		return nil, shelfwise.Errorf(shelfwise.EINVALID, "%s holds no sessions (format %s)", path, format)
	}
	return mem.Sessions, nil
}

func (m *Main) runTrainPropensity(ctx context.Context, fl trainPropensityFlags) error {
	start := time.Now()
	ss, err := readSessions(ctx, fl.format, fl.data)
	if err != nil {
		return err
	}
	cfg := propensity.Config{Model: propensity.ModelKind(fl.model), Features: propensity.FeatureSet(fl.features),
		Seed: fl.seed, Workers: runtime.GOMAXPROCS(0)}
	model, err := propensity.Train(ctx, ss, cfg)
	if err != nil {
		var de *shelfwise.Error
		if errors.As(err, &de) {
			return err
		}
		return shelfwise.Errorf(shelfwise.EINVALID, "%v", err)
	}
	out := fl.out
	if out == "" {
		out = filepath.Join(m.DataDir, "models", "propensity-"+fl.model+".swm")
	}
	data, err := model.MarshalBinary()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(out, data, 0o600); err != nil {
		return fmt.Errorf("write model %s: %w", out, err)
	}
	imp, err := model.Importance(ctx, ss, 1, fl.seed)
	if err != nil {
		return err
	}
	if len(imp) > 5 {
		imp = imp[:5]
	}
	res := map[string]any{
		"model": fl.model, "features": fl.features, "file": out, "bytes": len(data),
		"rows": len(ss), "threshold": model.Threshold, "train_seconds": model.Stats.Seconds,
		"importance": imp, "seconds": time.Since(start).Seconds(),
	}
	if fl.json {
		return writeJSON(m.Stdout, res)
	}
	rows := []Row{{"model", fl.model + " (" + fl.features + " features)"}, {"rows", len(ss)},
		{"file", out}, {"bytes", len(data)}, {"threshold", model.Threshold}, {"train seconds", model.Stats.Seconds}}
	for _, v := range imp {
		rows = append(rows, Row{"importance " + v.Feature, fmt.Sprintf("AUC drop %.4f", v.AUCDrop)})
	}
	return writeTable(m.Stdout, "Purchase propensity model", rows)
}

type scorePropensityFlags struct {
	format, data, modelFile string
	explain, limit          int
	json                    bool
}

func (m *Main) newScorePropensityCmd() *cobra.Command {
	var fl scorePropensityFlags
	cmd := &cobra.Command{
		Use:   "propensity --model-file FILE --format NAME --data PATH",
		Short: "Score sessions with a saved propensity model, with reasons",
		Long: `score propensity loads a model written by "train propensity", scores every
session of the dataset and prints each session's purchase probability and
decision (at the model's F1-optimal threshold), with its --explain top
reasons. When the sessions carry outcomes it also prints ROC-AUC and accuracy.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return m.runScorePropensity(cmd.Context(), fl) },
	}
	f := cmd.Flags()
	f.StringVar(&fl.modelFile, "model-file", "", "model file written by train propensity")
	f.StringVar(&fl.format, "format", "", "format of the data: "+strings.Join(ingest.FormatNames(), ", "))
	f.StringVar(&fl.data, "data", "", "file, or folder of the dataset")
	f.IntVar(&fl.explain, "explain", 3, "reasons per session (0 = none)")
	f.IntVar(&fl.limit, "limit", 20, "sessions to list (0 = all)")
	f.BoolVar(&fl.json, "json", false, "print one JSON object")
	return cmd
}

// loadPropensityModel reads and checks a model file.
func loadPropensityModel(path string) (*propensity.Model, error) {
	if path == "" {
		return nil, shelfwise.Errorf(shelfwise.EINVALID, "--model-file is required")
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &shelfwise.InputError{File: path, Err: errors.New("no such model file")}
	} else if err != nil {
		return nil, err
	}
	var model propensity.Model
	// A corrupt, truncated or foreign file (errors wrapping
	// modelio.ErrCorrupt, or a wrong kind or version) is bad input.
	if err := model.UnmarshalBinary(data); err != nil {
		return nil, &shelfwise.InputError{File: path, Err: err}
	}
	return &model, nil
}

// scoredSession is one line of score propensity's output.
type scoredSession struct {
	ID          shelfwise.SessionID `json:"id"`
	Probability float64             `json:"probability"`
	Purchase    bool                `json:"purchase"`
	Reasons     []propensity.Reason `json:"reasons,omitempty"`
}

func (m *Main) runScorePropensity(ctx context.Context, fl scorePropensityFlags) error {
	start := time.Now()
	model, err := loadPropensityModel(fl.modelFile)
	if err != nil {
		return err
	}
	ss, err := readSessions(ctx, fl.format, fl.data)
	if err != nil {
		return err
	}
	p, err := model.ScoreBatch(ctx, ss)
	if err != nil {
		return err
	}
	y := make([]bool, len(ss))
	positives := 0
	for i, s := range ss {
		y[i] = s.Purchased
		if s.Purchased {
			positives++
		}
	}
	n := len(ss)
	if fl.limit > 0 && fl.limit < n {
		n = fl.limit
	}
	list := make([]scoredSession, n)
	for i := range list {
		list[i] = scoredSession{ID: ss[i].ID, Probability: p[i], Purchase: model.Decide(p[i])}
		if fl.explain > 0 {
			list[i].Reasons = model.Explain(ss[i], fl.explain).Reasons
		}
	}
	res := map[string]any{"model": model.Kind, "rows": len(ss), "threshold": model.Threshold, "sessions": list}
	if positives > 0 && positives < len(ss) {
		res["auc"] = metrics.ROCAUC(p, y)
		res["accuracy"] = metrics.Accuracy(p, y, model.AccuracyThreshold)
	}
	res["seconds"] = time.Since(start).Seconds()
	if fl.json {
		return writeJSON(m.Stdout, res)
	}
	rows := []Row{{"model", model.Kind}, {"rows", len(ss)}, {"threshold", model.Threshold}}
	if v, ok := res["auc"]; ok {
		rows = append(rows, Row{"ROC-AUC", v}, Row{"accuracy", res["accuracy"]})
	}
	for _, s := range list {
		var why []string
		for _, r := range s.Reasons {
			why = append(why, fmt.Sprintf("%s=%s %s (%+.2f)", r.Feature, r.Value, r.Direction, r.Effect))
		}
		rows = append(rows, Row{string(s.ID), fmt.Sprintf("%.3f buy=%v  %s", s.Probability, s.Purchase, strings.Join(why, "; "))})
	}
	return writeTable(m.Stdout, "Purchase propensity scores", rows)
}
