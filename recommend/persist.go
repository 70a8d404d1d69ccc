package recommend

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"time"

	"github.com/shelfwise/shelfwise"
	"github.com/shelfwise/shelfwise/ml/gbdt"
	"github.com/shelfwise/shelfwise/ml/modelio"
)

// ModelKind is the modelio kind of a saved recommendation Model.
const ModelKind = "recommend"

// modelFormat is the payload version MarshalBinary writes; UnmarshalModel
// reads it and every earlier one (2 added Reranker.Blend, 3 Reranker.Facts,
// 4 SessionModel.Browsed).
const modelFormat = 4

// component type tags in a saved model.
const (
	tagALS uint8 = iota + 1
	tagKNN
	tagKNNShared // an ItemKNN sharing the neighbour lists of an earlier one
	tagLastBasket
	tagPopular
	tagItemRepeat
)

// MarshalBinary encodes the trained model (log, blends and their
// components, reranker trees, bought-together rules, session transitions,
// trending lists, catalogue and prices) in a checksummed modelio envelope
// of kind ModelKind. UnmarshalModel restores a model that recommends
// exactly as this one does.
func (m *Model) MarshalBinary() ([]byte, error) {
	var e modelio.Encoder
	e.String(m.Version)
	e.U64(uint64(m.TrainedAt.UnixNano()))
	e.String(m.Data)
	e.Int(m.indexAbove)
	encodeLog(&e, m.Log)
	comps := m.All.Components
	if err := encodeComponents(&e, comps); err != nil {
		return nil, err
	}
	for _, h := range []*Hybrid{m.All, m.New} {
		if len(h.Components) != len(comps) || (len(comps) > 0 && h.Components[0].Scorer != comps[0].Scorer) {
			return nil, fmt.Errorf("recommend: the two blends do not share their components")
		}
		if err := encodeHybrid(&e, h); err != nil {
			return nil, err
		}
	}
	e.Int(m.FBT.Cfg.MinCount)
	e.F64(m.FBT.Cfg.MinLift)
	e.Int(m.FBT.Cfg.K)
	e.Int(len(m.FBT.Rules))
	for _, rs := range m.FBT.Rules {
		e.Int(len(rs))
		for _, r := range rs {
			e.U32(uint32(r.Item))
			e.Int(r.Count)
			e.F64(r.Support)
			e.F64(r.Confidence)
			e.F64(r.Lift)
		}
	}
	e.Int(m.Session.Cfg.K)
	e.F64(m.Session.Cfg.Decay)
	encodeNeighbors(&e, m.Session.Next)
	e.Bool(m.Session.Browsed != nil)
	for _, b := range m.Session.Browsed {
		e.Bool(b)
	}
	e.F64s(m.Trending.Scores)
	prods, err := json.Marshal(m.products)
	if err != nil {
		return nil, err
	}
	e.Bytes(prods)
	e.Int(len(m.known))
	for _, k := range m.known {
		e.Bool(k)
	}
	e.F64s(m.price)
	return modelio.Seal(ModelKind, modelFormat, e.Buf), nil
}

