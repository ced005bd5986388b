package blackbox

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/client"
)

func testIdempotency(t *testing.T, s *server) {
	ctx := t.Context()
	c := s.admin(t)
	ws := s.newWorkspace(t)
	key := "create-" + herald.NewID()
	body := `{"caption":"exactly once"}`

	first := s.raw(t, "POST", "/post?workspaceId="+ws, s.adminKey, body, "Idempotency-Key", key)
	wantStatus(t, "first", first, http.StatusCreated)
	if first.header.Get("Idempotent-Replayed") != "" {
		t.Errorf("the first answer has Idempotent-Replayed: %q", first.header.Get("Idempotent-Replayed"))
	}
	for i := range 2 {
		again := s.raw(t, "POST", "/post?workspaceId="+ws, s.adminKey, body, "Idempotency-Key", key)
		if again.status != first.status || !bytes.Equal(again.body, first.body) || again.header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("replay %d = %d %s (Idempotent-Replayed: %q), want %d %s with Idempotent-Replayed: true",
				i, again.status, again.body, again.header.Get("Idempotent-Replayed"), first.status, first.body)
		}
		if ct := again.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("replay Content-Type = %q", ct)
		}
	}
	if ps := check(c.ListPosts(ctx, ws, client.ListPostsOptions{}))(t); len(ps) != 1 {
		t.Errorf("after three sends with one key: %d posts, want 1", len(ps))
	}

	// The same key with another body, or another query, is a 422.
	other := s.raw(t, "POST", "/post?workspaceId="+ws, s.adminKey, `{"caption":"something else"}`, "Idempotency-Key", key)
	wantStatus(t, "same key, other body", other, http.StatusUnprocessableEntity, "Idempotency-Key")
	ws2 := s.newWorkspace(t)
	other = s.raw(t, "POST", "/post?workspaceId="+ws2, s.adminKey, body, "Idempotency-Key", key)
	wantStatus(t, "same key, other workspace", other, http.StatusUnprocessableEntity, "Idempotency-Key")
	other = s.raw(t, "POST", "/brand-kits?workspaceId="+ws, s.adminKey, body, "Idempotency-Key", key)
	wantStatus(t, "same key, other endpoint", other, http.StatusUnprocessableEntity, "Idempotency-Key")
	if ps := check(c.ListPosts(ctx, ws, client.ListPostsOptions{}))(t); len(ps) != 1 {
		t.Errorf("after the refused reuses: %d posts, want 1", len(ps))
	}

	// Keys belong to their user: another user's same key is new to Herald.
	u := s.initUser(t, "idem-"+s.name+"@example.com")
	theirs := s.raw(t, "POST", "/post?workspaceId="+u.WorkspaceID, u.APIKey, body, "Idempotency-Key", key)
	if theirs.status != http.StatusCreated || theirs.header.Get("Idempotent-Replayed") != "" || bytes.Equal(theirs.body, first.body) {
		t.Errorf("another user's first use of the key = %d %s (replayed %q), want a new post", theirs.status, theirs.body, theirs.header.Get("Idempotent-Replayed"))
	}

	// The typed client: the header, and the replay seen through CaptureHeader.
	k2 := "kit-" + herald.NewID()
	var h http.Header
	kit := check(c.CreateBrandKit(ctx, ws, client.BrandKitInput{Name: "Once"}, client.WithIdempotencyKey(k2)))(t)
	kit2 := check(c.CreateBrandKit(ctx, ws, client.BrandKitInput{Name: "Once"}, client.WithIdempotencyKey(k2), client.CaptureHeader(&h)))(t)
	if kit2.ID != kit.ID || h.Get("Idempotent-Replayed") != "true" {
		t.Errorf("replayed CreateBrandKit = %s (replayed %q), want %s", kit2.ID, h.Get("Idempotent-Replayed"), kit.ID)
	}
	if kits := check(c.BrandKits(ctx, ws))(t); len(kits) != 1 {
		t.Errorf("BrandKits = %d, want 1", len(kits))
	}

	// A refused request creates nothing and releases its key: it is refused
	// again (not replayed), and the corrected request may use the same key.
	k3 := "bad-" + herald.NewID()
	bad1 := s.raw(t, "POST", "/post?workspaceId="+ws, s.adminKey, `{"caption":""}`, "Idempotency-Key", k3)
	bad2 := s.raw(t, "POST", "/post?workspaceId="+ws, s.adminKey, `{"caption":""}`, "Idempotency-Key", k3)
	wantStatus(t, "refused with a key", bad1, http.StatusBadRequest, "caption")
	if bad2.status != bad1.status || bad2.message() != bad1.message() || bad2.header.Get("Idempotent-Replayed") != "" {
		t.Errorf("refused again = %d %s (replayed %q), want %d %s not replayed", bad2.status, bad2.body, bad2.header.Get("Idempotent-Replayed"), bad1.status, bad1.body)
	}
	fixed := s.raw(t, "POST", "/post?workspaceId="+ws, s.adminKey, `{"caption":"corrected"}`, "Idempotency-Key", k3)
	wantStatus(t, "corrected with the same key", fixed, http.StatusCreated)

	// The answer holding a new API key is replayed to the API key that asked
	// only, and not once the new key is revoked.
	owner := s.initUser(t, "idem-secret-"+s.name+"@example.com")
	k6 := "api-key-" + herald.NewID()
	made := s.raw(t, "POST", "/api-keys", owner.APIKey, `{"name":"ci"}`, "Idempotency-Key", k6)
	wantStatus(t, "create an API key with a key", made, http.StatusCreated)
	var newKey struct{ ID, Key string }
	if err := json.Unmarshal(made.body, &newKey); err != nil || newKey.Key == "" {
		t.Fatalf("new API key %s: %v", made.body, err)
	}
	if again := s.raw(t, "POST", "/api-keys", owner.APIKey, `{"name":"ci"}`, "Idempotency-Key", k6); !bytes.Equal(again.body, made.body) {
		t.Errorf("replay to the same API key = %d %s, want the first answer", again.status, again.body)
	}
	second := s.raw(t, "POST", "/api-keys", owner.APIKey, `{"name":"second"}`)
	var secondKey struct{ Key string }
	json.Unmarshal(second.body, &secondKey)
	other = s.raw(t, "POST", "/api-keys", secondKey.Key, `{"name":"ci"}`, "Idempotency-Key", k6)
	wantStatus(t, "replay to another API key", other, http.StatusUnprocessableEntity, "another of your API keys")
	wantStatus(t, "revoke the new key", s.raw(t, "DELETE", "/api-keys/"+newKey.ID, owner.APIKey, ""), http.StatusOK)
	revoked := s.raw(t, "POST", "/api-keys", owner.APIKey, `{"name":"ci"}`, "Idempotency-Key", k6)
	wantStatus(t, "replay after revoking", revoked, http.StatusConflict, "revoked")
	for _, a := range []answer{other, revoked} {
		if bytes.Contains(a.body, []byte(newKey.Key)) {
			t.Errorf("a refused replay holds the secret: %s", a.body)
		}
	}

	// Dry runs can carry keys too.
	k4 := "validate-" + herald.NewID()
	for range 2 {
		wantStatus(t, "validate with a key", s.raw(t, "POST", "/post/validate?workspaceId="+ws, s.adminKey, body, "Idempotency-Key", k4), http.StatusOK)
	}

	// Malformed keys.
	wantStatus(t, "key too long", s.raw(t, "POST", "/post?workspaceId="+ws, s.adminKey, body, "Idempotency-Key", strings.Repeat("k", 256)), http.StatusBadRequest, "Idempotency-Key")
	wantStatus(t, "key not ASCII", s.raw(t, "POST", "/post?workspaceId="+ws, s.adminKey, body, "Idempotency-Key", "clé"), http.StatusBadRequest, "Idempotency-Key")

	// Sent at once, one key creates one post: the others replay it or are
	// told the first is still running.
	k5 := "race-" + herald.NewID()
	ws3 := s.newWorkspace(t)
	var wg sync.WaitGroup
	answers := make([]answer, 8)
	for i := range answers {
		wg.Go(func() {
			answers[i] = s.raw(t, "POST", "/post?workspaceId="+ws3, s.adminKey, `{"caption":"at once"}`, "Idempotency-Key", k5)
		})
	}
	wg.Wait()
	var created []byte
	for _, a := range answers {
		switch a.status {
		case http.StatusCreated:
			if created != nil && !bytes.Equal(created, a.body) {
				t.Errorf("two different 201 answers for one key: %s and %s", created, a.body)
			}
			created = a.body
		case http.StatusConflict:
			if !strings.Contains(a.message(), "Idempotency-Key") {
				t.Errorf("409 %s does not name the Idempotency-Key", a.body)
			}
		default:
			t.Errorf("concurrent send: %d %s, want 201 or 409", a.status, a.body)
		}
	}
	if ps := check(c.ListPosts(ctx, ws3, client.ListPostsOptions{}))(t); len(ps) != 1 {
		t.Errorf("concurrent sends with one key made %d posts, want 1", len(ps))
	}
}
