package recommend

import (
	"bytes"
	"context"
	"reflect"
	"testing"

	"github.com/shelfwise/shelfwise"
)

// TestRetainErases erases one customer from a trained model: the copy
// serves them exactly as a customer it never saw, its saved form no longer
// holds their key, other customers get the same recommendations as before,
// the original model is unchanged, and erasing again changes nothing.
func TestRetainErases(t *testing.T) {
	m, _ := testModel(t)
	ctx := context.Background()
	gone := cust(4)
	before, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	c, n, err := m.Retain(func(k shelfwise.CustomerKey) bool { return k != gone })
	if err != nil || n != 1 {
		t.Fatalf("Retain: %d removed, %v; want 1", n, err)
	}
	if m.Log.User(gone) < 0 {
		t.Fatal("the original model lost the customer")
	}
	if after, _ := m.MarshalBinary(); !bytes.Equal(before, after) {
		t.Fatal("Retain changed the original model")
	}
	if c.Log.User(gone) >= 0 {
		t.Fatal("the erased customer is still indexed")
	}
	saved, err := c.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(saved, []byte(gone)) {
		t.Fatal("the saved model still holds the erased customer's key")
	}
	u := m.Log.User(gone)
	loaded, err := UnmarshalModel(saved)
	if err != nil {
		t.Fatal(err)
	}
	if len(loaded.Log.Histories[u]) != 0 {
		t.Fatalf("the saved model keeps %d purchases of the erased slot", len(loaded.Log.Histories[u]))
	}
	for _, comp := range loaded.All.Components {
		if a, ok := comp.Scorer.(*ALS); ok {
			for _, x := range a.U[u*a.f : (u+1)*a.f] {
				if x != 0 {
					t.Fatal("the erased customer's ALS vector survives")
				}
			}
		}
	}
	for b, bu := range loaded.Log.BasketUser {
		if int(bu) == u && len(loaded.Log.Baskets[b]) != 0 {
			t.Fatal("the erased customer's baskets survive")
		}
	}

	// The erased customer is served like a stranger; others as before.
	orig, erased := NewEngine(m), NewEngine(loaded)
	got, err := erased.Recommend(ctx, Request{Customer: gone, N: 10})
	if err != nil {
		t.Fatal(err)
	}
	stranger, err := erased.Recommend(ctx, Request{Customer: "never-seen", N: 10})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, stranger) {
		t.Errorf("erased customer gets %+v, a stranger %+v", got, stranger)
	}
	for _, k := range []int{3, 5, 40} {
		a, _ := orig.Recommend(ctx, Request{Customer: cust(k), N: 10})
		b, _ := erased.Recommend(ctx, Request{Customer: cust(k), N: 10})
		if !reflect.DeepEqual(a, b) {
			t.Errorf("customer %d: recommendations changed by another's erasure", k)
		}
	}
	if again, n, err := loaded.Retain(func(k shelfwise.CustomerKey) bool { return k != gone }); err != nil || n != 0 || again != loaded {
		t.Errorf("second erasure: %d removed, %v", n, err)
	}
}
