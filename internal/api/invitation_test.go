package api_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/app"
)

// join invites the user of an API key to the fixture's workspace with a
// role, and accepts as them.
func (f *fixture) join(key, role string) {
	f.t.Helper()
	u, _, err := f.app.AuthenticateAPIKey(context.Background(), key)
	if err != nil {
		f.t.Fatal(err)
	}
	inv := decode[map[string]any](f.t, f.ok("POST", base+"/workspaces/"+f.ws+"/members", map[string]any{"email": u.Email, "role": role}, 201))
	token := strings.TrimPrefix(inv["acceptUrl"].(string), "https://herald.test/invitations/")
	if _, err := f.app.AcceptInvitation(herald.NewContextWithUser(context.Background(), u), token); err != nil {
		f.t.Fatal(err)
	}
}

// TestInviteAnswersTheSameForKnownAndUnknownEmails is the regression test
// of invitations that created accounts and returned their password, and
// revealed the id and name of known users: both answers have the same
// fields, with neither a password nor a user, and nobody is added.
func TestInviteAnswersTheSameForKnownAndUnknownEmails(t *testing.T) {
	t.Parallel()
	f := setup(t, 1000)
	if _, err := f.app.Init(context.Background(), app.InitParams{Email: "known@example.org", Name: "Known Person"}); err != nil {
		t.Fatal(err)
	}
	answer := func(email string) map[string]any {
		t.Helper()
		status, b, _ := f.do("POST", base+"/workspaces/"+f.ws+"/members", f.key, map[string]any{"email": email, "role": "editor"})
		if status != 201 {
			t.Fatalf("invite %s = %d %s", email, status, b)
		}
		for _, leak := range []string{"password", "userId", "Known Person"} {
			if strings.Contains(string(b), leak) {
				t.Errorf("invite %s answers %s, which shows %q", email, b, leak)
			}
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	known, unknown := answer("known@example.org"), answer("unknown@example.org")
	keys := func(m map[string]any) []string {
		var ks []string
		for k := range m {
			ks = append(ks, k)
		}
		return ks
	}
	if len(known) != len(unknown) || len(known) != 6 {
		t.Errorf("answers have fields %v and %v, want the same six", keys(known), keys(unknown))
	}
	for k, v := range known {
		if k == "id" || k == "email" || k == "acceptUrl" {
			if unknown[k] == v {
				t.Errorf("%s is the same in both answers: %v", k, v)
			}
			continue
		}
		if unknown[k] != v {
			t.Errorf("%s = %v for the known e-mail, %v for the unknown one", k, v, unknown[k])
		}
	}
	if !strings.HasPrefix(known["acceptUrl"].(string), "https://herald.test/invitations/") {
		t.Errorf("acceptUrl = %v", known["acceptUrl"])
	}
	members := decode[[]map[string]any](t, f.ok("GET", base+"/workspaces/"+f.ws+"/members", nil, 200))
	if len(members) != 1 || members[0]["email"] != "owner@example.org" {
		t.Errorf("members after inviting = %v, want only the owner", members)
	}
	invs := decode[[]map[string]any](t, f.ok("GET", base+"/workspaces/"+f.ws+"/invitations", nil, 200))
	if len(invs) != 2 || invs[0]["acceptUrl"] != nil {
		t.Errorf("invitations = %v, want two, without their links", invs)
	}
	// Revoked, an invitation leaves the list; a second revoke is a 404.
	f.ok("DELETE", base+"/workspaces/"+f.ws+"/invitations/"+invs[0]["id"].(string), nil, 200)
	f.ok("DELETE", base+"/workspaces/"+f.ws+"/invitations/"+invs[0]["id"].(string), nil, 404)
	if invs := decode[[]map[string]any](t, f.ok("GET", base+"/workspaces/"+f.ws+"/invitations", nil, 200)); len(invs) != 1 {
		t.Errorf("invitations after revoking = %v", invs)
	}
	// The old request field name is refused rather than silently used.
	if status, b, _ := f.do("POST", base+"/workspaces/"+f.ws+"/members", f.key, `{"email": "n@example.org", "name": "N"}`); status != 400 || !strings.Contains(string(b), "name") {
		t.Errorf("invite with a name = %d %s, want 400 naming the field", status, b)
	}
}
