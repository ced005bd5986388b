package blackbox

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/heraldhq/herald/client"
)

func testAI(t *testing.T, s *server) {
	ws := s.newWorkspace(t)
	stranger := s.initUser(t, "ai-"+s.name+"@example.com")
	kit := check(s.admin(t).CreateBrandKit(t.Context(), ws, client.BrandKitInput{Name: "AI kit"}))(t)
	for _, tt := range []struct {
		name, path, query, body string
		status                  int
		field                   string
	}{
		{"post: short prompt", "/post/ai", ws, `{"prompt":"too short"}`, 400, "prompt"},
		{"post: no prompt", "/post/ai", ws, `{}`, 400, "prompt"},
		{"post: unknown tone", "/post/ai", ws, `{"prompt":"A launch post for our app","tone":"angry"}`, 400, "tone"},
		{"post: unknown length", "/post/ai", ws, `{"prompt":"A launch post for our app","length":"epic"}`, 400, "length"},
		{"post: unknown postLength", "/post/ai", ws, `{"prompt":"A launch post for our app","postLength":"epic"}`, 400, "postLength"},
		{"post: generateImage a string", "/post/ai", ws, `{"prompt":"A launch post for our app","generateImage":"yes"}`, 400, "generateImage"},
		{"post: bad reference URL", "/post/ai", ws, `{"prompt":"A launch post for our app","referenceUrls":["nope"]}`, 400, "referenceUrls[0]"},
		{"post: bad JSON", "/post/ai", ws, `{"prompt":`, 400, "body"},
		{"post: another user's workspace", "/post/ai", stranger.WorkspaceID, `{"prompt":"A launch post for our app"}`, 404, ""},
		{"post: not built", "/post/ai", ws, `{"prompt":"A launch post for our app","tone":"friendly","postLength":"short","brandId":"` + kit.ID + `"}`, 501, "AI"},
		{"campaign: no prompt", "/campaigns", ws, `{}`, 400, "prompt"},
		{"campaign: unknown goal", "/campaigns", ws, `{"prompt":"Spring sale","goal":"fame"}`, 400, "goal"},
		{"campaign: unknown audience", "/campaigns", ws, `{"prompt":"Spring sale","audience":"cats"}`, 400, "audience"},
		{"campaign: count too big", "/campaigns", ws, `{"prompt":"Spring sale","count":31}`, 400, "count"},
		{"campaign: duration zero", "/campaigns", ws, `{"prompt":"Spring sale","duration":0}`, 400, "duration"},
		{"campaign: imageCount too big", "/campaigns", ws, `{"prompt":"Spring sale","imageCount":6}`, 400, "imageCount"},
		{"campaign: too many references", "/campaigns", ws, `{"prompt":"Spring sale","referenceDesignIds":["a","b","c","d"]}`, 400, "referenceDesignIds"},
		{"campaign: count a string", "/campaigns", ws, `{"prompt":"Spring sale","count":"5"}`, 400, "count"},
		{"campaign: another user's workspace", "/campaigns", stranger.WorkspaceID, `{"prompt":"Spring sale"}`, 404, ""},
		{"campaign: not built", "/campaigns", ws, `{"topic":"Spring sale","goal":"offer","audience":"local_community","duration":14,"count":6}`, 501, "AI"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			wantStatus(t, tt.body, s.raw(t, "POST", tt.path+"?workspaceId="+tt.query, s.adminKey, tt.body), tt.status, tt.field)
		})
	}
	// Nothing was made.
	if ps := check(s.admin(t).ListPosts(t.Context(), ws, client.ListPostsOptions{}))(t); len(ps) != 0 {
		t.Errorf("AI endpoints stored %d posts", len(ps))
	}
}

