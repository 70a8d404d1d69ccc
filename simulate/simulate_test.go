package simulate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/shelfwise/shelfwise"
)

var testKey = []byte("simulate-test-key-0123456789abcdef")

// small is a quick chain with every feature on.
func small(seed int64) Config {
	cfg := Demo()
	cfg.Seed = seed
	cfg.Stores = 2
	cfg.Products = 60
	cfg.Customers = 300
	cfg.Days = 120
	cfg.MeanUnits = 0.6
	cfg.Pseudonymizer = shelfwise.NewPseudonymizer(testKey)
	return cfg
}

func run(t *testing.T, cfg Config) (*collector, *Truth) {
	t.Helper()
	var c collector
	tr, err := Run(context.Background(), cfg, &c)
	if err != nil {
		t.Fatal(err)
	}
	return &c, tr
}

func TestDeterminism(t *testing.T) {
	cfg := small(7)
	cfg.Workers, cfg.BatchSize = 1, 10000
	a, ta := run(t, cfg)
	cfg.Workers, cfg.BatchSize = 4, 333
	b, tb := run(t, cfg)
	if len(a.lines) == 0 || len(a.events) == 0 || len(a.sessions) == 0 || len(a.stock) == 0 {
		t.Fatalf("empty output: %d lines, %d events, %d sessions, %d stock", len(a.lines), len(a.events), len(a.sessions), len(a.stock))
	}
	for name, pair := range map[string][2]any{
		"lines": {a.lines, b.lines}, "events": {a.events, b.events}, "sessions": {a.sessions, b.sessions},
		"stock": {a.stock, b.stock}, "prices": {a.prices, b.prices}, "promos": {a.promos, b.promos},
		"products": {a.products, b.products}, "stores": {a.stores, b.stores}, "calendar": {a.calendar, b.calendar},
	} {
		if !reflect.DeepEqual(pair[0], pair[1]) {
			t.Errorf("%s differ between runs with the same seed", name)
		}
	}
	ja, _ := json.Marshal(ta)
	jb, _ := json.Marshal(tb)
	if string(ja) != string(jb) {
		t.Error("truth differs between runs with the same seed")
	}
	if b.calls <= a.calls {
		t.Errorf("batch size 333 made %d sink calls, batch size 10000 %d: batching not applied", b.calls, a.calls)
	}

	c, tc := run(t, small(8))
	if reflect.DeepEqual(a.lines[:100], c.lines[:100]) {
		t.Error("different seeds gave the same first order lines")
	}
	if ta.Products[0].Elasticity == tc.Products[0].Elasticity {
		t.Error("different seeds gave the same elasticity")
	}
	if small(7).Fingerprint() == small(8).Fingerprint() || small(7).Fingerprint() != cfg.Fingerprint() {
		t.Error("fingerprint must depend on the seed and not on workers or batch size")
	}
}

func TestPseudonymisedKeysOnly(t *testing.T) {
	cfg := small(3)
	c, tr := run(t, cfg)
	ps := shelfwise.NewPseudonymizer(testKey)
	known := map[shelfwise.CustomerKey]bool{}
	for i := range cfg.Customers {
		known[ps.Key(fmt.Sprintf("cust-%06d", i+1))] = true
	}
	for _, ct := range tr.Customers {
		if !known[ct.Key] {
			t.Fatalf("truth customer key %q is not a pseudonym", ct.Key)
		}
	}
	check := func(what string, k shelfwise.CustomerKey) {
		t.Helper()
		if k == "" {
			return
		}
		if !known[k] || strings.Contains(string(k), "cust-") {
			t.Fatalf("%s carries customer %q, not a pseudonym of a simulated id", what, k)
		}
	}
	named, anon := 0, 0
	for _, l := range c.lines {
		check("order line", l.Customer)
		if l.Customer == "" {
			anon++
		} else {
			named++
		}
	}
	for _, e := range c.events {
		check("event", e.Customer)
	}
	for _, s := range c.sessions {
		check("session", s.Customer)
	}
	if named == 0 || anon == 0 {
		t.Errorf("named=%d anonymous=%d lines: want both", named, anon)
	}
	// without a pseudonymizer nothing runs
	cfg.Pseudonymizer = nil
	if _, err := Run(context.Background(), cfg, &collector{}); shelfwise.ErrorCode(err) != shelfwise.EINVALID {
		t.Errorf("no pseudonymizer: err=%v, want EINVALID", err)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"OK", func(*Config) {}, ""},
		{"ErrDays", func(c *Config) { c.Days = -1 }, "days"},
		{"ErrStores", func(c *Config) { c.Stores = -1 }, "stores"},
		{"ErrShare", func(c *Config) { c.AnonymousShare = 1 }, "anonymous share"},
		{"ErrReturns", func(c *Config) { c.ReturnRate = 0.5 }, "return rate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := small(1)
			tt.mod(&cfg)
			err := cfg.WithDefaults().Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if shelfwise.ErrorCode(err) != shelfwise.EINVALID || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err=%v, want EINVALID about %s", err, tt.want)
			}
		})
	}
}

