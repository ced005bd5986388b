package discord

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/heraldhq/herald/internal/provider"
	"github.com/heraldhq/herald/internal/provider/providertest/discordfake"
)

var testNow = time.Date(2025, 3, 30, 1, 30, 0, 0, time.UTC)

type fixture struct {
	fake *discordfake.Fake
	p    *Provider
	wh   discordfake.Webhook
	acct *provider.Account
}

func setup(t *testing.T, opts ...discordfake.Option) *fixture {
	t.Helper()
	fake := discordfake.New(append([]discordfake.Option{discordfake.WithClock(func() time.Time { return testNow })}, opts...)...)
	t.Cleanup(fake.Close)
	p := New(Config{APIBase: fake.URL, Now: func() time.Time { return testNow }}, &http.Client{})
	wh := fake.AddWebhook("Herald news")
	in, _ := json.Marshal(map[string]string{"webhookUrl": fake.WebhookURL(wh)})
	acct, err := p.Connect(context.Background(), in)
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	return &fixture{fake: fake, p: p, wh: wh, acct: acct}
}

func media(kind, mimeType string, data []byte, alt string) provider.Media {
	return provider.Media{
		Kind: kind, MIME: mimeType, Size: int64(len(data)), AltText: alt,
		URL: "https://herald.example/m/" + kind,
		Open: func(context.Context) (io.ReadCloser, error) {
			return io.NopCloser(bytes.NewReader(data)), nil
		},
	}
}

// assertKind checks that err is a *provider.Error of kind want and that it
// does not leak the webhook token.
func assertKind(t *testing.T, err error, want provider.ErrorKind, token string) *provider.Error {
	t.Helper()
	var pe *provider.Error
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v (%T), want *provider.Error of kind %v", err, err, want)
	}
	if pe.Kind != want {
		t.Fatalf("kind = %v, want %v (err: %v)", pe.Kind, want, err)
	}
	if token != "" && strings.Contains(err.Error(), token) {
		t.Errorf("error %q contains the webhook token", err)
	}
	return pe
}

func TestConnect(t *testing.T) {
	t.Parallel()
	f := setup(t)
	var creds credentials
	if err := json.Unmarshal(f.acct.Credentials, &creds); err != nil {
		t.Fatal(err)
	}
	want := credentials{
		WebhookURL: "https://discord.com/api/webhooks/" + f.wh.ID + "/" + f.wh.Token,
		GuildID:    f.wh.GuildID,
		ChannelID:  f.wh.ChannelID,
	}
	if diff := cmp.Diff(want, creds); diff != "" {
		t.Errorf("credentials (-want +got):\n%s", diff)
	}
	if f.acct.ExternalID != f.wh.ID || f.acct.Name != "Herald news" {
		t.Errorf("account = %+v", f.acct)
	}
	if want := "https://cdn.discordapp.com/avatars/" + f.wh.ID + "/" + f.wh.Avatar + ".png"; f.acct.Image != want {
		t.Errorf("Image = %q, want %q", f.acct.Image, want)
	}
	if f.fake.Executes() != 0 {
		t.Error("Connect posted a message")
	}
}

func TestConnectAcceptsDiscordHostsButCallsTheAPIBase(t *testing.T) {
	t.Parallel()
	f := setup(t)
	for _, host := range []string{"discord.com", "discordapp.com", "ptb.discord.com", "canary.discordapp.com"} {
		for _, path := range []string{"/api/webhooks/", "/api/v10/webhooks/"} {
			in, _ := json.Marshal(map[string]string{"webhookUrl": "https://" + host + path + f.wh.ID + "/" + f.wh.Token})
			acct, err := f.p.Connect(context.Background(), in)
			if err != nil {
				t.Errorf("%s%s: %v", host, path, err)
				continue
			}
			if acct.ExternalID != f.wh.ID {
				t.Errorf("%s: ExternalID %q", host, acct.ExternalID)
			}
		}
	}
}

