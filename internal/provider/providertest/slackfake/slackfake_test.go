package slackfake

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestWire(t *testing.T) {
	t.Parallel()
	f := New()
	t.Cleanup(f.Close)
	wh := f.AddWebhook("#general")
	u := f.WebhookURL(wh)
	long := strings.Repeat("a", MaxSectionText+1)
	tests := []struct {
		name, url, ct, body string
		status              int
		answer              string
	}{
		{"json", u, "application/json", `{"text":"hello"}`, 200, "ok"},
		{"form payload", u, "application/x-www-form-urlencoded", "payload=" + url.QueryEscape(`{"text":"form"}`), 200, "ok"},
		{"blocks only", u, "application/json", `{"blocks":[{"type":"section","text":{"type":"mrkdwn","text":"hi"}}]}`, 200, "ok"},
		{"no text", u, "application/json", `{"text":""}`, 400, "no_text"},
		{"bad json", u, "application/json", `{`, 400, "invalid_payload"},
		{"long section", u, "application/json", `{"blocks":[{"type":"section","text":{"type":"mrkdwn","text":"` + long + `"}}]}`, 400, "invalid_blocks"},
		{"image without alt", u, "application/json", `{"blocks":[{"type":"image","image_url":"https://x/y.png"}]}`, 400, "invalid_blocks"},
		{"unknown block", u, "application/json", `{"blocks":[{"type":"video"}]}`, 400, "invalid_blocks"},
		{"wrong secret", f.URL + "/services/" + wh.TeamID + "/" + wh.BotID + "/nope", "application/json", `{"text":"x"}`, 403, "invalid_token"},
		{"unknown hook", f.URL + "/services/T1/B1/nope", "application/json", `{"text":"x"}`, 404, "no_service"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := http.Post(tt.url, tt.ct, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.status || string(b) != tt.answer {
				t.Errorf("got %d %q, want %d %q", resp.StatusCode, b, tt.status, tt.answer)
			}
		})
	}
	if f.CountText("form") != 1 || len(f.Messages(wh.BotID)) != 3 {
		t.Errorf("stored %d messages", len(f.Messages(wh.BotID)))
	}
	f.Break(wh.BotID, "channel_is_archived")
	resp, _ := http.Post(u, "application/json", strings.NewReader(`{"text":"x"}`))
	if resp.StatusCode != http.StatusGone {
		t.Errorf("archived channel: %d", resp.StatusCode)
	}
	resp.Body.Close()
}
