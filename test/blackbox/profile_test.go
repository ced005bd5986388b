package blackbox

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/heraldhq/herald/client"
)

func testSocialProfiles(t *testing.T, s *server) {
	ctx := t.Context()
	c := s.admin(t)
	ws := s.newWorkspace(t)

	a := s.raw(t, "GET", "/social-profiles?workspaceId="+ws, s.adminKey, "")
	if a.status != http.StatusOK || strings.TrimSpace(string(a.body)) != "[]" {
		t.Errorf("GET /social-profiles of a new workspace = %d %s, want []", a.status, a.body)
	}

	m := s.seedProfile(t, ws, "mastodon", "alice", "connected")
	l := s.seedProfile(t, ws, "linkedin", "Acme", "needs_reconnect")
	other := s.newWorkspace(t)
	s.seedProfile(t, other, "bluesky", "bob", "connected")

	got := check(c.SocialProfiles(ctx, ws))(t)
	want := []client.SocialProfile{
		{ID: m, Provider: "mastodon", Name: "alice", Image: "https://img.example/alice.png", WorkspaceID: ws, Status: "connected"},
		{ID: l, Provider: "linkedin", Name: "Acme", Image: "https://img.example/Acme.png", WorkspaceID: ws, Status: "needs_reconnect", StatusMessage: "the token was revoked"},
	}
	if diff := cmp.Diff(want, got, cmpopts.SortSlices(func(a, b client.SocialProfile) bool { return a.ID < b.ID })); diff != "" {
		t.Errorf("SocialProfiles (-want +got):\n%s", diff)
	}
	a = s.raw(t, "GET", "/social-profiles?workspaceId="+ws, s.adminKey, "")
	var raw []map[string]any
	json.Unmarshal(a.body, &raw)
	for _, p := range raw {
		for _, f := range []string{"id", "provider", "name", "image", "workspaceId"} {
			if _, ok := p[f]; !ok {
				t.Errorf("social profile %v lacks %q", p, f)
			}
		}
	}

	u := s.initUser(t, "profiles-"+s.name+"@example.com")
	for _, tt := range []struct {
		name, query string
		status      int
		field       string
	}{
		{"another user's workspace", "?workspaceId=" + u.WorkspaceID, http.StatusNotFound, ""},
		{"unknown workspace", "?workspaceId=cxxxxxxxxxxxxxxxxxxxxxxxx", http.StatusNotFound, ""},
		{"garbage workspace", "?workspaceId=" + url.QueryEscape("../../etc"), http.StatusNotFound, ""},
		{"missing workspaceId", "", http.StatusBadRequest, "workspaceId"},
		{"empty workspaceId", "?workspaceId=", http.StatusBadRequest, "workspaceId"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			wantStatus(t, tt.query, s.raw(t, "GET", "/social-profiles"+tt.query, s.adminKey, ""), tt.status, tt.field)
		})
	}
}

