package forecast

import (
	"strconv"
	"testing"

	"github.com/shelfwise/shelfwise/internal/realdata"
)

// loadM4 reads the M4 Weekly training file in place (test-only loader; the
// CLI reads through ingest).
func loadM4(t testing.TB) ([]string, [][]float64) {
	t.Helper()
	r := realdata.OpenCSV(t, realdata.Path(t, "m4_weekly/Weekly-train.csv.gz"))
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	var ys [][]float64
	for _, rec := range recs[1:] {
		ids = append(ids, rec[0])
		var y []float64
		for _, c := range rec[1:] {
			if c == "" {
				break
			}
			v, err := strconv.ParseFloat(c, 64)
			if err != nil {
				t.Fatal(err)
			}
			y = append(y, v)
		}
		ys = append(ys, y)
	}
	return ids, ys
}
