package api

import (
	"encoding/json"
	"net/http"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/heraldhq/herald/internal/provider"
)

// The OpenAPI 3.1 document is generated from the route table and, by
// reflection, from the very types the handlers decode and encode, so the
// document cannot drift from the code. Struct tags add what types cannot
// say: doc (description), enum (comma-separated), required (on request
// fields), type and format (overrides).

// OpenAPI returns the API's OpenAPI 3.1 document.
func (h *Handler) OpenAPI() map[string]any {
	g := &schemaGen{components: map[string]any{}}
	paths := map[string]any{}
	for _, rt := range h.routes {
		item, _ := paths[rt.path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[rt.path] = item
		}
		item[strings.ToLower(rt.method)] = g.operation(rt)
	}
	g.components["Error"] = g.schema(reflect.TypeFor[errorBody](), false)
	g.components[componentName(reflect.TypeFor[connectProfileRequest]())] = connectBodySchema(h.app.Networks())
	for _, t := range []reflect.Type{reflect.TypeFor[createPostRequest](), reflect.TypeFor[patchPostRequest]()} {
		if c, ok := g.components[componentName(t)].(map[string]any); ok {
			if props, ok := c["properties"].(map[string]any); ok {
				props["options"] = optionsSchema(h.app.Networks())
			}
		}
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":   "Herald API",
			"version": h.cfg.Version,
			"description": "Herald's REST API: wire-compatible with Ocoya's public REST API v1 (change only the base URL), " +
				"plus Herald's extensions, marked as such. Authenticate with the X-API-Key header. Errors are {\"message\": ...}. " +
				"Times are ISO-8601 in UTC with milliseconds on output; input needs a zone. Lists are bare arrays paged with page (0-based) and perPage (default 10, at most 50). " +
				"Every POST accepts an Idempotency-Key header: the same key and body from the same API key within 24 hours get the first successful (2xx) answer again; " +
				"an answer outside 2xx changed nothing and releases the key, so a corrected request may reuse it; the same key with another body, or from another API key, is a 422.",
		},
		"servers": []any{map[string]any{"url": BasePath}},
		"paths":   paths,
		"components": map[string]any{
			"schemas": g.components,
			"securitySchemes": map[string]any{
				"apiKey": map[string]any{"type": "apiKey", "in": "header", "name": "X-API-Key"},
			},
			"headers": map[string]any{
				"X-RateLimit-Limit":     map[string]any{"description": "Requests allowed per window.", "schema": map[string]any{"type": "integer"}},
				"X-RateLimit-Remaining": map[string]any{"description": "Requests left in this window.", "schema": map[string]any{"type": "integer"}},
				"X-RateLimit-Reset":     map[string]any{"description": "When the window resets, in Unix seconds.", "schema": map[string]any{"type": "integer"}},
			},
		},
		"security": []any{map[string]any{"apiKey": []any{}}},
	}
}

func (h *Handler) getOpenAPI(w http.ResponseWriter, r *http.Request) error {
	b, err := json.MarshalIndent(h.OpenAPI(), "", "  ")
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Write(b)
	return nil
}

type schemaGen struct {
	components map[string]any
}

var errorDescriptions = map[int]string{
	400: "The request is malformed or breaks a rule; the message names the field.",
	401: "The X-API-Key header is missing.",
	403: "The API key is unknown or revoked, or the user's role does not allow this.",
	404: "No such resource in the caller's workspaces.",
	409: "The resource's state does not allow this now.",
	413: "The body is larger than its limit (1 MB for JSON; the largest media file plus 1 MB for uploads), or the workspace's media storage quota would be exceeded.",
	415: "The body is not JSON: send a JSON object with Content-Type: application/json (a JSON body is read whatever its Content-Type label).",
	422: "The Idempotency-Key was already used with another request or by another API key.",
	429: "Over the rate limit; see Retry-After.",
	501: "Not available on this Herald.",
	503: "A network could not be reached or refused; the message says which.",
}