func testConnectionURL(t *testing.T, s *server) {
	ctx := t.Context()
	c := s.admin(t)
	ws := s.newWorkspace(t)

	for _, in := range []string{"mastodon", "Mastodon"} {
		t.Run("GET "+in, func(t *testing.T) {
			info := check(c.ConnectionURL(ctx, ws, in))(t)
			if info.Provider != "mastodon" || info.AuthProvider != "mastodon" {
				t.Errorf("provider, authProvider = %q, %q; want mastodon", info.Provider, info.AuthProvider)
			}
			checkConnectionInfo(t, s, ws, info)
		})
		t.Run("POST "+in, func(t *testing.T) {
			cu := check(c.PostConnectionURL(ctx, ws, in))(t)
			if cu.URL == "" || cu.URL != cu.AuthURL || cu.Provider != "mastodon" || cu.AuthProvider != "mastodon" {
				t.Errorf("POST connection-url %q = %+v, want url = authUrl for mastodon", in, cu)
			}
			checkConnectionInfo(t, s, ws, &cu.ConnectionInfo)
		})
	}
	// Networks Herald cannot connect yet are refused at once, rather than
	// given a URL whose page then fails.
	for _, in := range []string{"facebook", "instagram", "x", "twitter", "linkedin", "pinterest", "tiktok", "youtube", "threads", "googlebusiness"} {
		t.Run("not yet "+in, func(t *testing.T) {
			a := s.raw(t, "GET", "/social-profiles/connection-url?workspaceId="+ws+"&provider="+in, s.adminKey, "")
			wantStatus(t, "GET connection-url "+in, a, http.StatusBadRequest, "provider: ", "is not supported yet; Herald connects mastodon through a connection URL")
			a = s.raw(t, "POST", "/social-profiles/connection-url?workspaceId="+ws, s.adminKey, `{"provider":"`+in+`"}`)
			wantStatus(t, "POST connection-url "+in, a, http.StatusBadRequest, "is not supported yet")
		})
	}

	u := s.initUser(t, "connect-"+s.name+"@example.com")
	for _, tt := range []struct {
		name, method, query, body string
		status                    int
		field                     string
	}{
		{"GET without provider", "GET", "?workspaceId=" + ws, "", http.StatusBadRequest, "provider"},
		{"GET unknown provider", "GET", "?workspaceId=" + ws + "&provider=myspace", "", http.StatusBadRequest, "provider"},
		{"GET credential provider", "GET", "?workspaceId=" + ws + "&provider=bluesky", "", http.StatusBadRequest, "POST /social-profiles"},
		{"GET without workspace", "GET", "?provider=linkedin", "", http.StatusBadRequest, "workspaceId"},
		{"GET another user's workspace", "GET", "?provider=linkedin&workspaceId=" + u.WorkspaceID, "", http.StatusNotFound, ""},
		{"POST without provider", "POST", "?workspaceId=" + ws, `{}`, http.StatusBadRequest, "provider"},
		{"POST empty provider", "POST", "?workspaceId=" + ws, `{"provider":""}`, http.StatusBadRequest, "provider"},
		{"POST provider of the wrong type", "POST", "?workspaceId=" + ws, `{"provider":5}`, http.StatusBadRequest, "provider"},
		{"POST unknown provider", "POST", "?workspaceId=" + ws, `{"provider":"friendster"}`, http.StatusBadRequest, "provider"},
		{"POST bad JSON", "POST", "?workspaceId=" + ws, `{"provider"`, http.StatusBadRequest, "body"},
		{"POST no body", "POST", "?workspaceId=" + ws, ``, http.StatusBadRequest, "body"},
		{"POST another user's workspace", "POST", "?workspaceId=" + u.WorkspaceID, `{"provider":"x"}`, http.StatusNotFound, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := s.raw(t, tt.method, "/social-profiles/connection-url"+tt.query, s.adminKey, tt.body)
			wantStatus(t, tt.method+" "+tt.query+" "+tt.body, a, tt.status, tt.field)
		})
	}
}

// checkConnectionInfo checks the URLs point at this Herald: authUrl is a
// page a signed-in user opens, for this workspace.
func checkConnectionInfo(t *testing.T, s *server, ws string, info *client.ConnectionInfo) {
	t.Helper()
	au, err := url.Parse(info.AuthURL)
	if err != nil || !strings.HasPrefix(info.AuthURL, s.root+"/") || au.Query().Get("workspaceId") != ws {
		t.Errorf("authUrl = %q, want a page of %s for workspace %s", info.AuthURL, s.root, ws)
	}
	if !strings.HasPrefix(info.CallbackURL, s.root+"/") || !strings.Contains(info.CallbackURL, info.AuthProvider) {
		t.Errorf("callbackUrl = %q, want a page of %s for %s", info.CallbackURL, s.root, info.AuthProvider)
	}
	if info.Instructions == "" {
		t.Error("instructions are empty")
	}
}

