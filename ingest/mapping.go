package ingest

// Mapping maps the columns of a generic export to Shelfwise fields, for the
// "generic" format. It is given by flags or a small config file.
type Mapping struct {
	// Columns maps a Shelfwise field name (e.g. "invoice", "time", "sku",
	// "customer", "quantity", "unit_price", "store") to the export's column.
	Columns map[string]string
}
