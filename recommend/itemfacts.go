package recommend

import "math"

// numItemFacts is the number of catalogue-wide item facts in a reranker
// row (see itemFacts).
const numItemFacts = 4

// noSale marks an item fact that does not exist: the days since the first
// and latest sale of an item nobody bought.
const noSale = -1

// factWindows are the windows, in days before the log's end, whose
// distinct buyers are item facts.
var factWindows = [2]float64{7, 28}

// itemFacts describes every item of lg across all its customers as of the
// log's end (lg.End, so a log cut before a validation period describes its
// items as they were then), numItemFacts values per item, back to back:
// log(1 + distinct buyers in the last 7 days), log(1 + distinct buyers in
// the last 28 days), days since the item's latest sale to anyone and days
// since its first sale (both noSale for an item never sold). The reranker
// reads them as the item's momentum and its age in the catalogue.
func itemFacts(lg *Log) []float32 {
	ni := lg.NumItems()
	first := make([]int64, ni)
	last := make([]int64, ni)
	var buyers [len(factWindows)][]float64
	var seen [len(factWindows)][]int32 // the last customer counted, +1
	for w := range buyers {
		buyers[w] = make([]float64, ni)
		seen[w] = make([]int32, ni)
	}
	for i := range first {
		first[i] = math.MaxInt64
		last[i] = math.MinInt64
	}
	for u, h := range lg.Histories {
		for _, e := range h {
			it := e.Item
			first[it] = min(first[it], e.Time)
			last[it] = max(last[it], e.Time)
			age := float64(lg.End-e.Time) / 86400
			for w, days := range factWindows {
				if age <= days && seen[w][it] != int32(u)+1 {
					seen[w][it] = int32(u) + 1
					buyers[w][it]++
				}
			}
		}
	}
	out := make([]float32, ni*numItemFacts)
	for i := range ni {
		x := out[i*numItemFacts : (i+1)*numItemFacts]
		x[0] = float32(math.Log1p(buyers[0][i]))
		x[1] = float32(math.Log1p(buyers[1][i]))
		x[2], x[3] = noSale, noSale
		if last[i] >= first[i] {
			x[2] = float32(float64(lg.End-last[i]) / 86400)
			x[3] = float32(float64(lg.End-first[i]) / 86400)
		}
	}
	return out
}

// noFacts are the item facts of a reranker without any (a model saved
// before they existed): its trees never read them.
var noFacts = [numItemFacts]float32{0, 0, noSale, noSale}

// factsOf returns item it's facts from facts (itemFacts), or noFacts when
// facts does not cover it.
func factsOf(facts []float32, it int32) []float32 {
	if k := int(it) * numItemFacts; k >= 0 && k+numItemFacts <= len(facts) {
		return facts[k : k+numItemFacts]
	}
	return noFacts[:]
}