// UnmarshalModel decodes a model written by MarshalBinary. A truncated or
// altered file fails with an error wrapping modelio.ErrCorrupt; a file of
// another kind or a newer format fails with a plain error.
func UnmarshalModel(data []byte) (*Model, error) {
	version, payload, err := modelio.Open(data, ModelKind, modelFormat)
	if err != nil {
		return nil, err
	}
	d := modelio.NewDecoder(payload)
	m := &Model{}
	m.Version = d.String()
	m.TrainedAt = time.Unix(0, int64(d.U64())).UTC()
	m.Data = d.String()
	m.indexAbove = d.Int()
	m.Log = decodeLog(d)
	ni := len(m.Log.Items)
	comps := decodeComponents(d, m.Log)
	if d.Err() != nil {
		return nil, d.Err()
	}
	if m.All, err = decodeHybrid(d, comps, version); err != nil {
		return nil, err
	}
	if m.New, err = decodeHybrid(d, comps, version); err != nil {
		return nil, err
	}
	m.FBT = &FBT{Cfg: FBTConfig{MinCount: d.Int(), MinLift: d.F64(), K: d.Int()}}
	m.FBT.Rules = make([][]Rule, d.Len(8))
	for i := range m.FBT.Rules {
		rs := make([]Rule, d.Len(36))
		for k := range rs {
			rs[k] = Rule{Item: int32(d.U32()), Count: d.Int(), Support: d.F64(), Confidence: d.F64(), Lift: d.F64()}
			checkItem(d, rs[k].Item, ni)
		}
		m.FBT.Rules[i] = rs
	}
	m.Session = &SessionModel{Cfg: SessionConfig{K: d.Int(), Decay: d.F64()}}
	m.Session.Next = decodeNeighbors(d, ni)
	if version >= 4 && d.Bool() {
		m.Session.Browsed = make([]bool, ni)
		for i := range m.Session.Browsed {
			m.Session.Browsed[i] = d.Bool()
		}
	}
	m.Trending = &Popular{Scores: d.F64s()}
	if err := json.Unmarshal(d.Bytes(), &m.products); err != nil && d.Err() == nil {
		d.Fail("catalogue: %v", err)
	}
	m.known = make([]bool, d.Len(1))
	for i := range m.known {
		m.known[i] = d.Bool()
	}
	m.price = d.F64s()
	if err := d.Finish(); err != nil {
		return nil, err
	}
	if len(m.FBT.Rules) != ni || len(m.Session.Next) != ni || len(m.Trending.Scores) != ni ||
		len(m.products) != ni || len(m.known) != ni || len(m.price) != ni {
		return nil, fmt.Errorf("%w: item tables disagree with the %d items of the log", modelio.ErrCorrupt, ni)
	}
	for _, c := range comps {
		switch s := c.Scorer.(type) {
		case *ALS:
			if m.als == nil {
				m.als = s
			}
		case *ItemKNN:
			if m.knn == nil {
				m.knn = s
			}
		}
	}
	m.restoreCatalogue()
	if ni > m.indexAbove && m.als != nil {
		m.index = NewIndex(m.als.V, m.als.Factors(), 1)
	}
	return m, nil
}

// restoreCatalogue derives what the products determine (setCatalogue after
// aligning them, Load after reading them): categories and their names,
// variant families, the non-product flags, per-category trending lists and
// the trending cache.
func (m *Model) restoreCatalogue() {
	n := m.Log.NumItems()
	m.category = make([]string, n)
	m.family = make([]string, n)
	m.nonProduct = newItemSet(n)
	m.catNames = map[string]bool{}
	for i, p := range m.products {
		if p.NonProduct {
			m.nonProduct.add(int32(i))
		}
		for _, c := range [...]string{p.Department, p.Category, p.Subcategory} {
			if c != "" {
				m.catNames[c] = true
			}
		}
		m.category[i] = firstNonEmpty(p.Subcategory, p.Category, p.Department)
		m.family[i] = firstNonEmpty(p.Attributes["family"], VariantFamily(m.Log.Items[i]))
	}
	m.trendCache = TopK(m.Trending.Scores, n)
	m.catTop = map[string][]int32{}
	for _, it := range m.trendCache {
		c := m.category[it]
		if c != "" && len(m.catTop[c]) < 200 {
			m.catTop[c] = append(m.catTop[c], it)
		}
	}
}

func checkItem(d *modelio.Decoder, it int32, n int) {
	if it < 0 || int(it) >= n {
		d.Fail("item %d out of range (%d items)", it, n)
	}
}

