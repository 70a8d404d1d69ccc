package http

import (
	"context"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/shelfwise/shelfwise"
)

// TestRecRules reads the business rules of a customer's list from query
// strings: values, defaults (price_band with around, promoted_share with
// promoted) and each kind of bad value, which must name its parameter.
func TestRecRules(t *testing.T) {
	for _, c := range []struct {
		query string
		want  RecRules
	}{
		{"", RecRules{}},
		{"max_per_category=2&min_price=1.5&max_price=20", RecRules{MaxPerCategory: 2, MinPrice: 1.5, MaxPrice: 20}},
		{"min_price=3", RecRules{MinPrice: 3}}, // max_price 0: open
		{"around=85123A", RecRules{Around: "85123A", PriceBand: 0.5}},
		{"around=%2085123A%20&price_band=0.25", RecRules{Around: "85123A", PriceBand: 0.25}},
		{"in_stock=true", RecRules{InStock: true}},
		{"promoted=A,%20B,,C", RecRules{Promoted: []shelfwise.SKU{"A", "B", "C"}, PromotedShare: 0.2}},
		{"promoted=A&promoted_share=0.5", RecRules{Promoted: []shelfwise.SKU{"A"}, PromotedShare: 0.5}},
	} {
		v, err := url.ParseQuery(c.query)
		if err != nil {
			t.Fatal(err)
		}
		got, err := recRules(v)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%q: %+v (%v), want %+v", c.query, got, err, c.want)
		}
	}
	for _, c := range []struct{ query, param string }{
		{"max_per_category=-1", "max_per_category"},
		{"max_per_category=101", "max_per_category"},
		{"max_per_category=two", "max_per_category"},
		{"min_price=-1", "min_price"},
		{"min_price=NaN", "min_price"},
		{"max_price=Inf", "max_price"},
		{"min_price=5&max_price=4", "min_price"},
		{"price_band=0.3", "price_band"}, // without around
		{"around=A&price_band=0", "price_band"},
		{"around=A&price_band=11", "price_band"},
		{"around=" + strings.Repeat("x", maxIDLen+1), "around"},
		{"in_stock=maybe", "in_stock"},
		{"promoted_share=0.3", "promoted_share"}, // without promoted
		{"promoted=A&promoted_share=1.5", "promoted_share"},
		{"promoted=" + strings.Repeat("A,", 101), "promoted"},
	} {
		v, err := url.ParseQuery(c.query)
		if err != nil {
			t.Fatal(err)
		}
		_, err = recRules(v)
		if err == nil || shelfwise.ErrorCode(err) != shelfwise.EINVALID || !strings.Contains(err.Error(), c.param) {
			t.Errorf("%q: error %v, want an invalid-input error naming %s", c.query, err, c.param)
		}
	}
}

// TestRecRulesReachRecommender checks that a customer's list request
// passes its rules to the recommender, and that a bad rule is a 400 that
// names the parameter.
func TestRecRulesReachRecommender(t *testing.T) {
	var got RecQuery
	e := newEnv(t, nil, func(c *Config) { c.Recommender = capture{&got} })
	app := e.keys[shelfwise.RoleApp]
	r := e.do("GET", "/v1/customers/c1/recommendations?n=3&max_per_category=1&around=X9&in_stock=1&promoted=P1,P2", app, "")
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	want := RecRules{MaxPerCategory: 1, Around: "X9", PriceBand: 0.5, InStock: true, Promoted: []shelfwise.SKU{"P1", "P2"}, PromotedShare: 0.2}
	if got.N != 3 || !reflect.DeepEqual(got.Rules, want) {
		t.Fatalf("recommender got %+v, want rules %+v", got, want)
	}
	r = e.do("GET", "/v1/customers/c1/recommendations?min_price=9&max_price=1", app, "")
	if r.status != 400 || r.errCode() != shelfwise.EINVALID || !strings.Contains(string(r.body), "min_price") {
		t.Fatalf("bad price range: %d %s", r.status, r.body)
	}
	// repeatable names what a new-only list keeps, so it needs new_only.
	if r := e.do("GET", "/v1/customers/c1/recommendations?new_only=true&repeatable=Dairy,%20Bakery", app, ""); r.status != 200 || !reflect.DeepEqual(got.Repeatable, []string{"Dairy", "Bakery"}) {
		t.Fatalf("repeatable: %d %s, recommender got %+v", r.status, r.body, got)
	}
	if r := e.do("GET", "/v1/customers/c1/recommendations?repeatable=Dairy", app, ""); r.status != 400 || !strings.Contains(string(r.body), "new_only") {
		t.Fatalf("repeatable without new_only: %d %s", r.status, r.body)
	}
	// Item-to-item lists take the same query.
	got = RecQuery{}
	if r := e.do("GET", "/v1/products/X9/similar?max_price=4&in_stock=true", app, ""); r.status != 200 || got.Rules.MaxPrice != 4 || !got.Rules.InStock {
		t.Fatalf("similar: %d %s, recommender got %+v", r.status, r.body, got)
	}
	// A session's rules come in its body; a bad one names the field.
	r = e.do("POST", "/v1/recommendations/session", app, `{"skus":["A1"],"around":" A1 ","max_per_category":2,"promoted":["P1"],"exclude":[" B2 ","","C3"]}`)
	want = RecRules{MaxPerCategory: 2, Around: "A1", PriceBand: 0.5, Promoted: []shelfwise.SKU{"P1"}, PromotedShare: 0.2}
	if r.status != 200 || !reflect.DeepEqual(got.Rules, want) {
		t.Fatalf("session: %d %s, rules %+v, want %+v", r.status, r.body, got.Rules, want)
	}
	// Its exclusions are trimmed as the query string's are.
	if wantEx := []shelfwise.SKU{"B2", "C3"}; !reflect.DeepEqual(got.Exclude, wantEx) {
		t.Fatalf("session exclude %q, want %q", got.Exclude, wantEx)
	}
	r = e.do("POST", "/v1/recommendations/session", app, `{"skus":["A1"],"price_band":0.2}`)
	if r.status != 400 || !strings.Contains(string(r.body), "field price_band") || !strings.Contains(string(r.body), "around") {
		t.Fatalf("session price_band without around: %d %s", r.status, r.body)
	}
}

// capture is a recommender that records the query of ForCustomer.
type capture struct{ q *RecQuery }

func (c capture) ForCustomer(_ context.Context, _ shelfwise.CustomerKey, q RecQuery) (RecList, error) {
	*c.q = q
	return fakeRecommender{}.list(q, "captured"), nil
}

func (c capture) ForSession(ctx context.Context, s shelfwise.SessionID, skus []shelfwise.SKU, q RecQuery) (RecList, error) {
	*c.q = q
	return fakeRecommender{}.ForSession(ctx, s, skus, q)
}

func (c capture) Similar(ctx context.Context, sku shelfwise.SKU, q RecQuery) (RecList, error) {
	*c.q = q
	return fakeRecommender{}.Similar(ctx, sku, q)
}

func (c capture) BoughtTogether(ctx context.Context, sku shelfwise.SKU, q RecQuery) (RecList, error) {
	return fakeRecommender{}.BoughtTogether(ctx, sku, q)
}

func (c capture) Trending(ctx context.Context, q RecQuery) (RecList, error) {
	return fakeRecommender{}.Trending(ctx, q)
}
