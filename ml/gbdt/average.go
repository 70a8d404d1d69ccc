package gbdt

import (
	"fmt"
	"slices"
)

// Average returns one model whose raw prediction is the mean of the given
// models' raw predictions (a bag of boosted models, e.g. trained with
// different seeds, scored as one). The models must share the objective,
// the number of features and the categorical descriptions (train them on
// the same rows). Leaf and internal node values are scaled by 1/len, so
// path attributions and TreeSHAP of the result are the means of the
// members'. The result keeps the first model's Params; BestIteration is its
// number of trees and Rounds the members' total.
func Average(models ...*Model) (*Model, error) {
	if len(models) == 0 {
		return nil, fmt.Errorf("gbdt: Average of no models")
	}
	first := models[0]
	k := float64(len(models))
	out := &Model{Objective: first.Objective, NumFeatures: first.NumFeatures, Params: first.Params,
		IsCat: slices.Clone(first.IsCat), CatValues: first.CatValues}
	for i, m := range models {
		if m.Objective != first.Objective || m.NumFeatures != first.NumFeatures {
			return nil, fmt.Errorf("gbdt: Average: model %d has objective %s and %d features, model 0 %s and %d",
				i, m.Objective, m.NumFeatures, first.Objective, first.NumFeatures)
		}
		for j := range m.NumFeatures {
			if m.IsCat[j] != first.IsCat[j] || !slices.Equal(m.CatValues[j], first.CatValues[j]) {
				return nil, fmt.Errorf("gbdt: Average: model %d encodes feature %d's categories differently", i, j)
			}
		}
		out.BaseScore += m.BaseScore / k
		out.Rounds += m.Rounds
		for _, t := range m.Trees {
			c := tree{Nodes: slices.Clone(t.Nodes), Cats: t.Cats}
			for n := range c.Nodes {
				c.Nodes[n].Value /= k
			}
			out.Trees = append(out.Trees, c)
		}
	}
	out.BestIteration = len(out.Trees)
	return out, nil
}