func TestConnectRejects(t *testing.T) {
	t.Parallel()
	f := setup(t)
	other := f.fake.AddWebhook("deleted")
	f.fake.DeleteWebhook(other.ID)
	tests := []struct {
		name     string
		in       string
		wantCode string
		wantMsg  string
	}{
		{"not json", `{`, "invalid_input", "invalid JSON"},
		{"missing url", `{}`, "invalid_input", "webhookUrl is required"},
		{"other host", `{"webhookUrl":"https://evil.example/api/webhooks/1/abc"}`, "invalid_webhook_url", "not a Discord webhook URL"},
		{"lookalike host", `{"webhookUrl":"https://discord.com.evil.example/api/webhooks/1/abc"}`, "invalid_webhook_url", ""},
		{"plain http", `{"webhookUrl":"http://discord.com/api/webhooks/1/abc"}`, "invalid_webhook_url", ""},
		{"port", `{"webhookUrl":"https://discord.com:8443/api/webhooks/1/abc"}`, "invalid_webhook_url", ""},
		{"userinfo", `{"webhookUrl":"https://x@discord.com/api/webhooks/1/abc"}`, "invalid_webhook_url", ""},
		{"non-numeric id", `{"webhookUrl":"https://discord.com/api/webhooks/abc/def"}`, "invalid_webhook_url", ""},
		{"no token", `{"webhookUrl":"https://discord.com/api/webhooks/123"}`, "invalid_webhook_url", ""},
		{"extra path", `{"webhookUrl":"https://discord.com/api/webhooks/123/abc/slack"}`, "invalid_webhook_url", ""},
		{"channel url", `{"webhookUrl":"https://discord.com/channels/1/2"}`, "invalid_webhook_url", ""},
		{"wrong token", `{"webhookUrl":"` + f.fake.URL + `/webhooks/` + f.wh.ID + `/wrongtoken"}`, "50027", "Invalid Webhook Token"},
		{"deleted webhook", `{"webhookUrl":"` + f.fake.WebhookURL(other) + `"}`, "10015", "Unknown Webhook"},
		{"unknown webhook", `{"webhookUrl":"` + f.fake.URL + `/webhooks/99/abc"}`, "10015", "Unknown Webhook"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := f.p.Connect(context.Background(), json.RawMessage(tt.in))
			pe := assertKind(t, err, provider.KindRejected, f.wh.Token)
			if pe.Code != tt.wantCode {
				t.Errorf("code = %q, want %q", pe.Code, tt.wantCode)
			}
			if !strings.Contains(pe.Message, tt.wantMsg) {
				t.Errorf("message %q does not contain %q", pe.Message, tt.wantMsg)
			}
			if strings.Contains(err.Error(), other.Token) {
				t.Errorf("error %q contains a token", err)
			}
		})
	}
}

func TestPublishText(t *testing.T) {
	t.Parallel()
	f := setup(t)
	text := "Launch day 🚀 <b>&amp; more</b>"
	pub, err := f.p.Publish(context.Background(), f.acct, &provider.PublishRequest{Key: "k1", Text: text})
	if err != nil {
		t.Fatal(err)
	}
	msgs := f.fake.Messages(f.wh.ID)
	if len(msgs) != 1 {
		t.Fatalf("fake has %d messages, want 1", len(msgs))
	}
	m := msgs[0]
	if m.Content != text {
		t.Errorf("content = %q, want %q", m.Content, text)
	}
	want := &provider.Published{
		RemoteID:    m.ID,
		URL:         "https://discord.com/channels/" + f.wh.GuildID + "/" + f.wh.ChannelID + "/" + m.ID,
		PublishedAt: testNow,
	}
	if diff := cmp.Diff(want, pub); diff != "" {
		t.Errorf("Published (-want +got):\n%s", diff)
	}
}

