package blackbox

import (
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/heraldhq/herald/client"
)

func testAccount(t *testing.T, s *server) {
	ctx := t.Context()
	c := s.admin(t)

	me := check(c.Me(ctx))(t)
	if me.ID == "" || me.Name != "Admin" || me.Email != "admin@herald.local" {
		t.Errorf("Me = %+v, want the first user Admin <admin@herald.local>", me)
	}
	a := s.raw(t, "GET", "/me", s.adminKey, "")
	var fields map[string]any
	if err := json.Unmarshal(a.body, &fields); err != nil || len(fields) != 3 {
		t.Errorf("GET /me = %s, want exactly {id, name, email}", a.body)
	}

	a = s.raw(t, "GET", "/workspaces", s.adminKey, "")
	if a.status != http.StatusOK || !strings.HasPrefix(string(a.body), "[") {
		t.Errorf("GET /workspaces = %d %s, want a bare JSON array", a.status, a.body)
	}
	ws := check(c.Workspaces(ctx))(t)
	if i := slices.IndexFunc(ws, func(w client.Workspace) bool { return w.ID == s.adminWorkspace }); i < 0 || ws[i].UserCount < 1 || ws[i].Name != "My workspace" {
		t.Errorf("Workspaces = %+v, want the first workspace %s named My workspace", ws, s.adminWorkspace)
	}

	a = s.raw(t, "POST", "/workspaces", s.adminKey, `{"name":"Team `+t.Name()+`"}`)
	wantStatus(t, "POST /workspaces", a, http.StatusCreated)
	var created client.Workspace
	json.Unmarshal(a.body, &created)
	if created.ID == "" || created.UserCount != 1 {
		t.Errorf("POST /workspaces = %s, want {id, name, userCount: 1}", a.body)
	}
	ws = check(c.Workspaces(ctx))(t)
	if !slices.ContainsFunc(ws, func(w client.Workspace) bool { return w.ID == created.ID && w.Name == "Team "+t.Name() }) {
		t.Errorf("Workspaces = %+v, missing the new workspace %s", ws, created.ID)
	}

	for _, tt := range []struct{ name, body, field string }{
		{"missing name", `{}`, "name"},
		{"empty name", `{"name":"  "}`, "name"},
		{"name of the wrong type", `{"name":5}`, "name"},
		{"name too long", `{"name":"` + strings.Repeat("n", 201) + `"}`, "name"},
		{"unknown field", `{"name":"x","color":"red"}`, "color"},
		{"bad JSON", `{"name":`, "body"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			wantStatus(t, "POST /workspaces "+tt.body, s.raw(t, "POST", "/workspaces", s.adminKey, tt.body), http.StatusBadRequest, tt.field)
		})
	}

	// Another user sees only their own workspace.
	u := s.initUser(t, "account-"+s.name+"@example.com")
	uc := s.client(t, u.APIKey)
	ume := check(uc.Me(ctx))(t)
	if ume.ID != u.UserID || ume.Email != "account-"+s.name+"@example.com" {
		t.Errorf("Me of the second user = %+v, want %s", ume, u.UserID)
	}
	uws := check(uc.Workspaces(ctx))(t)
	if len(uws) != 1 || uws[0].ID != u.WorkspaceID || uws[0].UserCount != 1 {
		t.Errorf("Workspaces of the second user = %+v, want only %s", uws, u.WorkspaceID)
	}
	// herald init with a known e-mail adds a key and no password.
	again := s.initUser(t, "account-"+s.name+"@example.com")
	if again.UserID != u.UserID || again.APIKey == u.APIKey || again.Password != nil {
		t.Errorf("herald init again = %+v, want a new key for %s and no password", again, u.UserID)
	}
}

