package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/heraldhq/herald/client"
)

// These tests check what the client sends and how it reads answers, against
// a recording server. test/blackbox checks it against the real Herald.

// seen is one request as the server received it.
type seen struct {
	Method, Path string
	Query        url.Values
	Body         string
	Header       http.Header
}

type recorder struct {
	mu     sync.Mutex
	last   seen
	status int
	answer string
	header http.Header
}

func (rc *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	rc.last = seen{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Body: string(b), Header: r.Header.Clone()}
	status, answer, header := rc.status, rc.answer, rc.header
	rc.mu.Unlock()
	for k, v := range header {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, answer)
}

func setup(t *testing.T, status int, answer string) (*client.Client, *recorder) {
	t.Helper()
	rc := &recorder{status: status, answer: answer}
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	return client.New(srv.URL+client.BasePath, "hk_test", srv.Client()), rc
}

func TestRequests(t *testing.T) {
	t.Parallel()
	at := time.Date(2030, 7, 1, 9, 0, 0, 0, time.FixedZone("CEST", 2*3600))
	caption := "new"
	tests := []struct {
		name   string
		call   func(context.Context, *client.Client) error
		answer string
		want   seen // Header is not compared
	}{
		{"me", func(ctx context.Context, c *client.Client) error { _, err := c.Me(ctx); return err },
			`{"id":"u1"}`, seen{Method: "GET", Path: "/api/_public/v1/me", Query: url.Values{}}},
		{"create workspace", func(ctx context.Context, c *client.Client) error { _, err := c.CreateWorkspace(ctx, "W"); return err },
			`{}`, seen{Method: "POST", Path: "/api/_public/v1/workspaces", Query: url.Values{}, Body: `{"name":"W"}`}},
		{"invite", func(ctx context.Context, c *client.Client) error {
			_, err := c.Invite(ctx, "w/1", client.InvitationInput{Email: "v@example.com", Role: client.RoleViewer})
			return err
		}, `{}`, seen{Method: "POST", Path: "/api/_public/v1/workspaces/w/1/members", Query: url.Values{}, Body: `{"email":"v@example.com","role":"viewer"}`}},
		{"invitations", func(ctx context.Context, c *client.Client) error { _, err := c.Invitations(ctx, "w1"); return err },
			`[]`, seen{Method: "GET", Path: "/api/_public/v1/workspaces/w1/invitations", Query: url.Values{}}},
		{"revoke invitation", func(ctx context.Context, c *client.Client) error { return c.RevokeInvitation(ctx, "w1", "i1") },
			`{}`, seen{Method: "DELETE", Path: "/api/_public/v1/workspaces/w1/invitations/i1", Query: url.Values{}}},
		{"revoke key", func(ctx context.Context, c *client.Client) error { return c.RevokeAPIKey(ctx, "k1") },
			`{}`, seen{Method: "DELETE", Path: "/api/_public/v1/api-keys/k1", Query: url.Values{}}},
		{"connection url GET", func(ctx context.Context, c *client.Client) error {
			_, err := c.ConnectionURL(ctx, "w1", "instagram")
			return err
		}, `{}`, seen{Method: "GET", Path: "/api/_public/v1/social-profiles/connection-url", Query: url.Values{"workspaceId": {"w1"}, "provider": {"instagram"}}}},
		{"connection url POST", func(ctx context.Context, c *client.Client) error {
			_, err := c.PostConnectionURL(ctx, "w1", "x")
			return err
		}, `{}`, seen{Method: "POST", Path: "/api/_public/v1/social-profiles/connection-url", Query: url.Values{"workspaceId": {"w1"}}, Body: `{"provider":"x"}`}},
		{"patch brand kit", func(ctx context.Context, c *client.Client) error {
			_, err := c.UpdateBrandKit(ctx, "w1", "b1", client.BrandKitPatch{Colors: &[]string{}})
			return err
		}, `{}`, seen{Method: "PATCH", Path: "/api/_public/v1/brand-kits/b1", Query: url.Values{"workspaceId": {"w1"}}, Body: `{"colors":[]}`}},
		{"create post in UTC", func(ctx context.Context, c *client.Client) error {
			_, err := c.CreatePost(ctx, "w1", client.PostInput{Caption: "hi", SocialProfileIDs: []string{"p1"}, ScheduledAt: &at})
			return err
		}, `{}`, seen{Method: "POST", Path: "/api/_public/v1/post", Query: url.Values{"workspaceId": {"w1"}},
			Body: `{"caption":"hi","socialProfileIds":["p1"],"scheduledAt":"2030-07-01T07:00:00Z"}`}},
		{"list posts", func(ctx context.Context, c *client.Client) error {
			_, err := c.ListPosts(ctx, "w1", client.ListPostsOptions{Statuses: []string{"DRAFT", "scheduled"}, Page: 2, PerPage: 5})
			return err
		}, `[]`, seen{Method: "GET", Path: "/api/_public/v1/post", Query: url.Values{"workspaceId": {"w1"}, "statuses": {"DRAFT", "scheduled"}, "page": {"2"}, "perPage": {"5"}}}},
		{"get post in a workspace", func(ctx context.Context, c *client.Client) error {
			_, err := c.GetPost(ctx, "p1", client.WithWorkspace("w1"))
			return err
		}, `{}`, seen{Method: "GET", Path: "/api/_public/v1/post/p1", Query: url.Values{"workspaceId": {"w1"}}}},
		{"unschedule", func(ctx context.Context, c *client.Client) error {
			return c.UpdatePost(ctx, "p1", client.PostPatch{Unschedule: true, Caption: &caption})
		}, `{}`, seen{Method: "PATCH", Path: "/api/_public/v1/post/p1", Query: url.Values{}, Body: `{"caption":"new","scheduledAt":null}`}},
		{"connect a feed", func(ctx context.Context, c *client.Client) error {
			_, err := c.ConnectProfile(ctx, "w1", client.ProfileCredentials{Provider: "feed", Name: "News"})
			return err
		}, `{}`, seen{Method: "POST", Path: "/api/_public/v1/social-profiles", Query: url.Values{"workspaceId": {"w1"}}, Body: `{"provider":"feed","name":"News"}`}},
		{"disconnect", func(ctx context.Context, c *client.Client) error { return c.DisconnectProfile(ctx, "w1", "p1") },
			`{}`, seen{Method: "DELETE", Path: "/api/_public/v1/social-profiles/p1", Query: url.Values{"workspaceId": {"w1"}}}},
		{"publish now", func(ctx context.Context, c *client.Client) error { return c.PublishPost(ctx, "p1") },
			`{}`, seen{Method: "POST", Path: "/api/_public/v1/post/p1/publish", Query: url.Values{}}},
		{"retry", func(ctx context.Context, c *client.Client) error { return c.RetryPost(ctx, "p1", true) },
			`{}`, seen{Method: "POST", Path: "/api/_public/v1/post/p1/retry", Query: url.Values{}, Body: `{"confirm":true}`}},
		{"delete remotely", func(ctx context.Context, c *client.Client) error {
			return c.DeletePost(ctx, "p1", client.WithQuery("remote", "true"))
		}, `{}`, seen{Method: "DELETE", Path: "/api/_public/v1/post/p1", Query: url.Values{"remote": {"true"}}}},
		{"reschedule", func(ctx context.Context, c *client.Client) error {
			return c.UpdatePost(ctx, "p1", client.PostPatch{ScheduledAt: &at})
		}, `{}`, seen{Method: "PATCH", Path: "/api/_public/v1/post/p1", Query: url.Values{}, Body: `{"scheduledAt":"2030-07-01T07:00:00Z"}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, rc := setup(t, http.StatusOK, tt.answer)
			if err := tt.call(t.Context(), c); err != nil {
				t.Fatal(err)
			}
			got := rc.last
			if h := got.Header.Get("X-API-Key"); h != "hk_test" {
				t.Errorf("X-API-Key = %q, want hk_test", h)
			}
			if ct := got.Header.Get("Content-Type"); (got.Body != "") != (ct == "application/json") {
				t.Errorf("Content-Type = %q with body %q", ct, got.Body)
			}
			got.Header = nil
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("request (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodesAnswers(t *testing.T) {
	t.Parallel()
	c, _ := setup(t, http.StatusOK, `[{"id":"g1","postType":"REGULAR","status":"SCHEDULED","scheduledAt":"2030-07-01T09:00:00.000Z",
		"posts":[{"provider":"GENERAL","caption":"hi","creatives":[{"image":"https://x/a.png"}]}],
		"socialProfiles":[{"socialProfile":{"id":"p1","provider":"mastodon","name":"M","image":""},"state":"scheduled","late":false,"attempts":0,
		"errorCode":null,"errorMessage":null,"publishedUrl":null,"remoteId":null,"publishedAt":null,"updatedAt":"2030-01-01T00:00:00.000Z"}],
		"workspaceId":"w1","createdAt":"2030-01-01T00:00:00.000Z","updatedAt":"2030-01-01T00:00:00.000Z"}]`)
	got, err := c.ListPosts(t.Context(), "w1", client.ListPostsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2030, 7, 1, 9, 0, 0, 0, time.UTC)
	jan := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	want := []client.PostGroup{{ID: "g1", PostType: "REGULAR", Status: client.StatusScheduled, ScheduledAt: &at,
		Posts:          []client.PostEntry{{Provider: "GENERAL", Caption: "hi", Creatives: []client.Creative{{Image: "https://x/a.png"}}}},
		SocialProfiles: []client.PostTarget{{SocialProfile: client.ProfileRef{ID: "p1", Provider: "mastodon", Name: "M"}, State: "scheduled", UpdatedAt: jan}},
		WorkspaceID:    "w1", CreatedAt: jan, UpdatedAt: jan}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ListPosts (-want +got):\n%s", diff)
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		answer string
		want   string
	}{
		{"json message", 403, `{"message":"Invalid API token."}`, "Invalid API token."},
		{"not json", 502, "<html>Bad gateway</html>\n", "<html>Bad gateway</html>"},
		{"json without message", 400, `{"error":"x"}`, `{"error":"x"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, rc := setup(t, tt.status, tt.answer)
			rc.header = http.Header{"Retry-After": {"7"}}
			_, err := c.Me(t.Context())
			var ae *client.APIError
			if !errors.As(err, &ae) {
				t.Fatalf("error %v (%T) is not an *APIError", err, err)
			}
			if ae.Status != tt.status || ae.Message != tt.want || ae.Header.Get("Retry-After") != "7" {
				t.Errorf("APIError = {%d %q Retry-After=%q}, want {%d %q 7}", ae.Status, ae.Message, ae.Header.Get("Retry-After"), tt.status, tt.want)
			}
		})
	}
}

func TestOptions(t *testing.T) {
	t.Parallel()
	c, rc := setup(t, http.StatusCreated, `{"postGroupId":"g1","id":"g1"}`)
	rc.header = http.Header{"Idempotent-Replayed": {"true"}}
	var h http.Header
	got, err := c.CreatePost(t.Context(), "w1", client.PostInput{Caption: "x"}, client.WithIdempotencyKey("k-1"), client.CaptureHeader(&h))
	if err != nil {
		t.Fatal(err)
	}
	if got.PostGroupID != "g1" || got.ID != "g1" {
		t.Errorf("CreatePost = %+v", got)
	}
	if k := rc.last.Header.Get("Idempotency-Key"); k != "k-1" {
		t.Errorf("Idempotency-Key = %q, want k-1", k)
	}
	if h.Get("Idempotent-Replayed") != "true" {
		t.Errorf("captured header = %v, want Idempotent-Replayed", h)
	}
}

func TestBaseURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
		bad            bool
	}{
		{"api base", "http://h:1/api/_public/v1", "http://h:1/api/_public/v1", false},
		{"trailing slash", "http://h:1/api/_public/v1/", "http://h:1/api/_public/v1", false},
		{"server root", "https://h.example/", "https://h.example/api/_public/v1", false},
		{"relative", "/api/_public/v1", "", true},
		{"no scheme", "h:1", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := client.New(tt.in, "k", nil)
			if got := c.BaseURL(); got != tt.want {
				t.Errorf("BaseURL() = %q, want %q", got, tt.want)
			}
			if tt.bad {
				// Only bad URLs are called: they fail before any connection.
				if _, err := c.Me(t.Context()); err == nil {
					t.Error("Me with a bad base URL: no error")
				}
			}
		})
	}
}

func TestPostPatchJSON(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal(client.PostPatch{})
	if err != nil || string(b) != "{}" {
		t.Errorf("empty patch = %s, %v; want {}", b, err)
	}
}

// TestProfileCredentialsJSON: a network the struct does not name is
// connected through Fields, merged into the one JSON object; the named
// fields win.
func TestProfileCredentialsJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   client.ProfileCredentials
		want string
	}{
		{"named fields", client.ProfileCredentials{Provider: "feed", Name: "News"}, `{"name":"News","provider":"feed"}`},
		{"further fields", client.ProfileCredentials{Provider: "echo", Fields: map[string]string{"room": "lobby"}}, `{"provider":"echo","room":"lobby"}`},
		{"named fields win", client.ProfileCredentials{Provider: "feed", Name: "News", Fields: map[string]string{"name": "Other", "provider": "x"}}, `{"name":"News","provider":"feed"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, err := json.Marshal(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			var got, want any
			json.Unmarshal(b, &got)
			json.Unmarshal([]byte(tt.want), &want)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("JSON (-want +got):\n%s", diff)
			}
		})
	}
}
