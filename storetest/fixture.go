package storetest

import (
	"context"
	"fmt"
	"time"

	"github.com/shelfwise/shelfwise"
)

// Day0 is the fixture's first day, a Monday.
var Day0 = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// day returns Day0 plus d days and h:m.
func day(d, h, m int) time.Time {
	return Day0.AddDate(0, 0, d).Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
}

// Customer pseudonyms of the fixture (already pseudonymised, as a store
// always receives them).
const (
	custA shelfwise.CustomerKey = "cA"
	custB shelfwise.CustomerKey = "cB"
)

// Fixture is a small retail dataset with hand-computed answers.
type Fixture struct {
	Products   []shelfwise.Product
	Stores     []shelfwise.Store
	Lines      []shelfwise.OrderLine
	Events     []shelfwise.Event
	Sessions   []shelfwise.Session
	Prices     []shelfwise.Price
	Promotions []shelfwise.Promotion
	Stock      []shelfwise.StockLevel
	Calendar   []shelfwise.CalendarEvent
	Covariates []shelfwise.Covariate
}

// NewFixture returns the fixture. Order lines are listed in time order.
func NewFixture() Fixture {
	sale, ret, adj := shelfwise.LineSale, shelfwise.LineReturn, shelfwise.LineAdjustment
	return Fixture{
		Products: []shelfwise.Product{
			{SKU: "A1", Name: "Mug", Department: "Home", Category: "Kitchen", Subcategory: "Mugs", Brand: "Acme",
				Attributes: map[string]string{"colour": "red"}},
			{SKU: "A2", Name: "Plate", Department: "Home", Category: "Kitchen", Subcategory: "Plates"},
			{SKU: "B1", Name: "Pen", Department: "Office", Category: "Stationery", Subcategory: "Pens"},
			{SKU: "POST", Name: "Postage", NonProduct: true},
		},
		Stores: []shelfwise.Store{
			{ID: "S1", Name: "North", Region: "N", Type: "shop", Size: 120, Attributes: map[string]float64{"income": 3.5}},
			{ID: "S2", Name: "Web", Type: "online"},
		},
		Lines: []shelfwise.OrderLine{
			{Invoice: "I1", Time: day(0, 10, 0), Store: "S1", Customer: custA, SKU: "A1", Quantity: 2, UnitPrice: 3, Kind: sale, Country: "UK"},
			{Invoice: "I1", Time: day(0, 10, 0), Store: "S1", Customer: custA, SKU: "A2", Quantity: 1, UnitPrice: 5, Kind: sale, Country: "UK"},
			{Invoice: "I1", Time: day(0, 10, 0), Store: "S1", Customer: custA, SKU: "POST", Quantity: 1, UnitPrice: 10, Kind: sale, Country: "UK"},
			{Invoice: "I7", Time: day(1, 15, 30), Store: "S2", Customer: custB, SKU: "B1", Quantity: 5, UnitPrice: 1, Discount: 0.5, Kind: sale, Country: "FR"},
			{Invoice: "I2", Time: day(2, 9, 0), Store: "S1", Customer: custB, SKU: "A1", Quantity: 4, UnitPrice: 2.5, Kind: sale},
			{Invoice: "I3", Time: day(2, 11, 0), Store: "S2", SKU: "A1", Quantity: 1, UnitPrice: 3, Kind: sale},
			{Invoice: "C4", Time: day(3, 12, 0), Store: "S1", Customer: custA, SKU: "A1", Quantity: -1, UnitPrice: 3, Kind: ret, Country: "UK"},
			{Invoice: "I6", Time: day(4, 8, 0), Store: "S1", SKU: "B1", Quantity: -2, Kind: adj},
			{Invoice: "I5", Time: day(9, 8, 0), Store: "S1", Customer: custA, SKU: "A1", Quantity: 3, UnitPrice: 3, Kind: sale, Country: "UK"},
		},
		Events: []shelfwise.Event{
			{Time: day(0, 9, 0), Session: "s1", Customer: custA, Type: shelfwise.EventView, SKU: "A1", Store: "S2"},
			{Time: day(0, 9, 5), Session: "s1", Customer: custA, Type: shelfwise.EventView, SKU: "A2", Store: "S2"},
			{Time: day(0, 9, 6), Session: "s1", Customer: custA, Type: shelfwise.EventView, SKU: "A2", Store: "S2"},
			{Time: day(0, 9, 10), Session: "s1", Customer: custA, Type: shelfwise.EventCart, SKU: "B1", Quantity: 1, Price: 1, Store: "S2"},
			{Time: day(1, 12, 0), Session: "s2", Type: shelfwise.EventSearch, Query: "mug", Store: "S2"},
			{Time: day(1, 12, 1), Session: "s2", Type: shelfwise.EventView, SKU: "A1", Store: "S2"},
		},
		Sessions: []shelfwise.Session{
			{ID: "s1", Customer: custA, Start: day(0, 9, 0), Features: map[string]float64{"pages": 4, "duration": 120.5},
				Categorical: map[string]string{"browser": "2"}, Purchased: true},
			{ID: "s2", Start: day(1, 12, 0), Features: map[string]float64{"pages": 1}},
		},
		Prices: []shelfwise.Price{
			{SKU: "A1", Store: "S1", Start: Day0, Price: 3.2},
			{SKU: "A2", Start: Day0, End: day(7, 0, 0), Price: 5},
		},
		Promotions: []shelfwise.Promotion{
			{SKU: "A1", Store: "S1", Start: day(9, 0, 0), End: day(10, 0, 0), Kind: "display", Discount: 0.1},
		},
		Stock: []shelfwise.StockLevel{
			{SKU: "A1", Store: "S1", Time: day(5, 18, 0), OnHand: 0},
			{SKU: "A1", Store: "S1", Time: day(6, 8, 0), OnHand: 5},
		},
		Calendar: []shelfwise.CalendarEvent{
			{Date: Day0, Name: "New Year", Type: "holiday"},
			{Date: day(4, 0, 0), Name: "SNAP", Type: "snap", Region: "CA"},
		},
		// In the order a store returns them: name, store, SKU, date.
		Covariates: []shelfwise.Covariate{
			{Date: Day0, Name: "cpi", Value: 211.1},
			{Store: "S1", SKU: "A1", Date: Day0, Name: "profit", Value: 0.3},
			{Store: "S1", Date: Day0, Name: "temperature", Value: 4.5},
			{Store: "S1", Date: day(7, 0, 0), Name: "temperature", Value: 6},
			{Store: "S2", Date: Day0, Name: "temperature", Value: -1.25},
		},
	}
}

// Write sends every record of the fixture to s.
func (f Fixture) Write(ctx context.Context, s shelfwise.Sink) error {
	steps := []func() error{
		func() error { return s.PutProducts(ctx, f.Products) },
		func() error { return s.PutStores(ctx, f.Stores) },
		func() error { return s.AddOrderLines(ctx, f.Lines) },
		func() error { return s.AddEvents(ctx, f.Events) },
		func() error { return s.AddSessions(ctx, f.Sessions) },
		func() error { return s.AddPrices(ctx, f.Prices) },
		func() error { return s.AddPromotions(ctx, f.Promotions) },
		func() error { return s.AddStockLevels(ctx, f.Stock) },
		func() error { return s.AddCalendarEvents(ctx, f.Calendar) },
		func() error {
			if len(f.Covariates) == 0 {
				return nil
			}
			cs, ok := s.(shelfwise.CovariateSink)
			if !ok {
				return fmt.Errorf("storetest: sink %T keeps no covariates (implement shelfwise.CovariateSink)", s)
			}
			return cs.AddCovariates(ctx, f.Covariates)
		},
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}
