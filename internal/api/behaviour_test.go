package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/app"
	"github.com/heraldhq/herald/internal/provider"
	"github.com/heraldhq/herald/internal/provider/mastodon"
)

func TestRateLimit(t *testing.T) {
	t.Parallel()
	f := setup(t, 3)
	for i := range 3 {
		status, _, h := f.do("GET", base+"/me", f.key, nil)
		if status != 200 {
			t.Fatalf("request %d = %d", i, status)
		}
		if h.Get("X-RateLimit-Limit") != "3" || h.Get("X-RateLimit-Remaining") != strconv.Itoa(2-i) {
			t.Errorf("request %d headers: limit %q remaining %q", i, h.Get("X-RateLimit-Limit"), h.Get("X-RateLimit-Remaining"))
		}
		reset, _ := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64)
		if want := f.clock.Now().Truncate(time.Minute).Add(time.Minute).Unix(); reset != want {
			t.Errorf("reset = %d, want %d", reset, want)
		}
	}
	f.clock.Add(20 * time.Second)
	status, body, h := f.do("GET", base+"/me", f.key, nil)
	if status != 429 || string(body) != "{\"message\":\"You've exceeded the request limit.\"}\n" {
		t.Fatalf("over the limit = %d %s", status, body)
	}
	if h.Get("Retry-After") != "40" || h.Get("X-RateLimit-Remaining") != "0" {
		t.Errorf("Retry-After = %q, remaining %q", h.Get("Retry-After"), h.Get("X-RateLimit-Remaining"))
	}
	// Keys are limited separately, and a new window starts afresh.
	k2, _, err := f.app.AuthenticateAPIKey(context.Background(), f.key)
	if err != nil {
		t.Fatal(err)
	}
	ctx := herald.NewContextWithUser(context.Background(), k2)
	_, other, err := f.app.CreateAPIKey(ctx, "second")
	if err != nil {
		t.Fatal(err)
	}
	if status, _, _ := f.do("GET", base+"/me", other, nil); status != 200 {
		t.Errorf("another key = %d, want 200", status)
	}
	f.clock.Add(40 * time.Second)
	if status, _, _ := f.do("GET", base+"/me", f.key, nil); status != 200 {
		t.Errorf("next window = %d, want 200", status)
	}
	// Unknown paths count and carry the headers too.
	f.clock.Add(time.Minute)
	for i := range 3 {
		if s, _, h := f.do("GET", base+"/nope", f.key, nil); s != 404 || h.Get("X-RateLimit-Remaining") != strconv.Itoa(2-i) {
			t.Errorf("unknown path %d = %d, remaining %q", i, s, h.Get("X-RateLimit-Remaining"))
		}
	}
	if s, _, _ := f.do("GET", base+"/me", f.key, nil); s != 429 {
		t.Errorf("after three unknown paths = %d, want 429", s)
	}
	// Requests without a valid key are limited by address, with headers too.
	for range 3 {
		f.do("GET", base+"/me", "hk_wrong", nil)
	}
	status, _, h = f.do("GET", base+"/me", "hk_wrong", nil)
	if status != 429 || h.Get("X-RateLimit-Limit") == "" {
		t.Errorf("unauthenticated over the limit = %d, headers %v", status, h)
	}
}