func TestPublishMedia(t *testing.T) {
	t.Parallel()
	f := setup(t)
	png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{1, 2, 3}, 5000)...)
	mp4 := bytes.Repeat([]byte("ftypisom"), 3000)
	unsized := media("image", "image/jpeg", []byte("\xff\xd8\xff jpeg"), "")
	unsized.Size = 0 // size unknown: sent with chunked encoding
	req := &provider.PublishRequest{Key: "k2", Text: "with files", Media: []provider.Media{
		media("image", "image/png", png, "A chart of growth"),
		media("video", "video/mp4", mp4, ""),
		unsized,
	}}
	pub, err := f.p.Publish(context.Background(), f.acct, req)
	if err != nil {
		t.Fatal(err)
	}
	m, ok := f.fake.Message(pub.RemoteID)
	if !ok {
		t.Fatalf("message %s not in fake", pub.RemoteID)
	}
	if m.Content != "with files" {
		t.Errorf("content = %q", m.Content)
	}
	type att struct{ Filename, Description, ContentType string }
	var got []att
	for _, a := range m.Attachments {
		got = append(got, att{a.Filename, a.Description, a.ContentType})
	}
	want := []att{
		{"image-1.png", "A chart of growth", "image/png"},
		{"video-2.mp4", "", "video/mp4"},
		{"image-3.jpg", "", "image/jpeg"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("attachments (-want +got):\n%s", diff)
	}
	if len(m.Attachments) == 3 {
		if !bytes.Equal(m.Attachments[0].Data, png) || !bytes.Equal(m.Attachments[1].Data, mp4) || string(m.Attachments[2].Data) != "\xff\xd8\xff jpeg" {
			t.Error("uploaded bytes differ from the media")
		}
	}
}

func TestPublishRefusesBeforeSending(t *testing.T) {
	t.Parallel()
	f := setup(t)
	eleven := make([]provider.Media, 11)
	for i := range eleven {
		eleven[i] = media("image", "image/png", []byte("x"), "")
	}
	tests := []struct {
		name string
		req  *provider.PublishRequest
		code string
	}{
		{"empty", &provider.PublishRequest{Key: "e", Text: "  "}, "empty_message"},
		{"too many files", &provider.PublishRequest{Key: "m", Text: "x", Media: eleven}, "too_many_attachments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := f.p.Publish(context.Background(), f.acct, tt.req)
			if pe := assertKind(t, err, provider.KindRejected, f.wh.Token); pe.Code != tt.code {
				t.Errorf("code = %q, want %q", pe.Code, tt.code)
			}
		})
	}
	if n := f.fake.Executes(); n != 0 {
		t.Errorf("%d requests reached Discord", n)
	}
}

func TestPublishErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		fault      *discordfake.Fault
		text       string
		media      []provider.Media
		deleteHook bool
		timeout    time.Duration
		wantKind   provider.ErrorKind
		wantCode   string
		wantMsg    string
		wantStored int
	}{
		{name: "rate limited", fault: &discordfake.Fault{Kind: discordfake.RateLimited, RetryAfter: 2500 * time.Millisecond},
			wantKind: provider.KindRateLimited, wantCode: "429", wantMsg: "You are being rate limited."},
		{name: "server error", fault: &discordfake.Fault{Kind: discordfake.ServerError},
			wantKind: provider.KindOutcomeUnknown, wantCode: "500"},
		{name: "bad gateway after store", fault: &discordfake.Fault{Kind: discordfake.ServerErrorAfterStore},
			wantKind: provider.KindOutcomeUnknown, wantCode: "502", wantStored: 1},
		{name: "malformed answer", fault: &discordfake.Fault{Kind: discordfake.Malformed},
			wantKind: provider.KindOutcomeUnknown, wantCode: "200", wantMsg: "malformed", wantStored: 1},
		{name: "timeout before read", fault: &discordfake.Fault{Kind: discordfake.TimeoutBeforeRead}, timeout: 200 * time.Millisecond,
			wantKind: provider.KindOutcomeUnknown, wantMsg: "may have been posted"},
		{name: "timeout after store", fault: &discordfake.Fault{Kind: discordfake.TimeoutAfterStore}, timeout: 200 * time.Millisecond,
			wantKind: provider.KindOutcomeUnknown, wantMsg: "may have been posted", wantStored: 1},
		{name: "deleted webhook", deleteHook: true,
			wantKind: provider.KindUnauthorized, wantCode: "10015", wantMsg: "Unknown Webhook"},
		{name: "content too long", text: strings.Repeat("é", 2001),
			wantKind: provider.KindRejected, wantCode: "50035", wantMsg: "Invalid Form Body: content: Must be 2000 or fewer in length."},
		{name: "file too large", media: []provider.Media{media("video", "video/mp4", make([]byte, discordfake.MaxFileBytes+1), "")},
			wantKind: provider.KindRejected, wantCode: "40005", wantMsg: "Request entity too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			if tt.fault != nil {
				f.fake.FailNext(*tt.fault)
			}
			if tt.deleteHook {
				f.fake.DeleteWebhook(f.wh.ID)
			}
			ctx := context.Background()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			text := tt.text
			if text == "" {
				text = "post " + tt.name
			}
			_, err := f.p.Publish(ctx, f.acct, &provider.PublishRequest{Key: "k", Text: text, Media: tt.media})
			pe := assertKind(t, err, tt.wantKind, f.wh.Token)
			if tt.wantCode != "" && pe.Code != tt.wantCode {
				t.Errorf("code = %q, want %q", pe.Code, tt.wantCode)
			}
			if !strings.Contains(pe.Message, tt.wantMsg) {
				t.Errorf("message %q does not contain %q", pe.Message, tt.wantMsg)
			}
			if tt.wantKind == provider.KindRateLimited {
				if want := testNow.Add(2500 * time.Millisecond); !pe.RetryAt.Equal(want) {
					t.Errorf("RetryAt = %v, want %v", pe.RetryAt, want)
				}
			}
			if got := f.fake.CountContent(text); got != tt.wantStored {
				t.Errorf("fake stored the message %d times, want %d", got, tt.wantStored)
			}
		})
	}
}

