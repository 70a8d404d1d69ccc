package recommend

import (
	"context"
	"testing"
)

func TestOnlineRetailBaselines(t *testing.T) {
	ps := PurchasesFromLines(loadOnlineRetail(t))
	ctx := context.Background()
	for _, newItems := range []bool{false, true} {
		for _, tc := range []struct {
			name string
			tr   Trainer
		}{{"popular", TrainPopular}, {"own", TrainOwnHistory}} {
			res, err := Evaluate(ctx, ps, Protocol{TestDays: 30, K: 10, NewItems: newItems}, tc.tr)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s new=%v items=%d users=%d pairs=%d: %v", tc.name, newItems, res.Items, res.TrainUsers, res.TrainPairs, res.Metrics)
		}
	}
}

func TestOnlineRetailModels(t *testing.T) {
	ps := PurchasesFromLines(loadOnlineRetail(t))
	ctx := context.Background()
	for _, newItems := range []bool{false, true} {
		for _, tc := range []struct {
			name string
			tr   Trainer
		}{{"repeat", TrainRepeat}, {"knn", TrainItemKNN}, {"als", TrainALS},
			{"trend30", func(_ context.Context, lg *Log) (Scorer, error) { return NewTrending(lg, 0, 30), nil }}} {
			res, err := Evaluate(ctx, ps, Protocol{TestDays: 30, K: 10, NewItems: newItems}, tc.tr)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s new=%v train=%.2fs: %v", tc.name, newItems, res.TrainSeconds, res.Metrics)
		}
	}
}

func TestOnlineRetailHybrid(t *testing.T) {
	ps := PurchasesFromLines(loadOnlineRetail(t))
	ctx := context.Background()
	for _, newItems := range []bool{false, true} {
		cfg := DefaultHybrid
		cfg.NewItems = newItems
		var hy *Hybrid
		res, err := Evaluate(ctx, ps, Protocol{TestDays: 30, K: 10, NewItems: newItems}, func(ctx context.Context, lg *Log) (Scorer, error) {
			h, err := TrainHybrid(ctx, lg, cfg)
			hy = h
			return h, err
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("hybrid new=%v train=%.2fs val=%.4f rerank=%v gain=%.4f w=%v: %v", newItems, res.TrainSeconds, hy.ValidationScore, hy.Rerank != nil, hy.RerankGain, hy.Weights(), res.Metrics)
	}
}