func TestIdempotencyKey(t *testing.T) {
	t.Parallel()
	f := setup(t, 1000)
	target := base + "/post?workspaceId=" + f.ws
	body := `{"caption": "once"}`
	s1, b1, h1 := f.do("POST", target, f.key, body, "Idempotency-Key", "k-1")
	s2, b2, h2 := f.do("POST", target, f.key, body, "Idempotency-Key", "k-1")
	if s1 != 201 || s2 != 201 || string(b1) != string(b2) {
		t.Fatalf("answers differ: %d %s / %d %s", s1, b1, s2, b2)
	}
	if h1.Get("Idempotent-Replayed") != "" || h2.Get("Idempotent-Replayed") != "true" {
		t.Errorf("Idempotent-Replayed = %q then %q", h1.Get("Idempotent-Replayed"), h2.Get("Idempotent-Replayed"))
	}
	posts := decode[[]map[string]any](t, f.ok("GET", target, nil, 200))
	if len(posts) != 1 {
		t.Fatalf("posts = %d, want 1", len(posts))
	}
	if s, b, _ := f.do("POST", target, f.key, `{"caption": "other"}`, "Idempotency-Key", "k-1"); s != 422 {
		t.Errorf("same key, other body = %d %s", s, b)
	}
	// After 24 h the key is free again.
	f.clock.Add(25 * time.Hour)
	if s, _, h := f.do("POST", target, f.key, body, "Idempotency-Key", "k-1"); s != 201 || h.Get("Idempotent-Replayed") != "" {
		t.Errorf("after 24 h = %d replayed=%q", s, h.Get("Idempotent-Replayed"))
	}
}