func TestOrderLinesShape(t *testing.T) {
	c, tr := run(t, small(11))
	invoices := map[shelfwise.InvoiceID][]shelfwise.OrderLine{}
	returns := 0
	for _, l := range c.lines {
		switch l.Kind {
		case shelfwise.LineReturn:
			returns++
			if l.Quantity >= 0 || !strings.HasPrefix(string(l.Invoice), "C") {
				t.Fatalf("return %+v: want negative quantity and a C invoice", l)
			}
			orig, ok := invoices[l.Invoice[1:]]
			if !ok {
				t.Fatalf("return %s before or without its sale", l.Invoice)
			}
			if !orig[0].Time.Before(l.Time) || orig[0].Customer != l.Customer {
				t.Fatalf("return %+v does not follow its sale %+v", l, orig[0])
			}
		case shelfwise.LineSale:
			if l.Quantity <= 0 || l.UnitPrice <= 0 {
				t.Fatalf("sale %+v: want positive quantity and price", l)
			}
			invoices[l.Invoice] = append(invoices[l.Invoice], l)
		default:
			t.Fatalf("unexpected kind %q", l.Kind)
		}
	}
	multi := 0
	for _, ls := range invoices {
		seen := map[shelfwise.SKU]bool{}
		for _, l := range ls {
			if seen[l.SKU] {
				t.Fatalf("invoice %s lists %s twice", l.Invoice, l.SKU)
			}
			seen[l.SKU] = true
			if l.Customer != ls[0].Customer || l.Store != ls[0].Store || !l.Time.Equal(ls[0].Time) {
				t.Fatalf("invoice %s mixes customers, stores or times", l.Invoice)
			}
		}
		if len(ls) > 1 {
			multi++
		}
	}
	if returns == 0 || multi < len(invoices)/4 {
		t.Errorf("returns=%d, multi-line invoices=%d of %d: want returns and real baskets", returns, multi, len(invoices))
	}
	// promoted lines carry their discount and the promotion price
	promoLines := 0
	for _, l := range c.lines {
		if l.Kind != shelfwise.LineSale {
			continue
		}
		want := tr.Price(l.SKU, l.Store, l.Time)
		if math.Abs(l.UnitPrice-want) > 1e-9 {
			t.Fatalf("line %+v: price %v, truth says %v", l, l.UnitPrice, want)
		}
		if l.Discount > 0 {
			promoLines++
		}
	}
	if promoLines == 0 {
		t.Error("no discounted lines")
	}
	if got, want := tr.Counts[KindOrderLines], int64(len(c.lines)); got != want {
		t.Errorf("counts[order_lines]=%d, want %d", got, want)
	}
}

