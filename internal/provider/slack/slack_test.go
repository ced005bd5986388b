package slack

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/heraldhq/herald/internal/provider"
	"github.com/heraldhq/herald/internal/provider/providertest/slackfake"
)

var testNow = time.Date(2025, 10, 26, 0, 59, 0, 0, time.UTC)

type fixture struct {
	fake *slackfake.Fake
	p    *Provider
	wh   slackfake.Webhook
	acct *provider.Account
}

func setup(t *testing.T, opts ...slackfake.Option) *fixture {
	t.Helper()
	fake := slackfake.New(append([]slackfake.Option{slackfake.WithClock(func() time.Time { return testNow })}, opts...)...)
	t.Cleanup(fake.Close)
	p := New(Config{WebhookBase: fake.URL, Now: func() time.Time { return testNow }}, &http.Client{})
	wh := fake.AddWebhook("#news")
	in, _ := json.Marshal(map[string]string{"webhookUrl": fake.WebhookURL(wh), "name": "#news"})
	acct, err := p.Connect(context.Background(), in)
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	return &fixture{fake: fake, p: p, wh: wh, acct: acct}
}

func assertKind(t *testing.T, err error, want provider.ErrorKind, secret string) *provider.Error {
	t.Helper()
	var pe *provider.Error
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v (%T), want *provider.Error of kind %v", err, err, want)
	}
	if pe.Kind != want {
		t.Fatalf("kind = %v, want %v (err: %v)", pe.Kind, want, err)
	}
	if secret != "" && strings.Contains(err.Error(), secret) {
		t.Errorf("error %q contains the webhook secret", err)
	}
	return pe
}

func TestConnectValidatesShapeOnly(t *testing.T) {
	t.Parallel()
	f := setup(t)
	want := &provider.Account{
		ExternalID:  f.wh.TeamID + "/" + f.wh.BotID,
		Name:        "#news",
		Credentials: json.RawMessage(`{"webhookUrl":"https://hooks.slack.com/services/` + f.wh.TeamID + "/" + f.wh.BotID + "/" + f.wh.Secret + `"}`),
	}
	if diff := cmp.Diff(want, f.acct, cmp.Comparer(func(a, b json.RawMessage) bool { return string(a) == string(b) })); diff != "" {
		t.Errorf("account (-want +got):\n%s", diff)
	}
	if n := f.fake.Requests(); n != 0 {
		t.Errorf("Connect posted %d messages", n)
	}
	// The real Slack form is accepted and named after the webhook.
	acct, err := f.p.Connect(context.Background(), json.RawMessage(`{"webhookUrl":"https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"}`))
	if err != nil || acct.Name != "Slack webhook B00000000" {
		t.Errorf("Connect(real form) = %+v, %v", acct, err)
	}
}

func TestConnectRejects(t *testing.T) {
	t.Parallel()
	f := setup(t)
	tests := []struct{ name, in, code string }{
		{"not json", `{`, "invalid_input"},
		{"missing", `{}`, "invalid_input"},
		{"other host", `{"webhookUrl":"https://evil.example/services/T0001/B0001/abcdefghij"}`, "invalid_webhook_url"},
		{"lookalike", `{"webhookUrl":"https://hooks.slack.com.evil.example/services/T0001/B0001/abcdefghij"}`, "invalid_webhook_url"},
		{"http", `{"webhookUrl":"http://hooks.slack.com/services/T0001/B0001/abcdefghij"}`, "invalid_webhook_url"},
		{"workflow trigger", `{"webhookUrl":"https://hooks.slack.com/triggers/T0001/123/abcdefghij"}`, "invalid_webhook_url"},
		{"short path", `{"webhookUrl":"https://hooks.slack.com/services/T0001/B0001"}`, "invalid_webhook_url"},
		{"query", `{"webhookUrl":"https://hooks.slack.com/services/T0001/B0001/abcdefghij?x=1"}`, "invalid_webhook_url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := f.p.Connect(context.Background(), json.RawMessage(tt.in))
			if pe := assertKind(t, err, provider.KindRejected, "abcdefghij"); pe.Code != tt.code {
				t.Errorf("code = %q, want %q", pe.Code, tt.code)
			}
		})
	}
}

