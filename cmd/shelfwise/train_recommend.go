package main

import (
	"context"
	"time"

	"github.com/spf13/cobra"
)

type trainRecommendFlags struct {
	json bool
}

// newTrainRecommendCmd is "shelfwise train recommend": train the
// recommender on the store and save it where "shelfwise recommend" loads it.
func (m *Main) newTrainRecommendCmd() *cobra.Command {
	var fl trainRecommendFlags
	cmd := &cobra.Command{
		Use:   "recommend",
		Short: "Train the recommender on the store's purchases and events and save it",
		Long: `train recommend trains the recommendation engine on every purchase in the
store, with the customers' returns, views and add-to-carts as weaker
evidence (blend weights tuned on the last 30 days, components refitted on
all), and saves it to DB/models/recommend.swm, a versioned, checksummed
model file stamped with a fingerprint of the data it learned from.
"shelfwise recommend" then answers from it without training, until the
store's data changes. For honest accuracy figures use "eval recommend".`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return m.runTrainRecommend(cmd.Context(), fl) },
	}
	cmd.Flags().BoolVar(&fl.json, "json", false, "print one JSON object")
	return cmd
}

func (m *Main) runTrainRecommend(ctx context.Context, fl trainRecommendFlags) error {
	start := time.Now()
	db, err := m.DB(ctx)
	if err != nil {
		return err
	}
	eng, info, err := m.recommender(ctx, db, true)
	if err != nil {
		return err
	}
	model := eng.Model()
	res := map[string]any{
		"file": info.File, "bytes": info.Bytes, "model_version": model.Version, "data": model.Data,
		"customers": model.Log.NumUsers(), "items": model.Log.NumItems(),
		"validation_objective": model.All.ValidationScore, "reranker": model.All.Rerank != nil,
		"validation_objective_new_items": model.New.ValidationScore, "reranker_new_items": model.New.Rerank != nil,
		"train_seconds": info.Seconds, "seconds": time.Since(start).Seconds(),
	}
	if fl.json {
		return writeJSON(m.Stdout, res)
	}
	return writeTable(m.Stdout, "Recommendation model", []Row{
		{"file", info.File}, {"bytes", info.Bytes}, {"model version", model.Version}, {"trained on", model.Data},
		{"customers", model.Log.NumUsers()}, {"items", model.Log.NumItems()},
		{"validation NDCG+recall (all / new items)", []float64{model.All.ValidationScore, model.New.ValidationScore}},
		{"train seconds", info.Seconds},
	})
}
