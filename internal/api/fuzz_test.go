package api_test

import (
	"encoding/json"
	"net/url"
	"testing"
)

// FuzzPostEndpoints sends arbitrary bodies and query strings to the post
// endpoints and the other request decoders: every answer must be a JSON
// object, and none a 5xx or a panic.
func FuzzPostEndpoints(f *testing.F) {
	fx := setup(f, 1<<30)
	prof := fx.profile("mastodon", "@fuzz@example.social")
	seeds := []string{
		`{"caption": "hi"}`,
		`{"caption": "hi", "socialProfileIds": ["` + prof + `"], "scheduledAt": "2026-07-02T09:00:00Z"}`,
		`{"mediaUrls": ["https://cdn.example/a.png"], "socialProfileIds": ["` + prof + `", "` + prof + `"]}`,
		`{"caption": null, "scheduledAt": "2026-07-02T09:00:00.123456789+14:00"}`,
		`{"scheduledAt": null}`, `{"caption": 1e400}`, `{"caption": "\ud800"}`, `[1,2]`, `"x"`, `{}`, ``, `{"a":{"b":[{}]}}`,
		`{"name": "kit", "colors": ["#fff"], "hashtags": ["#a"], "email": "a@b.c", "role": "viewer", "provider": "x"}`,
		`{"prompt": "0123456789", "tone": "bold", "count": -1, "duration": 99999999999999999999}`,
	}
	for i, s := range seeds {
		f.Add(i, s, "statuses=draft,SCHEDULED&page=0&perPage=50")
	}
	targets := []struct{ method, path string }{
		{"POST", "/post"}, {"POST", "/post/validate"}, {"GET", "/post"}, {"PATCH", "/post/"}, {"DELETE", "/post/"},
		{"POST", "/brand-kits"}, {"POST", "/hashtag-libraries"}, {"POST", "/studio-templates"}, {"POST", "/workspaces/" + fx.ws + "/members"},
		{"POST", "/social-profiles/connection-url"}, {"POST", "/post/ai"}, {"POST", "/campaigns"}, {"GET", "/social-profiles/connection-url"},
	}
	// A post to patch and delete.
	id := decode[map[string]string](f, fx.ok("POST", base+"/post?workspaceId="+fx.ws, map[string]any{"caption": "target"}, 201))["id"]
	f.Fuzz(func(t *testing.T, which int, body, query string) {
		tg := targets[uint(which)%uint(len(targets))]
		path := base + tg.path
		if tg.path == "/post/" {
			path += id
		}
		q, err := url.ParseQuery(query)
		if err != nil {
			q = url.Values{}
		}
		q.Set("workspaceId", fx.ws)
		status, b, h := fx.request(t, false, tg.method, path+"?"+q.Encode(), fx.key, body)
		if status >= 500 {
			t.Fatalf("%s %s?%s with %q = %d %s", tg.method, tg.path, query, body, status, b)
		}
		var v map[string]any
		var arr []any
		if json.Unmarshal(b, &v) != nil && json.Unmarshal(b, &arr) != nil {
			t.Fatalf("%s %s: answer is not JSON: %q", tg.method, tg.path, b)
		}
		if status >= 400 {
			if msg, _ := v["message"].(string); msg == "" {
				t.Fatalf("%s %s = %d without a message: %s", tg.method, tg.path, status, b)
			}
		}
		if h.Get("Content-Type") != "application/json; charset=utf-8" {
			t.Fatalf("Content-Type = %q", h.Get("Content-Type"))
		}
	})
}
