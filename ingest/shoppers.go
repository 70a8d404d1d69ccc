package ingest

import (
	"context"
	"strconv"

	"github.com/shelfwise/shelfwise"
)

// ShopperFeatures are the numeric columns of the UCI Online Shoppers layout,
// kept under their CSV names as Session.Features.
var ShopperFeatures = []string{
	"Administrative", "Administrative_Duration", "Informational", "Informational_Duration",
	"ProductRelated", "ProductRelated_Duration", "BounceRates", "ExitRates", "PageValues", "SpecialDay",
}

// ShopperCategorical are the categorical columns of the UCI Online Shoppers
// layout, kept as strings in Session.Categorical (codes such as Browser "2"
// are labels, not quantities).
var ShopperCategorical = []string{
	"Month", "OperatingSystems", "Browser", "Region", "TrafficType", "VisitorType", "Weekend",
}

var shoppersFormat = Format{
	Name: "shoppers",
	Description: "summarised web sessions in the UCI Online Shoppers Purchasing Intention layout " +
		"(10 numeric features, 7 categorical, Revenue TRUE/FALSE); one session per row",
	Read: readShoppers,
}

// readShoppers reads one Session per row, with ID "s<row>" (1-based data
// row). Exact duplicate rows are counted but kept: the file has no session
// key, and two sessions with the same page counts are legitimate.
func readShoppers(ctx context.Context, path string, opts Options, b *Batcher, rep *Report) error {
	path, err := findFile(path, "online_shoppers_intention.csv")
	if err != nil {
		return err
	}
	req := [][]string{{"Revenue"}}
	for _, c := range ShopperFeatures {
		req = append(req, []string{c})
	}
	for _, c := range ShopperCategorical {
		req = append(req, []string{c})
	}
	f, err := openTable(path, csvOptions{Required: req})
	if err != nil {
		return err
	}
	defer f.Close()
	fcols := make([]int, len(ShopperFeatures))
	for i, c := range ShopperFeatures {
		fcols[i] = f.Col(c)
	}
	ccols := make([]int, len(ShopperCategorical))
	for i, c := range ShopperCategorical {
		ccols[i] = f.Col(c)
	}
	cRev := f.Col("Revenue")
	rep.Rule(RuleDuplicate, "kept")
	rep.Rule(RuleUnparseable, "dropped")
	seen := map[[16]byte]struct{}{}
	var row int64
	fields := make([]string, 0, len(fcols)+len(ccols)+1)
	return eachRow(ctx, f, rep, opts.MaxBadRows, func(line int64) error {
		row++
		s := shelfwise.Session{
			ID:          shelfwise.SessionID("s" + strconv.FormatInt(row, 10)),
			Features:    make(map[string]float64, len(fcols)),
			Categorical: make(map[string]string, len(ccols)),
		}
		fields = fields[:0]
		for i, c := range fcols {
			v, err := f.Float(c)
			if err != nil {
				return badRow(err)
			}
			s.Features[ShopperFeatures[i]] = v
			fields = append(fields, formatFloat(v))
		}
		var err error
		if s.Purchased, err = f.Bool(cRev); err != nil {
			return badRow(err)
		}
		for i, c := range ccols {
			v := f.Str(c)
			if v == "" {
				return badRow(f.Errorf(c, "empty value"))
			}
			if ShopperCategorical[i] == "Weekend" {
				w, err := f.Bool(c)
				if err != nil {
					return badRow(err)
				}
				v = strconv.FormatBool(w)
			}
			s.Categorical[ShopperCategorical[i]] = v
			fields = append(fields, v)
		}
		fields = append(fields, strconv.FormatBool(s.Purchased))
		h := rowHash(fields...)
		rep.FingerprintHash(h)
		if _, dup := seen[h]; dup {
			rep.Hit(RuleDuplicate, line)
		} else {
			seen[h] = struct{}{}
		}
		rep.Accept()
		return b.Session(ctx, s)
	})
}