func TestPublishTextAndImages(t *testing.T) {
	t.Parallel()
	f := setup(t)
	req := &provider.PublishRequest{
		Key:  "key-1",
		Text: "Release <v2> & notes for <!channel>\nsecond line 🎉",
		Media: []provider.Media{
			{Kind: "image", MIME: "image/png", URL: "https://herald.example/m/a.png", AltText: "A chart"},
			{Kind: "image", MIME: "image/jpeg", URL: "https://herald.example/m/b.jpg"},
			{Kind: "video", MIME: "video/mp4", URL: "https://herald.example/m/c.mp4", AltText: "Demo | <cut>"},
			{Kind: "image", MIME: "image/webp", URL: "https://herald.example/m/d.webp"},
		},
	}
	pub, err := f.p.Publish(context.Background(), f.acct, req)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&provider.Published{RemoteID: "key-1", PublishedAt: testNow}, pub); diff != "" {
		t.Errorf("Published (-want +got):\n%s", diff)
	}
	msgs := f.fake.Messages(f.wh.BotID)
	if len(msgs) != 1 {
		t.Fatalf("%d messages, want 1", len(msgs))
	}
	escaped := "Release &lt;v2&gt; &amp; notes for &lt;!channel&gt;\nsecond line 🎉"
	if msgs[0].Text != escaped {
		t.Errorf("text = %q, want %q", msgs[0].Text, escaped)
	}
	type blk struct{ Type, Text, ImageURL, AltText string }
	var got []blk
	for _, b := range msgs[0].Blocks {
		got = append(got, blk{b.Type, b.Text, b.ImageURL, b.AltText})
	}
	want := []blk{
		{Type: "section", Text: escaped},
		{Type: "image", ImageURL: "https://herald.example/m/a.png", AltText: "A chart"},
		{Type: "image", ImageURL: "https://herald.example/m/b.jpg", AltText: "Image"},
		{Type: "section", Text: "<https://herald.example/m/c.mp4|Video: Demo ¦ &lt;cut&gt;>"},
		{Type: "section", Text: "<https://herald.example/m/d.webp|Image>"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("blocks (-want +got):\n%s", diff)
	}
}

func TestPublishLongTextIsSplitIntoSections(t *testing.T) {
	t.Parallel()
	f := setup(t)
	para := strings.Repeat("word & more ", 200) // 2,400 characters, 3,200 escaped
	text := para + "\n" + para + "\n" + para
	if _, err := f.p.Publish(context.Background(), f.acct, &provider.PublishRequest{Key: "k", Text: text}); err != nil {
		t.Fatal(err)
	}
	m := f.fake.Messages(f.wh.BotID)[0]
	var joined []string
	for _, b := range m.Blocks {
		if n := utf8.RuneCountInString(b.Text); n > maxSectionText {
			t.Errorf("section of %d characters", n)
		}
		if strings.HasSuffix(b.Text, "&amp") || strings.HasPrefix(b.Text, "amp;") {
			t.Errorf("an entity was cut: %q...%q", b.Text[:10], b.Text[len(b.Text)-10:])
		}
		joined = append(joined, b.Text)
	}
	if len(m.Blocks) < 3 {
		t.Errorf("%d sections, want at least 3", len(m.Blocks))
	}
	norm := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	if norm(strings.Join(joined, " ")) != norm(escape(text)) {
		t.Error("sections do not add up to the text")
	}
}