func (g *schemaGen) operation(rt route) map[string]any {
	op := map[string]any{
		"operationId": operationID(rt),
		"summary":     rt.summary,
		"tags":        []any{rt.tag},
	}
	if rt.desc != "" {
		op["description"] = rt.desc
	}
	if rt.public {
		op["security"] = []any{}
	}
	var params []any
	for _, seg := range strings.Split(rt.path, "/") {
		if strings.HasPrefix(seg, "{") {
			params = append(params, map[string]any{"name": strings.Trim(seg, "{}"), "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
	}
	for _, p := range rt.query {
		s := map[string]any{"type": "string"}
		if p.typ != "" {
			s["type"] = p.typ
		}
		if len(p.enum) > 0 {
			s["enum"] = p.enum
		}
		if p.array {
			s = map[string]any{"type": "array", "items": s}
		}
		params = append(params, map[string]any{"name": p.name, "in": "query", "required": p.required, "description": p.desc, "schema": s})
	}
	if rt.method == "POST" && !rt.public && rt.form == nil {
		params = append(params, map[string]any{"name": "Idempotency-Key", "in": "header", "required": false,
			"description": "Makes the request safe to retry: the same key and body from the same API key within 24 hours get the first successful answer again; an unsuccessful answer releases the key.", "schema": map[string]any{"type": "string", "maxLength": 255}})
	}
	if len(params) > 0 {
		op["parameters"] = params
	}
	if rt.body != nil {
		op["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": g.ref(reflect.TypeOf(rt.body), true)}}}
	}
	if rt.form != nil {
		op["requestBody"] = map[string]any{"required": true, "content": map[string]any{"multipart/form-data": map[string]any{"schema": g.ref(reflect.TypeOf(rt.form), true)}}}
	}
	status := rt.status
	if status == 0 {
		status = 200
	}
	responses := map[string]any{}
	ok := map[string]any{"description": http.StatusText(status)}
	if rt.resp != nil {
		ok["content"] = map[string]any{"application/json": map[string]any{"schema": g.ref(reflect.TypeOf(rt.resp), false)}}
	} else if rt.raw {
		ok["description"] = "The document."
	}
	if !rt.public {
		ok["headers"] = map[string]any{
			"X-RateLimit-Limit":     map[string]any{"$ref": "#/components/headers/X-RateLimit-Limit"},
			"X-RateLimit-Remaining": map[string]any{"$ref": "#/components/headers/X-RateLimit-Remaining"},
			"X-RateLimit-Reset":     map[string]any{"$ref": "#/components/headers/X-RateLimit-Reset"},
		}
	}
	responses[strconv.Itoa(status)] = ok
	if !rt.public {
		codes := []int{401, 403, 404, 429}
		if rt.body != nil || len(rt.query) > 0 {
			codes = append(codes, 400)
		}
		if rt.body != nil {
			codes = append(codes, 413, 415)
		}
		if rt.method == "POST" {
			codes = append(codes, 409, 422)
		}
		if rt.method == "PATCH" || rt.method == "DELETE" {
			codes = append(codes, 409)
		}
		codes = append(codes, rt.errors...)
		for _, c := range codes {
			responses[strconv.Itoa(c)] = map[string]any{"description": errorDescriptions[c],
				"content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}}}}
		}
	}
	op["responses"] = responses
	return op
}

func operationID(rt route) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(rt.method))
	up := true
	for _, r := range rt.path {
		if r == '/' || r == '-' || r == '{' || r == '}' || r == '.' {
			up = true
			continue
		}
		if up {
			r = unicode.ToUpper(r)
			up = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// ref returns a schema for t, naming struct types as components.
func (g *schemaGen) ref(t reflect.Type, request bool) map[string]any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Slice:
		return map[string]any{"type": "array", "items": g.ref(t.Elem(), request)}
	case reflect.Struct:
		name := componentName(t)
		if _, ok := g.components[name]; !ok {
			g.components[name] = nil // reserve, for recursion
			g.components[name] = g.schema(t, request)
		}
		return map[string]any{"$ref": "#/components/schemas/" + name}
	}
	return g.schema(t, request)
}

func componentName(t reflect.Type) string {
	n := t.Name()
	n = strings.TrimSuffix(n, "Response")
	if n == "" {
		return "Object"
	}
	return strings.ToUpper(n[:1]) + n[1:]
}

// schema describes t. Response fields are all required (always present);
// request fields only when tagged required.
func (g *schemaGen) schema(t reflect.Type, request bool) map[string]any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int64, reflect.Int32:
		return map[string]any{"type": "integer"}
	case reflect.Float64, reflect.Float32:
		return map[string]any{"type": "number"}
	case reflect.Slice:
		return map[string]any{"type": "array", "items": g.ref(t.Elem(), request)}
	case reflect.Struct:
		props := map[string]any{}
		var required []string
		g.fields(t, request, props, &required)
		s := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
		if len(required) > 0 {
			sort.Strings(required)
			s["required"] = required
		}
		return s
	}
	return map[string]any{}
}

