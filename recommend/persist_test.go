package recommend

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/shelfwise/shelfwise"
	"github.com/shelfwise/shelfwise/ml/gbdt"
	"github.com/shelfwise/shelfwise/ml/modelio"
)

// withReranker returns a copy of m whose all-items blend carries a small
// reranker (trained on random rows: only the round trip matters here).
func withReranker(t *testing.T, m *Model) *Model {
	t.Helper()
	nc := len(m.All.Components)
	rng := rand.New(rand.NewPCG(3, 4))
	var rows [][]float64
	var y []float64
	for i := 0; i < 400; i++ {
		r := make([]float64, rerankWidth(nc))
		for k := range r {
			r[k] = rng.Float64()
		}
		rows = append(rows, r)
		y = append(y, float64(rng.IntN(2)))
	}
	X, err := gbdt.FromRows(rows)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := gbdt.Train(context.Background(), gbdt.Dataset{X: X, Y: y}, nil,
		gbdt.Params{Objective: gbdt.Logistic, NumTrees: 5, MaxDepth: 3, LearningRate: 0.3}, rng)
	if err != nil {
		t.Fatal(err)
	}
	c := *m
	all := *m.All
	all.Rerank = &Reranker{Trees: tr, Top: 30, Blend: 0.1, Facts: itemFacts(m.Log)}
	c.All = &all
	c.Data = "purchases=123 until=2026-01-02"
	return &c
}

// TestModelRoundTrip saves and loads a trained model and checks that the
// loaded one answers every kind of request exactly as the original.
func TestModelRoundTrip(t *testing.T) {
	base, _ := testModel(t)
	m := withReranker(t, base)
	// Transitions learned from a browsing session (Browsed is saved).
	sess, err := NewSessionModel(context.Background(), m.Log, [][]shelfwise.SKU{{sku(7), sku(8), sku(9)}}, m.Session.Cfg)
	if err != nil {
		t.Fatal(err)
	}
	m.Session = sess
	data, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	got, err := UnmarshalModel(data)
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != m.Version || !got.TrainedAt.Equal(m.TrainedAt) || got.Data != m.Data {
		t.Fatalf("header: %q %v %q, want %q %v %q", got.Version, got.TrainedAt, got.Data, m.Version, m.TrainedAt, m.Data)
	}
	if !reflect.DeepEqual(got.All.W, m.All.W) || !reflect.DeepEqual(got.New.W, m.New.W) || got.All.Rerank == nil {
		t.Fatal("blend weights or reranker differ")
	}
	if len(m.All.Rerank.Facts) == 0 || !reflect.DeepEqual(got.All.Rerank.Facts, m.All.Rerank.Facts) {
		t.Fatalf("reranker item facts: %d saved, %d loaded", len(m.All.Rerank.Facts), len(got.All.Rerank.Facts))
	}
	if m.Session.Browsed == nil || !reflect.DeepEqual(got.Session.Browsed, m.Session.Browsed) || !reflect.DeepEqual(got.Session.Next, m.Session.Next) {
		t.Fatal("session transitions differ")
	}
	if got.catTop == nil || !reflect.DeepEqual(got.catTop, m.catTop) || !reflect.DeepEqual(got.trendCache, m.trendCache) {
		t.Fatal("derived catalogue lists differ")
	}
	again, err := got.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, data) {
		t.Fatal("saving the loaded model gives different bytes")
	}
	ctx := context.Background()
	e1, e2 := NewEngine(m), NewEngine(got)
	reqs := []Request{
		{Customer: cust(4), N: 10},
		{Customer: cust(17), N: 10, Filter: Filter{NewOnly: true}},
		{Customer: cust(30), N: 8, Filter: Filter{Categories: []string{"cat1"}, MaxPerCategory: 3, DedupeVariants: true}},
		{Customer: "nobody", N: 5},
		{N: 5, Filter: Filter{Categories: []string{"cat2"}}},
	}
	for _, ev := range []shelfwise.Event{{Customer: cust(4), SKU: sku(150), Type: shelfwise.EventPurchase, Quantity: 1},
		{Session: "s1", SKU: sku(7), Type: shelfwise.EventView}} {
		ev.Time = m.TrainedAt.Add(3600e9)
		if err := e1.Observe(ev); err != nil {
			t.Fatal(err)
		}
		if err := e2.Observe(ev); err != nil {
			t.Fatal(err)
		}
	}
	reqs = append(reqs, Request{Session: "s1", N: 5}, Request{Customer: cust(4), N: 10})
	for _, r := range reqs {
		a, err1 := e1.Recommend(ctx, r)
		b, err2 := e2.Recommend(ctx, r)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if len(a) == 0 || !reflect.DeepEqual(a, b) {
			t.Fatalf("request %+v:\n original %+v\n loaded   %+v", r, a, b)
		}
	}
	for _, s := range []shelfwise.SKU{sku(5), "NEW1"} {
		a, _ := e1.Similar(s, 5)
		b, _ := e2.Similar(s, 5)
		if len(a) == 0 || !reflect.DeepEqual(a, b) {
			t.Fatalf("similar %s: %+v vs %+v", s, a, b)
		}
	}
	for _, s := range []shelfwise.SKU{sku(5), "NEW1"} {
		p, ok := got.Product(s)
		want, _ := m.Product(s)
		if !ok || p.SKU != s || p.Name == "" || !reflect.DeepEqual(p, want) {
			t.Fatalf("product %s: loaded %+v (%v), original %+v", s, p, ok, want)
		}
	}
	if p, ok := got.Product("no such sku"); ok {
		t.Fatalf("unknown SKU found: %+v", p)
	}
	a, _ := e1.BoughtTogether(sku(5), 5)
	b, _ := e2.BoughtTogether(sku(5), 5)
	if !reflect.DeepEqual(a, b) || !reflect.DeepEqual(e1.Trending("cat1", 4), e2.Trending("cat1", 4)) {
		t.Fatal("bought-together or trending lists differ")
	}
}

