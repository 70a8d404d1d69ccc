package global

import (
	"math"
	"time"

	"github.com/shelfwise/shelfwise"
)

// Covariates are drivers known for every store and week in advance
// (Walmart's markdowns, temperature, fuel price, CPI, unemployment). Each
// name adds two feature columns: its value in the target week and its
// change from the same week one season earlier (NaN where missing).
type Covariates struct {
	// Names are the covariates used, in column order.
	Names []string
	// values[store][unix seconds of the week start] holds one value per
	// name (NaN where missing); store "" holds the chain-wide values.
	values map[shelfwise.StoreID]map[int64][]float64
}

// NewCovariates indexes cs by store and date for the given names; other
// names are ignored. A chain-wide row (empty Store) applies to every
// store without its own value.
func NewCovariates(names []string, cs []shelfwise.Covariate) *Covariates {
	c := &Covariates{Names: names, values: map[shelfwise.StoreID]map[int64][]float64{}}
	col := map[string]int{}
	for i, n := range names {
		col[n] = i
	}
	for _, x := range cs {
		j, ok := col[x.Name]
		if !ok || x.SKU != "" {
			continue
		}
		byDate := c.values[x.Store]
		if byDate == nil {
			byDate = map[int64][]float64{}
			c.values[x.Store] = byDate
		}
		v := byDate[x.Date.Unix()]
		if v == nil {
			v = make([]float64, len(names))
			for k := range v {
				v[k] = math.NaN()
			}
			byDate[x.Date.Unix()] = v
		}
		v[j] = x.Value
	}
	return c
}

// at returns covariate j of store st in the week starting at when.
func (c *Covariates) at(st shelfwise.StoreID, when time.Time, j int) float64 {
	for _, s := range []shelfwise.StoreID{st, ""} {
		if v, ok := c.values[s][when.Unix()]; ok && !math.IsNaN(v[j]) {
			return v[j]
		}
	}
	return math.NaN()
}

// numFeatures is the number of feature columns of m: the fixed ones and
// two per covariate.
func (m *Model) numFeatures() int {
	if m.Covariates == nil {
		return numFeatures
	}
	return numFeatures + 2*len(m.Covariates.Names)
}

// covariateFeatures fills the covariate columns of row for store st and the
// target week starting at when, p steps after the same week last year.
func (m *Model) covariateFeatures(row []float64, st shelfwise.StoreID, when time.Time, p int) {
	c := m.Covariates
	if c == nil {
		return
	}
	for j := range c.Names {
		v, ly := math.NaN(), math.NaN()
		if !when.IsZero() {
			v = c.at(st, when, j)
			ly = c.at(st, when.AddDate(0, 0, -7*p), j)
		}
		row[numFeatures+2*j] = v
		row[numFeatures+2*j+1] = v - ly
	}
}
