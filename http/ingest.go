package http

import (
	"fmt"
	"math"
	"net/http"
	"strings"

	"github.com/shelfwise/shelfwise"
)

// EventIn is a behaviour event as a shop front-end sends it. Customer is the
// retailer's own identifier; the server pseudonymises it on entry.
type EventIn struct {
	Time     string  `json:"time"`
	Session  string  `json:"session,omitempty"`
	Customer string  `json:"customer,omitempty"`
	Type     string  `json:"type"`
	SKU      string  `json:"sku,omitempty"`
	Query    string  `json:"query,omitempty"`
	Quantity float64 `json:"quantity,omitempty"`
	Price    float64 `json:"price,omitempty"`
	Store    string  `json:"store,omitempty"`
}

// LineIn is an order line as a till or web shop sends it. Kind is "sale"
// (default for a positive quantity), "return" (default for a negative one)
// or "adjustment".
type LineIn struct {
	Invoice   string  `json:"invoice"`
	Time      string  `json:"time"`
	Store     string  `json:"store,omitempty"`
	Customer  string  `json:"customer,omitempty"`
	SKU       string  `json:"sku"`
	Quantity  float64 `json:"quantity"`
	UnitPrice float64 `json:"unit_price"`
	Discount  float64 `json:"discount,omitempty"`
	Kind      string  `json:"kind,omitempty"`
	Country   string  `json:"country,omitempty"`
}

// EventBatch is the body of POST /v1/events. The idempotency key may come in
// the Idempotency-Key header instead.
type EventBatch struct {
	IdempotencyKey string    `json:"idempotency_key,omitempty"`
	Events         []EventIn `json:"events,omitempty"`
	Lines          []LineIn  `json:"lines,omitempty"`
}

// IngestResult acknowledges a durable batch. Duplicate is true when the
// idempotency key was already committed: nothing new was written.
type IngestResult struct {
	Events         int    `json:"events"`
	Lines          int    `json:"lines"`
	Duplicate      bool   `json:"duplicate"`
	IdempotencyKey string `json:"idempotency_key,omitempty"`
}

const maxIDLen = 200

