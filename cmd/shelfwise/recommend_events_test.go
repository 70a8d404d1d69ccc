package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/shelfwise/shelfwise"
	"github.com/shelfwise/shelfwise/recommend"
	"github.com/shelfwise/shelfwise/sqlite"
)

// TestRecommenderLearnsEvents checks that the recommender trained from the
// store learns from its returns and its customers' views and add-to-carts,
// not only from purchases: recommenderData reads them (anonymous events
// and searches left out, but for the sessions the session model learns
// from), a customer who has only viewed is in the trained
// model, the model is dated by its latest event, and an event added to the
// store makes the saved model stale.
func TestRecommenderLearnsEvents(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(t.TempDir(), "retail.csv.gz")
	returns := writeRetailFixture(t, data, false)
	if _, errOut, code := runImportCLI(t, dir, "import", "--format", "online-retail", "--data", data); code != 0 {
		t.Fatalf("import: exit %d: %s", code, errOut)
	}
	ctx := context.Background()
	db, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	in, err := recommenderData(ctx, db, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if returns == 0 || len(in.Interactions) != returns {
		t.Fatalf("%d interactions read, want the fixture's %d returns", len(in.Interactions), returns)
	}
	for _, x := range in.Interactions {
		if x.Kind != recommend.KindReturn || x.Quantity <= 0 || x.Customer == "" {
			t.Fatalf("not a return of a known customer: %+v", x)
		}
	}
	stale := in.Fingerprint()

	var last time.Time
	for _, p := range in.Purchases {
		if p.Time.After(last) {
			last = p.Time
		}
	}
	known, sku := in.Purchases[0].Customer, in.Purchases[0].SKU
	at := last.Add(time.Hour)
	evs := []shelfwise.Event{
		{Time: at, Session: "s1", Customer: known, Type: shelfwise.EventView, SKU: sku},
		{Time: at.Add(time.Minute), Session: "s1", Customer: known, Type: shelfwise.EventCart, SKU: sku, Quantity: 2},
		{Time: at.Add(2 * time.Minute), Session: "s1", Customer: known, Type: shelfwise.EventSearch, Query: "mugs"},
		{Time: at.Add(3 * time.Minute), Session: "s2", Type: shelfwise.EventView, SKU: sku}, // anonymous
		{Time: at.Add(4 * time.Minute), Session: "s3", Customer: "newcomer", Type: shelfwise.EventView, SKU: sku},
	}
	if _, err := db.AddEvents(ctx, "", evs, nil); err != nil {
		t.Fatal(err)
	}
	in, err = recommenderData(ctx, db, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	kind := map[recommend.InteractionKind]string{recommend.KindView: "view", recommend.KindCart: "cart"}
	var got []string
	for _, x := range in.Interactions {
		if x.Kind != recommend.KindReturn {
			got = append(got, string(x.Customer)+" "+kind[x.Kind])
		}
	}
	if want := []string{string(known) + " view", string(known) + " cart", "newcomer view"}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("interactions from events: %q, want %q", got, want)
	}
	// Sessions keep every view and cart, anonymous ones too, in order.
	if want := [][]shelfwise.SKU{{sku, sku}, {sku}, {sku}}; !reflect.DeepEqual(in.Sessions, want) {
		t.Fatalf("sessions %v, want %v", in.Sessions, want)
	}
	if in.Fingerprint() == stale {
		t.Fatal("the fingerprint ignores the events added")
	}
	// Up to the events' time, the store reads as before they came.
	if early, err := recommenderData(ctx, db, at); err != nil || early.Fingerprint() != stale {
		t.Fatalf("data up to %v: %v, fingerprint changed", at, err)
	}

	model, err := trainRecommendModel(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if model.Data != in.Fingerprint() {
		t.Fatalf("model stamped %q, want %q", model.Data, in.Fingerprint())
	}
	if model.Log.User("newcomer") < 0 {
		t.Fatal("a customer who only viewed is not in the model")
	}
	if want := at.Add(4 * time.Minute); !model.TrainedAt.Equal(want) {
		t.Fatalf("model trained at %v, want its latest event's time %v", model.TrainedAt, want)
	}
}

// TestRecommendViewed: "recommend --viewed" lists what to show a visitor
// who has just looked at the products given, explained by them; a product
// the model lacks, or --viewed beside --customers, is bad input.
func TestRecommendViewed(t *testing.T) {
	dir := retailStore(t)
	out, errOut, code := runImportCLI(t, dir, "recommend", "--viewed", "20005,20006", "--n", "10", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var res struct {
		Known bool `json:"known_customer"`
		Recs  []struct {
			SKU, Reason, Source string
		} `json:"recommendations"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if res.Known || len(res.Recs) != 10 {
		t.Fatalf("visitor's list: known %v, %d products", res.Known, len(res.Recs))
	}
	// The fixture has no browsing sessions: the session's transitions are
	// the customers' consecutive baskets.
	fromSession := 0
	for _, r := range res.Recs {
		if r.Source == "session" {
			fromSession++
			if r.Reason != "often bought after ITEM 20005" && r.Reason != "often bought after ITEM 20006" {
				t.Errorf("%s from the session reads %q", r.SKU, r.Reason)
			}
		}
	}
	if fromSession == 0 {
		t.Fatalf("no product of the list comes from the session: %+v", res.Recs)
	}
	if out, _, code := runImportCLI(t, dir, "recommend", "--viewed", "20005"); code != 0 || strings.Contains(out, "not found") {
		t.Fatalf("text list: exit %d\n%s", code, out)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--viewed", "20005,NOPE"}, `--viewed: no product "NOPE" in the catalogue`},
		{[]string{"--viewed", "20005", "--customers", "ids.txt"}, "it takes neither --customer nor --viewed"},
		{nil, "recommend needs --customer ID, --viewed SKUS or --customers FILE"},
	} {
		if _, errOut, code := runImportCLI(t, dir, append([]string{"recommend"}, c.args...)...); code != 2 || !strings.Contains(errOut, c.want) {
			t.Errorf("recommend %v: exit %d, stderr %q; want exit 2 and %q", c.args, code, errOut, c.want)
		}
	}
}
