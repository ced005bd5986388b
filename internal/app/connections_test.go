package app_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/app"
	"github.com/heraldhq/herald/internal/store"
)

// TestConnectProfileRules: only owners and admins connect profiles; the
// body is checked against the fields the network describes before the
// network sees it; a network connected through a browser is refused here.
func TestConnectProfileRules(t *testing.T) {
	forEachStoreWith(t, func(t *testing.T, s store.Store) {
		e := setupWith(t, s, app.NeverPublish)
		editor := e.joined(t, "editor@example.org", herald.RoleEditor)
		_, err := e.app.ConnectProfile(editor, e.ws, json.RawMessage(`{"provider": "feed", "name": "News"}`))
		mustCode(t, "editor", err, herald.EFORBIDDEN, "(editor) cannot connect social profiles")
		for name, c := range map[string]struct{ body, msg string }{
			"no provider":     {`{"name": "News"}`, "provider: is required (feed)"},
			"not json":        {`[1]`, "provider: is required"},
			"unknown":         {`{"provider": "myspace"}`, `"myspace" cannot be connected with credentials; use one of feed`},
			"unknown field":   {`{"provider": "feed", "name": "News", "token": "x"}`, "token"},
			"field not text":  {`{"provider": "feed", "name": 7}`, "name"},
			"network refuses": {`{"provider": "feed", "name": "` + strings.Repeat("n", 201) + `"}`, "at most 200 characters"},
		} {
			_, err := e.app.ConnectProfile(e.ctx, e.ws, json.RawMessage(c.body))
			mustCode(t, name, err, herald.EINVALID, c.msg)
		}
		profiles, err := e.app.ListSocialProfiles(e.ctx, e.ws)
		if err != nil {
			t.Fatal(err)
		}
		if len(profiles) != 0 {
			t.Errorf("%d profiles after refused connections, want none", len(profiles))
		}
		admin := e.joined(t, "admin@example.org", herald.RoleAdmin)
		p, err := e.app.ConnectProfile(admin, e.ws, json.RawMessage(`{"provider": "feed", "name": "News"}`))
		if err != nil {
			t.Fatal(err)
		}
		if p.Provider != "feed" || p.Name != "News" || p.WorkspaceID != e.ws {
			t.Errorf("profile = %+v", p)
		}
	})
}

// TestDeleteProfileKeepsScheduledPosts: a profile that scheduled posts
// still target stays until they no longer do; another workspace's profile
// is not found.
func TestDeleteProfileKeepsScheduledPosts(t *testing.T) {
	forEachStoreWith(t, func(t *testing.T, s store.Store) {
		e := setupWith(t, s, &recorder{})
		prof := e.feed(t, "News")
		at := time.Now().Add(time.Hour).UTC()
		p, err := e.app.CreatePost(e.ctx, e.ws, app.PostInput{Caption: "Hello", SocialProfileIDs: []string{prof.ID}, ScheduledAt: &at})
		if err != nil {
			t.Fatal(err)
		}
		mustCode(t, "delete while scheduled", e.app.DeleteProfile(e.ctx, e.ws, prof.ID), herald.ECONFLICT, "1 scheduled post(s) still target")
		other := e.stranger(t)
		mustCode(t, "stranger", e.app.DeleteProfile(other, e.ws, prof.ID), herald.ENOTFOUND, "not found")
		if err := e.app.DeletePost(e.ctx, e.ws, p.ID, false); err != nil {
			t.Fatal(err)
		}
		if err := e.app.DeleteProfile(e.ctx, e.ws, prof.ID); err != nil {
			t.Fatal(err)
		}
		profiles, err := e.app.ListSocialProfiles(e.ctx, e.ws)
		if err != nil {
			t.Fatal(err)
		}
		if len(profiles) != 0 {
			t.Errorf("profiles after delete: %v", profiles)
		}
	})
}

// TestCredentialsAreSealedAndOpen: what a network returned on connecting is
// stored sealed and opens again as the same account; resealing under the
// key they are sealed with changes nothing.
func TestCredentialsAreSealedAndOpen(t *testing.T) {
	forEachStoreWith(t, func(t *testing.T, s store.Store) {
		e := setupWith(t, s, app.NeverPublish)
		prof := e.feed(t, "News")
		stored, err := e.store.FindSocialProfileByID(e.ctx, prof.ID)
		if err != nil {
			t.Fatal(err)
		}
		if json.Valid(stored.Credentials) {
			t.Errorf("credentials stored in the clear: %s", stored.Credentials)
		}
		open := func() string {
			t.Helper()
			p, err := e.store.FindSocialProfileByID(e.ctx, prof.ID)
			if err != nil {
				t.Fatal(err)
			}
			acct, err := e.app.OpenAccount(e.ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			return string(acct.Credentials)
		}
		before := open()
		if n, err := e.app.ResealCredentials(e.ctx); err != nil || n != 0 {
			t.Fatalf("ResealCredentials = %d, %v; want nothing to reseal under the current key", n, err)
		}
		if after := open(); after != before {
			t.Errorf("credentials after reseal %q, want %q", after, before)
		}
	})
}