func encodeLog(e *modelio.Encoder, lg *Log) {
	us := make([]string, len(lg.Users))
	for i, u := range lg.Users {
		us[i] = string(u)
	}
	e.Strings(us)
	is := make([]string, len(lg.Items))
	for i, s := range lg.Items {
		is[i] = string(s)
	}
	e.Strings(is)
	for _, h := range lg.Histories {
		e.Int(len(h))
		for _, ev := range h {
			e.U32(uint32(ev.Item))
			e.U32(uint32(ev.Basket))
			e.U64(uint64(ev.Time))
			e.F32(ev.Qty)
		}
	}
	e.Int(len(lg.Baskets))
	for b, items := range lg.Baskets {
		e.U32(uint32(lg.BasketUser[b]))
		e.U64(uint64(lg.BasketTime[b]))
		e.Int(len(items))
		for _, it := range items {
			e.U32(uint32(it))
		}
	}
	e.U64(uint64(lg.End))
	e.Bool(lg.Signals != nil)
	for _, ss := range lg.Signals {
		e.Int(len(ss))
		for _, s := range ss {
			e.U32(uint32(s.Item))
			e.U8(uint8(s.Kind))
			e.U64(uint64(s.Time))
			e.F32(s.Qty)
		}
	}
	encodeWeights(e, lg.Weights)
}

func decodeLog(d *modelio.Decoder) *Log {
	lg := &Log{userIndex: map[shelfwise.CustomerKey]int32{}, itemIndex: map[shelfwise.SKU]int32{}}
	for i, u := range d.Strings() {
		lg.Users = append(lg.Users, shelfwise.CustomerKey(u))
		lg.userIndex[shelfwise.CustomerKey(u)] = int32(i)
	}
	for i, s := range d.Strings() {
		lg.Items = append(lg.Items, shelfwise.SKU(s))
		lg.itemIndex[shelfwise.SKU(s)] = int32(i)
	}
	ni := len(lg.Items)
	lg.Histories = make([][]Event, len(lg.Users))
	for u := range lg.Histories {
		h := make([]Event, d.Len(20))
		for k := range h {
			h[k] = Event{Item: int32(d.U32()), Basket: int32(d.U32()), Time: int64(d.U64()), Qty: d.F32()}
			checkItem(d, h[k].Item, ni)
		}
		lg.Histories[u] = h
	}
	nb := d.Len(20)
	lg.Baskets = make([][]int32, nb)
	lg.BasketUser = make([]int32, nb)
	lg.BasketTime = make([]int64, nb)
	for b := range lg.Baskets {
		lg.BasketUser[b] = int32(d.U32())
		lg.BasketTime[b] = int64(d.U64())
		items := make([]int32, d.Len(4))
		for k := range items {
			items[k] = int32(d.U32())
			checkItem(d, items[k], ni)
		}
		lg.Baskets[b] = items
	}
	lg.End = int64(d.U64())
	if d.Bool() {
		lg.Signals = make([][]Signal, len(lg.Users))
		for u := range lg.Signals {
			ss := make([]Signal, d.Len(17))
			for k := range ss {
				ss[k] = Signal{Item: int32(d.U32()), Kind: InteractionKind(d.U8()), Time: int64(d.U64()), Qty: d.F32()}
				checkItem(d, ss[k].Item, ni)
			}
			if len(ss) > 0 {
				lg.Signals[u] = ss
			}
		}
	}
	lg.Weights = decodeWeights(d)
	return lg
}

func encodeWeights(e *modelio.Encoder, w Weights) {
	e.F64(w.View)
	e.F64(w.Cart)
	e.F64(w.Quantity)
	e.F64(w.Return)
}

func decodeWeights(d *modelio.Decoder) Weights {
	return Weights{View: d.F64(), Cart: d.F64(), Quantity: d.F64(), Return: d.F64()}
}

func encodeNeighbors(e *modelio.Encoder, nbs [][]Neighbor) {
	e.Int(len(nbs))
	for _, l := range nbs {
		e.Int(len(l))
		for _, nb := range l {
			e.U32(uint32(nb.Item))
			e.F32(nb.Sim)
		}
	}
}