// TestModelCorruptFile checks that damaged or foreign files are refused
// with a clear error, never loaded as a wrong model.
func TestModelCorruptFile(t *testing.T) {
	m, _ := testModel(t)
	data, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	flipped := append([]byte(nil), data...)
	flipped[len(flipped)/2] ^= 0x40
	for name, bad := range map[string][]byte{
		"truncated": data[:len(data)-100],
		"half":      data[:len(data)/2],
		"flipped":   flipped,
		"empty":     nil,
		"text":      []byte("not a model at all"),
	} {
		if _, err := UnmarshalModel(bad); !errors.Is(err, modelio.ErrCorrupt) {
			t.Errorf("%s: got %v, want a corrupt-file error", name, err)
		}
	}
	other := modelio.Seal("gbdt", 1, []byte{1, 2, 3})
	if _, err := UnmarshalModel(other); err == nil || !strings.Contains(err.Error(), `"gbdt"`) {
		t.Errorf("foreign kind: %v", err)
	}
	newer := modelio.Seal(ModelKind, modelFormat+1, []byte{1})
	if _, err := UnmarshalModel(newer); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("newer format: %v", err)
	}
	// A well-sealed payload with a wrong body is caught by the decoder.
	if _, err := UnmarshalModel(modelio.Seal(ModelKind, modelFormat, []byte("xxxxxxxxxxxxxxxxxxxxxxxxx"))); !errors.Is(err, modelio.ErrCorrupt) {
		t.Errorf("bad payload: %v", err)
	}
}

// TestFingerprint checks that the data fingerprint ignores line order and
// changes with any added, altered or removed purchase or product.
func TestFingerprint(t *testing.T) {
	ps := []Purchase{buy(0, 1, 0), buy(0, 2, 1), buy(1, 1, 2)}
	prods := []shelfwise.Product{{SKU: sku(1), Name: "a"}, {SKU: sku(2), Name: "b"}}
	fp := Fingerprint(ps, prods)
	if got := Fingerprint([]Purchase{ps[2], ps[0], ps[1]}, []shelfwise.Product{prods[1], prods[0]}); got != fp {
		t.Fatalf("order changed the fingerprint:\n%s\n%s", fp, got)
	}
	more := append(append([]Purchase(nil), ps...), buy(2, 2, 3))
	qty := append([]Purchase(nil), ps...)
	qty[1].Quantity = 2
	renamed := []shelfwise.Product{{SKU: sku(1), Name: "a"}, {SKU: sku(2), Name: "B"}}
	for name, other := range map[string]string{
		"added line":      Fingerprint(more, prods),
		"changed line":    Fingerprint(qty, prods),
		"removed line":    Fingerprint(ps[:2], prods),
		"renamed product": Fingerprint(ps, renamed),
	} {
		if other == fp {
			t.Errorf("%s: fingerprint unchanged", name)
		}
	}
	// Swapping the SKUs of two lines keeps counts and times but not the hash.
	sw := append([]Purchase(nil), ps...)
	sw[0].SKU, sw[1].SKU = sw[1].SKU, sw[0].SKU
	if Fingerprint(sw, prods) == fp {
		t.Error("swapped SKUs: fingerprint unchanged")
	}

	// A TrainInput adds its interactions and sessions (in any order).
	in := TrainInput{Purchases: ps, Products: prods}
	if in.Fingerprint() != fp {
		t.Errorf("without interactions or sessions: %q, want Fingerprint's %q", in.Fingerprint(), fp)
	}
	xs := []Interaction{{Customer: cust(0), SKU: sku(2), Time: day(3), Kind: KindView, Quantity: 1},
		{Customer: cust(1), SKU: sku(1), Time: day(4), Kind: KindReturn, Quantity: 1}}
	in.Interactions = xs
	withX := in.Fingerprint()
	in.Interactions = []Interaction{xs[1], xs[0]}
	if in.Fingerprint() != withX {
		t.Error("the interactions' order changed the fingerprint")
	}
	cart := append([]Interaction(nil), xs...)
	cart[0].Kind = KindCart
	in.Interactions = cart
	if withX == fp || in.Fingerprint() == withX {
		t.Errorf("an interaction added or changed (view to cart): fingerprint unchanged")
	}
	in.Interactions = xs
	in.Sessions = [][]shelfwise.SKU{{sku(1), sku(2)}}
	withS := in.Fingerprint()
	in.Sessions = [][]shelfwise.SKU{{sku(2), sku(1)}}
	if withS == withX || in.Fingerprint() == withS {
		t.Error("a session added or reordered: fingerprint unchanged")
	}
}

// TestTrainDeterministic trains the same model twice: the saved bytes must
// be identical (no result may depend on how work was split between
// goroutines).
func TestTrainDeterministic(t *testing.T) {
	if testing.Short() {
		t.Skip("trains the small model twice more")
	}
	var out [2][]byte
	for k := range out {
		m, _, err := trainTestModel()
		if err != nil {
			t.Fatal(err)
		}
		if out[k], err = m.MarshalBinary(); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(out[0], out[1]) {
		t.Fatal("two trainings on the same data gave different models")
	}
}
