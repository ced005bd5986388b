package api_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/heraldhq/herald/internal/api"
)

// TestResponsesMatchOpenAPI drives every documented route and checks that
// each answer validates against the schema the OpenAPI document gives for
// it, and that no route is left undriven: the document and the handlers
// cannot drift apart without this test failing.
func TestResponsesMatchOpenAPI(t *testing.T) {
	t.Parallel()
	f := setup(t, 1000)
	ws := "?workspaceId=" + f.ws
	prof := f.profile("mastodon", "@ada@example.social")

	f.ok("GET", base+"/me", nil, 200)
	f.ok("POST", base+"/me/password", map[string]any{"currentPassword": "wrong password", "newPassword": "a new long password"}, 400)
	f.ok("GET", base+"/workspaces", nil, 200)
	w2 := decode[map[string]any](t, f.ok("POST", base+"/workspaces", map[string]any{"name": "Second"}, 201))
	f.ok("GET", base+"/workspaces/"+f.ws+"/members", nil, 200)
	inv := decode[map[string]any](t, f.ok("POST", base+"/workspaces/"+w2["id"].(string)+"/members", map[string]any{"email": "new@example.org", "role": "viewer"}, 201))
	f.ok("GET", base+"/workspaces/"+w2["id"].(string)+"/invitations", nil, 200)
	f.ok("DELETE", base+"/workspaces/"+w2["id"].(string)+"/invitations/"+inv["id"].(string), nil, 200)
	k := decode[map[string]any](t, f.ok("POST", base+"/api-keys", map[string]any{"name": "ci"}, 201))
	f.ok("GET", base+"/api-keys", nil, 200)
	f.ok("DELETE", base+"/api-keys/"+k["id"].(string), nil, 200)
	f.ok("GET", base+"/social-profiles"+ws, nil, 200)
	f.ok("GET", base+"/social-profiles/connection-url"+ws+"&provider=mastodon", nil, 200)
	f.ok("POST", base+"/social-profiles/connection-url"+ws, map[string]any{"provider": "Mastodon"}, 200)
	for _, res := range []struct {
		path          string
		create, patch map[string]any
	}{
		{"/brand-kits", map[string]any{"name": "Acme", "colors": []string{"#112233"}, "doWords": []string{"craft"}}, map[string]any{"description": "Warm and direct."}},
		{"/hashtag-libraries", map[string]any{"name": "Launch", "hashtags": []string{"go", "#golang"}}, map[string]any{"hashtags": []string{"#new"}}},
		{"/studio-templates", map[string]any{"name": "Square", "width": 1080, "height": 1080}, map[string]any{"height": 1350}},
	} {
		created := decode[map[string]any](t, f.ok("POST", base+res.path+ws, res.create, 201))
		id := created["id"].(string)
		f.ok("GET", base+res.path+ws, nil, 200)
		f.ok("GET", base+res.path+"/"+id+ws, nil, 200)
		f.ok("PATCH", base+res.path+"/"+id+ws, res.patch, 200)
		f.ok("DELETE", base+res.path+"/"+id+ws, nil, 200)
	}
	// Media (media_test.go): an upload, and a download from a local server.
	srv := newFileServer(t)
	st, upBody := f.upload(t, "logo.png", pngOf(t, 64, 64), "Logo", false)
	if st != 201 {
		t.Fatalf("POST /media = %d %s", st, upBody)
	}
	up := decode[map[string]any](t, upBody)
	mediaID := up["id"].(string)
	f.ok("GET", base+"/media"+ws+"&page=0&perPage=5", nil, 200)
	f.ok("GET", base+"/media/"+mediaID, nil, 200)
	f.ok("PATCH", base+"/media/"+mediaID, map[string]any{"altText": "Our logo"}, 200)
	body := map[string]any{"caption": "Hello 👋", "mediaUrls": []string{srv.put("/a.png", pngOf(t, 32, 32)), up["url"].(string)},
		"socialProfileIds": []string{prof}, "scheduledAt": "2026-07-02T09:00:00Z"}
	f.ok("POST", base+"/post/validate"+ws, body, 200)
	p := decode[map[string]any](t, f.ok("POST", base+"/post"+ws, body, 201))
	id := p["postGroupId"].(string)
	f.ok("GET", base+"/post"+ws+"&statuses=scheduled,draft&perPage=5", nil, 200)
	f.ok("GET", base+"/post/"+id, nil, 200)
	f.ok("PATCH", base+"/post/"+id, map[string]any{"scheduledAt": nil}, 200)
	f.ok("DELETE", base+"/media/"+mediaID, nil, 409) // a post uses it
	f.ok("DELETE", base+"/post/"+id, nil, 200)
	f.ok("DELETE", base+"/media/"+mediaID, nil, 200)
	f.do("POST", base+"/post/ai"+ws, f.key, map[string]any{"prompt": "A post about our launch"})
	f.do("POST", base+"/campaigns"+ws, f.key, map[string]any{"prompt": "launch"})
	// Profiles connected with credentials, publishing now and retrying.
	news := decode[map[string]any](t, f.ok("POST", base+"/social-profiles"+ws, map[string]any{"provider": "feed", "name": "News"}, 201))
	spare := decode[map[string]any](t, f.ok("POST", base+"/social-profiles"+ws, map[string]any{"provider": "feed", "name": "Spare"}, 201))
	draft := decode[map[string]any](t, f.ok("POST", base+"/post"+ws, map[string]any{"caption": "now", "socialProfileIds": []string{news["id"].(string)}}, 201))
	f.ok("POST", base+"/post/"+draft["id"].(string)+"/publish", nil, 200)
	f.ok("POST", base+"/post/"+draft["id"].(string)+"/retry", map[string]any{"confirm": true}, 409)
	f.ok("DELETE", base+"/social-profiles/"+news["id"].(string)+ws, nil, 409)
	f.ok("DELETE", base+"/social-profiles/"+spare["id"].(string)+ws, nil, 200)
	f.ok("GET", base+"/openapi.json", nil, 200)
	f.ok("GET", base+"/docs", nil, 200)

	doc := decode[map[string]any](t, f.ok("GET", base+"/openapi.json", nil, 200))
	if doc["openapi"] != "3.1.0" {
		t.Fatalf("openapi = %v", doc["openapi"])
	}
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	paths := doc["paths"].(map[string]any)
	driven := map[string]bool{}
	for _, r := range f.responses {
		u, _ := url.Parse(r.pattern)
		path := strings.TrimPrefix(u.Path, api.BasePath)
		tmpl := matchTemplate(paths, path)
		if tmpl == "" {
			t.Errorf("%s %s: no documented path", r.method, path)
			continue
		}
		op, _ := paths[tmpl].(map[string]any)[strings.ToLower(r.method)].(map[string]any)
		if op == nil {
			t.Errorf("%s %s: method not documented", r.method, tmpl)
			continue
		}
		driven[r.method+" "+tmpl] = true
		resp, _ := op["responses"].(map[string]any)[fmt.Sprint(r.status)].(map[string]any)
		if resp == nil {
			t.Errorf("%s %s answered %d, which is not documented", r.method, tmpl, r.status)
			continue
		}
		content, _ := resp["content"].(map[string]any)
		if content == nil || !json.Valid(r.body) {
			continue // a document, not JSON
		}
		var v any
		json.Unmarshal(r.body, &v)
		if err := validate(schemas, content["application/json"].(map[string]any)["schema"], v, "$"); err != nil {
			t.Errorf("%s %s %d: %v\nbody: %s", r.method, tmpl, r.status, err, r.body)
		}
	}
	for p, item := range paths {
		for m := range item.(map[string]any) {
			if !driven[strings.ToUpper(m)+" "+p] {
				t.Errorf("%s %s is documented but this test never drove it", strings.ToUpper(m), p)
			}
		}
	}
}