func testInvite(t *testing.T, s *server) {
	ctx := t.Context()
	c := s.admin(t)
	ws := s.newWorkspace(t)
	email := "invitee-" + s.name + "@example.com"
	known := s.initUser(t, "known-"+s.name+"@example.com")

	// The answer has the same fields for an e-mail Herald does not know and
	// for one it knows, and neither a password nor the user.
	fields := func(a answer) map[string]any {
		t.Helper()
		var m map[string]any
		if err := json.Unmarshal(a.body, &m); err != nil {
			t.Fatalf("invitation = %s: %v", a.body, err)
		}
		return m
	}
	a := s.raw(t, "POST", "/workspaces/"+ws+"/members", s.adminKey, `{"email":"`+strings.ToUpper(email)+`"}`)
	wantStatus(t, "invite an unknown e-mail", a, http.StatusCreated)
	unknownFields := fields(a)
	ka := s.raw(t, "POST", "/workspaces/"+ws+"/members", s.adminKey, `{"email":"known-`+s.name+`@example.com","role":"admin"}`)
	wantStatus(t, "invite a known e-mail", ka, http.StatusCreated)
	knownFields := fields(ka)
	keys := func(m map[string]any) []string { return slices.Sorted(maps.Keys(m)) }
	want := []string{"acceptUrl", "createdAt", "email", "expiresAt", "id", "role"}
	if diff := cmp.Diff(want, keys(unknownFields)); diff != "" {
		t.Errorf("fields of an unknown e-mail's invitation (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, keys(knownFields)); diff != "" {
		t.Errorf("fields of a known e-mail's invitation (-want +got):\n%s", diff)
	}
	if strings.Contains(string(ka.body), known.UserID) {
		t.Errorf("invitation of a known e-mail shows its user id: %s", ka.body)
	}
	var inv client.Invitation
	json.Unmarshal(a.body, &inv)
	if inv.Email != email || inv.Role != client.RoleEditor || !strings.HasPrefix(inv.AcceptURL, "http") || !strings.Contains(inv.AcceptURL, "/invitations/") ||
		inv.ExpiresAt.Sub(inv.CreatedAt) != 7*24*time.Hour {
		t.Errorf("invitation = %s, want an editor's for %s with a link for 7 days", a.body, email)
	}

	// Nobody is added until they accept.
	members := func() map[string]string {
		got := map[string]string{}
		for _, m := range check(c.Members(ctx, ws))(t) {
			got[m.Email] = m.Role
		}
		return got
	}
	if diff := cmp.Diff(map[string]string{"admin@herald.local": "owner"}, members()); diff != "" {
		t.Errorf("Members before accepting (-want +got):\n%s", diff)
	}
	if invs := check(c.Invitations(ctx, ws))(t); len(invs) != 2 || invs[0].AcceptURL != "" {
		t.Errorf("Invitations = %+v, want two, without links", invs)
	}

	// The unknown invitee chooses a name and password on the page.
	v := newWebVisitor(t, inv.AcceptURL)
	if status, body := v.get(inv.AcceptURL); status != 200 || !strings.Contains(body, `id="create"`) {
		t.Fatalf("invitation page = %d %s", status, body)
	}
	if status, body, path := v.post(inv.AcceptURL, url.Values{"name": {"Ivy"}, "password": {"ivy's own password"}}); status != 200 || path != "/" {
		t.Fatalf("create account = %d at %s: %s", status, path, body)
	}
	if status, body := newWebVisitor(t, inv.AcceptURL).get(inv.AcceptURL); status != 404 || !strings.Contains(body, "already been used") {
		t.Errorf("used link = %d %s", status, body)
	}
	// The known one signs in and accepts.
	acceptAsAccount(t, knownFields["acceptUrl"].(string), "known-"+s.name+"@example.com", *known.Password)
	if diff := cmp.Diff(map[string]string{"admin@herald.local": "owner", email: "editor", "known-" + s.name + "@example.com": "admin"}, members()); diff != "" {
		t.Errorf("Members after accepting (-want +got):\n%s", diff)
	}
	wsl := check(c.Workspaces(ctx))(t)
	if i := slices.IndexFunc(wsl, func(w client.Workspace) bool { return w.ID == ws }); i < 0 || wsl[i].UserCount != 3 {
		t.Errorf("Workspaces = %+v, want %s with userCount 3", wsl, ws)
	}
	_, err := c.Invite(ctx, ws, client.InvitationInput{Email: email, Role: client.RoleViewer})
	wantAPIError(t, err, http.StatusConflict, email)

	// A revoked invitation's link says it is not valid.
	revoked := check(c.Invite(ctx, ws, client.InvitationInput{Email: "revoked-" + s.name + "@example.com"}))(t)
	noErr(t, c.RevokeInvitation(ctx, ws, revoked.ID))
	if status, body := newWebVisitor(t, revoked.AcceptURL).get(revoked.AcceptURL); status != 404 || !strings.Contains(body, "not valid") {
		t.Errorf("revoked link = %d %s", status, body)
	}
	wantAPIError(t, c.RevokeInvitation(ctx, ws, revoked.ID), http.StatusNotFound)

	for _, tt := range []struct{ name, body, field string }{
		{"unknown role", `{"email":"r@example.com","role":"boss"}`, "role"},
		{"role of the wrong type", `{"email":"r@example.com","role":1}`, "role"},
		{"missing email", `{"role":"viewer"}`, "email"},
		{"bad email", `{"email":"not-an-email"}`, "email"},
		{"a name is the invitee's to choose", `{"email":"r@example.com","name":"R"}`, "name"},
		{"bad JSON", `{"email":"a@b.c",}`, "body"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			wantStatus(t, tt.body, s.raw(t, "POST", "/workspaces/"+ws+"/members", s.adminKey, tt.body), http.StatusBadRequest, tt.field)
		})
	}

	// Another user's workspace does not exist for the admin.
	other := s.initUser(t, "invite-other-"+s.name+"@example.com")
	_, err = c.Members(ctx, other.WorkspaceID)
	wantAPIError(t, err, http.StatusNotFound)
	_, err = c.Invite(ctx, other.WorkspaceID, client.InvitationInput{Email: "x-" + s.name + "@example.com"})
	wantAPIError(t, err, http.StatusNotFound)
	_, err = c.Invitations(ctx, other.WorkspaceID)
	wantAPIError(t, err, http.StatusNotFound)
	_, err = c.Members(ctx, "nonexistent")
	wantAPIError(t, err, http.StatusNotFound)
}

