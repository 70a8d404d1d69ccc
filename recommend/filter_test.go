package recommend

import (
	"strings"
	"testing"

	"github.com/shelfwise/shelfwise"
)

// TestCheckFilter: a product to price around must be in the catalogue and
// a category to keep must name a department, category or subcategory of
// its products (the message lists them); excluded categories may name
// any. A saved and loaded model checks the same.
func TestCheckFilter(t *testing.T) {
	m, _ := testModel(t)
	data, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := UnmarshalModel(data)
	if err != nil {
		t.Fatal(err)
	}
	for _, mm := range []*Model{m, loaded} {
		for _, f := range []Filter{{}, {Around: sku(5)}, {Categories: []string{"cat1", "cat2"}}, {ExcludeCategories: []string{"nope"}}, {RepeatableCategories: []string{"nope"}}} {
			if err := mm.CheckFilter(&f); err != nil {
				t.Errorf("%+v: %v", f, err)
			}
		}
		err := mm.CheckFilter(&Filter{Around: "NOPE"})
		if shelfwise.ErrorCode(err) != shelfwise.ENOTFOUND || !strings.Contains(err.Error(), `around: no product "NOPE"`) {
			t.Errorf("unknown around: %v", err)
		}
		err = mm.CheckFilter(&Filter{Categories: []string{"cat1", "Cat9"}})
		want := `category "Cat9": no product is in a department, category or subcategory of that name (names are matched exactly: cat0, cat1, cat2)`
		if shelfwise.ErrorCode(err) != shelfwise.EINVALID || !strings.Contains(err.Error(), want) {
			t.Errorf("unknown category: %v, want %q", err, want)
		}
	}
}