func decodeNeighbors(d *modelio.Decoder, ni int) [][]Neighbor {
	out := make([][]Neighbor, d.Len(8))
	for i := range out {
		n := d.Len(8)
		if n == 0 {
			continue
		}
		l := make([]Neighbor, n)
		for k := range l {
			l[k] = Neighbor{Item: int32(d.U32()), Sim: d.F32()}
			checkItem(d, l[k].Item, ni)
		}
		out[i] = l
	}
	return out
}

func encodeKNNConfig(e *modelio.Encoder, c KNNConfig) {
	e.Int(c.K)
	e.F64(c.Alpha)
	e.F64(c.HalfLifeDays)
	e.Bool(c.Baskets)
}

func decodeKNNConfig(d *modelio.Decoder) KNNConfig {
	return KNNConfig{K: d.Int(), Alpha: d.F64(), HalfLifeDays: d.F64(), Baskets: d.Bool()}
}

func encodeALSConfig(e *modelio.Encoder, c ALSConfig) {
	e.Int(c.Factors)
	e.Int(c.Iterations)
	e.F64(c.Reg)
	e.F64(c.Alpha)
	e.F64(c.Eps)
	e.F64(c.HalfLifeDays)
	e.Int(c.CGSteps)
	e.U64(c.Seed)
}

func decodeALSConfig(d *modelio.Decoder) ALSConfig {
	return ALSConfig{Factors: d.Int(), Iterations: d.Int(), Reg: d.F64(), Alpha: d.F64(), Eps: d.F64(),
		HalfLifeDays: d.F64(), CGSteps: d.Int(), Seed: d.U64()}
}

// sameNeighbors reports whether two neighbour tables share their storage.
func sameNeighbors(a, b [][]Neighbor) bool {
	return len(a) > 0 && len(a) == len(b) && &a[0] == &b[0]
}

func encodeComponents(e *modelio.Encoder, comps []Component) error {
	e.Int(len(comps))
	var knns []*ItemKNN
	for _, c := range comps {
		e.String(c.Name)
		switch s := c.Scorer.(type) {
		case *ALS:
			e.U8(tagALS)
			encodeALSConfig(e, s.Cfg)
			e.Int(s.f)
			encodeWeights(e, s.W)
			e.F64s(s.U)
			e.F64s(s.V)
		case *ItemKNN:
			shared := -1
			for k, o := range knns {
				if sameNeighbors(o.Neighbors, s.Neighbors) {
					shared = k
					break
				}
			}
			if shared >= 0 {
				e.U8(tagKNNShared)
				e.Int(shared)
			} else {
				e.U8(tagKNN)
			}
			encodeKNNConfig(e, s.Cfg)
			encodeWeights(e, s.W)
			if shared < 0 {
				encodeNeighbors(e, s.Neighbors)
			}
			knns = append(knns, s)
		case *LastBasket:
			e.U8(tagLastBasket)
			encodeKNNConfig(e, s.KNN.Cfg)
			encodeWeights(e, s.KNN.W)
			encodeNeighbors(e, s.KNN.Neighbors)
		case *Popular:
			e.U8(tagPopular)
			e.F64s(s.Scores)
		case *ItemRepeat:
			e.U8(tagItemRepeat)
			e.F64s(s.Rate)
			e.F64s(s.Cycle)
		default:
			return fmt.Errorf("recommend: component %q (%T) cannot be saved", c.Name, c.Scorer)
		}
	}
	return nil
}