func testAPIKeys(t *testing.T, s *server) {
	ctx := t.Context()
	u := s.initUser(t, "keys-"+s.name+"@example.com")
	c := s.client(t, u.APIKey)

	k := check(c.CreateAPIKey(ctx, "ci"))(t)
	if !strings.HasPrefix(k.Key, "hk_") || !strings.HasPrefix(k.Key, k.Prefix) || k.Name != "ci" || k.RevokedAt != nil || k.ID == "" {
		t.Errorf("CreateAPIKey = %+v, want a hk_ key starting with its prefix", k)
	}
	a := s.raw(t, "GET", "/api-keys", u.APIKey, "")
	if strings.Contains(string(a.body), k.Key) || strings.Contains(string(a.body), u.APIKey) || strings.Contains(string(a.body), `"key"`) {
		t.Errorf("GET /api-keys shows a secret: %s", a.body)
	}
	keys := check(c.APIKeys(ctx))(t)
	if len(keys) != 2 || !slices.ContainsFunc(keys, func(x client.APIKey) bool { return x.ID == k.ID && x.Name == "ci" }) {
		t.Errorf("APIKeys = %+v, want the init key and ci", keys)
	}

	nc := s.client(t, k.Key)
	if me := check(nc.Me(ctx))(t); me.ID != u.UserID {
		t.Errorf("Me with the new key = %+v, want %s", me, u.UserID)
	}
	noErr(t, c.RevokeAPIKey(ctx, k.ID))
	_, err := nc.Me(ctx)
	wantAPIError(t, err, http.StatusForbidden, "Invalid API token.")
	keys = check(c.APIKeys(ctx))(t)
	if i := slices.IndexFunc(keys, func(x client.APIKey) bool { return x.ID == k.ID }); i < 0 || keys[i].RevokedAt == nil {
		t.Errorf("APIKeys after revoking = %+v, want %s with revokedAt", keys, k.ID)
	}
	// The user's other key still works.
	check(c.Me(ctx))(t)

	// A body is optional; the key gets a default name.
	a = s.raw(t, "POST", "/api-keys", u.APIKey, "")
	wantStatus(t, "POST /api-keys without a body", a, http.StatusCreated)
	var dk client.APIKey
	json.Unmarshal(a.body, &dk)
	if dk.Name == "" || !strings.HasPrefix(dk.Key, "hk_") {
		t.Errorf("POST /api-keys without a body = %s", a.body)
	}

	wantStatus(t, "long name", s.raw(t, "POST", "/api-keys", u.APIKey, `{"name":"`+strings.Repeat("k", 101)+`"}`), http.StatusBadRequest, "name")
	wantStatus(t, "name of the wrong type", s.raw(t, "POST", "/api-keys", u.APIKey, `{"name":true}`), http.StatusBadRequest, "name")

	// Keys of others, and unknown ids, are not found.
	err = s.admin(t).RevokeAPIKey(ctx, dk.ID)
	wantAPIError(t, err, http.StatusNotFound)
	err = c.RevokeAPIKey(ctx, "nonexistent")
	wantAPIError(t, err, http.StatusNotFound)
	check(c.Me(ctx))(t)
	if me := check(s.client(t, dk.Key).Me(ctx))(t); me.ID != u.UserID {
		t.Errorf("the key survived another user's revoke attempt, but Me = %+v", me)
	}
}