func testRouting(t *testing.T, s *server) {
	for _, tt := range []struct {
		method, path string
		status       int
		allow        []string
	}{
		{"GET", "/nope", 404, nil},
		{"GET", "/posts", 404, nil},
		{"GET", "/post/abc/targets", 404, nil},
		{"POST", "/me/x", 404, nil},
		{"PUT", "/post", 405, []string{"GET", "POST"}},
		{"DELETE", "/me", 405, []string{"GET"}},
		{"POST", "/workspaces/abc/members/x", 404, nil},
		{"PUT", "/post/abc", 405, []string{"GET", "PATCH", "DELETE"}},
		{"POST", "/post/abc", 405, []string{"GET", "PATCH", "DELETE"}},
		{"PUT", "/brand-kits/abc", 405, []string{"GET", "PATCH", "DELETE"}},
		{"PATCH", "/social-profiles", 405, []string{"GET", "POST"}},
		{"GET", "/post/abc/publish", 405, []string{"POST"}},
		{"GET", "/api-keys/abc", 405, []string{"DELETE"}},
		{"PATCH", "/workspaces", 405, []string{"GET", "POST"}},
	} {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			t.Parallel()
			a := s.raw(t, tt.method, tt.path, s.adminKey, "", unrouted, "1")
			wantStatus(t, tt.method+" "+tt.path, a, tt.status)
			if tt.status == 405 {
				var allow []string
				for _, m := range strings.Split(a.header.Get("Allow"), ",") {
					allow = append(allow, strings.TrimSpace(m))
				}
				slices.Sort(allow)
				want := slices.Sorted(slices.Values(tt.allow))
				if !slices.Equal(allow, want) {
					t.Errorf("Allow = %q, want %v", a.header.Get("Allow"), want)
				}
			}
			if tt.status == 404 && !strings.Contains(a.message(), tt.path) {
				t.Errorf("404 message %q does not name %s", a.message(), tt.path)
			}
		})
	}
}

func testBodyLimits(t *testing.T, s *server) {
	ws := s.newWorkspace(t)
	p := check(s.admin(t).CreatePost(t.Context(), ws, client.PostInput{Caption: "keep"}))(t)
	const limit = 1 << 20
	// A valid body of exactly 1 MiB (padded with spaces) is read whole.
	exact := `{"caption":"fits"}`
	exact += strings.Repeat(" ", limit-len(exact))
	wantStatus(t, "exactly 1 MiB", s.raw(t, "POST", "/post?workspaceId="+ws, s.adminKey, exact), http.StatusCreated)

	big := `{"caption":"` + strings.Repeat("a", limit) + `"}`
	for _, tt := range []struct {
		name, method, path string
		header             []string
	}{
		{"create post", "POST", "/post?workspaceId=" + ws, nil},
		{"create post, one byte over", "POST", "/post?workspaceId=" + ws, nil},
		{"create post with a key", "POST", "/post?workspaceId=" + ws, []string{"Idempotency-Key", "big-" + ws}},
		{"validate", "POST", "/post/validate?workspaceId=" + ws, nil},
		{"patch post", "PATCH", "/post/" + p.ID, nil},
		{"brand kit", "POST", "/brand-kits?workspaceId=" + ws, nil},
		{"workspace", "POST", "/workspaces", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			body := big
			if strings.Contains(tt.name, "one byte over") {
				body = exact + " "
			}
			wantStatus(t, tt.name, s.raw(t, tt.method, tt.path, s.adminKey, body, tt.header...), http.StatusRequestEntityTooLarge, "body")
		})
	}
	t.Run("chunked", func(t *testing.T) {
		t.Parallel()
		// No Content-Length: the server must still stop at the limit.
		pr, pw := io.Pipe()
		go func() {
			pw.Write([]byte(`{"caption":"`))
			chunk := []byte(strings.Repeat("b", 64<<10))
			for range 40 { // 2.5 MiB
				if _, err := pw.Write(chunk); err != nil {
					return
				}
			}
			pw.Write([]byte(`"}`))
			pw.Close()
		}()
		req, _ := http.NewRequestWithContext(t.Context(), "POST", s.api+"/post?workspaceId="+ws, pr)
		req.Header.Set("X-API-Key", s.adminKey)
		req.Header.Set("Content-Type", "application/json")
		resp, err := (&http.Client{Transport: checkingTransport{t}}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		pr.CloseWithError(io.ErrClosedPipe)
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("chunked 2.5 MiB body: %d, want 413", resp.StatusCode)
		}
	})
	t.Cleanup(func() {
		if ps := check(s.admin(t).ListPosts(context.Background(), ws, client.ListPostsOptions{PerPage: 50}))(t); len(ps) != 2 {
			t.Errorf("after the oversized bodies %d posts, want the 2 that fit", len(ps))
		}
	})
}