func decodeComponents(d *modelio.Decoder, lg *Log) []Component {
	ni, nu := lg.NumItems(), lg.NumUsers()
	comps := make([]Component, d.Len(9))
	var knns []*ItemKNN
	for k := range comps {
		name := d.String()
		var sc Scorer
		switch tag := d.U8(); tag {
		case tagALS:
			a := &ALS{Cfg: decodeALSConfig(d), f: d.Int(), W: decodeWeights(d), U: d.F64s(), V: d.F64s()}
			if a.f <= 0 || len(a.U) != nu*a.f || len(a.V) != ni*a.f {
				d.Fail("ALS factors of %s do not match %d users and %d items", name, nu, ni)
			}
			sc = a
		case tagKNN, tagKNNShared:
			shared := -1
			if tag == tagKNNShared {
				shared = d.Int()
			}
			m := &ItemKNN{Cfg: decodeKNNConfig(d), W: decodeWeights(d)}
			switch {
			case shared < 0:
				m.Neighbors = decodeNeighbors(d, ni)
			case shared < len(knns):
				m.Neighbors = knns[shared].Neighbors
			default:
				d.Fail("component %s shares an unknown neighbour table %d", name, shared)
			}
			if d.Err() == nil && len(m.Neighbors) != ni {
				d.Fail("neighbour table of %s has %d items, want %d", name, len(m.Neighbors), ni)
			}
			knns = append(knns, m)
			sc = m
		case tagLastBasket:
			m := &ItemKNN{Cfg: decodeKNNConfig(d), W: decodeWeights(d)}
			m.Neighbors = decodeNeighbors(d, ni)
			if d.Err() == nil && len(m.Neighbors) != ni {
				d.Fail("neighbour table of %s has %d items, want %d", name, len(m.Neighbors), ni)
			}
			sc = &LastBasket{KNN: m}
		case tagPopular:
			p := &Popular{Scores: d.F64s()}
			if d.Err() == nil && len(p.Scores) != ni {
				d.Fail("scores of %s have %d items, want %d", name, len(p.Scores), ni)
			}
			sc = p
		case tagItemRepeat:
			r := &ItemRepeat{Rate: d.F64s(), Cycle: d.F64s()}
			if d.Err() == nil && (len(r.Rate) != ni || len(r.Cycle) != ni) {
				d.Fail("repeat rates of %s do not match %d items", name, ni)
			}
			sc = r
		default:
			d.Fail("unknown component type %d (%s)", tag, name)
		}
		if d.Err() != nil {
			return nil
		}
		comps[k] = Component{Name: name, Scorer: sc}
	}
	return comps
}

func encodeHybrid(e *modelio.Encoder, h *Hybrid) error {
	c := h.Cfg
	e.Int(c.ValidationDays)
	e.Int(c.ValidationWindows)
	e.Bool(c.NewItems)
	e.Int(c.K)
	e.Int(c.Candidates)
	encodeALSConfig(e, c.ALS)
	encodeKNNConfig(e, c.KNN)
	encodeKNNConfig(e, c.RecentKNN)
	encodeKNNConfig(e, c.BasketKNN)
	e.F64(c.TrendDays)
	e.F64(c.RecallWeight)
	e.Bool(c.NoRerank)
	e.Int(c.RerankTop)
	e.F64s(h.W)
	e.F64(h.RerankGain)
	e.F64(h.ValidationScore)
	e.Bool(h.Rerank != nil)
	if h.Rerank != nil {
		b, err := h.Rerank.Trees.MarshalBinary()
		if err != nil {
			return err
		}
		e.Int(h.Rerank.Top)
		e.F64(h.Rerank.Blend)
		e.Bytes(b)
		e.F32s(h.Rerank.Facts)
	}
	return nil
}