func testAuthentication(t *testing.T, s *server) {
	u := s.initUser(t, "auth-"+s.name+"@example.com")
	c := s.client(t, u.APIKey)
	revoked := check(c.CreateAPIKey(t.Context(), "to revoke"))(t)
	noErr(t, c.RevokeAPIKey(t.Context(), revoked.ID))

	routes := []struct{ method, path, body string }{
		{"GET", "/me", ""},
		{"GET", "/workspaces", ""},
		{"GET", "/post?workspaceId=" + u.WorkspaceID, ""},
		{"POST", "/post?workspaceId=" + u.WorkspaceID, `{"caption":"x"}`},
		{"PATCH", "/post/abc", `{"scheduledAt":null}`},
		{"DELETE", "/api-keys/abc", ""},
		{"GET", "/brand-kits?workspaceId=" + u.WorkspaceID, ""},
	}
	keys := []struct {
		name   string
		header []string // nil: no X-API-Key at all
		status int
		body   string
	}{
		{"missing", nil, http.StatusUnauthorized, `{"message":"Missing API token."}`},
		{"empty", []string{"X-API-Key", ""}, http.StatusUnauthorized, `{"message":"Missing API token."}`},
		{"blank", []string{"X-API-Key", "   "}, http.StatusUnauthorized, `{"message":"Missing API token."}`},
		{"unknown", []string{"X-API-Key", "hk_thisKeyDoesNotExist0000000000000000000"}, http.StatusForbidden, `{"message":"Invalid API token."}`},
		{"not a key", []string{"X-API-Key", "Bearer x"}, http.StatusForbidden, `{"message":"Invalid API token."}`},
		{"too long", []string{"X-API-Key", strings.Repeat("k", 5000)}, http.StatusForbidden, `{"message":"Invalid API token."}`},
		{"revoked", []string{"X-API-Key", revoked.Key}, http.StatusForbidden, `{"message":"Invalid API token."}`},
	}
	for _, k := range keys {
		for _, r := range routes {
			t.Run(k.name+" "+r.method+" "+r.path, func(t *testing.T) {
				t.Parallel()
				a := s.raw(t, r.method, r.path, "", r.body, k.header...)
				if a.status != k.status || strings.TrimSpace(string(a.body)) != k.body {
					t.Errorf("got %d %s, want %d %s", a.status, a.body, k.status, k.body)
				}
			})
		}
	}
}

