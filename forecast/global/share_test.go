package global

import (
	"context"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/shelfwise/shelfwise/forecast"
)

// TestShareSameForecasts runs the default blend with its members sharing
// their binned training rows and with each building its own: forecasts
// must be identical, and the share must hold nothing afterwards.
func TestShareSameForecasts(t *testing.T) {
	series := simWeekly(rand.New(rand.NewPCG(21, 22)), 5, 4, 120)
	base := Model{}
	base.Params.NumTrees = 15
	ctx := context.Background()
	shared := Default(base)
	var sh *trainShare
	own := Default(base)
	for i, f := range own.Members {
		if g, ok := f.(*Model); ok {
			sh = shared.Members[i].(*Model).share
			c := *g
			c.share = nil
			own.Members[i] = &c
		}
	}
	if sh == nil {
		t.Fatal("no member of the default blend shares its training rows")
	}
	// Members of different phases one after the other too: L1 members
	// first, then squared error.
	perm := []int{0, 2, 4, 1, 3, 5, 6}
	reorder := func(b *forecast.Blend) {
		ms, ws := slices.Clone(b.Members), slices.Clone(b.Weights)
		for i, j := range perm {
			b.Members[i], b.Weights[i] = ms[j], ws[j]
		}
		b.Concurrency = 1
	}
	shared2, own2 := Default(base), own
	own2.Members, own2.Weights = slices.Clone(own.Members), slices.Clone(own.Weights)
	reorder(&shared2)
	reorder(&own2)
	sh2 := shared2.Members[0].(*Model).share
	for _, cut := range []int{13, 0} {
		for k, pair := range [][2]forecast.Blend{{shared, own}, {shared2, own2}} {
			a, err := pair[0].Forecast(ctx, series, cut, 13)
			if err != nil {
				t.Fatal(err)
			}
			b, err := pair[1].Forecast(ctx, series, cut, 13)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(a, b) {
				t.Fatalf("cut %d, order %d: shared and own training rows give different forecasts", cut, k)
			}
		}
		if len(sh.m) != 0 || len(sh2.m) != 0 {
			t.Fatalf("cut %d: %d and %d training sets left in the shares", cut, len(sh.m), len(sh2.m))
		}
	}
}
