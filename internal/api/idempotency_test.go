package api_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/store"
)

// A request refused before anything changed releases its Idempotency-Key:
// the corrected request may use the same key (as with Stripe).
func TestIdempotencyKeyOfRefusedRequestIsReleased(t *testing.T) {
	t.Parallel()
	f := setup(t, 1000)
	target := base + "/post?workspaceId=" + f.ws
	prof := f.profile("feed", "news")
	past := `{"caption": "launch", "socialProfileIds": ["` + prof + `"], "scheduledAt": "2020-01-01T09:00:00Z"}`
	if s, b, _ := f.do("POST", target, f.key, past, "Idempotency-Key", "launch"); s != 400 {
		t.Fatalf("post in the past = %d %s, want 400", s, b)
	}
	// The same refused request is run again, not replayed.
	if s, b, h := f.do("POST", target, f.key, past, "Idempotency-Key", "launch"); s != 400 || h.Get("Idempotent-Replayed") != "" {
		t.Errorf("same refused request again = %d %s (replayed %q), want 400 not replayed", s, b, h.Get("Idempotent-Replayed"))
	}
	fixed := `{"caption": "launch", "socialProfileIds": ["` + prof + `"], "scheduledAt": "2026-07-02T09:00:00Z"}`
	s1, b1, h1 := f.do("POST", target, f.key, fixed, "Idempotency-Key", "launch")
	if s1 != 201 || h1.Get("Idempotent-Replayed") != "" {
		t.Fatalf("corrected request with the same key = %d %s (replayed %q), want 201", s1, b1, h1.Get("Idempotent-Replayed"))
	}
	// The success is kept and replayed.
	s2, b2, h2 := f.do("POST", target, f.key, fixed, "Idempotency-Key", "launch")
	if s2 != 201 || !bytes.Equal(b1, b2) || h2.Get("Idempotent-Replayed") != "true" {
		t.Errorf("replay = %d %s (replayed %q), want the first 201", s2, b2, h2.Get("Idempotent-Replayed"))
	}
}