func TestSplitText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		max  int
		want []string
	}{
		{"short", "hello", 10, []string{"hello"}},
		{"at newline", "aaaa bbbb\ncc", 10, []string{"aaaa bbbb", "cc"}},
		{"at space", "aaaa bbbb cccc", 10, []string{"aaaa bbbb", "cccc"}},
		{"hard", "abcdefghijkl", 5, []string{"abcde", "fghij", "kl"}},
		{"entity kept whole", "abc&amp;def", 5, []string{"abc", "&amp;", "def"}},
		{"runes not bytes", "ééééé ééééé", 5, []string{"ééééé", "ééééé"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, splitText(tt.in, tt.max)); diff != "" {
				t.Errorf("splitText (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPublishErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		fault      *slackfake.Fault
		breakWith  string
		timeout    time.Duration
		wantKind   provider.ErrorKind
		wantCode   string
		wantMsg    string
		wantStored int
	}{
		{name: "rate limited", fault: &slackfake.Fault{Kind: slackfake.RateLimited, RetryAfter: 30 * time.Second},
			wantKind: provider.KindRateLimited, wantCode: "429"},
		{name: "server error", fault: &slackfake.Fault{Kind: slackfake.ServerError},
			wantKind: provider.KindOutcomeUnknown, wantCode: "rollup_error"},
		{name: "server error after store", fault: &slackfake.Fault{Kind: slackfake.ServerErrorAfterStore},
			wantKind: provider.KindOutcomeUnknown, wantCode: "rollup_error", wantStored: 1},
		{name: "malformed", fault: &slackfake.Fault{Kind: slackfake.Malformed},
			wantKind: provider.KindOutcomeUnknown, wantCode: "200", wantStored: 1},
		{name: "timeout before read", fault: &slackfake.Fault{Kind: slackfake.TimeoutBeforeRead}, timeout: 200 * time.Millisecond,
			wantKind: provider.KindOutcomeUnknown, wantMsg: "may have been posted"},
		{name: "timeout after store", fault: &slackfake.Fault{Kind: slackfake.TimeoutAfterStore}, timeout: 200 * time.Millisecond,
			wantKind: provider.KindOutcomeUnknown, wantMsg: "may have been posted", wantStored: 1},
		{name: "removed webhook", breakWith: "no_service",
			wantKind: provider.KindUnauthorized, wantCode: "no_service", wantMsg: "no_service: the webhook was disabled or removed"},
		{name: "archived channel", breakWith: "channel_is_archived",
			wantKind: provider.KindUnauthorized, wantCode: "channel_is_archived"},
		{name: "channel gone", breakWith: "channel_not_found",
			wantKind: provider.KindUnauthorized, wantCode: "channel_not_found"},
		{name: "prohibited", breakWith: "action_prohibited",
			wantKind: provider.KindRejected, wantCode: "action_prohibited"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			if tt.fault != nil {
				f.fake.FailNext(*tt.fault)
			}
			if tt.breakWith != "" {
				f.fake.Break(f.wh.BotID, tt.breakWith)
			}
			ctx := context.Background()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			text := "post " + strings.ReplaceAll(tt.name, " ", "-")
			_, err := f.p.Publish(ctx, f.acct, &provider.PublishRequest{Key: "k", Text: text})
			pe := assertKind(t, err, tt.wantKind, f.wh.Secret)
			if tt.wantCode != "" && pe.Code != tt.wantCode {
				t.Errorf("code = %q, want %q", pe.Code, tt.wantCode)
			}
			if !strings.Contains(pe.Message, tt.wantMsg) {
				t.Errorf("message %q does not contain %q", pe.Message, tt.wantMsg)
			}
			if tt.wantKind == provider.KindRateLimited && !pe.RetryAt.Equal(testNow.Add(30*time.Second)) {
				t.Errorf("RetryAt = %v", pe.RetryAt)
			}
			if got := f.fake.CountText(text); got != tt.wantStored {
				t.Errorf("stored %d times, want %d", got, tt.wantStored)
			}
		})
	}
}

func TestPublishWrongSecretIsUnauthorized(t *testing.T) {
	t.Parallel()
	f := setup(t)
	creds, _ := json.Marshal(credentials{WebhookURL: f.fake.URL + "/services/" + f.wh.TeamID + "/" + f.wh.BotID + "/WrongSecret123"})
	_, err := f.p.Publish(context.Background(), &provider.Account{Credentials: creds}, &provider.PublishRequest{Key: "k", Text: "x"})
	if pe := assertKind(t, err, provider.KindUnauthorized, "WrongSecret123"); pe.Code != "invalid_token" {
		t.Errorf("code = %q", pe.Code)
	}
}

func TestPublishRateLimitedByFake(t *testing.T) {
	t.Parallel()
	f := setup(t, slackfake.WithRateLimit(1, time.Second))
	if _, err := f.p.Publish(context.Background(), f.acct, &provider.PublishRequest{Key: "a", Text: "one"}); err != nil {
		t.Fatal(err)
	}
	_, err := f.p.Publish(context.Background(), f.acct, &provider.PublishRequest{Key: "b", Text: "two"})
	if pe := assertKind(t, err, provider.KindRateLimited, f.wh.Secret); !pe.RetryAt.Equal(testNow.Add(time.Second)) {
		t.Errorf("RetryAt = %v", pe.RetryAt)
	}
	if f.fake.CountText("two") != 0 {
		t.Error("rate-limited message stored")
	}
}

func TestPublishUnreachableIsTransient(t *testing.T) {
	t.Parallel()
	f := setup(t)
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	p := New(Config{WebhookBase: dead.URL}, &http.Client{})
	_, err := p.Publish(context.Background(), f.acct, &provider.PublishRequest{Key: "k", Text: "x"})
	pe := assertKind(t, err, provider.KindTransient, f.wh.Secret)
	if !strings.Contains(pe.Error(), "REDACTED") {
		t.Errorf("error %q does not show the redacted URL", pe)
	}
}

func TestPublishRefusals(t *testing.T) {
	t.Parallel()
	f := setup(t)
	many := make([]provider.Media, 51)
	for i := range many {
		many[i] = provider.Media{Kind: "image", MIME: "image/png", URL: "https://herald.example/x.png"}
	}
	tests := []struct {
		name string
		req  *provider.PublishRequest
		code string
	}{
		{"empty", &provider.PublishRequest{Key: "k", Text: " "}, "no_text"},
		{"no url", &provider.PublishRequest{Key: "k", Text: "x", Media: []provider.Media{{Kind: "image", MIME: "image/png"}}}, "media_url_required"},
		{"too many blocks", &provider.PublishRequest{Key: "k", Text: "x", Media: many}, "too_many_blocks"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := f.p.Publish(context.Background(), f.acct, tt.req)
			if pe := assertKind(t, err, provider.KindRejected, ""); pe.Code != tt.code {
				t.Errorf("code = %q, want %q", pe.Code, tt.code)
			}
		})
	}
	if f.fake.Requests() != 0 {
		t.Error("a refused post reached Slack")
	}
}

func TestMediaOnlyPost(t *testing.T) {
	t.Parallel()
	f := setup(t)
	req := &provider.PublishRequest{Key: "k", Media: []provider.Media{{Kind: "image", MIME: "image/gif", URL: "https://herald.example/a.gif"}}}
	if _, err := f.p.Publish(context.Background(), f.acct, req); err != nil {
		t.Fatal(err)
	}
	m := f.fake.Messages(f.wh.BotID)[0]
	if m.Text != "Media" || len(m.Blocks) != 1 || m.Blocks[0].Type != "image" {
		t.Errorf("message = %+v", m)
	}
}

func TestFindAndDelete(t *testing.T) {
	t.Parallel()
	f := setup(t)
	if _, err := f.p.Find(context.Background(), f.acct, &provider.PublishRequest{Key: "k"}); !errors.Is(err, provider.ErrCannotTell) {
		t.Errorf("Find err = %v, want ErrCannotTell", err)
	}
	err := f.p.Delete(context.Background(), f.acct, "k")
	pe := assertKind(t, err, provider.KindRejected, "")
	if pe.Message != "Slack incoming webhooks cannot delete messages; delete it in Slack" {
		t.Errorf("message %q", pe.Message)
	}
}
