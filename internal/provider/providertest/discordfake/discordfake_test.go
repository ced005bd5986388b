package discordfake

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func setup(t *testing.T, opts ...Option) (*Fake, Webhook) {
	t.Helper()
	f := New(opts...)
	t.Cleanup(f.Close)
	return f, f.AddWebhook("hook")
}

func do(t *testing.T, method, url, contentType, body string) (*http.Response, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	json.Unmarshal(b, &m)
	return resp, m
}

func TestWireDetails(t *testing.T) {
	t.Parallel()
	f, wh := setup(t)
	url := f.WebhookURL(wh)
	tests := []struct {
		name, method, url, ct, body string
		status                      int
		code                        float64
	}{
		{"execute without wait", "POST", url, "application/json", `{"content":"hi"}`, 204, 0},
		{"execute with wait", "POST", url + "?wait=true", "application/json", `{"content":"hi"}`, 200, 0},
		{"versioned route", "POST", strings.Replace(url, "/api/", "/api/v10/", 1) + "?wait=1", "application/json", `{"content":"hi"}`, 200, 0},
		{"empty message", "POST", url, "application/json", `{"content":""}`, 400, 50006},
		{"invalid json", "POST", url, "application/json", `{`, 400, 50109},
		{"no content type", "POST", url, "", `{"content":"x"}`, 400, 50035},
		{"file without filename", "POST", url, "multipart/form-data; boundary=b", "--b\r\nContent-Disposition: form-data; name=\"files[0]\"\r\n\r\nxx\r\n--b--\r\n", 400, 50035},
		{"wrong token", "POST", f.URL + "/webhooks/" + wh.ID + "/nope", "application/json", `{"content":"x"}`, 401, 50027},
		{"unknown webhook", "GET", f.URL + "/webhooks/1/nope", "", "", 404, 10015},
		{"unknown message", "GET", url + "/messages/1", "", "", 404, 10008},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := do(t, tt.method, tt.url, tt.ct, tt.body)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d (%v)", resp.StatusCode, tt.status, body)
			}
			if tt.code != 0 && body["code"] != tt.code {
				t.Errorf("code %v, want %v", body["code"], tt.code)
			}
			if tt.status == 200 && (body["id"] == "" || body["webhook_id"] != wh.ID || body["channel_id"] != wh.ChannelID) {
				t.Errorf("message object %v", body)
			}
		})
	}
}

func TestRateLimitHeaders(t *testing.T) {
	t.Parallel()
	now := time.Unix(1700000000, 0)
	f, wh := setup(t, WithRateLimit(1, 2*time.Second), WithClock(func() time.Time { return now }))
	resp, _ := do(t, "POST", f.WebhookURL(wh), "application/json", `{"content":"a"}`)
	for _, h := range []string{"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "X-RateLimit-Reset-After", "X-RateLimit-Bucket"} {
		if resp.Header.Get(h) == "" {
			t.Errorf("missing %s", h)
		}
	}
	if got := resp.Header.Get("X-RateLimit-Reset"); got != "1700000002.000" {
		t.Errorf("X-RateLimit-Reset = %q", got)
	}
	resp, body := do(t, "POST", f.WebhookURL(wh), "application/json", `{"content":"b"}`)
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "2" || body["retry_after"] != 2.0 || body["global"] != false {
		t.Errorf("429 answer: %d %v %v", resp.StatusCode, resp.Header, body)
	}
	if f.CountContent("b") != 0 || f.CountContent("a") != 1 {
		t.Error("wrong messages stored")
	}
}

func TestFaultsAreUsedOnceAndByMethod(t *testing.T) {
	t.Parallel()
	f, wh := setup(t)
	f.FailNext(Fault{Kind: ServerError, Method: "POST"})
	if resp, _ := do(t, "GET", f.WebhookURL(wh), "", ""); resp.StatusCode != 200 {
		t.Errorf("GET took a POST fault: %d", resp.StatusCode)
	}
	if resp, _ := do(t, "POST", f.WebhookURL(wh), "application/json", `{"content":"x"}`); resp.StatusCode != 500 {
		t.Errorf("POST status %d, want 500", resp.StatusCode)
	}
	if resp, _ := do(t, "POST", f.WebhookURL(wh), "application/json", `{"content":"x"}`); resp.StatusCode != 204 {
		t.Errorf("fault used twice: %d", resp.StatusCode)
	}
	if f.Executes() != 2 || f.CountContent("x") != 1 {
		t.Errorf("executes %d, stored %d", f.Executes(), f.CountContent("x"))
	}
}

func TestLatency(t *testing.T) {
	t.Parallel()
	f, wh := setup(t, WithLatency(50*time.Millisecond))
	start := time.Now()
	do(t, "POST", f.WebhookURL(wh), "application/json", `{"content":"x"}`)
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Errorf("answered in %v, want at least 50ms", d)
	}
}