func decodeHybrid(d *modelio.Decoder, comps []Component, version uint16) (*Hybrid, error) {
	h := &Hybrid{Components: comps}
	c := &h.Cfg
	c.ValidationDays, c.ValidationWindows, c.NewItems, c.K, c.Candidates = d.Int(), d.Int(), d.Bool(), d.Int(), d.Int()
	c.ALS = decodeALSConfig(d)
	c.KNN, c.RecentKNN, c.BasketKNN = decodeKNNConfig(d), decodeKNNConfig(d), decodeKNNConfig(d)
	c.TrendDays, c.RecallWeight, c.NoRerank, c.RerankTop = d.F64(), d.F64(), d.Bool(), d.Int()
	h.W = d.F64s()
	h.RerankGain, h.ValidationScore = d.F64(), d.F64()
	if d.Err() == nil && len(h.W) != NumRepeatFeatures+2*len(comps) {
		d.Fail("blend has %d weights, want %d", len(h.W), NumRepeatFeatures+2*len(comps))
	}
	if d.Bool() {
		top := d.Int()
		blend := 0.0
		if version >= 2 {
			blend = d.F64()
		}
		b := d.Bytes()
		if d.Err() != nil {
			return nil, d.Err()
		}
		t := &gbdt.Model{}
		if err := t.UnmarshalBinary(b); err != nil {
			return nil, fmt.Errorf("reranker: %w", err)
		}
		h.Rerank = &Reranker{Trees: t, Top: top, Blend: blend}
		if version >= 3 {
			h.Rerank.Facts = d.F32s()
		}
	}
	return h, d.Err()
}

// Fingerprint describes training data for Model.Data: the number of
// purchases, the latest purchase time, the catalogue size, and an
// order-independent 64-bit hash of every purchase line and product, so a
// saved model can be checked against the data it would be trained on now
// (any added, changed or erased line changes it).
func Fingerprint(ps []Purchase, prods []shelfwise.Product) string {
	var sum, psum uint64
	var last time.Time
	var b []byte
	for _, p := range ps {
		b = append(b[:0], p.Customer...)
		b = append(append(b, 0), p.SKU...)
		b = append(append(b, 0), p.Invoice...)
		b = binary.LittleEndian.AppendUint64(b, uint64(p.Time.UnixNano()))
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(p.Quantity))
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(p.Price))
		sum += hash64(b)
		if p.Time.After(last) {
			last = p.Time
		}
	}
	for _, p := range prods {
		b, _ := json.Marshal(p)
		psum += hash64(b)
	}
	return fmt.Sprintf("purchases=%d last=%s hash=%016x products=%d hash=%016x",
		len(ps), last.UTC().Format(time.RFC3339), sum, len(prods), psum)
}

// Fingerprint describes the input for Model.Data: Fingerprint of its
// purchases and products, followed, when it has interactions, by their
// number, the latest one's time and an order-independent hash of them, and
// when it has sessions, by their number and a hash of them, so a view,
// add-to-cart or return added since also makes a saved model stale.
func (in *TrainInput) Fingerprint() string {
	fp := Fingerprint(in.Purchases, in.Products)
	if len(in.Sessions) > 0 {
		var sum uint64
		var b []byte
		for _, s := range in.Sessions {
			b = b[:0]
			for _, sku := range s {
				b = append(append(b, sku...), 0)
			}
			sum += hash64(b)
		}
		fp += fmt.Sprintf(" sessions=%d hash=%016x", len(in.Sessions), sum)
	}
	if len(in.Interactions) == 0 {
		return fp
	}
	var sum uint64
	var last time.Time
	var b []byte
	for _, x := range in.Interactions {
		b = append(b[:0], x.Customer...)
		b = append(append(b, 0), x.SKU...)
		b = append(b, byte(x.Kind))
		b = binary.LittleEndian.AppendUint64(b, uint64(x.Time.UnixNano()))
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x.Quantity))
		sum += hash64(b)
		if x.Time.After(last) {
			last = x.Time
		}
	}
	return fmt.Sprintf("%s interactions=%d last=%s hash=%016x", fp, len(in.Interactions), last.UTC().Format(time.RFC3339), sum)
}

// hash64 is the FNV-1a hash of b, mixed so that sums of hashes do not
// cancel.
func hash64(b []byte) uint64 {
	h := fnv.New64a()
	h.Write(b)
	return mix64(h.Sum64())
}

// mix64 is the splitmix64 finaliser: it spreads FNV's bits so that sums of
// hashes do not cancel.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}
