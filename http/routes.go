package http

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/shelfwise/shelfwise"
)

// route is one API operation: the router pattern, who may call it, its
// OpenAPI description and its handler.
type route struct {
	method, path string
	// roles may call the route; nil means public (no key needed).
	roles   []shelfwise.Role
	summary string
	tag     string
	// body and resp are example values of the request and response body
	// types, for the OpenAPI document (nil: none).
	body, resp any
	status     int // success status (default 200)
	query      []param
	// bigBody raises the body limit to Config.MaxBodyBytes (ingest).
	bigBody bool
	h       func(http.ResponseWriter, *http.Request) error
}

// param is a documented query parameter.
type param struct {
	name, typ, desc string
}

// apiRoutes is the table of every API route.
func (s *Server) apiRoutes() []route {
	recQuery := []param{
		{"n", "integer", "number of items, 1-100 (default 10)"},
		{"department", "string", "keep only products of this department"},
		{"category", "string", "keep only products of this category"},
		{"exclude", "string", "comma-separated SKUs to leave out"},
		{"max_per_category", "integer", "at most this many products per category, 0-100 (default 0: no cap)"},
		{"min_price", "number", "leave out products priced below this (products of unknown price stay)"},
		{"max_price", "number", "leave out products priced above this (products of unknown price stay)"},
		{"around", "string", "a product (SKU) the list is priced around, e.g. the one on the page; it is left out"},
		{"price_band", "number", "with around: keep products within this fraction of its price, 0.01-10 (default 0.5)"},
		{"in_stock", "boolean", "leave out products whose latest stock on hand is zero or less in every store (products without stock records stay)"},
		{"promoted", "string", "comma-separated SKUs to promote"},
		{"promoted_share", "number", "with promoted: the share of the list they take when they qualify, 0-1 (default 0.2)"},
	}
	return []route{
		{method: "GET", path: "/healthz", summary: "Liveness: the process is up.", tag: "operations",
			resp: Health{}, h: s.healthz},
		{method: "GET", path: "/readyz", summary: "Readiness: the store answers and the server is not shutting down.",
			tag: "operations", resp: Health{}, h: s.readyz},
		{method: "GET", path: "/metrics", summary: "Prometheus metrics (text exposition format).", tag: "operations",
			h: s.metricsHandler},
		{method: "GET", path: "/openapi.json", summary: "This OpenAPI 3 document.", tag: "operations", h: s.openapi},

		{method: "POST", path: "/v1/events", roles: rolesIngest, tag: "ingest", bigBody: true,
			summary: "Ingest a batch of behaviour events and order lines; answered after a durable commit. Send an Idempotency-Key header so a retried batch is stored once.",
			body:    EventBatch{Events: []EventIn{{}}, Lines: []LineIn{{}}}, resp: IngestResult{}, h: s.postEvents},
		{method: "PUT", path: "/v1/products", roles: rolesAdmin, tag: "ingest", bigBody: true,
			summary: "Upsert catalogue entries.", body: ProductsIn{Products: []ProductIn{{}}}, resp: UpsertResult{}, h: s.putProducts},
		{method: "PUT", path: "/v1/stores", roles: rolesAdmin, tag: "ingest",
			summary: "Upsert stores.", body: StoresIn{Stores: []StoreIn{{}}}, resp: UpsertResult{}, h: s.putStores},
		{method: "DELETE", path: "/v1/customers/{id}", roles: rolesAdmin, tag: "privacy",
			summary: "Erase a customer (the retailer's id): their lines, events, sessions, features and cached recommendations; the erasure is audited without the identity.",
			resp:    ErasureResult{}, h: s.deleteCustomer},

		{method: "GET", path: "/v1/stats", roles: rolesAnalyst, tag: "data", summary: "What the store holds.",
			resp: shelfwise.Stats{}, h: s.getStats},
		{method: "GET", path: "/v1/imports", roles: rolesAnalyst, tag: "data",
			summary: "Completed imports with their cleaning reports, newest first.",
			resp:    []shelfwise.ImportReport{{Rules: []shelfwise.RuleCount{{}}}}, h: s.getImports},
		{method: "GET", path: "/v1/products", roles: rolesAnalyst, tag: "data", summary: "The catalogue, by SKU.",
			query: []param{{"limit", "integer", "at most this many (default 1000)"}, {"offset", "integer", "skip this many"}},
			resp:  ProductList{Products: []ProductIn{{}}}, h: s.getProducts},

		{method: "GET", path: "/v1/customers/{id}/recommendations", roles: rolesAnyKey, tag: "recommendations",
			summary: "Recommendations for a customer (the retailer's id), with reasons.",
			query: append(slices.Clip(recQuery), param{"new_only", "boolean", "leave out products the customer already bought"},
				param{"repeatable", "string", "with new_only: comma-separated departments, categories or subcategories whose products stay even when bought (consumables)"}),
			resp: RecListOut{Items: []RecItem{{}}}, h: s.recCustomer},
		{method: "POST", path: "/v1/recommendations/session", roles: rolesAnyKey, tag: "recommendations",
			summary: "Recommendations for an anonymous session from the products it viewed or carted.",
			body:    SessionRecIn{SKUs: []string{""}}, resp: RecListOut{Items: []RecItem{{}}}, h: s.recSession},
		{method: "GET", path: "/v1/products/{sku}/similar", roles: rolesAnyKey, tag: "recommendations",
			summary: "Products similar to a product.", query: recQuery, resp: RecListOut{Items: []RecItem{{}}}, h: s.recSimilar},
		{method: "GET", path: "/v1/products/{sku}/bought-together", roles: rolesAnyKey, tag: "recommendations",
			summary: "Products often bought with a product.", query: recQuery, resp: RecListOut{Items: []RecItem{{}}}, h: s.recTogether},
		{method: "GET", path: "/v1/recommendations/trending", roles: rolesAnyKey, tag: "recommendations",
			summary: "Products whose sales are rising.", query: recQuery, resp: RecListOut{Items: []RecItem{{}}}, h: s.recTrending},

		{method: "GET", path: "/v1/forecasts", roles: rolesAnalyst, tag: "forecasts",
			summary: "Demand forecast with quantiles and decomposition for a product x store or any hierarchy level.",
			query: []param{{"sku", "string", "product (empty: all products)"}, {"store", "string", "store (empty: all stores)"},
				{"department", "string", "department level"}, {"category", "string", "category level"},
				{"subcategory", "string", "subcategory level"}, {"grain", "string", "day or week (default day)"},
				{"horizon", "integer", "steps ahead, 1-365 (default: every step served, 28 days or 13 weeks)"}},
			resp: ForecastOut{History: []Point{{}}, Quantiles: []QuantileOut{{}}}, h: s.getForecast},
		{method: "POST", path: "/v1/propensity/score", roles: rolesAnyKey, tag: "propensity",
			summary: "Purchase probability of a session with its top reasons.",
			body:    SessionIn{}, resp: PropensityScore{Reasons: []Reason{{}}}, h: s.scoreSession},
		{method: "GET", path: "/v1/propensity/summary", roles: rolesAnalyst, tag: "propensity",
			summary: "The served propensity model on held-out data: score distribution, calibration, top features.",
			resp:    PropensitySummary{Distribution: []HistogramBin{{}}, Calibration: []CalibrationPoint{{}}, TopFeatures: []Reason{{}}},
			h:       s.propensitySummary},

		{method: "GET", path: "/v1/models", roles: rolesAnalyst, tag: "models",
			summary: "Model tasks with their served version.", resp: ModelsOut{Tasks: []TaskOut{{}}}, h: s.getModels},
		{method: "GET", path: "/v1/models/{task}/versions", roles: rolesAnalyst, tag: "models",
			summary: "A task's versions with metrics, data snapshot and checksum, newest first.",
			resp:    []shelfwise.ModelVersion{{}}, h: s.getVersions},
		{method: "GET", path: "/v1/models/{task}/versions/{version}", roles: rolesAnalyst, tag: "models",
			summary: "One model version.", resp: shelfwise.ModelVersion{}, h: s.getVersion},
		{method: "POST", path: "/v1/models/{task}/promote", roles: rolesAdmin, tag: "models",
			summary: "Serve a version; refused (409) when its evaluation is worse than the served one unless force is set.",
			body:    PromoteIn{}, resp: shelfwise.ModelVersion{}, h: s.promote},
		{method: "POST", path: "/v1/models/{task}/rollback", roles: rolesAdmin, tag: "models",
			summary: "Serve the previously promoted version again.", resp: shelfwise.ModelVersion{}, h: s.rollback},
		{method: "POST", path: "/v1/models/{task}/retrain", roles: rolesAnalyst, tag: "models", status: http.StatusAccepted,
			summary: "Queue a job that trains, evaluates and registers a new version (promoted if no worse).",
			resp:    shelfwise.Job{}, h: s.retrain},
		{method: "GET", path: "/v1/jobs", roles: rolesAnalyst, tag: "jobs", summary: "Recent jobs, newest first.",
			query: []param{{"limit", "integer", "at most this many, 1-500 (default 50)"}},
			resp:  []shelfwise.Job{{}}, h: s.getJobs},
		{method: "GET", path: "/v1/jobs/{id}", roles: rolesAnalyst, tag: "jobs",
			summary: "A job's status and progress.", resp: shelfwise.Job{}, h: s.getJob},

		{method: "POST", path: "/v1/dashboard/links", roles: rolesDashboard, tag: "dashboard", status: http.StatusCreated,
			summary: "A one-time dashboard sign-in link (valid 5 minutes) for the calling key.",
			body:    LinkIn{}, resp: LinkOut{}, h: s.postLink},
		{method: "GET", path: "/v1/keys", roles: rolesAdmin, tag: "keys", summary: "API keys (never their secrets).",
			resp: []shelfwise.APIKey{{}}, h: s.getKeys},
		{method: "POST", path: "/v1/keys", roles: rolesAdmin, tag: "keys", status: http.StatusCreated,
			summary: "Create an API key; its secret is in this response only.", body: KeyIn{}, resp: KeyOut{}, h: s.postKey},
		{method: "DELETE", path: "/v1/keys/{id}", roles: rolesAdmin, tag: "keys", summary: "Revoke an API key.",
			resp: KeyRevoked{}, h: s.deleteKey},
	}
}

// Health is the body of /healthz and /readyz.
type Health struct {
	Status string `json:"status"`
	Detail string `json:"detail,omitempty"`
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, Health{Status: "ok"})
	return nil
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	if s.draining.Load() {
		writeJSON(w, http.StatusServiceUnavailable, Health{Status: "unavailable", Detail: "shutting down"})
		return nil
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if _, err := s.cfg.DB.Imports(ctx); err != nil {
		s.log.Warn("readiness check failed", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, Health{Status: "unavailable", Detail: "the store does not answer"})
		return nil
	}
	writeJSON(w, http.StatusOK, Health{Status: "ok"})
	return nil
}

func (s *Server) metricsHandler(w http.ResponseWriter, r *http.Request) error {
	s.metrics.handler().ServeHTTP(w, r)
	return nil
}
