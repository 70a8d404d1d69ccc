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