func (s *Server) postEvents(w http.ResponseWriter, r *http.Request) error {
	var b EventBatch
	if err := decodeJSON(r, &b); err != nil {
		s.metrics.ingestBatches.WithLabelValues("rejected").Inc()
		return err
	}
	res, err := s.ingest(r, &b)
	if err != nil {
		s.metrics.ingestBatches.WithLabelValues("rejected").Inc()
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// ingest validates, pseudonymises and durably commits a batch.
func (s *Server) ingest(r *http.Request, b *EventBatch) (IngestResult, error) {
	idem := r.Header.Get("Idempotency-Key")
	if idem != "" && b.IdempotencyKey != "" && idem != b.IdempotencyKey {
		return IngestResult{}, shelfwise.Errorf(shelfwise.EINVALID,
			"the Idempotency-Key header and the idempotency_key field differ")
	}
	if idem == "" {
		idem = b.IdempotencyKey
	}
	if err := checkLen("idempotency_key", idem, maxIDLen); err != nil {
		return IngestResult{}, err
	}
	n := len(b.Events) + len(b.Lines)
	if n == 0 {
		return IngestResult{}, shelfwise.Errorf(shelfwise.EINVALID, "the batch has no events and no lines")
	}
	if n > s.cfg.MaxBatch {
		return IngestResult{}, shelfwise.Errorf(shelfwise.ETOOLARGE,
			"the batch has %d events and lines; the limit is %d per request", n, s.cfg.MaxBatch)
	}
	now := s.cfg.Now()
	evs := make([]shelfwise.Event, len(b.Events))
	for i := range b.Events {
		e, err := s.event(fmt.Sprintf("events[%d]", i), &b.Events[i], now.Unix())
		if err != nil {
			return IngestResult{}, err
		}
		evs[i] = e
	}
	lines := make([]shelfwise.OrderLine, len(b.Lines))
	for i := range b.Lines {
		l, err := s.line(fmt.Sprintf("lines[%d]", i), &b.Lines[i], now.Unix())
		if err != nil {
			return IngestResult{}, err
		}
		lines[i] = l
	}
	// The key is scoped to the API key, so two clients cannot collide.
	scoped := ""
	if idem != "" {
		scoped = apiKey(r).ID + ":" + idem
	}
	added, err := s.cfg.DB.AddEvents(r.Context(), scoped, evs, lines)
	if err != nil {
		return IngestResult{}, err
	}
	res := IngestResult{Events: len(evs), Lines: len(lines), Duplicate: !added, IdempotencyKey: idem}
	if added {
		s.metrics.ingestEvents.Add(float64(len(evs)))
		s.metrics.ingestLines.Add(float64(len(lines)))
		s.metrics.ingestBatches.WithLabelValues("committed").Inc()
		if s.cfg.OnIngest != nil {
			s.cfg.OnIngest(evs, lines)
		}
	} else {
		s.metrics.ingestBatches.WithLabelValues("duplicate").Inc()
	}
	return res, nil
}

// futureSlack is how far in the future an event time may be (clock skew).
const futureSlack = 24 * 3600

func (s *Server) event(at string, in *EventIn, now int64) (shelfwise.Event, error) {
	t, err := parseTime(at+".time", in.Time)
	if err != nil {
		return shelfwise.Event{}, err
	}
	if t.Unix() > now+futureSlack {
		return shelfwise.Event{}, invalidField(at+".time", "%s is more than a day in the future", in.Time)
	}
	typ := shelfwise.EventType(in.Type)
	switch typ {
	case shelfwise.EventView, shelfwise.EventSearch, shelfwise.EventCart, shelfwise.EventPurchase:
	case "":
		return shelfwise.Event{}, invalidField(at+".type", "required: view, search, cart or purchase")
	default:
		return shelfwise.Event{}, invalidField(at+".type", "%q is not one of view, search, cart, purchase", clip(in.Type))
	}
	if typ != shelfwise.EventSearch && strings.TrimSpace(in.SKU) == "" {
		return shelfwise.Event{}, invalidField(at+".sku", "required for a %s event", typ)
	}
	for _, c := range []struct {
		f string
		v string
		n int
	}{{"session", in.Session, maxIDLen}, {"customer", in.Customer, maxIDLen}, {"sku", in.SKU, maxIDLen},
		{"store", in.Store, maxIDLen}, {"query", in.Query, 1000}} {
		if err := checkLen(at+"."+c.f, c.v, c.n); err != nil {
			return shelfwise.Event{}, err
		}
	}
	for _, c := range []struct {
		f string
		x float64
	}{{"quantity", in.Quantity}, {"price", in.Price}} {
		if err := checkFinite(at+"."+c.f, c.x); err != nil {
			return shelfwise.Event{}, err
		}
		if c.x < 0 {
			return shelfwise.Event{}, invalidField(at+"."+c.f, "must not be negative")
		}
	}
	return shelfwise.Event{
		Time: t, Session: shelfwise.SessionID(in.Session), Customer: s.cfg.Pseudonymizer.Key(in.Customer),
		Type: typ, SKU: shelfwise.SKU(strings.TrimSpace(in.SKU)), Query: in.Query,
		Quantity: in.Quantity, Price: in.Price, Store: shelfwise.StoreID(in.Store),
	}, nil
}

func (s *Server) line(at string, in *LineIn, now int64) (shelfwise.OrderLine, error) {
	t, err := parseTime(at+".time", in.Time)
	if err != nil {
		return shelfwise.OrderLine{}, err
	}
	if t.Unix() > now+futureSlack {
		return shelfwise.OrderLine{}, invalidField(at+".time", "%s is more than a day in the future", in.Time)
	}
	if strings.TrimSpace(in.SKU) == "" {
		return shelfwise.OrderLine{}, invalidField(at+".sku", "required")
	}
	for _, c := range []struct{ f, v string }{{"invoice", in.Invoice}, {"store", in.Store},
		{"customer", in.Customer}, {"sku", in.SKU}, {"country", in.Country}} {
		if err := checkLen(at+"."+c.f, c.v, maxIDLen); err != nil {
			return shelfwise.OrderLine{}, err
		}
	}
	for _, c := range []struct {
		f string
		x float64
	}{{"quantity", in.Quantity}, {"unit_price", in.UnitPrice}, {"discount", in.Discount}} {
		if err := checkFinite(at+"."+c.f, c.x); err != nil {
			return shelfwise.OrderLine{}, err
		}
	}
	if in.Quantity == 0 {
		return shelfwise.OrderLine{}, invalidField(at+".quantity", "must not be zero")
	}
	if in.UnitPrice < 0 || in.Discount < 0 {
		return shelfwise.OrderLine{}, invalidField(at+".unit_price", "prices and discounts must not be negative")
	}
	kind := shelfwise.LineKind(in.Kind)
	switch kind {
	case "":
		kind = shelfwise.LineSale
		if in.Quantity < 0 {
			kind = shelfwise.LineReturn
		}
	case shelfwise.LineSale:
		if in.Quantity < 0 {
			return shelfwise.OrderLine{}, invalidField(at+".quantity", "a sale needs a positive quantity (send kind \"return\")")
		}
	case shelfwise.LineReturn, shelfwise.LineAdjustment:
		if in.Quantity > 0 {
			return shelfwise.OrderLine{}, invalidField(at+".quantity", "a %s needs a negative quantity", kind)
		}
	default:
		return shelfwise.OrderLine{}, invalidField(at+".kind", "%q is not one of sale, return, adjustment", clip(in.Kind))
	}
	return shelfwise.OrderLine{
		Invoice: shelfwise.InvoiceID(in.Invoice), Time: t, Store: shelfwise.StoreID(in.Store),
		Customer: s.cfg.Pseudonymizer.Key(in.Customer), SKU: shelfwise.SKU(strings.TrimSpace(in.SKU)),
		Quantity: in.Quantity, UnitPrice: in.UnitPrice, Discount: in.Discount, Kind: kind, Country: in.Country,
	}, nil
}

// ErasureResult reports an erasure. The customer is not named.
type ErasureResult struct {
	Erased      bool  `json:"erased"`
	RowsRemoved int64 `json:"rows_removed"`
}

func (s *Server) deleteCustomer(w http.ResponseWriter, r *http.Request) error {
	raw := r.PathValue("id")
	if strings.TrimSpace(raw) == "" || len(raw) > maxIDLen {
		return shelfwise.Errorf(shelfwise.EINVALID, "the customer id must be 1 to %d bytes", maxIDLen)
	}
	key := s.cfg.Pseudonymizer.Key(raw)
	n, err := s.cfg.DB.EraseCustomer(r.Context(), key)
	// After the store (its audit log then records the erasure, which
	// model loads check), and even when the store knows nothing: caches
	// and models may still hold the customer.
	if s.cfg.OnErase != nil && (err == nil || shelfwise.ErrorCode(err) == shelfwise.ENOTFOUND) {
		s.cfg.OnErase(key)
	}
	if shelfwise.ErrorCode(err) == shelfwise.ENOTFOUND {
		return shelfwise.Errorf(shelfwise.ENOTFOUND, "no data is stored about this customer")
	} else if err != nil {
		return err
	}
	s.metrics.erasures.Inc()
	writeJSON(w, http.StatusOK, ErasureResult{Erased: true, RowsRemoved: n})
	return nil
}

// ProductIn is a catalogue entry for PUT /v1/products.
type ProductIn struct {
	SKU         string            `json:"sku"`
	Name        string            `json:"name,omitempty"`
	Department  string            `json:"department,omitempty"`
	Category    string            `json:"category,omitempty"`
	Subcategory string            `json:"subcategory,omitempty"`
	Brand       string            `json:"brand,omitempty"`
	Attributes  map[string]string `json:"attributes,omitempty"`
	NonProduct  bool              `json:"non_product,omitempty"`
}

// ProductsIn is the body of PUT /v1/products.
type ProductsIn struct {
	Products []ProductIn `json:"products"`
}

// StoreIn is a store for PUT /v1/stores.
type StoreIn struct {
	ID         string             `json:"id"`
	Name       string             `json:"name,omitempty"`
	Region     string             `json:"region,omitempty"`
	Type       string             `json:"type,omitempty"`
	Size       float64            `json:"size,omitempty"`
	Attributes map[string]float64 `json:"attributes,omitempty"`
}

// StoresIn is the body of PUT /v1/stores.
type StoresIn struct {
	Stores []StoreIn `json:"stores"`
}

// UpsertResult counts the records upserted.
type UpsertResult struct {
	Upserted int `json:"upserted"`
}

func (s *Server) putProducts(w http.ResponseWriter, r *http.Request) error {
	var in ProductsIn
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if len(in.Products) == 0 || len(in.Products) > s.cfg.MaxBatch {
		return shelfwise.Errorf(shelfwise.EINVALID, "send 1 to %d products", s.cfg.MaxBatch)
	}
	ps := make([]shelfwise.Product, len(in.Products))
	for i, p := range in.Products {
		at := fmt.Sprintf("products[%d]", i)
		if strings.TrimSpace(p.SKU) == "" {
			return invalidField(at+".sku", "required")
		}
		for _, c := range []struct{ f, v string }{{"sku", p.SKU}, {"name", p.Name}, {"department", p.Department},
			{"category", p.Category}, {"subcategory", p.Subcategory}, {"brand", p.Brand}} {
			if err := checkLen(at+"."+c.f, c.v, 1000); err != nil {
				return err
			}
		}
		ps[i] = shelfwise.Product{SKU: shelfwise.SKU(strings.TrimSpace(p.SKU)), Name: p.Name, Department: p.Department,
			Category: p.Category, Subcategory: p.Subcategory, Brand: p.Brand, Attributes: p.Attributes, NonProduct: p.NonProduct}
	}
	if err := s.cfg.DB.PutProducts(r.Context(), ps); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, UpsertResult{Upserted: len(ps)})
	return nil
}

func (s *Server) putStores(w http.ResponseWriter, r *http.Request) error {
	var in StoresIn
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if len(in.Stores) == 0 || len(in.Stores) > s.cfg.MaxBatch {
		return shelfwise.Errorf(shelfwise.EINVALID, "send 1 to %d stores", s.cfg.MaxBatch)
	}
	ss := make([]shelfwise.Store, len(in.Stores))
	for i, st := range in.Stores {
		at := fmt.Sprintf("stores[%d]", i)
		if strings.TrimSpace(st.ID) == "" {
			return invalidField(at+".id", "required")
		}
		if err := checkFinite(at+".size", st.Size); err != nil || st.Size < 0 {
			return invalidField(at+".size", "must be a finite number, not negative")
		}
		for k, v := range st.Attributes {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return invalidField(at+".attributes."+clip(k), "must be a finite number")
			}
		}
		ss[i] = shelfwise.Store{ID: shelfwise.StoreID(strings.TrimSpace(st.ID)), Name: st.Name, Region: st.Region,
			Type: st.Type, Size: st.Size, Attributes: st.Attributes}
	}
	if err := s.cfg.DB.PutStores(r.Context(), ss); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, UpsertResult{Upserted: len(ss)})
	return nil
}
