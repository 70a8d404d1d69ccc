package http

import (
	"net/http"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Version is the API version in the OpenAPI document.
const Version = "1.0.0"

// OpenAPI builds the OpenAPI 3 document of the server's routes: paths and
// operations from the route table, schemas by reflection from the request
// and response types.
func (s *Server) OpenAPI() map[string]any {
	g := &schemaGen{components: map[string]any{}}
	g.ref(reflect.TypeOf(ErrorResponse{}))
	paths := map[string]any{}
	for _, rt := range s.routes {
		item, _ := paths[rt.path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[rt.path] = item
		}
		item[strings.ToLower(rt.method)] = g.operation(rt)
	}
	return map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{
			"title":       "Shelfwise API",
			"version":     Version,
			"description": "Live ingest, forecasts, recommendations, propensity scores, the model registry and jobs. Errors are {\"error\":{\"code\",\"message\"}}.",
		},
		"servers": []any{map[string]any{"url": "/"}},
		"paths":   paths,
		"components": map[string]any{
			"schemas": g.components,
			"securitySchemes": map[string]any{
				"bearer": map[string]any{"type": "http", "scheme": "bearer",
					"description": "An API key from shelfwise keys create (roles admin, analyst, app)."},
				"apiKeyHeader": map[string]any{"type": "apiKey", "in": "header", "name": "X-API-Key"},
			},
		},
	}
}

func (s *Server) openapi(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, s.OpenAPI())
	return nil
}

var pathParam = regexp.MustCompile(`\{([a-z_]+)\}`)

// operationID turns "GET /v1/models/{task}/versions" into
// "get_v1_models_task_versions".
func operationID(method, path string) string {
	id := strings.ToLower(method) + strings.NewReplacer("/", "_", "{", "", "}", "", "-", "_", ".", "_").Replace(path)
	return id
}

func (g *schemaGen) operation(rt route) map[string]any {
	op := map[string]any{
		"operationId": operationID(rt.method, rt.path),
		"summary":     rt.summary,
		"tags":        []any{rt.tag},
	}
	var params []any
	for _, m := range pathParam.FindAllStringSubmatch(rt.path, -1) {
		params = append(params, map[string]any{"name": m[1], "in": "path", "required": true,
			"schema": map[string]any{"type": "string"}})
	}
	for _, q := range rt.query {
		params = append(params, map[string]any{"name": q.name, "in": "query", "required": false,
			"description": q.desc, "schema": map[string]any{"type": q.typ}})
	}
	if rt.method == "POST" && rt.path == "/v1/events" {
		params = append(params, map[string]any{"name": "Idempotency-Key", "in": "header", "required": false,
			"description": "A client-chosen key per batch: a retried batch with the same key is stored once.",
			"schema":      map[string]any{"type": "string", "maxLength": maxIDLen}})
	}
	if params != nil {
		op["parameters"] = params
	}
	if rt.body != nil {
		op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
			"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(rt.body))}}}
	}
	status := rt.status
	if status == 0 {
		status = http.StatusOK
	}
	ok := map[string]any{"description": http.StatusText(status)}
	switch {
	case rt.resp != nil:
		ok["content"] = map[string]any{"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(rt.resp))}}
	case rt.path == "/metrics":
		ok["content"] = map[string]any{"text/plain": map[string]any{"schema": map[string]any{"type": "string"}}}
	default:
		ok["content"] = map[string]any{"application/json": map[string]any{"schema": map[string]any{"type": "object"}}}
	}
	errResp := map[string]any{"description": "An error: code and message.", "content": map[string]any{
		"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/ErrorResponse"}}}}
	op["responses"] = map[string]any{strconv.Itoa(status): ok, "default": errResp}
	if rt.roles != nil {
		op["security"] = []any{map[string]any{"bearer": []any{}}, map[string]any{"apiKeyHeader": []any{}}}
		op["x-roles"] = rolesText(rt.roles)
	} else {
		op["security"] = []any{}
	}
	return op
}

// schemaGen builds JSON schemas from Go types, naming structs as
// components.
type schemaGen struct {
	components map[string]any
}

var timeType = reflect.TypeOf(time.Time{})

func (g *schemaGen) schema(t reflect.Type) map[string]any {
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t.Kind() == reflect.Pointer:
		s := g.schema(t.Elem())
		if ref, ok := s["$ref"]; ok {
			return map[string]any{"allOf": []any{map[string]any{"$ref": ref}}, "nullable": true}
		}
		s["nullable"] = true
		return s
	case t.Kind() == reflect.Struct:
		return g.ref(t)
	case t.Kind() == reflect.Slice || t.Kind() == reflect.Array:
		return map[string]any{"type": "array", "items": g.schema(t.Elem())}
	case t.Kind() == reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.schema(t.Elem())}
	case t.Kind() == reflect.String:
		return map[string]any{"type": "string"}
	case t.Kind() == reflect.Bool:
		return map[string]any{"type": "boolean"}
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		return map[string]any{"type": "integer"}
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		return map[string]any{"type": "number"}
	}
	return map[string]any{}
}

// ref returns a $ref to the component of struct type t, building it once.
func (g *schemaGen) ref(t reflect.Type) map[string]any {
	name := t.Name()
	ref := map[string]any{"$ref": "#/components/schemas/" + name}
	if _, ok := g.components[name]; ok {
		return ref
	}
	g.components[name] = map[string]any{} // placeholder against recursion
	props := map[string]any{}
	var required []any
	for _, f := range reflect.VisibleFields(t) {
		if !f.IsExported() || f.Anonymous {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		jname, opts, _ := strings.Cut(tag, ",")
		if jname == "" {
			jname = f.Name
		}
		props[jname] = g.schema(f.Type)
		if !strings.Contains(opts, "omitempty") {
			required = append(required, jname)
		}
	}
	c := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if required != nil {
		c["required"] = required
	}
	g.components[name] = c
	return ref
}
