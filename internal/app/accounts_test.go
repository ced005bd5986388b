package app_test

import (
	"context"
	"strings"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/app"
	"github.com/heraldhq/herald/internal/store"
)

// TestAPIKeyLifecycle: a key's secret is given once and works; listing
// shows the key but never the secret; a revoked key stops working at once
// on this node; nobody revokes another user's key.
func TestAPIKeyLifecycle(t *testing.T) {
	forEachStoreWith(t, func(t *testing.T, s store.Store) {
		e := setupWith(t, s, app.NeverPublish)
		k, secret, err := e.app.CreateAPIKey(e.ctx, "CI")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(secret, app.APIKeyPrefix) || !strings.HasPrefix(secret, k.Prefix) {
			t.Errorf("secret %q, prefix %q", secret, k.Prefix)
		}
		u, got, err := e.app.AuthenticateAPIKey(context.Background(), secret)
		if err != nil || got.ID != k.ID || u.ID != herald.UserFromContext(e.ctx).ID {
			t.Fatalf("AuthenticateAPIKey = %v, %v, %v", u, got, err)
		}
		keys, err := e.app.ListAPIKeys(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, l := range keys {
			found = found || l.ID == k.ID
			if strings.Contains(string(l.Hash), secret) {
				t.Error("a listed key carries its secret")
			}
		}
		if !found {
			t.Errorf("ListAPIKeys = %v, want %s among them", keys, k.ID)
		}
		_, _, err = e.app.CreateAPIKey(e.ctx, strings.Repeat("k", 101))
		mustCode(t, "long name", err, herald.EINVALID, "name")

		other := e.stranger(t)
		mustCode(t, "stranger revokes", e.app.RevokeAPIKey(other, k.ID), herald.ENOTFOUND, "not found")
		if err := e.app.RevokeAPIKey(e.ctx, k.ID); err != nil {
			t.Fatal(err)
		}
		_, _, err = e.app.AuthenticateAPIKey(context.Background(), secret)
		mustCode(t, "revoked key", err, herald.EFORBIDDEN, "Invalid API token.")
		_, _, err = e.app.AuthenticateAPIKey(context.Background(), "")
		mustCode(t, "no key", err, herald.EUNAUTHORIZED, "Missing API token.")
	})
}

// TestSessionLifecycle: a password opens a session whose token
// authenticates until sign-out; a wrong password or an unknown e-mail gets
// the same answer.
func TestSessionLifecycle(t *testing.T) {
	forEachStoreWith(t, func(t *testing.T, s store.Store) {
		e := setupWith(t, s, app.NeverPublish)
		if err := e.app.SetPassword(context.Background(), "owner@example.org", "correct horse battery"); err != nil {
			t.Fatal(err)
		}
		_, _, err := e.app.SignIn(context.Background(), "owner@example.org", "wrong horse battery")
		mustCode(t, "wrong password", err, herald.EUNAUTHORIZED, "Wrong e-mail or password.")
		_, _, err = e.app.SignIn(context.Background(), "nobody@example.org", "correct horse battery")
		mustCode(t, "unknown e-mail", err, herald.EUNAUTHORIZED, "Wrong e-mail or password.")
		sess, token, err := e.app.SignIn(context.Background(), " Owner@Example.org ", "correct horse battery")
		if err != nil {
			t.Fatal(err)
		}
		got, u, err := e.app.AuthenticateSession(context.Background(), token)
		if err != nil || got.ID != sess.ID || u.Email != "owner@example.org" {
			t.Fatalf("AuthenticateSession = %v, %v, %v", got, u, err)
		}
		if err := e.app.SignOut(context.Background(), sess.ID); err != nil {
			t.Fatal(err)
		}
		_, _, err = e.app.AuthenticateSession(context.Background(), token)
		mustCode(t, "signed out", err, herald.EUNAUTHORIZED, "Please sign in.")
	})
}
