package http

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/shelfwise/shelfwise"
)

func (s *Server) getStats(w http.ResponseWriter, r *http.Request) error {
	st, err := s.cfg.DB.Stats(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

func (s *Server) getImports(w http.ResponseWriter, r *http.Request) error {
	ims, err := s.cfg.DB.Imports(r.Context())
	if err != nil {
		return err
	}
	if ims == nil {
		ims = []shelfwise.ImportReport{}
	}
	writeJSON(w, http.StatusOK, ims)
	return nil
}

// ProductList is a page of the catalogue.
type ProductList struct {
	Total    int         `json:"total"`
	Products []ProductIn `json:"products"`
}

func (s *Server) getProducts(w http.ResponseWriter, r *http.Request) error {
	limit, err := queryInt(r, "limit", 1000, 1, 100000)
	if err != nil {
		return err
	}
	offset, err := queryInt(r, "offset", 0, 0, math.MaxInt32)
	if err != nil {
		return err
	}
	ps, err := s.cfg.DB.Products(r.Context())
	if err != nil {
		return err
	}
	out := ProductList{Total: len(ps), Products: []ProductIn{}}
	for i := offset; i < len(ps) && i < offset+limit; i++ {
		p := ps[i]
		out.Products = append(out.Products, ProductIn{SKU: string(p.SKU), Name: p.Name, Department: p.Department,
			Category: p.Category, Subcategory: p.Subcategory, Brand: p.Brand, Attributes: p.Attributes, NonProduct: p.NonProduct})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// RecItem is one recommended product.
type RecItem struct {
	SKU    string  `json:"sku"`
	Score  float64 `json:"score"`
	Reason string  `json:"reason"`
	Source string  `json:"source"`
}

// RecListOut is a recommendation response.
type RecListOut struct {
	Items   []RecItem `json:"items"`
	Model   string    `json:"model"`
	Version int       `json:"version"`
}

// SessionRecIn is the body of POST /v1/recommendations/session.
type SessionRecIn struct {
	Session    string   `json:"session,omitempty"`
	SKUs       []string `json:"skus,omitempty"`
	N          int      `json:"n,omitempty"`
	Department string   `json:"department,omitempty"`
	Category   string   `json:"category,omitempty"`
	Exclude    []string `json:"exclude,omitempty"`
	// The business rules, as in the query of a customer's list.
	MaxPerCategory int      `json:"max_per_category,omitempty"`
	MinPrice       float64  `json:"min_price,omitempty"`
	MaxPrice       float64  `json:"max_price,omitempty"`
	Around         string   `json:"around,omitempty"`
	PriceBand      float64  `json:"price_band,omitempty"`
	InStock        bool     `json:"in_stock,omitempty"`
	Promoted       []string `json:"promoted,omitempty"`
	PromotedShare  float64  `json:"promoted_share,omitempty"`
}

// recQuery reads a recommendation query with its business rules
// (recRules).
func (s *Server) recQuery(r *http.Request) (RecQuery, error) {
	v := r.URL.Query() // parsed once: this is on every recommendation request
	n, err := intParam(v, "n", 10, 1, 100)
	if err != nil {
		return RecQuery{}, err
	}
	newOnly, err := boolParam(v, "new_only", false)
	if err != nil {
		return RecQuery{}, err
	}
	q := RecQuery{N: n, Department: v.Get("department"), Category: v.Get("category"),
		NewOnly: newOnly, Now: s.cfg.Now()}
	q.Exclude = commaList[shelfwise.SKU](v.Get("exclude"))
	if q.Rules, err = recRules(v); err != nil {
		return RecQuery{}, err
	}
	if rep := v.Get("repeatable"); rep != "" {
		if !q.NewOnly {
			return RecQuery{}, shelfwise.Errorf(shelfwise.EINVALID, "parameter repeatable: needs new_only=true (it names what a new-only list keeps)")
		}
		q.Repeatable = commaList[string](rep)
	}
	return q, nil
}

// maxPrice bounds the price rules.
const maxPrice = 1e9

// recRules reads the business rules of a list from query values v:
// max_per_category, min_price, max_price, around with price_band (0.5 by
// default), in_stock, and promoted with promoted_share (0.2 by default).
func recRules(v url.Values) (RecRules, error) {
	var ru RecRules
	var err error
	if ru.MaxPerCategory, err = intParam(v, "max_per_category", 0, 0, 100); err != nil {
		return ru, err
	}
	if ru.MinPrice, err = floatParam(v, "min_price", 0, 0, maxPrice); err != nil {
		return ru, err
	}
	if ru.MaxPrice, err = floatParam(v, "max_price", 0, 0, maxPrice); err != nil {
		return ru, err
	}
	ru.Around = shelfwise.SKU(strings.TrimSpace(v.Get("around")))
	if ru.PriceBand, err = floatParam(v, "price_band", 0, 0.01, 10); err != nil {
		return ru, err
	}
	if ru.InStock, err = boolParam(v, "in_stock", false); err != nil {
		return ru, err
	}
	ru.Promoted = commaList[shelfwise.SKU](v.Get("promoted"))
	if ru.PromotedShare, err = floatParam(v, "promoted_share", 0, 0, 1); err != nil {
		return ru, err
	}
	return ru, ru.Check(func(p string) string { return "parameter " + p })
}

// Check validates rules and fills the defaults: price_band 0.5 with
// around, promoted_share 0.2 with promoted (when absent or 0). Errors name
// the rule by name(p), where p is its query parameter (min_price, ...), so
// a CLI can name its flag instead.
func (ru *RecRules) Check(name func(p string) string) error {
	bad := func(field, format string, args ...any) error {
		return shelfwise.Errorf(shelfwise.EINVALID, "%s: %s", name(field), fmt.Sprintf(format, args...))
	}
	switch {
	case ru.MaxPerCategory < 0 || ru.MaxPerCategory > 100:
		return bad("max_per_category", "must be from 0 (no cap) to 100")
	case !(ru.MinPrice >= 0 && ru.MinPrice <= maxPrice):
		return bad("min_price", "must be a price from 0 to %g", maxPrice)
	case !(ru.MaxPrice >= 0 && ru.MaxPrice <= maxPrice):
		return bad("max_price", "must be a price from 0 to %g", maxPrice)
	case ru.MaxPrice > 0 && ru.MinPrice > ru.MaxPrice:
		return bad("min_price", "%g is above %s %g", ru.MinPrice, name("max_price"), ru.MaxPrice)
	case len(ru.Around) > maxIDLen:
		return bad("around", "must be a SKU of at most %d bytes", maxIDLen)
	case ru.PriceBand != 0 && ru.Around == "":
		return bad("price_band", "needs %s (the product whose price it is relative to)", name("around"))
	case ru.PriceBand != 0 && !(ru.PriceBand >= 0.01 && ru.PriceBand <= 10):
		return bad("price_band", "must be a fraction from 0.01 to 10 (0.3: within 30%% of the price of %s)", name("around"))
	case len(ru.Promoted) > 100:
		return bad("promoted", "lists %d SKUs; at most 100", len(ru.Promoted))
	case ru.PromotedShare != 0 && len(ru.Promoted) == 0:
		return bad("promoted_share", "needs %s (the SKUs to promote)", name("promoted"))
	case !(ru.PromotedShare >= 0 && ru.PromotedShare <= 1):
		return bad("promoted_share", "must be a share from 0 to 1")
	}
	if ru.Around != "" && ru.PriceBand == 0 {
		ru.PriceBand = 0.5
	}
	if len(ru.Promoted) > 0 && ru.PromotedShare == 0 {
		ru.PromotedShare = 0.2
	}
	return nil
}

func (s *Server) recommender() (Recommender, error) {
	if s.cfg.Recommender == nil {
		return nil, notLanded("recommendations")
	}
	return s.cfg.Recommender, nil
}

func (s *Server) recCustomer(w http.ResponseWriter, r *http.Request) error {
	rec, err := s.recommender()
	if err != nil {
		return err
	}
	raw := r.PathValue("id")
	if strings.TrimSpace(raw) == "" || len(raw) > maxIDLen {
		return shelfwise.Errorf(shelfwise.EINVALID, "the customer id must be 1 to %d bytes", maxIDLen)
	}
	q, err := s.recQuery(r)
	if err != nil {
		return err
	}
	l, err := rec.ForCustomer(r.Context(), s.cfg.Pseudonymizer.Key(raw), q)
	if err != nil {
		return err
	}
	s.writeRecs(w, l)
	return nil
}

func (s *Server) recSession(w http.ResponseWriter, r *http.Request) error {
	rec, err := s.recommender()
	if err != nil {
		return err
	}
	var in SessionRecIn
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if (in.Session == "" && len(in.SKUs) == 0) || len(in.SKUs) > 200 {
		return invalidField("skus", "send the session id and/or 1 to 200 products the session viewed or carted")
	}
	if err := checkLen("session", in.Session, maxIDLen); err != nil {
		return err
	}
	if in.N == 0 {
		in.N = 10
	}
	if in.N < 1 || in.N > 100 {
		return invalidField("n", "must be from 1 to 100")
	}
	q := RecQuery{N: in.N, Department: in.Department, Category: in.Category, Now: s.cfg.Now()}
	skus := make([]shelfwise.SKU, len(in.SKUs))
	for i, x := range in.SKUs {
		skus[i] = shelfwise.SKU(x)
	}
	q.Exclude = trimmedList[shelfwise.SKU](in.Exclude)
	q.Rules = RecRules{MaxPerCategory: in.MaxPerCategory, MinPrice: in.MinPrice, MaxPrice: in.MaxPrice,
		Around: shelfwise.SKU(strings.TrimSpace(in.Around)), PriceBand: in.PriceBand, InStock: in.InStock,
		Promoted: trimmedList[shelfwise.SKU](in.Promoted), PromotedShare: in.PromotedShare}
	if err := q.Rules.Check(func(p string) string { return "field " + p }); err != nil {
		return err
	}
	l, err := rec.ForSession(r.Context(), shelfwise.SessionID(in.Session), skus, q)
	if err != nil {
		return err
	}
	s.writeRecs(w, l)
	return nil
}

// recBySKU answers an item-to-item query with f, a Recommender method.
func (s *Server) recBySKU(w http.ResponseWriter, r *http.Request,
	f func(Recommender, context.Context, shelfwise.SKU, RecQuery) (RecList, error)) error {
	rec, err := s.recommender()
	if err != nil {
		return err
	}
	q, err := s.recQuery(r)
	if err != nil {
		return err
	}
	l, err := f(rec, r.Context(), shelfwise.SKU(r.PathValue("sku")), q)
	if err != nil {
		return err
	}
	s.writeRecs(w, l)
	return nil
}

func (s *Server) recSimilar(w http.ResponseWriter, r *http.Request) error {
	return s.recBySKU(w, r, Recommender.Similar)
}

func (s *Server) recTogether(w http.ResponseWriter, r *http.Request) error {
	return s.recBySKU(w, r, Recommender.BoughtTogether)
}

func (s *Server) recTrending(w http.ResponseWriter, r *http.Request) error {
	rec, err := s.recommender()
	if err != nil {
		return err
	}
	q, err := s.recQuery(r)
	if err != nil {
		return err
	}
	l, err := rec.Trending(r.Context(), q)
	if err != nil {
		return err
	}
	s.writeRecs(w, l)
	return nil
}

// Point is one step of a series.
type Point struct {
	Time  time.Time `json:"time"`
	Value float64   `json:"value"`
}

// QuantileOut is one quantile level of a forecast, one value per step.
type QuantileOut struct {
	Level  float64   `json:"level"`
	Values []float64 `json:"values"`
}

// ForecastOut is a forecast response: the history it continues, the mean,
// quantiles and the decomposition of the mean.
type ForecastOut struct {
	Key        string               `json:"key"`
	Grain      string               `json:"grain"`
	Model      string               `json:"model"`
	Version    int                  `json:"version"`
	History    []Point              `json:"history"`
	Times      []time.Time          `json:"times"`
	Mean       []float64            `json:"mean"`
	Quantiles  []QuantileOut        `json:"quantiles"`
	Components map[string][]float64 `json:"components"`
}

// forecastQuery reads the series key, grain and horizon of a forecast.
func forecastQuery(r *http.Request) (ForecastQuery, error) {
	v := r.URL.Query()
	h, err := queryInt(r, "horizon", 0, 1, 365) // 0: every step the model forecasts
	if err != nil {
		return ForecastQuery{}, err
	}
	g := shelfwise.Grain(v.Get("grain"))
	switch g {
	case "":
		g = shelfwise.GrainDay
	case shelfwise.GrainDay, shelfwise.GrainWeek:
	default:
		return ForecastQuery{}, shelfwise.Errorf(shelfwise.EINVALID, "query parameter grain must be day or week")
	}
	return ForecastQuery{Grain: g, Horizon: h, Key: shelfwise.SeriesKey{
		SKU: shelfwise.SKU(v.Get("sku")), Store: shelfwise.StoreID(v.Get("store")),
		Department: v.Get("department"), Category: v.Get("category"), Subcategory: v.Get("subcategory"),
	}}, nil
}

func forecastOut(res ForecastResult) ForecastOut {
	f := res.Forecast
	out := ForecastOut{Key: f.Key.String(), Grain: string(f.Grain), Model: f.Model, Version: res.Version,
		Mean: f.Mean, Components: f.Components, History: []Point{}}
	if h := res.History; h != nil {
		for i, x := range h.Values {
			out.History = append(out.History, Point{Time: h.Time(i), Value: x})
		}
	}
	step := func(i int) time.Time {
		switch f.Grain {
		case shelfwise.GrainWeek:
			return f.Origin.AddDate(0, 0, 7*i)
		case shelfwise.GrainDay:
			return f.Origin.AddDate(0, 0, i)
		}
		return time.Time{}
	}
	for i := range f.Mean {
		out.Times = append(out.Times, step(i))
	}
	for i, lv := range f.Levels {
		out.Quantiles = append(out.Quantiles, QuantileOut{Level: lv, Values: f.Quantiles[i]})
	}
	return out
}

func (s *Server) getForecast(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Forecaster == nil {
		return notLanded("forecasting")
	}
	q, err := forecastQuery(r)
	if err != nil {
		return err
	}
	res, err := s.cfg.Forecaster.Forecast(r.Context(), q)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, forecastOut(res))
	return nil
}

// SessionIn is a browsing session to score: named numeric and categorical
// features as in the training data (e.g. ProductRelated, BounceRates,
// Month, VisitorType).
type SessionIn struct {
	Features    map[string]float64 `json:"features"`
	Categorical map[string]string  `json:"categorical,omitempty"`
}

func (s *Server) scoreSession(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Propensity == nil {
		return notLanded("purchase propensity")
	}
	var in SessionIn
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if len(in.Features) == 0 {
		return invalidField("features", "required: the session's numeric features by name")
	}
	if len(in.Features)+len(in.Categorical) > 500 {
		return invalidField("features", "more than 500 features")
	}
	for k, v := range in.Features {
		if err := checkFinite("features."+clip(k), v); err != nil {
			return err
		}
	}
	sc, err := s.cfg.Propensity.Score(r.Context(), shelfwise.Session{Features: in.Features, Categorical: in.Categorical})
	if err != nil {
		return err
	}
	if sc.Reasons == nil {
		sc.Reasons = []Reason{}
	}
	writeJSON(w, http.StatusOK, sc)
	return nil
}

func (s *Server) propensitySummary(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Propensity == nil {
		return notLanded("purchase propensity")
	}
	sum, err := s.cfg.Propensity.Summary(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, sum)
	return nil
}

// parseVersion reads the {version} path value.
func parseVersion(r *http.Request) (int, error) {
	v, err := strconv.Atoi(r.PathValue("version"))
	if err != nil || v < 1 {
		return 0, shelfwise.Errorf(shelfwise.EINVALID, "version must be a positive integer")
	}
	return v, nil
}