// A handler that panics releases its Idempotency-Key: the retry runs
// instead of being told for 24 h that the first request is in progress.
func TestIdempotencyKeyOfPanickedRequestIsReleased(t *testing.T) {
	t.Parallel()
	f := setup(t, 1000)
	calls := 0
	h := f.handler.WrapPOSTForTest(func(w http.ResponseWriter, r *http.Request) error {
		calls++
		if calls == 1 {
			panic("boom")
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		w.Write([]byte(`{"ok":true}`))
		return nil
	})
	send := func() *httptest.ResponseRecorder {
		req := httptest.NewRequest("POST", "/test", strings.NewReader(`{}`))
		req.Header.Set("X-API-Key", f.key)
		req.Header.Set("Idempotency-Key", "after-panic")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w
	}
	if w := send(); w.Code != 500 {
		t.Fatalf("panicking handler = %d %s, want 500", w.Code, w.Body)
	}
	if w := send(); w.Code != 201 || w.Header().Get("Idempotent-Replayed") != "" {
		t.Fatalf("retry after the panic = %d %s (replayed %q), want 201 run again", w.Code, w.Body, w.Header().Get("Idempotent-Replayed"))
	}
	if w := send(); w.Code != 201 || w.Header().Get("Idempotent-Replayed") != "true" || calls != 2 {
		t.Errorf("second retry = %d %s (replayed %q, %d calls), want the replayed 201 and 2 calls", w.Code, w.Body, w.Header().Get("Idempotent-Replayed"), calls)
	}
}

// The answer to POST /api-keys holds a new secret key: it is stored
// sealed, replayed only to the API key that asked, and not after the new
// key is revoked.
func TestIdempotentAPIKeyAnswerKeepsTheSecret(t *testing.T) {
	t.Parallel()
	f := setup(t, 1000)
	ctx := context.Background()
	body := `{"name": "ci"}`
	s1, b1, _ := f.do("POST", base+"/api-keys", f.key, body, "Idempotency-Key", "new-key")
	if s1 != 201 {
		t.Fatalf("create = %d %s", s1, b1)
	}
	created := decode[map[string]any](t, b1)
	secret, id := created["key"].(string), created["id"].(string)
	if secret == "" {
		t.Fatalf("no secret in %s", b1)
	}
	// The same API key gets the answer again (a lost answer is recovered).
	if s, b, h := f.do("POST", base+"/api-keys", f.key, body, "Idempotency-Key", "new-key"); s != 201 || !bytes.Equal(b, b1) || h.Get("Idempotent-Replayed") != "true" {
		t.Errorf("replay to the same key = %d %s (replayed %q)", s, b, h.Get("Idempotent-Replayed"))
	}

	// At rest the answer is sealed: neither the secret nor the id is there.
	u, err := f.store.FindUserByEmail(ctx, "owner@example.org")
	if err != nil {
		t.Fatal(err)
	}
	row, err := f.store.ClaimIdempotencyKey(ctx, &store.IdempotencyRecord{UserID: u.ID, Key: "new-key", RequestHash: []byte("read"), CreatedAt: f.clock.Now()})
	if herald.ErrorCode(err) != herald.ECONFLICT || row == nil {
		t.Fatalf("read the stored answer: %v", err)
	}
	if row.Status != 201 || len(row.Body) == 0 || bytes.Contains(row.Body, []byte(secret)) || bytes.Contains(row.Body, []byte(id)) {
		t.Errorf("stored answer = %d %q, want it sealed", row.Status, row.Body)
	}

	// Another API key of the same user does not get it.
	_, other, err := f.app.CreateAPIKey(herald.NewContextWithUser(ctx, u), "other")
	if err != nil {
		t.Fatal(err)
	}
	if s, b, _ := f.do("POST", base+"/api-keys", other, body, "Idempotency-Key", "new-key"); s != 422 || bytes.Contains(b, []byte(secret)) || !strings.Contains(string(b), "another of your API keys") {
		t.Errorf("replay to another API key = %d %s, want 422 without the secret", s, b)
	}

	// Once the new key is revoked, its secret is not replayed.
	f.ok("DELETE", base+"/api-keys/"+id, nil, 200)
	if s, b, _ := f.do("POST", base+"/api-keys", f.key, body, "Idempotency-Key", "new-key"); s != 409 || bytes.Contains(b, []byte(secret)) || !strings.Contains(string(b), "revoked") {
		t.Errorf("replay after revoking = %d %s, want 409 without the secret", s, b)
	}
	// Nothing was created by the refused replays.
	keys := decode[[]map[string]any](t, f.ok("GET", base+"/api-keys", nil, 200))
	if len(keys) != 3 {
		t.Errorf("API keys = %d, want 3 (first, ci, other)", len(keys))
	}
}

// An invitation's answer holds its accept link, a secret: it is replayed
// while the invitation is pending, and no longer once it is revoked.
func TestIdempotentInvitationAnswerKeepsTheLink(t *testing.T) {
	t.Parallel()
	f := setup(t, 1000)
	target := base + "/workspaces/" + f.ws + "/members"
	body := `{"email": "new.person@example.org", "role": "editor"}`
	s1, b1, _ := f.do("POST", target, f.key, body, "Idempotency-Key", "invite-1")
	if s1 != 201 {
		t.Fatalf("invite = %d %s", s1, b1)
	}
	inv := decode[map[string]any](t, b1)
	link, id := inv["acceptUrl"].(string), inv["id"].(string)
	if link == "" {
		t.Fatalf("no acceptUrl in %s", b1)
	}
	if s, b, h := f.do("POST", target, f.key, body, "Idempotency-Key", "invite-1"); s != 201 || !bytes.Equal(b, b1) || h.Get("Idempotent-Replayed") != "true" {
		t.Errorf("replay while pending = %d %s (replayed %q), want the first answer", s, b, h.Get("Idempotent-Replayed"))
	}
	f.ok("DELETE", base+"/workspaces/"+f.ws+"/invitations/"+id, nil, 200)
	if s, b, _ := f.do("POST", target, f.key, body, "Idempotency-Key", "invite-1"); s != 409 || bytes.Contains(b, []byte(link)) {
		t.Errorf("replay after revoking = %d %s, want 409 without the link", s, b)
	}
}