func TestPublishRateLimitFromBucket(t *testing.T) {
	t.Parallel()
	f := setup(t, discordfake.WithRateLimit(2, 30*time.Second))
	// Connect used one request of the bucket.
	if _, err := f.p.Publish(context.Background(), f.acct, &provider.PublishRequest{Key: "a", Text: "first"}); err != nil {
		t.Fatal(err)
	}
	_, err := f.p.Publish(context.Background(), f.acct, &provider.PublishRequest{Key: "b", Text: "second"})
	pe := assertKind(t, err, provider.KindRateLimited, f.wh.Token)
	if want := testNow.Add(30 * time.Second); !pe.RetryAt.Equal(want) {
		t.Errorf("RetryAt = %v, want %v", pe.RetryAt, want)
	}
	if f.fake.CountContent("second") != 0 {
		t.Error("a rate-limited message was stored")
	}
}

func TestPublishUnreachableIsTransient(t *testing.T) {
	t.Parallel()
	f := setup(t)
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	p := New(Config{APIBase: dead.URL + "/api"}, &http.Client{})
	acct := *f.acct
	_, err := p.Publish(context.Background(), &acct, &provider.PublishRequest{Key: "k", Text: "hello"})
	pe := assertKind(t, err, provider.KindTransient, f.wh.Token)
	if pe.Err == nil || !strings.Contains(pe.Err.Error(), "REDACTED") {
		t.Errorf("underlying error %v does not show the redacted URL", pe.Err)
	}
}

func TestPublishMediaOpenFailureIsTransient(t *testing.T) {
	t.Parallel()
	f := setup(t)
	m := media("image", "image/png", []byte("x"), "")
	m.Open = func(context.Context) (io.ReadCloser, error) { return nil, errors.New("disk gone") }
	_, err := f.p.Publish(context.Background(), f.acct, &provider.PublishRequest{Key: "k", Text: "broken media", Media: []provider.Media{m}})
	pe := assertKind(t, err, provider.KindTransient, f.wh.Token)
	if !strings.Contains(pe.Error(), "disk gone") {
		t.Errorf("error %q hides the cause", pe)
	}
	if f.fake.CountContent("broken media") != 0 {
		t.Error("a message with a broken upload was stored")
	}
}