func testMeta(t *testing.T, s *server) {
	for _, tt := range []struct{ path, body string }{
		{"/healthz", `{"status":"ok"}`},
		{"/readyz", `{"status":"ready"}`},
	} {
		a := rawURL(t, "GET", s.root+tt.path, "", "")
		if a.status != http.StatusOK || strings.TrimSpace(string(a.body)) != tt.body || !strings.HasPrefix(a.header.Get("Content-Type"), "application/json") {
			t.Errorf("GET %s = %d %s (%s), want 200 %s", tt.path, a.status, a.body, a.header.Get("Content-Type"), tt.body)
		}
	}

	// The OpenAPI document needs no key and describes every endpoint this
	// suite exercises.
	a := s.raw(t, "GET", "/openapi.json", "", "")
	if a.status != http.StatusOK || !strings.HasPrefix(a.header.Get("Content-Type"), "application/json") {
		t.Fatalf("GET /openapi.json = %d %s", a.status, a.header.Get("Content-Type"))
	}
	var doc struct {
		OpenAPI string `json:"openapi"`
		Info    struct{ Title, Version string }
		Paths   map[string]map[string]any `json:"paths"`
		Comps   struct {
			SecuritySchemes map[string]struct{ Type, In, Name string }
		} `json:"components"`
	}
	if err := json.Unmarshal(a.body, &doc); err != nil {
		t.Fatalf("openapi.json is not JSON: %v", err)
	}
	if doc.OpenAPI != "3.1.0" || doc.Info.Title == "" {
		t.Errorf("openapi = %q, title %q; want 3.1.0 with a title", doc.OpenAPI, doc.Info.Title)
	}
	hasKey := false
	for _, sc := range doc.Comps.SecuritySchemes {
		hasKey = hasKey || (sc.Type == "apiKey" && sc.In == "header" && sc.Name == "X-API-Key")
	}
	if !hasKey {
		t.Errorf("securitySchemes = %+v, want an apiKey in the X-API-Key header", doc.Comps.SecuritySchemes)
	}
	for path, methods := range exercised {
		ops, ok := doc.Paths[path]
		if !ok {
			t.Errorf("openapi.json lacks %s", path)
			continue
		}
		for _, m := range methods {
			if _, ok := ops[strings.ToLower(m)]; !ok {
				t.Errorf("openapi.json lacks %s %s", m, path)
			}
		}
	}
	check(s.admin(t).OpenAPI(t.Context()))(t)

	a = s.raw(t, "GET", "/docs", "", "")
	if a.status != http.StatusOK || !strings.HasPrefix(a.header.Get("Content-Type"), "text/html") || !strings.Contains(strings.ToLower(string(a.body)), "<html") {
		t.Errorf("GET /docs = %d %s %.100s, want an HTML page", a.status, a.header.Get("Content-Type"), a.body)
	}
}

// exercised is every route this suite calls, as the OpenAPI document names
// them.
var exercised = map[string][]string{
	"/me":                               {"GET"},
	"/workspaces":                       {"GET", "POST"},
	"/workspaces/{workspaceId}/members": {"GET", "POST"},
	"/api-keys":                         {"GET", "POST"},
	"/api-keys/{id}":                    {"DELETE"},
	"/social-profiles":                  {"GET"},
	"/social-profiles/connection-url":   {"GET", "POST"},
	"/brand-kits":                       {"GET", "POST"},
	"/brand-kits/{id}":                  {"GET", "PATCH", "DELETE"},
	"/hashtag-libraries":                {"GET", "POST"},
	"/hashtag-libraries/{id}":           {"GET", "PATCH", "DELETE"},
	"/studio-templates":                 {"GET", "POST"},
	"/studio-templates/{id}":            {"GET", "PATCH", "DELETE"},
	"/post":                             {"GET", "POST"},
	"/post/validate":                    {"POST"},
	"/post/{postId}":                    {"GET", "PATCH", "DELETE"},
	"/post/ai":                          {"POST"},
	"/campaigns":                        {"POST"},
	"/openapi.json":                     {"GET"},
	"/docs":                             {"GET"},

	// invitation_test.go, account_test.go
	"/workspaces/{workspaceId}/invitations":                {"GET"},
	"/workspaces/{workspaceId}/invitations/{invitationId}": {"DELETE"},
}
