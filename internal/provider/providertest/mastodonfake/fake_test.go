package mastodonfake_test

import (
	"bytes"
	"context"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/provider/providertest/mastodonfake"
)

type answer struct {
	status int
	header http.Header
	body   map[string]any
}

func call(t *testing.T, method, u, token string, body []byte, contentType string, header map[string]string) answer {
	t.Helper()
	req, _ := http.NewRequest(method, u, bytes.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range header {
		req.Header.Set(k, v)
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

func form(v url.Values) []byte { return []byte(v.Encode()) }

const formType = "application/x-www-form-urlencoded"

func TestWire(t *testing.T) {
	t.Parallel()
	t.Run("auth errors and rate-limit headers", func(t *testing.T) {
		t.Parallel()
		s := mastodonfake.NewTest(t, mastodonfake.Options{RateLimit: 2})
		_, tok := s.CreateAccount("a")
		a := call(t, "POST", s.URL+"/api/v1/statuses", "", form(url.Values{"status": {"x"}}), formType, nil)
		if a.status != 401 || a.body["error"] != "This method requires an authenticated user" {
			t.Errorf("no token: %d %v", a.status, a.body)
		}
		a = call(t, "GET", s.URL+"/api/v1/accounts/verify_credentials", tok, nil, "", nil)
		if _, err := time.Parse(time.RFC3339, a.header.Get("X-RateLimit-Reset")); err != nil || a.header.Get("X-RateLimit-Limit") != "2" || a.header.Get("X-RateLimit-Remaining") != "1" {
			t.Errorf("headers = %v", a.header)
		}
		call(t, "GET", s.URL+"/api/v1/accounts/verify_credentials", tok, nil, "", nil)
		a = call(t, "GET", s.URL+"/api/v1/accounts/verify_credentials", tok, nil, "", nil)
		if a.status != 429 || a.body["error"] != "Too many requests" {
			t.Errorf("third request: %d %v", a.status, a.body)
		}
	})
	t.Run("idempotency key honoured or ignored", func(t *testing.T) {
		t.Parallel()
		for _, ignore := range []bool{false, true} {
			s := mastodonfake.NewTest(t, mastodonfake.Options{IgnoreIdempotencyKey: ignore})
			_, tok := s.CreateAccount("a")
			h := map[string]string{"Idempotency-Key": "k1"}
			a1 := call(t, "POST", s.URL+"/api/v1/statuses", tok, []byte(`{"status":"hi"}`), "application/json", h)
			a2 := call(t, "POST", s.URL+"/api/v1/statuses", tok, form(url.Values{"status": {"hi"}}), formType, h)
			same := a1.body["id"] == a2.body["id"]
			if same == ignore || s.CreatedCount("hi") != map[bool]int{false: 1, true: 2}[ignore] {
				t.Errorf("ignore=%v: ids %v %v, created %d", ignore, a1.body["id"], a2.body["id"], s.CreatedCount("hi"))
			}
		}
	})
	t.Run("media processing answers 202 then 206 then 200", func(t *testing.T) {
		t.Parallel()
		s := mastodonfake.NewTest(t, mastodonfake.Options{MediaProcessingPolls: 1})
		_, tok := s.CreateAccount("a")
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		_ = mw.WriteField("description", "alt")
		fw, _ := mw.CreateFormFile("file", "a.png")
		_, _ = fw.Write([]byte("\x89PNG\r\n\x1a\nxx"))
		_ = mw.Close()
		a := call(t, "POST", s.URL+"/api/v2/media", tok, buf.Bytes(), mw.FormDataContentType(), nil)
		if a.status != 202 || a.body["url"] != nil || a.body["description"] != "alt" || a.body["type"] != "image" {
			t.Fatalf("upload: %d %v", a.status, a.body)
		}
		id := a.body["id"].(string)
		a = call(t, "POST", s.URL+"/api/v1/statuses", tok, form(url.Values{"media_ids[]": {id}}), formType, nil)
		if a.status != 422 || !strings.HasPrefix(a.body["error"].(string), "Cannot attach files that have not finished processing") {
			t.Errorf("attach while processing: %d %v", a.status, a.body)
		}
		if a = call(t, "GET", s.URL+"/api/v1/media/"+id, tok, nil, "", nil); a.status != 206 {
			t.Errorf("first poll %d", a.status)
		}
		if a = call(t, "GET", s.URL+"/api/v1/media/"+id, tok, nil, "", nil); a.status != 200 || a.body["url"] == nil {
			t.Errorf("second poll %d %v", a.status, a.body)
		}
	})
	t.Run("timeout before the body is read processes nothing", func(t *testing.T) {
		t.Parallel()
		s := mastodonfake.NewTest(t, mastodonfake.Options{})
		_, tok := s.CreateAccount("a")
		s.InjectFault("POST /api/v1/statuses", mastodonfake.Fault{Kind: mastodonfake.FaultTimeoutBefore})
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "POST", s.URL+"/api/v1/statuses", strings.NewReader(`{"status":"lost"}`))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			t.Fatal("got an answer")
		}
		if s.CreatedCount("lost") != 0 || s.Requests("POST /api/v1/statuses") != 1 {
			t.Errorf("created %d", s.CreatedCount("lost"))
		}
	})
	t.Run("latency", func(t *testing.T) {
		t.Parallel()
		s := mastodonfake.NewTest(t, mastodonfake.Options{Latency: 50 * time.Millisecond})
		start := time.Now()
		call(t, "GET", s.URL+"/api/v2/instance", "", nil, "", nil)
		if d := time.Since(start); d < 50*time.Millisecond {
			t.Errorf("answered in %v", d)
		}
	})
}
