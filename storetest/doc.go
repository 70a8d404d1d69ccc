// Package storetest is the conformance suite for shelfwise.DB
// implementations: every store (sqlite/, later postgres/) calls Run from its
// own tests and must pass it unchanged.
//
// The suite imports a small hand-made retail fixture whose answers are worked
// out by hand (series values, interaction counts, basket contents, erasure
// counts) and checks round trips of every record type, the all-or-nothing
// behaviour of imports, duplicate-import detection, idempotent live event
// ingestion, erasure and Stats.
package storetest
