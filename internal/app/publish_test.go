package app_test

import (
	"context"
	"encoding/json"
	"testing"
)

// TestRotatedCredentialsOutliveTheAttempt saves rotated credentials with a
// context that is cancelled when the save begins (the attempt's deadline
// passed, or the node is stopping): the network has already rotated them,
// so they must be stored all the same.
func TestRotatedCredentialsOutliveTheAttempt(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, e *env) {
		p, err := e.app.ConnectProfile(e.ctx, e.ws, json.RawMessage(`{"provider": "feed", "name": "News"}`))
		if err != nil {
			t.Fatal(err)
		}
		acct, err := e.app.OpenAccount(e.ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(e.ctx)
		cancel()
		rotated := json.RawMessage(`{"name": "News", "refreshJwt": "rotated"}`)
		if err := acct.SaveCredentials(ctx, rotated); err != nil {
			t.Fatalf("save with a cancelled context: %v", err)
		}
		stored, err := e.store.FindSocialProfileByID(context.Background(), p.ID)
		if err != nil {
			t.Fatal(err)
		}
		got, err := e.app.OpenAccount(e.ctx, stored)
		if err != nil {
			t.Fatal(err)
		}
		if string(got.Credentials) != string(rotated) {
			t.Errorf("stored credentials = %s, want %s", got.Credentials, rotated)
		}
	})
}
