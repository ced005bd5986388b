package api

import (
	"encoding/json"
	"html/template"
	"net/http"
	"strings"
)

// The reference page is rendered from the same OpenAPI document, so that
// what people read is what machines read.

var docsTemplate = template.Must(template.New("docs").Funcs(template.FuncMap{
	"json": func(v any) string {
		b, _ := json.MarshalIndent(v, "", "  ")
		return string(b)
	},
	"lower": strings.ToLower,
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Herald API reference</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1d1d1f}
h1{margin-bottom:.2rem} .op{border:1px solid #ddd;border-radius:8px;margin:1rem 0;padding:.6rem 1rem}
.m{display:inline-block;min-width:4.5rem;font:600 13px monospace;padding:2px 6px;border-radius:4px;color:#fff;text-align:center}
.get{background:#2b7bb9}.post{background:#2e8b57}.patch{background:#b8860b}.delete{background:#b22222}
code,pre{font-family:ui-monospace,monospace;font-size:13px} pre{background:#f6f6f6;padding:.6rem;overflow:auto;border-radius:6px}
table{border-collapse:collapse} td,th{padding:2px 8px;text-align:left;border-bottom:1px solid #eee}
</style></head><body>
<h1>Herald API reference</h1>
<p>Version {{.Info.version}} · base path <code>{{.Base}}</code> · machine-readable: <a href="{{.Base}}/openapi.json">openapi.json</a></p>
<p>{{.Info.description}}</p>
{{range .Ops}}<div class="op" id="{{.ID}}">
<h3><span class="m {{lower .Method}}">{{.Method}}</span> <code>{{.Path}}</code></h3>
<p>{{.Summary}}{{if .Description}}. {{.Description}}{{end}}</p>
{{if .Params}}<table><tr><th>Parameter</th><th>In</th><th>Required</th><th>Description</th></tr>
{{range .Params}}<tr><td><code>{{.name}}</code></td><td>{{.in}}</td><td>{{if .required}}yes{{end}}</td><td>{{.description}}</td></tr>{{end}}</table>{{end}}
{{if .Body}}<p>Body:</p><pre>{{json .Body}}</pre>{{end}}
<p>Responses: {{range $code, $r := .Responses}}<code>{{$code}}</code> {{end}}</p>
</div>{{end}}
<h2>Schemas</h2>
{{range $name, $s := .Schemas}}<h3 id="schema-{{$name}}">{{$name}}</h3><pre>{{json $s}}</pre>{{end}}
</body></html>`))

type docsOp struct {
	ID, Method, Path, Summary, Description string
	Params                                 []any
	Body                                   any
	Responses                              map[string]any
}

func (h *Handler) getDocs(w http.ResponseWriter, r *http.Request) error {
	doc := h.OpenAPI()
	var ops []docsOp
	for _, rt := range h.routes {
		paths := doc["paths"].(map[string]any)
		op := paths[rt.path].(map[string]any)[strings.ToLower(rt.method)].(map[string]any)
		d := docsOp{ID: op["operationId"].(string), Method: rt.method, Path: BasePath + rt.path, Summary: rt.summary, Description: rt.desc, Responses: op["responses"].(map[string]any)}
		if ps, ok := op["parameters"].([]any); ok {
			d.Params = ps
		}
		if rb, ok := op["requestBody"].(map[string]any); ok {
			for _, c := range rb["content"].(map[string]any) { // application/json, or multipart/form-data for uploads
				d.Body = c.(map[string]any)["schema"]
			}
		}
		ops = append(ops, d)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	return docsTemplate.Execute(w, map[string]any{
		"Info": doc["info"], "Base": BasePath, "Ops": ops,
		"Schemas": doc["components"].(map[string]any)["schemas"],
	})
}