func testViewer(t *testing.T, s *server) {
	ctx := t.Context()
	c := s.admin(t)
	ws := s.newWorkspace(t)
	post := check(c.CreatePost(ctx, ws, client.PostInput{Caption: "by the owner"}))(t)
	kit := check(c.CreateBrandKit(ctx, ws, client.BrandKitInput{Name: "Kit"}))(t)

	// A viewer joins through an invitation.
	acct := s.join(t, ws, "viewer-"+s.name+"@example.com", client.RoleViewer)
	v := s.client(t, acct.APIKey)

	// A viewer reads.
	if ws2 := check(v.Workspaces(ctx))(t); !slices.ContainsFunc(ws2, func(w client.Workspace) bool { return w.ID == ws }) {
		t.Errorf("viewer's Workspaces = %+v, want %s", ws2, ws)
	}
	if ps := check(v.ListPosts(ctx, ws, client.ListPostsOptions{}))(t); len(ps) != 1 || ps[0].ID != post.ID {
		t.Errorf("viewer's ListPosts = %+v, want the owner's post", ps)
	}
	check(v.GetPost(ctx, post.ID))(t)
	check(v.BrandKits(ctx, ws))(t)
	check(v.Members(ctx, ws))(t)

	// A viewer writes nothing.
	forbidden := []struct {
		name string
		call func() error
	}{
		{"create post", func() error { _, err := v.CreatePost(ctx, ws, client.PostInput{Caption: "no"}); return err }},
		{"validate post", func() error { _, err := v.ValidatePost(ctx, ws, client.PostInput{Caption: "no"}); return err }},
		{"update post", func() error { return v.UpdatePost(ctx, post.ID, client.PostPatch{Caption: ptr("no")}) }},
		{"delete post", func() error { return v.DeletePost(ctx, post.ID) }},
		{"publish post", func() error { return v.PublishPost(ctx, post.ID) }},
		{"connect profile", func() error {
			_, err := v.ConnectProfile(ctx, ws, client.ProfileCredentials{Provider: "feed", Name: "no"})
			return err
		}},
		{"create brand kit", func() error { _, err := v.CreateBrandKit(ctx, ws, client.BrandKitInput{Name: "no"}); return err }},
		{"update brand kit", func() error {
			_, err := v.UpdateBrandKit(ctx, ws, kit.ID, client.BrandKitPatch{Name: ptr("no")})
			return err
		}},
		{"delete brand kit", func() error { return v.DeleteBrandKit(ctx, ws, kit.ID) }},
		{"create hashtag library", func() error {
			_, err := v.CreateHashtagLibrary(ctx, ws, client.HashtagLibraryInput{Name: "no"})
			return err
		}},
		{"create studio template", func() error {
			_, err := v.CreateStudioTemplate(ctx, ws, client.StudioTemplateInput{Name: "no"})
			return err
		}},
		{"connection url", func() error { _, err := v.ConnectionURL(ctx, ws, "linkedin"); return err }},
		{"invite", func() error {
			_, err := v.Invite(ctx, ws, client.InvitationInput{Email: "z-" + s.name + "@example.com"})
			return err
		}},
	}
	for _, f := range forbidden {
		t.Run(f.name, func(t *testing.T) {
			wantAPIError(t, f.call(), http.StatusForbidden, "viewer")
		})
	}
	if ps := check(c.ListPosts(ctx, ws, client.ListPostsOptions{}))(t); len(ps) != 1 || ps[0].Posts[0].Caption != "by the owner" {
		t.Errorf("after the viewer's attempts ListPosts = %+v, want the owner's post unchanged", ps)
	}

	// An editor writes content but does not invite.
	edEmail := "editor-" + s.name + "@example.com"
	ed := s.client(t, s.join(t, ws, edEmail, client.RoleEditor).APIKey)
	check(ed.CreatePost(ctx, ws, client.PostInput{Caption: "by the editor"}))(t)
	_, err := ed.Invite(ctx, ws, client.InvitationInput{Email: "y-" + s.name + "@example.com"})
	wantAPIError(t, err, http.StatusForbidden)
}
