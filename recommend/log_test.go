package recommend

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shelfwise/shelfwise"
)

// TestIsPurchaseRules checks the purchase definition rule by rule on hand-
// made lines, and WhyNoPurchases' account of lines that hold none.
func TestIsPurchaseRules(t *testing.T) {
	sale := shelfwise.OrderLine{Invoice: "536365", SKU: "85123A", Customer: "c1", Quantity: 6, UnitPrice: 2.55, Kind: shelfwise.LineSale}
	with := func(f func(*shelfwise.OrderLine)) shelfwise.OrderLine {
		l := sale
		f(&l)
		return l
	}
	for _, c := range []struct {
		name string
		line shelfwise.OrderLine
		rule int // -1: a purchase
	}{
		{"sale", sale, -1},
		{"kind unknown", with(func(l *shelfwise.OrderLine) { l.Kind = "" }), -1},
		{"no customer", with(func(l *shelfwise.OrderLine) { l.Customer = "" }), 0},
		{"quantity 0", with(func(l *shelfwise.OrderLine) { l.Quantity = 0 }), 1},
		{"price 0", with(func(l *shelfwise.OrderLine) { l.UnitPrice = 0 }), 2},
		{"return", with(func(l *shelfwise.OrderLine) { l.Kind = shelfwise.LineReturn }), 3},
		{"adjustment", with(func(l *shelfwise.OrderLine) { l.Kind = shelfwise.LineAdjustment }), 3},
		{"C invoice of unknown kind", with(func(l *shelfwise.OrderLine) { l.Kind, l.Invoice = "", "C536379" }), 4},
		{"c invoice of unknown kind", with(func(l *shelfwise.OrderLine) { l.Kind, l.Invoice = "", "c536379" }), 4},
		// An importer's sale stays one whatever its invoice number.
		{"sale on a C invoice", with(func(l *shelfwise.OrderLine) { l.Invoice = "CS-1001" }), -1},
		{"sale on a cdnow invoice", with(func(l *shelfwise.OrderLine) { l.Invoice = "cdnow-17" }), -1},
		{"postage", with(func(l *shelfwise.OrderLine) { l.SKU = "POST" }), ruleNoDigit},
	} {
		if got := failedRule(c.line); got != c.rule {
			t.Errorf("%s: rule %d, want %d", c.name, got, c.rule)
		}
		if IsPurchase(c.line) != (c.rule < 0) {
			t.Errorf("%s: IsPurchase %v", c.name, IsPurchase(c.line))
		}
	}
	lines := []shelfwise.OrderLine{
		with(func(l *shelfwise.OrderLine) { l.Customer = "" }),
		with(func(l *shelfwise.OrderLine) { l.SKU = "POST" }),
		with(func(l *shelfwise.OrderLine) { l.SKU = "DOT" }),
		with(func(l *shelfwise.OrderLine) { l.Quantity = -1 }),
		with(func(l *shelfwise.OrderLine) { l.SKU = "POST" }),
		with(func(l *shelfwise.OrderLine) { l.Kind, l.Invoice = "", "C1" }),
		with(func(l *shelfwise.OrderLine) { l.Kind = shelfwise.LineReturn }),
	}
	want := `7 order lines, none a purchase: 3 with a product code without a digit (postage, fees and the like), most often "POST"; ` +
		`1 without a customer; 1 with a quantity of 0 or less; 1 returns or adjustments; 1 of unknown kind on cancellation invoices (numbers starting with C)`
	if got := WhyNoPurchases(lines); got != want {
		t.Errorf("WhyNoPurchases:\n got %s\nwant %s", got, want)
	}
	if got := WhyNoPurchases(nil); got != "no order lines (recommendations learn from customers' order lines)" {
		t.Errorf("WhyNoPurchases(nil) = %q", got)
	}
}

// TestEvaluateTestPeriodTooLong: a test period that reaches back past the
// first purchase is refused with an error giving the cut and the first
// purchase, so the analyst sees how long the log is.
func TestEvaluateTestPeriodTooLong(t *testing.T) {
	day0 := time.Date(2011, 3, 1, 9, 0, 0, 0, time.UTC)
	ps := []Purchase{
		{Customer: "a", SKU: "1", Invoice: "1", Time: day0, Quantity: 1},
		{Customer: "a", SKU: "2", Invoice: "2", Time: day0.AddDate(0, 0, 20), Quantity: 1},
	}
	_, err := Evaluate(context.Background(), ps, Protocol{TestDays: 30, K: 10}, TrainPopular)
	want := "a 30-day test period leaves no purchases before its cut 2011-02-19 09:00:00: the first purchase is at 2011-03-01 09:00:00"
	if err == nil || !strings.Contains(err.Error(), want) || shelfwise.ErrorCode(err) != shelfwise.EINVALID {
		t.Fatalf("error %v, want EINVALID %q", err, want)
	}
	if _, err := Evaluate(context.Background(), ps, Protocol{TestDays: 10, K: 10}, TrainPopular); err != nil {
		t.Fatalf("a 10-day test period within the log: %v", err)
	}
}

// TestEvaluateEach: several trainers on one split give what Evaluate gives
// for each alone, and a failing trainer stops the run with the results of
// those before it.
func TestEvaluateEach(t *testing.T) {
	ps, _ := synth(3, 60, 90, 3, 100, 10)
	ctx := context.Background()
	p := Protocol{TestDays: 14, K: 10}
	trainers := []Trainer{TrainPopular, TrainOwnHistory, TrainRepeat}
	each, err := EvaluateEach(ctx, ps, p, trainers...)
	if err != nil || len(each) != len(trainers) {
		t.Fatalf("%d results, %v", len(each), err)
	}
	for i, tr := range trainers {
		alone, err := Evaluate(ctx, ps, p, tr)
		if err != nil {
			t.Fatal(err)
		}
		if each[i].Metrics != alone.Metrics || each[i].TrainPairs != alone.TrainPairs || each[i].Users == 0 {
			t.Errorf("trainer %d: %+v together, %+v alone", i, each[i].Metrics, alone.Metrics)
		}
	}
	if each[0].Metrics == each[1].Metrics {
		t.Error("popular and own history score the same: the trainers did not each run")
	}
	broken := func(context.Context, *Log) (Scorer, error) { return nil, errors.New("broken") }
	got, err := EvaluateEach(ctx, ps, p, TrainPopular, broken, TrainOwnHistory)
	if err == nil || len(got) != 1 || got[0].Metrics != each[0].Metrics {
		t.Fatalf("with a broken second trainer: %d results, %v; want the first's and the error", len(got), err)
	}
}
