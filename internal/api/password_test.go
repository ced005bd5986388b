package api_test

import (
	"context"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

// TestChangePassword changes the web password through the API: wrong
// current passwords are refused, then throttled with 429 and Retry-After;
// the right one changes the password and ends the user's web sessions.
func TestChangePassword(t *testing.T) {
	t.Parallel()
	f := setup(t, 1000)
	ctx := context.Background()
	password, err := f.app.ResetPassword(ctx, "owner@example.org")
	if err != nil {
		t.Fatal(err)
	}
	_, token, err := f.app.SignIn(ctx, "owner@example.org", password)
	if err != nil {
		t.Fatal(err)
	}
	const next = "a new long password"
	if status, body, _ := f.do("POST", base+"/me/password", f.key, map[string]any{"currentPassword": password, "newPassword": "short"}); status != 400 {
		t.Errorf("short new password = %d %s, want 400", status, body)
	}
	for i := range 6 {
		if status, body, _ := f.do("POST", base+"/me/password", f.key, map[string]any{"currentPassword": "wrong password", "newPassword": next}); status != 400 {
			t.Fatalf("wrong current password %d = %d %s, want 400", i+1, status, body)
		}
	}
	status, body, h := f.do("POST", base+"/me/password", f.key, map[string]any{"currentPassword": password, "newPassword": next})
	if status != 429 || h.Get("Retry-After") != "1" {
		t.Fatalf("after failures = %d %s, Retry-After %q; want 429 and 1", status, body, h.Get("Retry-After"))
	}
	f.clock.Add(time.Second)
	f.ok("POST", base+"/me/password", map[string]any{"currentPassword": password, "newPassword": next}, 200)
	if _, _, err := f.app.AuthenticateSession(ctx, token); herald.ErrorCode(err) != herald.EUNAUTHORIZED {
		t.Errorf("web session after the change: %v, want ended", err)
	}
	if _, _, err := f.app.SignIn(ctx, "owner@example.org", next); err != nil {
		t.Errorf("sign in with the new password: %v", err)
	}
}
