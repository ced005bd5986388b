package app_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/app"
)

// The helpers of the aggregates' tests (posts_test.go, connections_test.go,
// accounts_test.go, workspaces_test.go): each test drives one aggregate's
// use cases against a real store, with no HTTP in between.

// joined returns a context signed in as a new user who joined e's workspace
// with role, through an invitation as a person would.
func (e *env) joined(t *testing.T, email string, role herald.Role) context.Context {
	t.Helper()
	res, err := e.app.Init(context.Background(), app.InitParams{Email: email})
	if err != nil {
		t.Fatal(err)
	}
	u, _, err := e.app.AuthenticateAPIKey(context.Background(), res.APIKey)
	if err != nil {
		t.Fatal(err)
	}
	inv, err := e.app.InviteMember(e.ctx, e.ws, app.InviteParams{Email: email, Role: role})
	if err != nil {
		t.Fatal(err)
	}
	i := strings.LastIndex(inv.AcceptURL, "/invitations/")
	if i < 0 {
		t.Fatalf("acceptUrl = %q", inv.AcceptURL)
	}
	ctx := herald.NewContextWithUser(context.Background(), u)
	if _, err := e.app.AcceptInvitation(ctx, inv.AcceptURL[i+len("/invitations/"):]); err != nil {
		t.Fatal(err)
	}
	return ctx
}

// stranger returns a context signed in as a user of another workspace.
func (e *env) stranger(t *testing.T) context.Context {
	t.Helper()
	res, err := e.app.Init(context.Background(), app.InitParams{Email: "stranger@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	u, _, err := e.app.AuthenticateAPIKey(context.Background(), res.APIKey)
	if err != nil {
		t.Fatal(err)
	}
	return herald.NewContextWithUser(context.Background(), u)
}

// feed connects a feed profile to e's workspace.
func (e *env) feed(t *testing.T, name string) *herald.SocialProfile {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"provider": "feed", "name": name})
	p, err := e.app.ConnectProfile(e.ctx, e.ws, body)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// setTarget moves every target of a post to state, as the engine would.
func (e *env) setTarget(t *testing.T, postID string, state herald.TargetState) {
	t.Helper()
	p, err := e.app.GetPost(e.ctx, e.ws, postID)
	if err != nil {
		t.Fatal(err)
	}
	for _, tg := range p.Targets {
		tg.State = state
		if err := e.store.UpdatePostTarget(e.ctx, tg); err != nil {
			t.Fatal(err)
		}
	}
}

// mustCode fails t unless err has the code and its message contains msg.
func mustCode(t *testing.T, what string, err error, code, msg string) {
	t.Helper()
	if herald.ErrorCode(err) != code || !strings.Contains(herald.ErrorMessage(err), msg) {
		t.Errorf("%s: error = %v (%s), want %s containing %q", what, err, herald.ErrorCode(err), code, msg)
	}
}