func TestViewerCannotWrite(t *testing.T) {
	t.Parallel()
	f := setup(t, 1000)
	res, err := f.app.Init(context.Background(), app.InitParams{Email: "viewer@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	f.join(res.APIKey, "viewer")
	ws := "?workspaceId=" + f.ws
	for _, tc := range []struct{ method, target, body string }{
		{"POST", base + "/post" + ws, `{"caption": "x"}`},
		{"POST", base + "/brand-kits" + ws, `{"name": "x"}`},
		{"POST", base + "/workspaces/" + f.ws + "/members", `{"email": "third@example.org"}`},
		{"GET", base + "/social-profiles/connection-url" + ws + "&provider=linkedin", ``},
	} {
		if s, b, _ := f.do(tc.method, tc.target, res.APIKey, tc.body); s != 403 {
			t.Errorf("viewer %s %s = %d %s, want 403", tc.method, tc.target, s, b)
		}
	}
	if s, _, _ := f.do("GET", base+"/post"+ws, res.APIKey, nil); s != 200 {
		t.Errorf("viewer can read posts: %d", s)
	}
}

func TestPostLifecycle(t *testing.T) {
	t.Parallel()
	f := setup(t, 1000)
	ws := "?workspaceId=" + f.ws
	prof := f.profile("bluesky", "ada.example")
	id := decode[map[string]string](t, f.ok("POST", base+"/post"+ws, map[string]any{"caption": "draft"}, 201))["id"]
	get := func() map[string]any { return decode[map[string]any](t, f.ok("GET", base+"/post/"+id, nil, 200)) }
	if p := get(); p["status"] != "DRAFT" || p["scheduledAt"] != nil {
		t.Fatalf("draft = %v", p)
	}
	// Scheduling a draft with no profile is refused; with one it works.
	if s, _, _ := f.do("PATCH", base+"/post/"+id, f.key, `{"scheduledAt": "2026-07-03T10:00:00+02:00"}`); s != 400 {
		t.Errorf("schedule without profiles = %d", s)
	}
	f.ok("PATCH", base+"/post/"+id, map[string]any{"scheduledAt": "2026-07-03T10:00:00+02:00", "socialProfileIds": []string{prof}}, 200)
	p := get()
	if p["status"] != "SCHEDULED" || p["scheduledAt"] != "2026-07-03T08:00:00.000Z" {
		t.Fatalf("scheduled = %v", p)
	}
	if tgt := p["socialProfiles"].([]any)[0].(map[string]any); tgt["state"] != "scheduled" || tgt["late"] != false {
		t.Errorf("target = %v", tgt)
	}
	// Past its time and not published: late.
	f.clock.Add(48 * time.Hour)
	if tgt := get()["socialProfiles"].([]any)[0].(map[string]any); tgt["late"] != true || !strings.Contains(fmt.Sprint(tgt["lateReason"]), "No publishing worker") {
		t.Errorf("late target = %v", tgt)
	}
	f.ok("POST", base+"/post"+ws, map[string]any{"caption": "on time", "socialProfileIds": []string{prof}, "scheduledAt": "2026-07-30T10:00:00Z"}, 201)
	if late := decode[[]map[string]any](t, f.ok("GET", base+"/post"+ws+"&late=true", nil, 200)); len(late) != 1 || late[0]["id"] != id {
		t.Errorf("late posts = %v, want only %s", late, id)
	}
	// Another workspace's key cannot see, change or delete it.
	other, _ := f.app.Init(context.Background(), app.InitParams{Email: "other@example.org"})
	for _, m := range []string{"GET", "DELETE"} {
		if s, _, _ := f.do(m, base+"/post/"+id, other.APIKey, nil); s != 404 {
			t.Errorf("other user %s = %d, want 404", m, s)
		}
	}
	if s, _, _ := f.do("GET", base+"/post/"+id+"?workspaceId="+other.WorkspaceID, f.key, nil); s != 404 {
		t.Errorf("GET with a foreign workspaceId = %d, want 404", s)
	}
	// A published target makes the post unchangeable.
	post, err := f.store.FindPostByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	post.Targets[0].State = herald.TargetPublished
	if err := f.store.UpdatePostTarget(context.Background(), post.Targets[0]); err != nil {
		t.Fatal(err)
	}
	if s, b, _ := f.do("PATCH", base+"/post/"+id, f.key, `{"scheduledAt": null}`); s != 409 {
		t.Errorf("PATCH published = %d %s, want 409", s, b)
	}
	post.Targets[0].State = herald.TargetPublishing
	f.store.UpdatePostTarget(context.Background(), post.Targets[0])
	if s, b, _ := f.do("DELETE", base+"/post/"+id, f.key, nil); s != 409 {
		t.Errorf("DELETE while publishing = %d %s, want 409", s, b)
	}
	post.Targets[0].State = herald.TargetFailed
	f.store.UpdatePostTarget(context.Background(), post.Targets[0])
	f.ok("DELETE", base+"/post/"+id, nil, 200)
	if s, _, _ := f.do("GET", base+"/post/"+id, f.key, nil); s != 404 {
		t.Errorf("deleted post = %d", s)
	}
}

func TestListPostsPaging(t *testing.T) {
	t.Parallel()
	f := setup(t, 10000)
	ws := "?workspaceId=" + f.ws
	prof := f.profile("discord", "hook")
	for i := range 60 {
		body := map[string]any{"caption": fmt.Sprint("post ", i)}
		if i%3 == 0 {
			body["scheduledAt"] = "2026-08-01T00:00:00Z"
			body["socialProfileIds"] = []string{prof}
		}
		f.ok("POST", base+"/post"+ws, body, 201)
		f.clock.Add(time.Second)
	}
	count := func(q string) int { return len(decode[[]any](t, f.ok("GET", base+"/post"+ws+q, nil, 200))) }
	for _, tc := range []struct {
		q    string
		want int
	}{
		{"", 10}, {"&perPage=500", 50}, {"&perPage=50&page=1", 10}, {"&statuses=SCHEDULED&perPage=50", 20},
		{"&statuses=scheduled&statuses=draft&perPage=50", 50}, {"&statuses=DRAFT,SCHEDULED&perPage=50&page=1", 10}, {"&statuses=POSTED", 0},
		// The aliases: axios (qs) sends statuses[]=X, a person types status=X.
		{"&statuses%5B%5D=SCHEDULED&perPage=50", 20}, {"&statuses[]=SCHEDULED&statuses[]=DRAFT&perPage=50", 50},
		{"&status=SCHEDULED&perPage=50", 20}, {"&status=posted", 0}, {"&status=SCHEDULED&statuses=SCHEDULED&perPage=50", 20},
		{"&status=DRAFT&statuses[]=SCHEDULED&perPage=50&page=1", 10},
	} {
		if got := count(tc.q); got != tc.want {
			t.Errorf("GET /post%s = %d posts, want %d", tc.q, got, tc.want)
		}
	}
	first := decode[[]map[string]any](t, f.ok("GET", base+"/post"+ws+"&perPage=1", nil, 200))
	if first[0]["posts"].([]any)[0].(map[string]any)["caption"] != "post 59" {
		t.Errorf("newest first: got %v", first[0]["posts"])
	}
}

func TestRevokedKeyIsRefusedAtOnce(t *testing.T) {
	t.Parallel()
	f := setup(t, 1000)
	k := decode[map[string]any](t, f.ok("POST", base+"/api-keys", map[string]any{"name": "temp"}, 201))
	secret := k["key"].(string)
	if s, _, _ := f.do("GET", base+"/me", secret, nil); s != 200 {
		t.Fatalf("new key = %d", s)
	}
	f.ok("DELETE", base+"/api-keys/"+k["id"].(string), nil, 200)
	if s, b, _ := f.do("GET", base+"/me", secret, nil); s != 403 {
		t.Errorf("revoked key (just used, so remembered) = %d %s, want 403", s, b)
	}
}

// TestPublishNow: a scheduledAt up to five minutes ago means "publish
// now" (a client that sends the current time reaches Herald a moment
// later); an older one is refused as in the past.
func TestPublishNow(t *testing.T) {
	t.Parallel()
	f := setup(t, 1000)
	ws := "?workspaceId=" + f.ws
	prof := f.profile("bluesky", "ada.example")
	now := f.clock.Now()
	stamp := func(d time.Duration) string { return now.Add(d).Format(time.RFC3339Nano) }
	nowOut := herald.FormatTime(now)
	for _, tc := range []struct {
		name    string
		ago     time.Duration
		status  int
		want    string // scheduledAt stored, or a part of the message
		refused bool
	}{
		{"now", 0, 201, nowOut, false},
		{"a second ago", -time.Second, 201, nowOut, false},
		{"almost five minutes ago", -app.PublishNowGrace + time.Millisecond, 201, nowOut, false},
		{"five minutes ago", -app.PublishNowGrace, 201, nowOut, false},
		{"just over five minutes ago", -app.PublishNowGrace - time.Millisecond, 400, "is in the past", true},
		{"an hour ago", -time.Hour, 400, "up to 5 minutes ago means publish now", true},
		{"in a minute", time.Minute, 201, herald.FormatTime(now.Add(time.Minute)), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body, _ := f.do("POST", base+"/post"+ws, f.key, map[string]any{"caption": tc.name, "socialProfileIds": []string{prof}, "scheduledAt": stamp(tc.ago)})
			if status != tc.status {
				t.Fatalf("POST /post at %s = %d %s, want %d", stamp(tc.ago), status, body, tc.status)
			}
			if tc.refused {
				if !strings.Contains(string(body), "scheduledAt: ") || !strings.Contains(string(body), tc.want) {
					t.Errorf("message = %s, want it to name scheduledAt and say %q", body, tc.want)
				}
				return
			}
			id := decode[map[string]string](t, body)["id"]
			p := decode[map[string]any](t, f.ok("GET", base+"/post/"+id, nil, 200))
			if p["status"] != "SCHEDULED" || p["scheduledAt"] != tc.want {
				t.Errorf("post = %v %v, want SCHEDULED at %s", p["status"], p["scheduledAt"], tc.want)
			}
			if tgt := p["socialProfiles"].([]any)[0].(map[string]any); tgt["late"] != false {
				t.Errorf("a post to publish now is late: %v", tgt)
			}
		})
	}
	// Rescheduling follows the same rule.
	id := decode[map[string]string](t, f.ok("POST", base+"/post"+ws, map[string]any{"caption": "draft", "socialProfileIds": []string{prof}}, 201))["id"]
	if status, body, _ := f.do("PATCH", base+"/post/"+id, f.key, map[string]any{"scheduledAt": stamp(-10 * time.Minute)}); status != 400 || !strings.Contains(string(body), "in the past") {
		t.Errorf("PATCH ten minutes ago = %d %s, want 400 in the past", status, body)
	}
	f.ok("PATCH", base+"/post/"+id, map[string]any{"scheduledAt": stamp(-2 * time.Minute)}, 200)
	if p := decode[map[string]any](t, f.ok("GET", base+"/post/"+id, nil, 200)); p["status"] != "SCHEDULED" || p["scheduledAt"] != nowOut {
		t.Errorf("after PATCH two minutes ago: %v %v, want SCHEDULED at %s", p["status"], p["scheduledAt"], nowOut)
	}
}

// TestLateTargets: lateness is one rule for every target (herald.LateAfter):
// a target published 20 s after its time, after downtime, is late and says
// so; one published within the threshold is not.
func TestLateTargets(t *testing.T) {
	t.Parallel()
	f := setup(t, 1000)
	ws := "?workspaceId=" + f.ws
	onTime, late := f.profile("bluesky", "on-time.example"), f.profile("discord", "late")
	at := f.clock.Now().Add(time.Minute)
	id := decode[map[string]string](t, f.ok("POST", base+"/post"+ws, map[string]any{"caption": "x", "socialProfileIds": []string{onTime, late}, "scheduledAt": at.Format(time.RFC3339)}, 201))["id"]
	post, err := f.store.FindPostByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	for _, tg := range post.Targets {
		d := 2 * time.Second
		if tg.SocialProfileID == late {
			d = 20 * time.Second
		}
		published := at.Add(d)
		tg.State, tg.PublishedAt, tg.UpdatedAt, tg.RemoteURL = herald.TargetPublished, &published, published, "https://example.net/1"
		if err := f.store.UpdatePostTarget(context.Background(), tg); err != nil {
			t.Fatal(err)
		}
	}
	f.clock.Add(time.Hour)
	for _, tg := range decode[map[string]any](t, f.ok("GET", base+"/post/"+id, nil, 200))["socialProfiles"].([]any) {
		tg := tg.(map[string]any)
		prof := tg["socialProfile"].(map[string]any)["id"]
		switch {
		case prof == late && (tg["late"] != true || !strings.Contains(fmt.Sprint(tg["lateReason"]), "Published 20s after its time")):
			t.Errorf("target published 20 s late = late %v, reason %v; want late, saying by how much", tg["late"], tg["lateReason"])
		case prof == onTime && (tg["late"] != false || tg["lateReason"] != nil):
			t.Errorf("target published 2 s after its time = late %v, reason %v; want on time", tg["late"], tg["lateReason"])
		}
	}
}

// unregisteredApp is a browser-connected network whose OAuth application
// is not configured on this Herald.
type unregisteredApp struct{ *mastodon.Provider }

func (unregisteredApp) Name() string { return herald.ProviderLinkedIn }

func (p unregisteredApp) Describe() provider.Descriptor {
	d := p.Provider.Describe()
	d.ID, d.Name, d.Rules.Network = herald.ProviderLinkedIn, "LinkedIn", herald.ProviderLinkedIn
	return d
}

func (unregisteredApp) MissingSettings() []string {
	return []string{"HERALD_LINKEDIN_CLIENT_ID", "HERALD_LINKEDIN_CLIENT_SECRET"}
}

// TestConnectionURLNamesMissingSettings: a network whose OAuth application
// is not configured is refused at once, naming the settings, rather than
// given a URL whose page then fails.
func TestConnectionURLNamesMissingSettings(t *testing.T) {
	t.Parallel()
	f := setup(t, 1000, withProviders(unregisteredApp{mastodon.New(mastodon.Config{}, http.DefaultClient)}, mastodon.New(mastodon.Config{}, http.DefaultClient)))
	ws := "?workspaceId=" + f.ws
	status, body, _ := f.do("GET", base+"/social-profiles/connection-url"+ws+"&provider=linkedin", f.key, nil)
	if want := "provider: connecting LinkedIn needs settings this Herald lacks: set HERALD_LINKEDIN_CLIENT_ID and HERALD_LINKEDIN_CLIENT_SECRET"; status != 400 || !strings.Contains(string(body), want) {
		t.Errorf("GET connection-url for linkedin without its app = %d %s, want 400 %q", status, body, want)
	}
	f.ok("GET", base+"/social-profiles/connection-url"+ws+"&provider=mastodon", nil, 200)
}
