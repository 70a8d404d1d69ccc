package forecast

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/shelfwise/shelfwise"
)

// simHierarchy simulates stores x items: each item has its own level and
// noise; each store a common AR(1) shock shared by its items, and a chain
// shock shared by all, so aggregates are smoother than their parts.
func simHierarchy(r *rand.Rand, stores, items, n int) []*shelfwise.Series {
	chain := make([]float64, n)
	for t := 1; t < n; t++ {
		chain[t] = 0.8*chain[t-1] + 2*r.NormFloat64()
	}
	var out []*shelfwise.Series
	for s := 0; s < stores; s++ {
		shock := make([]float64, n)
		for t := 1; t < n; t++ {
			shock[t] = 0.7*shock[t-1] + 1.5*r.NormFloat64()
		}
		for i := 0; i < items; i++ {
			level := 20 + 10*r.Float64()
			v := make([]float64, n)
			for t := range v {
				level += 0.2 * r.NormFloat64()
				v[t] = math.Max(0, level+shock[t]+0.5*chain[t]+3*r.NormFloat64())
			}
			out = append(out, &shelfwise.Series{Grain: shelfwise.GrainPeriod, Values: v,
				Key: shelfwise.SeriesKey{SKU: shelfwise.SKU(fmt.Sprintf("i%d", i)), Store: shelfwise.StoreID(fmt.Sprintf("s%d", s))}})
		}
	}
	return out
}

// testLevels are store totals and the chain total.
var testLevels = []LevelSpec{
	{Name: "total", Key: func(*shelfwise.Series) shelfwise.SeriesKey { return shelfwise.SeriesKey{} }},
	{Name: "store", Key: func(s *shelfwise.Series) shelfwise.SeriesKey { return shelfwise.SeriesKey{Store: s.Key.Store} }},
}

func TestBuildHierarchySums(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	bottom := simHierarchy(r, 3, 4, 20)
	levels, hier, err := BuildHierarchy(bottom, testLevels, "item x store")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(levels), 3; got != want {
		t.Fatalf("%d levels, want %d", got, want)
	}
	if len(levels[0].Series) != 1 || len(levels[1].Series) != 3 || hier.Rows() != 1+3+12 {
		t.Fatalf("levels of %d and %d series, %d rows", len(levels[0].Series), len(levels[1].Series), hier.Rows())
	}
	for step := range 20 {
		sum := 0.0
		for _, s := range bottom[4:8] { // store s1
			sum += s.Values[step]
		}
		if st := levels[1].Series[1]; st.Key.Store != "s1" || !near(st.Values[step], sum, 1e-9) {
			t.Fatalf("store %s step %d: %v, want %v", st.Key, step, st.Values[step], sum)
		}
	}
	bad := append([]*shelfwise.Series{}, bottom...)
	bad[2] = bad[2].Head(10)
	if _, _, err := BuildHierarchy(bad, testLevels, "bottom"); err == nil {
		t.Fatal("misaligned bottom series were accepted")
	}
}

// TestBacktestHierarchyMinT reconciles ETS base forecasts of a simulated
// hierarchy: bottom-up, MinT and WLS forecasts must be coherent and MinT no
// worse than the base forecasts at the aggregate levels (summed over
// several simulated chains), while unreconciled forecasts are incoherent.
func TestBacktestHierarchyMinT(t *testing.T) {
	const h = 8
	score := map[string]map[string]float64{}
	for seed := range uint64(4) {
		r := rand.New(rand.NewPCG(seed, 77))
		levels, hier, err := BuildHierarchy(simHierarchy(r, 4, 6, 160), testLevels, "item x store")
		if err != nil {
			t.Fatal(err)
		}
		// Base forecasts are the same for every method: fit them once.
		memo := map[int]*memoLocal{}
		f := func(l int) Forecaster {
			if memo[l] == nil {
				memo[l] = &memoLocal{Local: Local{Method: ETS{Options: ETSOptions{NoTrend: true}}}, got: map[int][]Prediction{}}
			}
			return memo[l]
		}
		for _, method := range []string{ReconcileNone, ReconcileBottomUp, ReconcileMinT, ReconcileWLS} {
			res, err := BacktestHierarchy(context.Background(), f, levels, hier,
				HierarchyOptions{Horizon: h, Windows: 3, CalibrationWindows: 3, NonNegative: true, Reconcile: method})
			if err != nil {
				t.Fatal(err)
			}
			if method == ReconcileNone && res.MaxIncoherence < 1e-3 {
				t.Fatalf("base forecasts coherent (%g): the test cannot tell", res.MaxIncoherence)
			}
			if method != ReconcileNone && res.MaxIncoherence > 1e-9 {
				t.Fatalf("%s forecasts incoherent by %g", method, res.MaxIncoherence)
			}
			if method == ReconcileMinT && (len(res.Lambda) != 3 || res.Lambda[0] < 0 || res.Lambda[0] > 1) {
				t.Fatalf("MinT shrinkage %v", res.Lambda)
			}
			if score[method] == nil {
				score[method] = map[string]float64{}
			}
			for _, l := range res.Levels {
				score[method][l.Name] += l.Metrics.MASE
			}
			score[method]["pooled"] += res.Pooled.MASE
		}
	}
	t.Logf("MASE summed over 4 chains: %v", score)
	for _, l := range []string{"total", "store"} {
		if score[ReconcileMinT][l] > score[ReconcileNone][l] {
			t.Errorf("%s MASE: MinT %.4f, base %.4f", l, score[ReconcileMinT][l], score[ReconcileNone][l])
		}
	}
}

func TestBacktestHierarchyRejects(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 2))
	levels, hier, err := BuildHierarchy(simHierarchy(r, 2, 2, 40), testLevels, "bottom")
	if err != nil {
		t.Fatal(err)
	}
	f := func(int) Forecaster { return Local{Method: Naive{}} }
	if _, err := BacktestHierarchy(context.Background(), f, levels, hier, HierarchyOptions{Horizon: 4, Windows: 1, Reconcile: ReconcileMinT}); err == nil {
		t.Error("MinT without calibration windows was accepted")
	}
	if _, err := BacktestHierarchy(context.Background(), f, levels, hier, HierarchyOptions{Horizon: 4, Windows: 1, Reconcile: "topdown"}); err == nil {
		t.Error("unknown reconciliation was accepted")
	}
}

// memoLocal remembers a Local's forecasts of one batch by cut.
type memoLocal struct {
	Local
	got map[int][]Prediction
}

func (m *memoLocal) Forecast(ctx context.Context, ss []*shelfwise.Series, cut, h int) ([]Prediction, error) {
	if p, ok := m.got[cut]; ok {
		return p, nil
	}
	p, err := m.Local.Forecast(ctx, ss, cut, h)
	m.got[cut] = p
	return p, err
}

func TestPoolSparse(t *testing.T) {
	dense := [][]float64{{1, 2, 3}, {4, 5, 6}}
	if got := poolSparse(dense, 3); &got[0][0] != &dense[0][0] {
		t.Errorf("enough errors per step were pooled: %v", got)
	}
	got := poolSparse([][]float64{{3}, {1, 2}}, 3)
	for k, e := range got {
		if len(e) != 3 || e[0] != 1 || e[2] != 3 {
			t.Errorf("step %d: %v, want the sorted pool [1 2 3]", k, e)
		}
	}
}
