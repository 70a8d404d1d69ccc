// Package sqlite is Shelfwise's embedded store: shelfwise.DB and
// shelfwise.ImportTx on modernc.org/sqlite (SQLite compiled to pure Go, so the
// binary stays cgo-free).
//
// The database is one file, shelfwise.db, in the data directory. It runs in
// WAL mode with synchronous=FULL, so a committed import or a live event batch
// survives a crash, and readers never block the writer. Writes go through a
// single connection guarded by a mutex (one writer at a time); reads use a
// separate pool of query-only connections that see committed data only.
// Every write transaction also changes the store's version (DB.Version,
// shelfwise.Versioned), so a reader that kept the version it last saw can
// tell without reading anything else that nothing was written since.
//
// Layout. Repeated strings (SKUs, stores, customer pseudonyms, invoices,
// sessions, countries) live once in dictionary tables and the fact tables
// (order_lines, events, sales_points...) hold their integer ids, times as
// Unix milliseconds (UTC) and days as days since 1970-01-01. This keeps rows
// small and imports fast: one write transaction per import, prepared
// multi-row INSERT statements and per-import dictionary caches.
//
// The schema is created and upgraded by the numbered SQL files in
// migrations/, embedded in the binary and applied in one transaction at Open;
// schema_version records what has been applied.
//
// Privacy: customer keys arrive already pseudonymised (shelfwise.CustomerKey)
// and are the only customer identity stored. EraseCustomer removes every row
// keyed by a customer, including the customer_features and
// recommendation_cache tables that later packages fill, and writes an audit
// row that does not name the customer.
package sqlite