func matchTemplate(paths map[string]any, path string) string {
	keys := make([]string, 0, len(paths))
	for k := range paths {
		keys = append(keys, k)
	}
	slices.Sort(keys) // literal segments sort before "{": prefer them
	for _, k := range keys {
		ps, xs := strings.Split(k, "/"), strings.Split(path, "/")
		if len(ps) != len(xs) {
			continue
		}
		ok := true
		for i := range ps {
			if ps[i] != xs[i] && !strings.HasPrefix(ps[i], "{") {
				ok = false
				break
			}
		}
		if ok {
			return k
		}
	}
	return ""
}

// validate checks v against the JSON Schema subset the generator emits.
func validate(schemas map[string]any, s any, v any, at string) error {
	sm, _ := s.(map[string]any)
	if sm == nil {
		return nil
	}
	if ref, ok := sm["$ref"].(string); ok {
		return validate(schemas, schemas[strings.TrimPrefix(ref, "#/components/schemas/")], v, at)
	}
	if all, ok := sm["allOf"].([]any); ok {
		for _, sub := range all {
			if err := validate(schemas, sub, v, at); err != nil {
				return err
			}
		}
	}
	if one, ok := sm["oneOf"].([]any); ok {
		for _, sub := range one {
			if validate(schemas, sub, v, at) == nil {
				return nil
			}
		}
		return fmt.Errorf("%s: matches no alternative", at)
	}
	if t, ok := sm["type"]; ok {
		var types []string
		switch tt := t.(type) {
		case string:
			types = []string{tt}
		case []any:
			for _, x := range tt {
				types = append(types, x.(string))
			}
		}
		if !slices.Contains(types, jsonType(v)) && !(jsonType(v) == "integer" && slices.Contains(types, "number")) {
			return fmt.Errorf("%s: is %s, want %v", at, jsonType(v), types)
		}
	}
	if enum, ok := sm["enum"].([]any); ok && v != nil && !slices.Contains(enum, v) {
		return fmt.Errorf("%s: %v is not in %v", at, v, enum)
	}
	switch x := v.(type) {
	case map[string]any:
		props, _ := sm["properties"].(map[string]any)
		req, _ := sm["required"].([]any)
		for _, r := range req {
			if _, ok := x[r.(string)]; !ok {
				return fmt.Errorf("%s: required property %q missing", at, r)
			}
		}
		for k, val := range x {
			ps, ok := props[k]
			if !ok {
				if sm["additionalProperties"] == false {
					return fmt.Errorf("%s: property %q is not documented", at, k)
				}
				continue
			}
			if err := validate(schemas, ps, val, at+"."+k); err != nil {
				return err
			}
		}
	case []any:
		for i, item := range x {
			if err := validate(schemas, sm["items"], item, fmt.Sprintf("%s[%d]", at, i)); err != nil {
				return err
			}
		}
	}
	return nil
}

func jsonType(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case float64:
		if x == float64(int64(x)) {
			return "integer"
		}
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "unknown"
}