// testConnectProfile connects feed profiles with POST /social-profiles (the
// one network whose credentials need no outside server) and disconnects
// them.
func testConnectProfile(t *testing.T, s *server) {
	ctx := t.Context()
	c := s.admin(t)
	ws := s.newWorkspace(t)

	a := s.raw(t, "POST", "/social-profiles?workspaceId="+ws, s.adminKey, `{"provider":"feed","name":"Company news"}`)
	wantStatus(t, "connect a feed", a, http.StatusCreated)
	var p client.SocialProfile
	json.Unmarshal(a.body, &p)
	if p.ID == "" || p.Provider != "feed" || p.Name != "Company news" || p.WorkspaceID != ws || p.Status != "connected" {
		t.Errorf("connected profile = %s", a.body)
	}
	if strings.Contains(string(a.body), "credentials") || strings.Contains(string(a.body), "secret") {
		t.Errorf("the answer shows credentials: %s", a.body)
	}
	p2 := check(c.ConnectProfile(ctx, ws, client.ProfileCredentials{Provider: "FEED", Name: "Changelog"}))(t)
	if p2.Provider != "feed" {
		t.Errorf("provider FEED connected as %q, want feed", p2.Provider)
	}
	got := check(c.SocialProfiles(ctx, ws))(t)
	if len(got) != 2 || !cmp.Equal(got[0], p) && !cmp.Equal(got[1], p) {
		t.Errorf("SocialProfiles = %+v, want the two feeds", got)
	}

	stranger := s.initUser(t, "connect-profile-"+s.name+"@example.com")
	for _, tt := range []struct {
		name, query, body string
		status            int
		field             string
	}{
		{"no provider", ws, `{"name":"x"}`, 400, "provider"},
		{"provider of the wrong type", ws, `{"provider":1}`, 400, "provider"},
		{"browser network", ws, `{"provider":"linkedin"}`, 400, "provider"},
		{"unknown network", ws, `{"provider":"myspace"}`, 400, "provider"},
		{"feed without a name", ws, `{"provider":"feed"}`, 400, "name"},
		{"mastodon without a server", ws, `{"provider":"mastodon","accessToken":"t"}`, 400, "instanceUrl"},
		{"discord with a bad webhook", ws, `{"provider":"discord","webhookUrl":"not a url"}`, 400, "webhook"},
		{"unknown field", ws, `{"provider":"feed","name":"x","password":"y"}`, 400, "password"},
		{"bad JSON", ws, `{"provider":"feed"`, 400, "body"},
		{"empty body", ws, ``, 400, "body"},
		{"without workspace", "", `{"provider":"feed","name":"x"}`, 400, "workspaceId"},
		{"another user's workspace", stranger.WorkspaceID, `{"provider":"feed","name":"x"}`, 404, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			wantStatus(t, tt.body, s.raw(t, "POST", "/social-profiles?workspaceId="+tt.query, s.adminKey, tt.body), tt.status, tt.field)
		})
	}

	// Disconnecting is refused while a scheduled post targets the profile.
	at := future(6 * time.Hour)
	post := check(c.CreatePost(ctx, ws, client.PostInput{Caption: "to the feed", SocialProfileIDs: []string{p.ID}, ScheduledAt: &at}))(t)
	wantAPIError(t, c.DisconnectProfile(ctx, ws, p.ID), http.StatusConflict, "Company news")
	noErr(t, c.DeletePost(ctx, post.ID))
	a = s.raw(t, "DELETE", "/social-profiles/"+p.ID+"?workspaceId="+ws, s.adminKey, "")
	if a.status != http.StatusOK || strings.TrimSpace(string(a.body)) != "{}" {
		t.Errorf("DELETE /social-profiles/{id} = %d %s, want 200 {}", a.status, a.body)
	}
	if got := check(c.SocialProfiles(ctx, ws))(t); len(got) != 1 || got[0].ID != p2.ID {
		t.Errorf("after disconnecting SocialProfiles = %+v, want only %s", got, p2.ID)
	}
	wantAPIError(t, c.DisconnectProfile(ctx, ws, p.ID), http.StatusNotFound)
	wantAPIError(t, c.DisconnectProfile(ctx, s.newWorkspace(t), p2.ID), http.StatusNotFound)
	wantAPIError(t, s.client(t, stranger.APIKey).DisconnectProfile(ctx, ws, p2.ID), http.StatusNotFound)
	wantStatus(t, "disconnect without workspace", s.raw(t, "DELETE", "/social-profiles/"+p2.ID, s.adminKey, ""), http.StatusBadRequest, "workspaceId")
	if got := check(c.SocialProfiles(ctx, ws))(t); len(got) != 1 {
		t.Errorf("after refused disconnects SocialProfiles = %+v, want %s still there", got, p2.ID)
	}
	// A profile that is gone cannot be targeted.
	_, err := c.CreatePost(ctx, ws, client.PostInput{Caption: "x", SocialProfileIDs: []string{p.ID}})
	wantAPIError(t, err, http.StatusNotFound, "socialProfileIds[0]")
}
