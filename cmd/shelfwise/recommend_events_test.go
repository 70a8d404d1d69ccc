package main

import (
	"context"
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
