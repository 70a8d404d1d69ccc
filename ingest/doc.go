// Package ingest reads retailers' exports — CSV, gzip-compressed CSV,
// Parquet and JSON lines, in the layouts of real datasets — cleans them with
// a count per rule, pseudonymises customer identifiers and streams the
// normalised records into a shelfwise.Sink: an import transaction of a store
// (Import), or an in-memory collection for evaluations (Memory).
//
// Every format is a Format in formatList. A format's reader walks its rows
// with csvFile (line-numbered, typed field access that fails with a
// *shelfwise.InputError naming file, line and field), records every cleaning
// rule a row hits in a Report (each rule counted independently, so counts do
// not depend on the order rules run), feeds the normalised row to the
// report's fingerprint (order-independent, so the same data in another file
// type or order is recognised), and writes records through a Batcher.
//
// Memory stays bounded: rows stream in batches; only what a rule needs
// (e.g. a hash per row for exact-duplicate detection) is kept.
package ingest
