package http

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestOpenAPI checks the served document against the router: every route
// is documented, every documented operation is routed (not 404/405), every
// path parameter is declared and every $ref resolves.
func TestOpenAPI(t *testing.T) {
	e := newEnv(t, nil)
	r := e.do("GET", "/openapi.json", "", "")
	var doc struct {
		OpenAPI    string                               `json:"openapi"`
		Paths      map[string]map[string]map[string]any `json:"paths"`
		Components struct{ Schemas map[string]any }     `json:"components"`
	}
	if err := json.Unmarshal(r.body, &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi %q", doc.OpenAPI)
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			m := strings.ToUpper(method)
			documented[m+" "+path] = true
			// The router must serve it.
			req := httptest.NewRequest(m, fillPath(path), nil)
			if _, pattern := e.s.mux.Handler(req); pattern != m+" "+path {
				t.Errorf("documented %s %s is routed to %q", m, path, pattern)
			}
			if _, ok := op["responses"]; !ok {
				t.Errorf("%s %s has no responses", m, path)
			}
			params, _ := op["parameters"].([]any)
			for _, seg := range strings.Split(path, "/") {
				if !strings.HasPrefix(seg, "{") {
					continue
				}
				name := strings.Trim(seg, "{}")
				found := false
				for _, p := range params {
					pm := p.(map[string]any)
					if pm["name"] == name && pm["in"] == "path" {
						found = true
					}
				}
				if !found {
					t.Errorf("%s %s does not declare path parameter %s", m, path, name)
				}
			}
		}
	}
	for _, rt := range e.s.routes {
		if !documented[rt.method+" "+rt.path] {
			t.Errorf("route %s %s is not documented", rt.method, rt.path)
		}
	}
	if len(documented) != len(e.s.routes) {
		t.Errorf("%d documented operations, %d routes", len(documented), len(e.s.routes))
	}
	for _, ref := range regexpRefs(string(r.body)) {
		name := strings.TrimPrefix(ref, "#/components/schemas/")
		if _, ok := doc.Components.Schemas[name]; !ok {
			t.Errorf("unresolved $ref %s", ref)
		}
	}
	if _, ok := doc.Components.Schemas["EventBatch"]; !ok {
		t.Error("EventBatch schema missing")
	}
}

func regexpRefs(s string) []string {
	var out []string
	for {
		i := strings.Index(s, `"$ref":"`)
		if i < 0 {
			return out
		}
		s = s[i+8:]
		j := strings.IndexByte(s, '"')
		out = append(out, s[:j])
		s = s[j:]
	}
}
