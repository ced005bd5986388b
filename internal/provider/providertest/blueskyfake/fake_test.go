package blueskyfake_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/provider/providertest/blueskyfake"
)

type answer struct {
	status int
	header http.Header
	body   map[string]any
}

func xrpc(t *testing.T, method, u, token string, in any) answer {
	t.Helper()
	var body []byte
	if in != nil {
		body, _ = json.Marshal(in)
	}
	req, _ := http.NewRequest(method, u, bytes.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return answer{resp.StatusCode, resp.Header, m}
}

func TestWire(t *testing.T) {
	t.Parallel()
	s := blueskyfake.NewTest(t, blueskyfake.Options{})
	did := s.CreateAccount("a.test", "pw")
	x := s.URL + "/xrpc/"

	a := xrpc(t, "POST", x+"com.atproto.server.createSession", "", map[string]string{"identifier": "a.test", "password": "bad"})
	if a.status != 401 || a.body["error"] != "AuthenticationRequired" || a.body["message"] != "Invalid identifier or password" {
		t.Errorf("bad password: %d %v", a.status, a.body)
	}
	a = xrpc(t, "POST", x+"com.atproto.server.createSession", "", map[string]string{"identifier": "a.test", "password": "pw"})
	access, refresh := a.body["accessJwt"].(string), a.body["refreshJwt"].(string)
	if a.status != 200 || a.body["did"] != did {
		t.Fatalf("session: %d %v", a.status, a.body)
	}
	reset, err := strconv.ParseInt(a.header.Get("RateLimit-Reset"), 10, 64)
	if err != nil || reset < time.Now().Unix() || a.header.Get("RateLimit-Limit") == "" || a.header.Get("RateLimit-Policy") != "3000;w=300" {
		t.Errorf("rate-limit headers = %v", a.header)
	}

	if d := xrpc(t, "GET", s.URL+"/"+did, "", nil); d.status != 200 || d.body["id"] != did {
		t.Errorf("PLC document: %d %v", d.status, d.body)
	}

	rec := map[string]any{"$type": "app.bsky.feed.post", "text": "hi", "createdAt": "2026-01-01T00:00:00.000Z"}
	put := map[string]any{"repo": did, "collection": "app.bsky.feed.post", "rkey": "3jzfcijpj2z2a", "record": rec, "swapRecord": nil}
	if a = xrpc(t, "POST", x+"com.atproto.repo.putRecord", access, put); a.status != 200 {
		t.Fatalf("put: %d %v", a.status, a.body)
	}
	if a = xrpc(t, "POST", x+"com.atproto.repo.putRecord", access, put); a.status != 200 {
		t.Errorf("identical put is a no-op: %d %v", a.status, a.body)
	}
	rec["createdAt"] = "2026-01-01T00:00:01.000Z"
	if a = xrpc(t, "POST", x+"com.atproto.repo.putRecord", access, put); a.status != 400 || a.body["error"] != "InvalidSwap" {
		t.Errorf("different put with swapRecord null: %d %v", a.status, a.body)
	}
	create := map[string]any{"repo": did, "collection": "app.bsky.feed.post", "rkey": "3jzfcijpj2z2a", "record": rec}
	if a = xrpc(t, "POST", x+"com.atproto.repo.createRecord", access, create); a.status != 400 {
		t.Errorf("create over an existing record: %d %v", a.status, a.body)
	}
	put["rkey"] = "not-a-tid"
	if a = xrpc(t, "POST", x+"com.atproto.repo.putRecord", access, put); a.status != 400 || a.body["error"] != "InvalidRequest" {
		t.Errorf("post with a non-TID key: %d %v", a.status, a.body)
	}
	if s.CreatedCount("hi") != 1 {
		t.Errorf("created %d", s.CreatedCount("hi"))
	}
	if a = xrpc(t, "GET", x+"com.atproto.repo.getRecord?repo="+did+"&collection=app.bsky.feed.post&rkey=3jzfcijpj2z2b", "", nil); a.status != 400 || a.body["error"] != "RecordNotFound" {
		t.Errorf("missing record: %d %v", a.status, a.body)
	}

	s.ExpireAccessTokens()
	if a = xrpc(t, "GET", x+"com.atproto.server.getSession", access, nil); a.status != 400 || a.body["error"] != "ExpiredToken" {
		t.Errorf("expired: %d %v", a.status, a.body)
	}
	if a = xrpc(t, "POST", x+"com.atproto.server.refreshSession", refresh, nil); a.status != 200 || a.body["refreshJwt"] == refresh {
		t.Fatalf("refresh: %d %v", a.status, a.body)
	}
	if a = xrpc(t, "POST", x+"com.atproto.server.refreshSession", refresh, nil); a.status != 400 || a.body["error"] != "ExpiredToken" {
		t.Errorf("reused refresh token: %d %v", a.status, a.body)
	}

	s.InjectFault("GET /xrpc/com.atproto.server.getSession", blueskyfake.Fault{Kind: blueskyfake.FaultRateLimit, RetryAfter: time.Minute})
	if a = xrpc(t, "GET", x+"com.atproto.server.getSession", "", nil); a.status != 429 || a.body["error"] != "RateLimitExceeded" || a.header.Get("RateLimit-Remaining") != "0" || a.header.Get("Retry-After") != "60" {
		t.Errorf("rate limited: %d %v %v", a.status, a.body, a.header)
	}
}
