package sqlite

import (
	"fmt"
	"math"
	"time"

	"github.com/shelfwise/shelfwise"
)

// Record checks: what the store cannot store faithfully is refused with
// EINVALID naming the record. An import runs them before queueing a batch,
// so a bad record fails the call that passed it.

func invalid(format string, args ...any) error {
	return shelfwise.Errorf(shelfwise.EINVALID, format, args...)
}

// finite rejects NaN and infinite numbers, which SQLite would store as NULL.
func finite(what string, xs ...float64) error {
	for _, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return invalid("%s: number %v is not finite", what, x)
		}
	}
	return nil
}

// needTime rejects a missing time.
func needTime(what string, t time.Time) error {
	if t.IsZero() {
		return invalid("%s: missing time", what)
	}
	return nil
}

func checkProduct(i int, p *shelfwise.Product) error {
	if p.SKU == "" {
		return invalid("product %d: missing SKU", i)
	}
	return nil
}

func checkStore(i int, s *shelfwise.Store) error {
	if s.ID == "" {
		return invalid("store %d: missing ID", i)
	}
	for _, v := range s.Attributes {
		if err := finite("store "+string(s.ID)+" attributes", v); err != nil {
			return err
		}
	}
	return finite("store "+string(s.ID), s.Size)
}

func checkOrderLine(i int, l *shelfwise.OrderLine) error {
	if l.Time.IsZero() || l.SKU == "" {
		return invalid("order line %d (invoice %s): missing time or SKU", i, l.Invoice)
	}
	if _, err := kindCode(l.Kind); err != nil {
		return err
	}
	return finite("order line", l.Quantity, l.UnitPrice, l.Discount)
}

func checkEvent(i int, e *shelfwise.Event) error {
	if err := needTime(fmt.Sprintf("event %d", i), e.Time); err != nil {
		return err
	}
	if _, err := eventCode(e.Type); err != nil {
		return err
	}
	return finite("event", e.Quantity, e.Price)
}

func checkSession(i int, s *shelfwise.Session) error {
	for _, v := range s.Features {
		if err := finite(fmt.Sprintf("session %d features", i), v); err != nil {
			return err
		}
	}
	return nil
}

func checkSalesPoint(i int, p *shelfwise.SalesPoint) error {
	if p.SKU == "" {
		return invalid("sales point %d: missing SKU", i)
	}
	g, err := grainCode(p.Grain)
	if err != nil {
		return err
	}
	if g != 2 {
		if err := needTime(fmt.Sprintf("sales point %d (%s@%s)", i, p.SKU, p.Store), p.Date); err != nil {
			return err
		}
	}
	return finite("sales point", p.Units, p.Revenue, p.Price, p.Feature, p.Display, p.Deal)
}

func checkPrice(i int, p *shelfwise.Price) error {
	if p.SKU == "" {
		return invalid("price %d: missing SKU", i)
	}
	if err := needTime(fmt.Sprintf("price %d (%s)", i, p.SKU), p.Start); err != nil {
		return err
	}
	return finite("price", p.Price)
}

// checkPromotion accepts an empty SKU: a store-wide promotion.
func checkPromotion(i int, p *shelfwise.Promotion) error {
	what := p.SKU
	if what == "" {
		what = "store-wide"
	}
	if err := needTime(fmt.Sprintf("promotion %d (%s)", i, what), p.Start); err != nil {
		return err
	}
	return finite("promotion", p.Discount, p.Value)
}

func checkStockLevel(i int, s *shelfwise.StockLevel) error {
	if s.SKU == "" {
		return invalid("stock level %d: missing SKU", i)
	}
	if err := needTime(fmt.Sprintf("stock level %d (%s)", i, s.SKU), s.Time); err != nil {
		return err
	}
	return finite("stock level", s.OnHand)
}

func checkCalendarEvent(i int, c *shelfwise.CalendarEvent) error {
	return needTime(fmt.Sprintf("calendar event %d (%s)", i, c.Name), c.Date)
}

// checkAll runs check on every record.
func checkAll[T any](xs []T, check func(int, *T) error) error {
	for i := range xs {
		if err := check(i, &xs[i]); err != nil {
			return err
		}
	}
	return nil
}
