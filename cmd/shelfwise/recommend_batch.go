package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/shelfwise/shelfwise"
	"github.com/shelfwise/shelfwise/internal/parallel"
	"github.com/shelfwise/shelfwise/recommend"
)

// maxCustomerID bounds an identifier read from a --customers file.
const maxCustomerID = 256

// readCustomerIDs reads a --customers file: one identifier per line,
// surrounding spaces trimmed, blank lines skipped, and a first line
// "customer" or "customer_id" (any case) taken as a header. lines holds
// the file line of each identifier, for messages.
func readCustomerIDs(path string) (ids []string, lines []int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, shelfwise.Errorf(shelfwise.EINVALID, "--customers: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		id := strings.TrimSpace(sc.Text())
		switch {
		case id == "":
			continue
		case line == 1 && (strings.EqualFold(id, "customer") || strings.EqualFold(id, "customer_id")):
			continue
		case len(id) > maxCustomerID || strings.ContainsFunc(id, func(r rune) bool { return r < ' ' }):
			return nil, nil, shelfwise.Errorf(shelfwise.EINVALID, "%s line %d: a customer identifier must be 1 to %d bytes without control characters", path, line, maxCustomerID)
		}
		ids, lines = append(ids, id), append(lines, line)
	}
	if err := sc.Err(); err != nil {
		return nil, nil, shelfwise.Errorf(shelfwise.EINVALID, "%s: %v", path, err)
	}
	if len(ids) == 0 {
		return nil, nil, shelfwise.Errorf(shelfwise.EINVALID, "%s: no customer identifiers", path)
	}
	return ids, lines, nil
}

// recommendBatch is "recommend --customers FILE": every customer's list,
// ranked on all cores, written as CSV in the file's order to fl.outFile
// (through a temporary file renamed at the end) or stdout.
func (m *Main) recommendBatch(ctx context.Context, eng *recommend.Engine, ps *shelfwise.Pseudonymizer, fl recommendFlags, filter recommend.Filter) error {
	ids, lines, err := readCustomerIDs(fl.customersFile)
	if err != nil {
		return err
	}
	model := eng.Model()
	lists := make([][]shelfwise.Recommendation, len(ids))
	known := make([]bool, len(ids))
	errs := make([]error, len(ids))
	err = parallel.Chunks(ctx, len(ids), 0, 64, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			key := ps.Key(ids[i])
			known[i] = model.Log.User(key) >= 0
			lists[i], errs[i] = eng.Recommend(ctx, recommend.Request{Customer: key, N: fl.n, Filter: filter})
		}
	})
	if err != nil {
		return err
	}
	for i, e := range errs {
		if e != nil {
			return fmt.Errorf("customer on line %d of %s: %w", lines[i], fl.customersFile, e)
		}
	}
	rows := 0
	write := func(w io.Writer) error {
		cw := csv.NewWriter(w)
		cw.Write([]string{"customer", "rank", "sku", "product", "score", "reason", "source", "known"})
		for i, l := range lists {
			for k, r := range l {
				cw.Write([]string{ids[i], strconv.Itoa(k + 1), string(r.SKU), productName(model, r.SKU),
					strconv.FormatFloat(r.Score, 'g', 6, 64), r.Reason, r.Source, strconv.FormatBool(known[i])})
				rows++
			}
		}
		cw.Flush()
		return cw.Error()
	}
	unknown := 0
	for _, k := range known {
		if !k {
			unknown++
		}
	}
	dest := "stdout"
	if fl.outFile == "" {
		if err := write(m.Stdout); err != nil {
			return err
		}
	} else {
		dest = fl.outFile
		if err := writeAtomic(fl.outFile, write); err != nil {
			return fmt.Errorf("--out %s: %w", fl.outFile, err)
		}
	}
	fmt.Fprintf(m.Stderr, "wrote %d recommendations for %d customers to %s (%d not in the purchases got trending products)\n",
		rows, len(ids), dest, unknown)
	return nil
}
