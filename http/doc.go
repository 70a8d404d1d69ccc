// Package http is Shelfwise's HTTP service: the JSON API (live ingest,
// reads of forecasts, recommendations and propensity scores, the model
// registry and jobs, erasure, API keys), its OpenAPI 3 document, Prometheus
// metrics, health checks and the web dashboard, on the standard net/http
// router (Go 1.22 method and wildcard patterns).
//
// Import it as shelfhttp:
//
//	import shelfhttp "github.com/shelfwise/shelfwise/http"
//
// Every route is declared once in a table (routes.go) with the roles that
// may call it; the same table builds the router, the OpenAPI document and
// the authorisation tests. Requests are authenticated with an API key
// ("Authorization: Bearer swk_..." or "X-API-Key"), rate limited per key,
// size limited and given a deadline. Errors are {"error":{"code","message"}}
// with the shelfwise error codes, mapped to statuses only here; internal
// details go to the log, never to the caller.
//
// Capabilities that live in other packages (recommendations, forecasts,
// propensity) are reached through small interfaces (Recommender,
// Forecaster, PropensityScorer) that cmd/shelfwise wires; a capability that
// is not wired answers 501 not_implemented and its dashboard page says so.
// No route or page ever serves made-up numbers.
//
// Privacy: retailers send their own customer identifiers; the server turns
// them into pseudonyms (shelfwise.Pseudonymizer) as it decodes the request,
// before anything is stored, logged or returned. Logs carry the route
// pattern, never the request path or query, so identifiers in URLs do not
// reach them either.
//
// Metrics are collected in a registry owned by the Server (no global
// state): request latency histograms per route, ingested events and lines,
// served model versions and job durations.
package http