func TestTruthRoundTrip(t *testing.T) {
	_, tr := run(t, small(5))
	for _, big := range []bool{false, true} {
		dir := t.TempDir()
		old := gzipAbove
		if big {
			gzipAbove = 1000
		}
		err := WriteTruth(dir, tr)
		gzipAbove = old
		if err != nil {
			t.Fatal(err)
		}
		name := TruthFile
		if big {
			name += ".gz"
		}
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Fatalf("big=%v: %v", big, err)
		}
		got, err := ReadTruth(dir)
		if err != nil {
			t.Fatal(err)
		}
		sku, store := tr.Products[3].SKU, tr.Stores[1].ID
		day := tr.Start.AddDate(0, 0, 40)
		if a, b := tr.ExpectedDemand(sku, store, day), got.ExpectedDemand(sku, store, day); a != b || a <= 0 {
			t.Errorf("expected demand %v after round trip, want %v > 0", b, a)
		}
		c := tr.Customers[10].Key
		if !reflect.DeepEqual(tr.TopN(c, 5), got.TopN(c, 5)) {
			t.Error("TopN differs after round trip")
		}
		s := tr.Sessions.Sessions[4]
		if p, ok := got.SessionProbability(s.ID); !ok || p != s.P {
			t.Errorf("session probability %v,%v want %v", p, ok, s.P)
		}
		cs := tr.Censored[0]
		if !got.IsCensored(cs.SKU, cs.Store, tr.Date(cs.Days[0])) {
			t.Error("censored day lost in round trip")
		}
	}
	// corrupt truth gives a clear error
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, TruthFile), []byte(`{"version":"simulate/v1","days":3,"stores":[{"id":"A"}],"products":[{"sku":"X","subcategory":9}]}`), 0o644)
	if _, err := ReadTruth(dir); err == nil || !strings.Contains(err.Error(), "out of range") {
		t.Errorf("corrupt truth: err=%v, want out of range", err)
	}
}

func TestSeriesMatchesRun(t *testing.T) {
	cfg := M5()
	cfg.Products, cfg.Stores, cfg.Days = 30, 2, 90
	cfg.StockEvery = 7
	var c collector
	if _, err := Run(context.Background(), cfg, &c); err != nil {
		t.Fatal(err)
	}
	if len(c.lines) != 0 || len(c.points) != 30*2*90 {
		t.Fatalf("aggregate run: %d lines, %d points; want 0 and %d", len(c.lines), len(c.points), 30*2*90)
	}
	points := map[string]shelfwise.SalesPoint{}
	for _, p := range c.points {
		points[fmt.Sprint(p.SKU, p.Store, p.Period)] = p
	}
	n := 0
	_, err := Series(context.Background(), cfg, func(s *shelfwise.Series) error {
		n++
		for d, v := range s.Values {
			p := points[fmt.Sprint(s.Key.SKU, s.Key.Store, d)]
			if p.Units != v || p.Censored != s.Censored[d] || p.Available != s.Available[d] || p.Price != s.Price[d] {
				return fmt.Errorf("%v day %d: series %v/%v/%v, point %+v", s.Key, d, v, s.Censored[d], s.Price[d], p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != 60 {
		t.Errorf("series=%d, want 60", n)
	}
}

var errSink = errors.New("disk full")

type failingSink struct {
	collector
	after int
}

func (f *failingSink) AddOrderLines(ctx context.Context, ls []shelfwise.OrderLine) error {
	if f.after--; f.after < 0 {
		return errSink
	}
	return f.collector.AddOrderLines(ctx, ls)
}

func TestStopsOnErrorAndCancel(t *testing.T) {
	cfg := small(2)
	if _, err := Run(context.Background(), cfg, &failingSink{after: 3}); !errors.Is(err, errSink) {
		t.Errorf("sink error: got %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cfg.Progress = func(done, total int) {
		if done >= 14 {
			cancel()
		}
	}
	if _, err := Run(ctx, cfg, &collector{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: got %v", err)
	}
	cfg = M5()
	cfg.Products, cfg.Days = 3000, 30
	ctx, cancel = context.WithCancel(context.Background())
	_, err := Series(ctx, cfg, func(*shelfwise.Series) error { cancel(); return nil })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("series cancelled: got %v", err)
	}
}

func TestCalendar(t *testing.T) {
	if got := easter(2024); !got.Equal(time.Date(2024, 3, 31, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("easter 2024 = %v", got)
	}
	if got := easter(2025); !got.Equal(time.Date(2025, 4, 20, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("easter 2025 = %v", got)
	}
	if got := blackFriday(2023); !got.Equal(time.Date(2023, 11, 24, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("black friday 2023 = %v", got)
	}
	if got := nthWeekday(5, time.Sunday, 2)(2024); !got.Equal(time.Date(2024, 5, 12, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("mother's day 2024 = %v", got)
	}
}
