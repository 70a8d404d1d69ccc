package main

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/shelfwise/shelfwise"
	shelfhttp "github.com/shelfwise/shelfwise/http"
	"github.com/shelfwise/shelfwise/recommend"
	"github.com/spf13/cobra"
)

// recommendFlags are the flags of "shelfwise recommend".
type recommendFlags struct {
	customer   string
	viewed     []string
	n          int
	categories []string
	newOnly    bool
	rules      shelfhttp.RecRules
	promoted   []string
	repeatable []string
	// customersFile and outFile: the batch mode (recommendBatch).
	customersFile, outFile string
	json                   bool
	retrain                bool
}

// newRecommendCmd is "shelfwise recommend": train on the store's purchases
// and recommend to one customer.
func (m *Main) newRecommendCmd() *cobra.Command {
	var fl recommendFlags
	cmd := &cobra.Command{
		Use:   "recommend --customer ID | --viewed SKUS | --customers FILE",
		Short: "Recommend products to a customer or a visitor, with the reason for each",
		Long: `recommend lists the top products for a customer with the reason for each,
from the recommendation engine trained on the store's purchases, returns,
views, add-to-carts and browsing sessions (the hybrid of repeat purchase,
ALS, item-kNN, bought-together and trending, tuned on the last 30 days,
with the session model of what visitors look at next). The trained model
is saved in DB/models/recommend.swm (versioned and checksummed) and reused
while the store's data is unchanged; it is retrained when it changes, when
the file is absent, or with --retrain ("shelfwise train recommend" trains
it ahead).
While nothing was written to the store since the model was last found to
fit it (recommend.swm.stamp records the store's version), the model is
used without reading the purchases again: well under a second.
ID is the retailer's customer identifier as in the imported export; it is
pseudonymised before the lookup. An unknown customer gets trending
products.

--viewed SKU,SKU... lists what to show a visitor who has just looked at
these products, in that order: a live session, as the shop's pages would
ask for it (with --customer, that customer's session).

--customers FILE recommends to every customer of a file (one identifier per
line; a first line "customer" or "customer_id" is a header) and writes one
CSV row per product: customer, rank, sku, product, score, reason, source,
known. The identifiers come from your file, not the store, which holds only
pseudonyms.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return m.runRecommend(cmd.Context(), fl) },
	}
	f := cmd.Flags()
	f.StringVar(&fl.customer, "customer", "", "the retailer's customer identifier")
	f.StringSliceVar(&fl.viewed, "viewed", nil, "products (SKUs) just looked at, in order: the list of that live session")
	f.StringVar(&fl.customersFile, "customers", "", "a file of customer identifiers, one per line: recommend to each (CSV out)")
	f.StringVar(&fl.outFile, "out", "", "with --customers: write the CSV to this file (written whole or not at all; default stdout)")
	f.IntVar(&fl.n, "n", 10, "number of products")
	f.StringSliceVar(&fl.categories, "category", nil, "only products of these departments, categories or subcategories")
	f.BoolVar(&fl.newOnly, "new-only", false, "only products the customer has not bought")
	f.StringSliceVar(&fl.repeatable, "repeatable", nil, "with --new-only: departments, categories or subcategories whose products stay even when bought")
	f.IntVar(&fl.rules.MaxPerCategory, "max-per-category", 0, "at most this many products per category (0 = no cap)")
	f.Float64Var(&fl.rules.MinPrice, "min-price", 0, "leave out products priced below this (unknown prices stay)")
	f.Float64Var(&fl.rules.MaxPrice, "max-price", 0, "leave out products priced above this (0 = no limit)")
	f.StringVar((*string)(&fl.rules.Around), "around", "", "a product (SKU) to price the list around; it is left out")
	f.Float64Var(&fl.rules.PriceBand, "price-band", 0, "with --around: keep products within this fraction of its price (default 0.5)")
	f.BoolVar(&fl.rules.InStock, "in-stock", false, "leave out products whose latest stock level is zero or less in every store")
	f.StringSliceVar(&fl.promoted, "promoted", nil, "SKUs to promote")
	f.Float64Var(&fl.rules.PromotedShare, "promoted-share", 0, "with --promoted: the share of the list they take when they qualify (default 0.2)")
	f.BoolVar(&fl.json, "json", false, "print JSON")
	f.BoolVar(&fl.retrain, "retrain", false, "train a new model even if the saved one matches the store")
	return cmd
}

func (m *Main) runRecommend(ctx context.Context, fl recommendFlags) error {
	if fl.customersFile != "" && (fl.customer != "" || len(fl.viewed) > 0) {
		return shelfwise.Errorf(shelfwise.EINVALID, "--customers FILE lists every customer of the file: it takes neither --customer nor --viewed")
	}
	if fl.customersFile == "" && fl.customer == "" && len(fl.viewed) == 0 {
		return shelfwise.Errorf(shelfwise.EINVALID, "recommend needs --customer ID, --viewed SKUS or --customers FILE")
	}
	if fl.outFile != "" && fl.customersFile == "" {
		return shelfwise.Errorf(shelfwise.EINVALID, "--out writes the lists of --customers FILE")
	}
	if fl.n <= 0 {
		return shelfwise.Errorf(shelfwise.EINVALID, "--n must be positive")
	}
	if len(fl.repeatable) > 0 && !fl.newOnly {
		return shelfwise.Errorf(shelfwise.EINVALID, "--repeatable needs --new-only (it names what a new-only list keeps)")
	}
	for _, p := range fl.promoted {
		fl.rules.Promoted = append(fl.rules.Promoted, shelfwise.SKU(p))
	}
	if err := fl.rules.Check(func(p string) string { return "--" + strings.ReplaceAll(p, "_", "-") }); err != nil {
		return err
	}
	db, err := m.DB(ctx)
	if err != nil {
		return err
	}
	ps, err := m.Pseudonymizer()
	if err != nil {
		return err
	}
	eng, info, err := m.recommender(ctx, db, fl.retrain)
	if err != nil {
		return err
	}
	if !info.Loaded {
		fmt.Fprintf(m.Stderr, "trained the recommender in %.1fs (%s); saved to %s\n", info.Seconds, info.Reason, info.File)
	}
	var out map[shelfwise.SKU]bool
	if fl.rules.InStock {
		levels, err := db.LatestStockLevels(ctx)
		if err != nil {
			return err
		}
		if len(levels) == 0 {
			fmt.Fprintln(m.Stderr, "--in-stock: the store has no stock levels, so no product is known to be out of stock")
		}
		out = outOfStockSet(levels)
	}
	filter := recFilter(shelfhttp.RecQuery{NewOnly: fl.newOnly, Repeatable: fl.repeatable, Rules: fl.rules}, out)
	filter.Categories = fl.categories
	// A product or category the catalogue lacks is a mistake here (a
	// typo would print an empty or unfiltered list); the HTTP API stays
	// lenient, as pages may name products added since the training.
	if err := eng.Model().CheckFilter(&filter); err != nil {
		return shelfwise.Errorf(shelfwise.EINVALID, "--%s", errMessage(err))
	}
	if fl.customersFile != "" {
		return m.recommendBatch(ctx, eng, ps, fl, filter)
	}
	var key shelfwise.CustomerKey
	if fl.customer != "" {
		key = ps.Key(fl.customer)
	}
	req := recommend.Request{Customer: key, N: fl.n, Filter: filter}
	if len(fl.viewed) > 0 {
		if req.Session, err = observeViewed(eng, key, fl.viewed); err != nil {
			return err
		}
	}
	recs, err := eng.Recommend(ctx, req)
	if err != nil {
		return err
	}
	known := key != "" && eng.Model().Log.User(key) >= 0
	if fl.json {
		type rec struct {
			SKU    shelfwise.SKU `json:"sku"`
			Name   string        `json:"name,omitempty"`
			Score  float64       `json:"score"`
			Reason string        `json:"reason"`
			Source string        `json:"source"`
		}
		out := struct {
			Known           bool   `json:"known_customer"`
			Model           string `json:"model_version"`
			Loaded          bool   `json:"model_loaded"`
			Recommendations []rec  `json:"recommendations"`
		}{Known: known, Model: eng.Model().Version, Loaded: info.Loaded, Recommendations: []rec{}}
		for _, r := range recs {
			out.Recommendations = append(out.Recommendations, rec{r.SKU, productName(eng.Model(), r.SKU), r.Score, r.Reason, r.Source})
		}
		return writeJSON(m.Stdout, out)
	}
	if fl.customer != "" && !known {
		fmt.Fprintln(m.Stdout, "Customer not found in the purchases: showing trending products.")
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tSKU\tPRODUCT\tSCORE\tWHY")
	for i, r := range recs {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%.3f\t%s\n", i+1, r.SKU, productName(eng.Model(), r.SKU), r.Score, r.Reason)
	}
	return tw.Flush()
}

// observeViewed records views of the products, a minute apart in the
// given order, as one live session of the customer key ("" for a visitor
// not signed in), and returns the session. A product the catalogue lacks
// is bad input (a typo would give a list that ignores it).
func observeViewed(eng *recommend.Engine, key shelfwise.CustomerKey, skus []string) (shelfwise.SessionID, error) {
	const s = shelfwise.SessionID("cli")
	m := eng.Model()
	for k, sku := range skus {
		if _, ok := m.Product(shelfwise.SKU(sku)); !ok {
			return "", shelfwise.Errorf(shelfwise.EINVALID, "--viewed: no product %q in the catalogue", sku)
		}
		ev := shelfwise.Event{Time: m.TrainedAt.Add(time.Duration(k+1) * time.Minute), Session: s, Customer: key,
			Type: shelfwise.EventView, SKU: shelfwise.SKU(sku)}
		if err := eng.Observe(ev); err != nil {
			return "", err
		}
	}
	return s, nil
}

// productName is the catalogue name of sku in model m, or its most
// specific category when the catalogue has no names (dunnhumby's), cut to
// 40 characters for the table; "" when the catalogue knows neither.
func productName(m *recommend.Model, sku shelfwise.SKU) string {
	p, _ := m.Product(sku)
	name := cmp.Or(p.Name, p.Subcategory, p.Category, p.Department)
	if r := []rune(name); len(r) > 40 {
		return string(r[:39]) + "…"
	}
	return name
}

// recommendModelFile is where the CLI keeps the trained recommender.
func (m *Main) recommendModelFile() string {
	return filepath.Join(m.DataDir, "models", "recommend.swm")
}

// recommenderInfo says where the model came from.
type recommenderInfo struct {
	File    string
	Loaded  bool   // read from File (else trained now)
	Reason  string // why it was trained: "no saved model", "store changed", "--retrain"
	Bytes   int
	Seconds float64 // training or loading
}

// recommenderData reads what the recommender learns from, up to (not
// including) to, zero meaning everything: the purchases, the catalogue,
// the customers' returns, views and add-to-carts (weaker or negative
// evidence; without them a retrain would forget what each customer looked
// at before it), and the products each browsing session looked at in
// order, anonymous ones too (what visitors look at next).
func recommenderData(ctx context.Context, db shelfwise.DB, to time.Time) (recommend.TrainInput, error) {
	var sales, returns []shelfwise.OrderLine
	var in recommend.TrainInput
	err := db.OrderLines(ctx, shelfwise.OrderFilter{To: to, Kinds: []shelfwise.LineKind{shelfwise.LineSale, shelfwise.LineReturn}, ProductsOnly: true},
		func(l shelfwise.OrderLine) error {
			if l.Kind == shelfwise.LineSale {
				sales = append(sales, l)
			} else {
				returns = append(returns, l)
			}
			return nil
		})
	if err != nil {
		return in, err
	}
	in.Purchases = recommend.PurchasesFromLines(sales)
	in.Interactions = recommend.ReturnsFromLines(returns)
	if len(in.Purchases) == 0 {
		return in, shelfwise.Errorf(shelfwise.ENOTFOUND, "the store holds no purchases (its sale lines of products: %s): import some first (shelfwise import)", recommend.WhyNoPurchases(sales))
	}
	var sessions recommend.SessionGrouper
	err = db.Events(ctx, shelfwise.EventFilter{To: to, Types: []shelfwise.EventType{shelfwise.EventView, shelfwise.EventCart}},
		func(e shelfwise.Event) error {
			if x, ok := recommend.InteractionFromEvent(e); ok {
				in.Interactions = append(in.Interactions, x)
			}
			sessions.Add(e)
			return nil
		})
	if err != nil {
		return in, err
	}
	in.Sessions = sessions.Sessions()
	in.Products, err = db.Products(ctx)
	return in, err
}

// loadRecommendModel reads a saved recommender. A damaged file is bad
// input naming the file; a missing one returns (nil, nil).
func loadRecommendModel(path string) (*recommend.Model, int, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, nil
	} else if err != nil {
		return nil, 0, err
	}
	model, err := recommend.UnmarshalModel(data)
	if err != nil {
		return nil, 0, &shelfwise.InputError{File: path,
			Err: fmt.Errorf("%w (delete it or run with --retrain to train a new one)", err)}
	}
	return model, len(data), nil
}

// saveRecommendModel writes the model to path atomically (a temporary file
// renamed into place), so a crash never leaves a half-written model.
func saveRecommendModel(model *recommend.Model, path string) (int, error) {
	data, err := model.MarshalBinary()
	if err != nil {
		return 0, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return 0, err
	}
	if err := writeAtomic(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	}); err != nil {
		return 0, fmt.Errorf("write model %s: %w", path, err)
	}
	return len(data), nil
}

// writeAtomic writes path through a temporary file in its folder (mode
// 0600), synced and renamed over path only when write succeeds: path is
// written whole or not at all, and a crash never leaves half a file.
func writeAtomic(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+"-*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	bw := bufio.NewWriter(tmp)
	err = write(bw)
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// trainRecommendModel trains the recommender on in and stamps it with the
// data's fingerprint.
func trainRecommendModel(ctx context.Context, in recommend.TrainInput) (*recommend.Model, error) {
	model, err := recommend.TrainModel(ctx, in, recommend.DefaultModel)
	if err != nil {
		return nil, err
	}
	model.Data = in.Fingerprint()
	return model, nil
}

// recommender returns the engine for the store's data: the saved model
// when it was trained on exactly the purchases, events and catalogue the store
// holds now, else a model trained now and saved for the next call.
//
// Checking the saved model means reading every purchase for its
// fingerprint (seconds on a large store). A store that versions its writes
// (shelfwise.Versioned) spares that: beside the model a stamp file records
// the store's version when the model was last checked or trained and the
// model's fingerprint, and while the version is unchanged and the model is
// the one stamped, nothing was written since, so the model fits. The
// version is read before the purchases, so a stamp never claims a later
// version than the data the model was checked against.
func (m *Main) recommender(ctx context.Context, db shelfwise.DB, retrain bool) (*recommend.Engine, recommenderInfo, error) {
	start := time.Now()
	info := recommenderInfo{File: m.recommendModelFile(), Reason: "--retrain"}
	ver, versioned, err := storeVersion(ctx, db)
	if err != nil {
		return nil, info, err
	}
	var model *recommend.Model
	engine := func(loaded bool) (*recommend.Engine, recommenderInfo, error) {
		if loaded {
			info.Loaded, info.Reason = true, ""
		}
		info.Seconds = time.Since(start).Seconds()
		return recommend.NewEngine(model), info, nil
	}
	if !retrain {
		if model, info.Bytes, err = loadRecommendModel(info.File); err != nil {
			return nil, info, err
		}
		if model != nil && versioned {
			if st, ok := readModelStamp(info.File); ok && st.Version == ver && st.Data == model.Data {
				return engine(true)
			}
		}
	}
	in, err := recommenderData(ctx, db, time.Time{})
	if err != nil {
		return nil, info, err
	}
	if !retrain {
		switch {
		case model == nil:
			info.Reason = "no saved model"
		case model.Data != in.Fingerprint():
			info.Reason = "the store's purchases, events or catalogue changed since it was trained"
		default:
			m.stampModel(info.File, versioned, ver, model.Data)
			return engine(true)
		}
	}
	tctx, done := m.recommendProgress(ctx, "training recommendations")
	model, err = trainRecommendModel(tctx, in)
	done()
	if err != nil {
		return nil, info, err
	}
	if info.Bytes, err = saveRecommendModel(model, info.File); err != nil {
		return nil, info, err
	}
	m.stampModel(info.File, versioned, ver, model.Data)
	return engine(false)
}

// modelStamp is what a saved model's stamp file records (see
// recommender): the store's version when the model was last found to
// fit the store, and the model's fingerprint of the data.
type modelStamp struct {
	Version string `json:"store_version"`
	Data    string `json:"data"`
}

// storeVersion is the store's version when it versions its writes
// (versioned), else versioned is false.
func storeVersion(ctx context.Context, db shelfwise.DB) (ver string, versioned bool, err error) {
	v, ok := db.(shelfwise.Versioned)
	if !ok {
		return "", false, nil
	}
	ver, err = v.Version(ctx)
	return ver, true, err
}

// stampFile is the stamp's path beside the model file modelFile.
func stampFile(modelFile string) string { return modelFile + ".stamp" }

// readModelStamp reads the stamp beside the model file; ok is false when
// there is none or it cannot be read (the model is then checked the long
// way, which writes a new one).
func readModelStamp(modelFile string) (st modelStamp, ok bool) {
	data, err := os.ReadFile(stampFile(modelFile))
	if err != nil || json.Unmarshal(data, &st) != nil {
		return modelStamp{}, false
	}
	return st, true
}

// stampModel writes the stamp beside the model file. Failing to is not
// an error (the next call checks the model the long way): it is reported
// and the call goes on.
func (m *Main) stampModel(modelFile string, versioned bool, ver, data string) {
	if !versioned {
		return
	}
	err := writeAtomic(stampFile(modelFile), func(w io.Writer) error {
		return json.NewEncoder(w).Encode(modelStamp{Version: ver, Data: data})
	})
	if err != nil {
		fmt.Fprintf(m.Stderr, "warning: could not record that the saved recommender fits the store (%v); the next call will check it again\n", err)
	}
}
