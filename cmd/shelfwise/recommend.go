package main

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/shelfwise/shelfwise"
	"github.com/shelfwise/shelfwise/recommend"
	"github.com/spf13/cobra"
)

// recommendFlags are the flags of "shelfwise recommend".
type recommendFlags struct {
	customer   string
	n          int
	categories []string
	newOnly    bool
	perCat     int
	json       bool
}

// newRecommendCmd is "shelfwise recommend": train on the store's purchases
// and recommend to one customer.
func (m *Main) newRecommendCmd() *cobra.Command {
	var fl recommendFlags
	cmd := &cobra.Command{
		Use:   "recommend --customer ID",
		Short: "Recommend products to a customer, with the reason for each",
		Long: `recommend trains the recommendation engine on the purchases in the store
(the hybrid of repeat purchase, ALS, item-kNN, bought-together and trending,
tuned on the last 30 days) and lists the top products for a customer with
the reason for each. ID is the retailer's customer identifier as in the
imported export; it is pseudonymised before the lookup. An unknown customer
gets trending products.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return m.runRecommend(cmd.Context(), fl) },
	}
	f := cmd.Flags()
	f.StringVar(&fl.customer, "customer", "", "the retailer's customer identifier")
	f.IntVar(&fl.n, "n", 10, "number of products")
	f.StringSliceVar(&fl.categories, "category", nil, "only products of these departments, categories or subcategories")
	f.BoolVar(&fl.newOnly, "new-only", false, "only products the customer has not bought")
	f.IntVar(&fl.perCat, "max-per-category", 0, "at most this many products per category (0 = no cap)")
	f.BoolVar(&fl.json, "json", false, "print JSON")
	return cmd
}

func (m *Main) runRecommend(ctx context.Context, fl recommendFlags) error {
	if fl.customer == "" {
		return shelfwise.Errorf(shelfwise.EINVALID, "recommend needs --customer ID")
	}
	if fl.n <= 0 {
		return shelfwise.Errorf(shelfwise.EINVALID, "--n must be positive")
	}
	db, err := m.DB(ctx)
	if err != nil {
		return err
	}
	ps, err := m.Pseudonymizer()
	if err != nil {
		return err
	}
	eng, err := m.trainRecommender(ctx, db)
	if err != nil {
		return err
	}
	key := ps.Key(fl.customer)
	recs, err := eng.Recommend(ctx, recommend.Request{Customer: key, N: fl.n, Filter: recommend.Filter{
		Categories: fl.categories, NewOnly: fl.newOnly, MaxPerCategory: fl.perCat, DedupeVariants: true}})
	if err != nil {
		return err
	}
	known := eng.Model().Log.User(key) >= 0
	if fl.json {
		type rec struct {
			SKU    shelfwise.SKU `json:"sku"`
			Score  float64       `json:"score"`
			Reason string        `json:"reason"`
			Source string        `json:"source"`
		}
		out := struct {
			Known           bool   `json:"known_customer"`
			Model           string `json:"model_version"`
			Recommendations []rec  `json:"recommendations"`
		}{Known: known, Model: eng.Model().Version, Recommendations: []rec{}}
		for _, r := range recs {
			out.Recommendations = append(out.Recommendations, rec{r.SKU, r.Score, r.Reason, r.Source})
		}
		return writeJSON(m.Stdout, out)
	}
	if !known {
		fmt.Fprintln(m.Stdout, "Customer not found in the purchases: showing trending products.")
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tSKU\tSCORE\tWHY")
	for i, r := range recs {
		fmt.Fprintf(tw, "%d\t%s\t%.3f\t%s\n", i+1, r.SKU, r.Score, r.Reason)
	}
	return tw.Flush()
}

// trainRecommender reads purchases and catalogue from the store and trains
// the recommendation engine.
func (m *Main) trainRecommender(ctx context.Context, db shelfwise.DB) (*recommend.Engine, error) {
	var lines []shelfwise.OrderLine
	err := db.OrderLines(ctx, shelfwise.OrderFilter{Kinds: []shelfwise.LineKind{shelfwise.LineSale}, ProductsOnly: true},
		func(l shelfwise.OrderLine) error {
			lines = append(lines, l)
			return nil
		})
	if err != nil {
		return nil, err
	}
	ps := recommend.PurchasesFromLines(lines)
	if len(ps) == 0 {
		return nil, shelfwise.Errorf(shelfwise.ENOTFOUND, "the store holds no purchases: import some first (shelfwise import)")
	}
	prods, err := db.Products(ctx)
	if err != nil {
		return nil, err
	}
	model, err := recommend.TrainModel(ctx, recommend.TrainInput{Purchases: ps, Products: prods}, recommend.DefaultModel)
	if err != nil {
		return nil, err
	}
	return recommend.NewEngine(model), nil
}