func (g *schemaGen) fields(t reflect.Type, request bool, props map[string]any, required *[]string) {
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			g.fields(f.Type, request, props, required)
			continue
		}
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		var s map[string]any
		if typ := f.Tag.Get("type"); typ != "" {
			types := strings.Split(typ, ",")
			if len(types) == 1 {
				s = map[string]any{"type": types[0]}
			} else {
				s = map[string]any{"type": types}
			}
		} else {
			s = g.ref(f.Type, request)
			if f.Type.Kind() == reflect.Pointer && !request {
				if ty, ok := s["type"].(string); ok {
					s["type"] = []any{ty, "null"}
				} else {
					s = map[string]any{"oneOf": []any{s, map[string]any{"type": "null"}}}
				}
			}
		}
		if v := f.Tag.Get("format"); v != "" {
			s["format"] = v
		}
		if v := f.Tag.Get("doc"); v != "" {
			if _, isRef := s["$ref"]; isRef {
				s = map[string]any{"allOf": []any{s}, "description": v}
			} else {
				s["description"] = v
			}
		}
		if v := f.Tag.Get("enum"); v != "" {
			s["enum"] = strings.Split(v, ",")
		}
		props[name] = s
		if request && f.Tag.Get("required") == "true" || !request && !strings.Contains(opts, "omitempty") {
			*required = append(*required, name)
		}
	}
}

// connectBodySchema is the schema of POST /social-profiles: one object per
// network connected with credentials, told apart by "provider", each with
// the fields its descriptor names. The networks parse their own fields.
func connectBodySchema(networks []provider.Descriptor) map[string]any {
	var one []any
	var ids []string
	for _, d := range networks {
		if d.Connect.Credentials == nil {
			continue
		}
		s := d.Connect.Schema(d.ID)
		s["title"] = d.Name
		s["additionalProperties"] = false
		one = append(one, s)
		ids = append(ids, d.ID)
	}
	doc := "Herald extension: the network's own fields; networks connected with credentials here: " + strings.Join(ids, ", ") + "."
	if len(one) == 0 {
		return map[string]any{"type": "object", "description": doc, "properties": map[string]any{"provider": map[string]any{"type": "string"}}, "required": []string{"provider"}}
	}
	return map[string]any{"description": doc, "oneOf": one, "discriminator": map[string]any{"propertyName": "provider"}}
}

// optionsSchema is the schema of a post group's per-network options: one
// object per network that takes options, with the options its descriptor
// names.
func optionsSchema(networks []provider.Descriptor) map[string]any {
	props := map[string]any{}
	for _, d := range networks {
		if len(d.Options) == 0 {
			continue
		}
		opts := map[string]any{}
		for name, rule := range d.Options {
			o := map[string]any{"type": "string", "description": rule.Doc}
			if rule.Values != nil {
				o["enum"] = rule.Values
			}
			opts[name] = o
		}
		props[d.ID] = map[string]any{"type": "object", "properties": opts, "additionalProperties": false}
	}
	return map[string]any{"type": "object", "properties": props, "additionalProperties": false,
		"description": "Herald extension: per-network settings, by network then option, such as {\"mastodon\": {\"visibility\": \"unlisted\"}}."}
}