func TestFind(t *testing.T) {
	t.Parallel()
	f := setup(t)
	pub, err := f.p.Publish(context.Background(), f.acct, &provider.PublishRequest{Key: "k", Text: "findable"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.p.Find(context.Background(), f.acct, &provider.PublishRequest{Key: "k"}); !errors.Is(err, provider.ErrCannotTell) {
		t.Errorf("Find without an id: err = %v, want ErrCannotTell", err)
	}
	got, err := f.p.Find(context.Background(), f.acct, &provider.PublishRequest{Key: "k", Options: map[string]string{OptionRemoteID: pub.RemoteID}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(pub, got); diff != "" {
		t.Errorf("Find (-published +found):\n%s", diff)
	}
	_, err = f.p.Find(context.Background(), f.acct, &provider.PublishRequest{Key: "k", Options: map[string]string{OptionRemoteID: "12345"}})
	if !errors.Is(err, provider.ErrNotPublished) {
		t.Errorf("Find of an unknown id: err = %v, want ErrNotPublished", err)
	}
}

func TestDelete(t *testing.T) {
	t.Parallel()
	f := setup(t)
	pub, err := f.p.Publish(context.Background(), f.acct, &provider.PublishRequest{Key: "k", Text: "to delete"})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.p.Delete(context.Background(), f.acct, pub.RemoteID); err != nil {
		t.Fatal(err)
	}
	if m, _ := f.fake.Message(pub.RemoteID); !m.Deleted {
		t.Error("message not deleted in the fake")
	}
	if err := f.p.Delete(context.Background(), f.acct, pub.RemoteID); err != nil {
		t.Errorf("deleting twice: %v", err)
	}
	assertKind(t, f.p.Delete(context.Background(), f.acct, "k"), provider.KindRejected, "")
	f.fake.DeleteWebhook(f.wh.ID)
	assertKind(t, f.p.Delete(context.Background(), f.acct, pub.RemoteID), provider.KindUnauthorized, f.wh.Token)
}

func TestDeleteServerErrorIsTransient(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.fake.FailNext(discordfake.Fault{Kind: discordfake.ServerError, Method: http.MethodDelete})
	assertKind(t, f.p.Delete(context.Background(), f.acct, "123"), provider.KindTransient, f.wh.Token)
}

func TestBrokenCredentials(t *testing.T) {
	t.Parallel()
	f := setup(t)
	for _, creds := range []string{`{`, `{}`, `{"webhookUrl":"https://evil.example/x"}`} {
		acct := &provider.Account{Credentials: json.RawMessage(creds)}
		_, err := f.p.Publish(context.Background(), acct, &provider.PublishRequest{Key: "k", Text: "x"})
		assertKind(t, err, provider.KindUnauthorized, "")
	}
}

func TestRules(t *testing.T) {
	t.Parallel()
	f := setup(t)
	r, err := f.p.Rules(context.Background(), f.acct)
	if err != nil || r.Network != Name || r.MaxChars != 2000 {
		t.Errorf("Rules = %+v, %v", r, err)
	}
}

func TestFirstFieldError(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{"none", ``, ""},
		{"top level", `{"_errors":[{"code":"X","message":"Command exceeds maximum size (8000)"}]}`, "Command exceeds maximum size (8000)"},
		{"nested", `{"embeds":{"0":{"title":{"_errors":[{"code":"BASE_TYPE_MAX_LENGTH","message":"Must be 256 or fewer in length."}]}}}}`, "embeds.0.title: Must be 256 or fewer in length."},
		{"garbage", `[1,2]`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := firstFieldError(json.RawMessage(tt.in)); got != tt.want {
				t.Errorf("firstFieldError = %q, want %q", got, tt.want)
			}
		})
	}
}

// A timeout while the body is still being sent leaves Discord untouched: the
// request never arrived whole, so the failure is transient, not uncertain.
func TestPublishTimeoutMidUploadIsTransient(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.fake.FailNext(discordfake.Fault{Kind: discordfake.TimeoutBeforeRead})
	// 90 MiB cannot fit in loopback socket buffers, so the write blocks.
	big := make([]byte, 9<<20)
	files := make([]provider.Media, 10)
	for i := range files {
		files[i] = media("video", "video/mp4", big, "")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := f.p.Publish(ctx, f.acct, &provider.PublishRequest{Key: "k", Text: "big upload", Media: files})
	assertKind(t, err, provider.KindTransient, f.wh.Token)
	if f.fake.CountContent("big upload") != 0 {
		t.Error("a cut-off upload was stored")
	}
}
