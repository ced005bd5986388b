package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/heraldhq/herald/internal/provider"
	"github.com/heraldhq/herald/internal/provider/providertest/telegramfake"
)

var testStart = time.Date(2025, 3, 30, 0, 30, 0, 0, time.UTC)

// clock is a settable clock shared by the fake and the provider.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type fixture struct {
	fake    *telegramfake.Fake
	clock   *clock
	p       *Provider
	bot     telegramfake.Bot
	channel telegramfake.Chat
	acct    *provider.Account
}

func setup(t *testing.T, opts ...telegramfake.Option) *fixture {
	t.Helper()
	clk := &clock{now: testStart}
	fake := telegramfake.New(append([]telegramfake.Option{telegramfake.WithClock(clk.Now)}, opts...)...)
	t.Cleanup(fake.Close)
	p := New(Config{APIBase: fake.URL, Now: clk.Now}, &http.Client{})
	bot := fake.AddBot("herald_bot")
	ch := fake.AddChat("channel", "Herald News", "heraldnews", bot)
	f := &fixture{fake: fake, clock: clk, p: p, bot: bot, channel: ch}
	f.acct = f.connect(t, ch.ID)
	return f
}

func (f *fixture) connect(t *testing.T, chatID int64) *provider.Account {
	t.Helper()
	in, _ := json.Marshal(map[string]any{"botToken": f.bot.Token, "chatId": strconv.FormatInt(chatID, 10)})
	acct, err := f.p.Connect(context.Background(), in)
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	return acct
}

func media(kind, mimeType string, data []byte) provider.Media {
	return provider.Media{Kind: kind, MIME: mimeType, Size: int64(len(data)), URL: "https://herald.example/m",
		Open: func(context.Context) (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }}
}

func assertKind(t *testing.T, err error, want provider.ErrorKind, token string) *provider.Error {
	t.Helper()
	var pe *provider.Error
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v (%T), want *provider.Error of kind %v", err, err, want)
	}
	if pe.Kind != want {
		t.Fatalf("kind = %v, want %v (err: %v)", pe.Kind, want, err)
	}
	if strings.Contains(err.Error(), token) {
		t.Errorf("error %q contains the bot token", err)
	}
	return pe
}

func TestConnect(t *testing.T) {
	t.Parallel()
	f := setup(t)
	id := strconv.FormatInt(f.channel.ID, 10)
	want := &provider.Account{
		ExternalID:  id,
		Name:        "Herald News",
		Credentials: json.RawMessage(`{"botToken":"` + f.bot.Token + `","chatId":"` + id + `"}`),
	}
	if diff := cmp.Diff(want, f.acct, cmp.Comparer(func(a, b json.RawMessage) bool { return string(a) == string(b) })); diff != "" {
		t.Errorf("account (-want +got):\n%s", diff)
	}
	if n := len(f.fake.Messages(f.channel.ID)); n != 0 {
		t.Errorf("Connect sent %d messages", n)
	}
	// The same channel by @username, t.me link, or JSON number.
	for _, chatID := range []any{"@heraldnews", "https://t.me/heraldnews", "t.me/heraldnews/", f.channel.ID} {
		in, _ := json.Marshal(map[string]any{"botToken": f.bot.Token, "chatId": chatID})
		acct, err := f.p.Connect(context.Background(), in)
		if err != nil || acct.ExternalID != id {
			t.Errorf("Connect(chatId %v) = %+v, %v", chatID, acct, err)
		}
	}
}

func TestConnectGroupAndPrivateChat(t *testing.T) {
	t.Parallel()
	f := setup(t)
	group := f.fake.AddChat("supergroup", "Team", "", f.bot)
	if acct := f.connect(t, group.ID); acct.Name != "Team" {
		t.Errorf("group Name = %q", acct.Name)
	}
	dm := f.fake.AddChat("private", "", "alice")
	if acct := f.connect(t, dm.ID); acct.Name != "@alice" {
		t.Errorf("private chat Name = %q", acct.Name)
	}
}

func TestConnectRejects(t *testing.T) {
	t.Parallel()
	f := setup(t)
	noRight := f.fake.AddChat("channel", "No right", "", f.bot)
	f.fake.SetMember(noRight.ID, f.bot, telegramfake.Member{Status: "administrator", CanPostMessages: false})
	notAdmin := f.fake.AddChat("channel", "Not admin", "", f.bot)
	f.fake.SetMember(notAdmin.ID, f.bot, telegramfake.Member{Status: "member"})
	kicked := f.fake.AddChat("supergroup", "Kicked", "", f.bot)
	f.fake.SetMember(kicked.ID, f.bot, telegramfake.Member{Status: "kicked"})
	notIn := f.fake.AddChat("channel", "Not in", "")
	revokedBot := f.fake.AddBot("old_bot")
	f.fake.RevokeToken(revokedBot.Token)

	tests := []struct {
		name, token string
		chat        any
		code, msg   string
	}{
		{"not a token", "hello", f.channel.ID, "invalid_token", "not a bot token"},
		{"bad chat", f.bot.Token, "my channel", "invalid_chat", "chatId must be"},
		{"revoked token", revokedBot.Token, f.channel.ID, "401", "Unauthorized"},
		{"unknown chat", f.bot.Token, "@nosuchchannel", "400", "chat not found; add @herald_bot to the chat first"},
		{"bot not in channel", f.bot.Token, notIn.ID, "403", "bot is not a member of the channel chat"},
		{"admin without post right", f.bot.Token, noRight.ID, "not_enough_rights", "allow \"Post messages\""},
		{"member of a channel", f.bot.Token, notAdmin.ID, "not_enough_rights", "must be an administrator"},
		{"kicked from group", f.bot.Token, kicked.ID, "403", "bot was kicked from the group chat"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in, _ := json.Marshal(map[string]any{"botToken": tt.token, "chatId": tt.chat})
			_, err := f.p.Connect(context.Background(), in)
			pe := assertKind(t, err, provider.KindRejected, tt.token)
			if pe.Code != tt.code || !strings.Contains(pe.Message, tt.msg) {
				t.Errorf("error (%s) %q, want (%s) containing %q", pe.Code, pe.Message, tt.code, tt.msg)
			}
		})
	}
}

func TestPublishText(t *testing.T) {
	t.Parallel()
	f := setup(t)
	text := "<b>Bold</b> & emoji 👩‍💻"
	pub, err := f.p.Publish(context.Background(), f.acct, &provider.PublishRequest{Key: "k", Text: text, Options: map[string]string{"parseMode": "html"}})
	if err != nil {
		t.Fatal(err)
	}
	msgs := f.fake.Messages(f.channel.ID)
	if len(msgs) != 1 || msgs[0].Text != text || msgs[0].ParseMode != "HTML" {
		t.Fatalf("messages = %+v", msgs)
	}
	want := &provider.Published{RemoteID: "1", URL: "https://t.me/heraldnews/1", PublishedAt: testStart}
	if diff := cmp.Diff(want, pub); diff != "" {
		t.Errorf("Published (-want +got):\n%s", diff)
	}
}

func TestPublishPrivateChannelHasNoURL(t *testing.T) {
	t.Parallel()
	f := setup(t)
	private := f.fake.AddChat("channel", "Private", "", f.bot)
	acct := f.connect(t, private.ID)
	pub, err := f.p.Publish(context.Background(), acct, &provider.PublishRequest{Key: "k", Text: "hi"})
	if err != nil {
		t.Fatal(err)
	}
	if pub.URL != "" || pub.RemoteID != "1" {
		t.Errorf("Published = %+v", pub)
	}
}

func TestPublishSingleMedia(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, kind, mime, wantType string
	}{
		{"photo", "image", "image/jpeg", "photo"},
		{"gif", "image", "image/gif", "animation"},
		{"video", "video", "video/mp4", "video"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			data := bytes.Repeat([]byte(tt.name), 4000)
			m := media(tt.kind, tt.mime, data)
			m.Width, m.Height, m.Duration = 1920, 1080, 12*time.Second
			pub, err := f.p.Publish(context.Background(), f.acct, &provider.PublishRequest{Key: "k", Text: "caption " + tt.name, Media: []provider.Media{m}})
			if err != nil {
				t.Fatal(err)
			}
			msgs := f.fake.Messages(f.channel.ID)
			if len(msgs) != 1 {
				t.Fatalf("%d messages", len(msgs))
			}
			got := msgs[0]
			if got.Caption != "caption "+tt.name || len(got.Media) != 1 || got.Media[0].Type != tt.wantType {
				t.Errorf("message = %+v", got)
			}
			if !bytes.Equal(got.Media[0].File.Data, data) || got.Media[0].File.ContentType != tt.mime {
				t.Error("uploaded file differs")
			}
			if pub.RemoteID != "1" {
				t.Errorf("RemoteID = %q", pub.RemoteID)
			}
		})
	}
}

func TestPublishAlbum(t *testing.T) {
	t.Parallel()
	f := setup(t)
	files := [][]byte{[]byte("jpeg-bytes"), []byte("png-bytes"), []byte("mp4-bytes")}
	req := &provider.PublishRequest{Key: "k", Text: "album caption", Media: []provider.Media{
		media("image", "image/jpeg", files[0]), media("image", "image/png", files[1]), media("video", "video/mp4", files[2]),
	}}
	pub, err := f.p.Publish(context.Background(), f.acct, req)
	if err != nil {
		t.Fatal(err)
	}
	msgs := f.fake.Messages(f.channel.ID)
	if len(msgs) != 3 {
		t.Fatalf("%d messages, want 3", len(msgs))
	}
	for i, m := range msgs {
		wantCaption := ""
		if i == 0 {
			wantCaption = "album caption"
		}
		if m.Caption != wantCaption || m.MediaGroupID == "" || m.MediaGroupID != msgs[0].MediaGroupID {
			t.Errorf("message %d = %+v", i, m)
		}
		if !bytes.Equal(m.Media[0].File.Data, files[i]) {
			t.Errorf("file %d differs", i)
		}
	}
	if pub.RemoteID != "1,2,3" || pub.URL != "https://t.me/heraldnews/1" {
		t.Errorf("Published = %+v", pub)
	}
}

func TestPublishLongCaptionGoesAsSecondMessage(t *testing.T) {
	t.Parallel()
	f := setup(t)
	text := strings.Repeat("word ", 300) // 1,500 characters
	req := &provider.PublishRequest{Key: "k", Text: text, Media: []provider.Media{media("image", "image/png", []byte("png"))}}
	pub, err := f.p.Publish(context.Background(), f.acct, req)
	if err != nil {
		t.Fatal(err)
	}
	msgs := f.fake.Messages(f.channel.ID)
	if len(msgs) != 2 || msgs[0].Caption != "" || len(msgs[0].Media) != 1 || msgs[1].Text != text {
		t.Fatalf("messages = %+v", msgs)
	}
	if pub.RemoteID != "1,2" {
		t.Errorf("RemoteID = %q", pub.RemoteID)
	}
	if err := f.p.Delete(context.Background(), f.acct, pub.RemoteID); err != nil {
		t.Fatal(err)
	}
	if n := len(f.fake.Messages(f.channel.ID)); n != 0 {
		t.Errorf("%d messages left after Delete", n)
	}
}

func TestPublishTextFailsAfterMedia(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.fake.FailNext(telegramfake.Fault{Kind: telegramfake.RateLimited, Method: "sendMessage", RetryAfter: 5 * time.Second})
	text := strings.Repeat("long ", 300)
	req := &provider.PublishRequest{Key: "k", Text: text, Media: []provider.Media{media("image", "image/png", []byte("png"))}}
	_, err := f.p.Publish(context.Background(), f.acct, req)
	pe := assertKind(t, err, provider.KindOutcomeUnknown, f.bot.Token)
	if !strings.Contains(pe.Message, "the media were posted (message 1) but the text was not") || pe.Code != "429" {
		t.Errorf("error (%s) %q", pe.Code, pe.Message)
	}
	if n := len(f.fake.Messages(f.channel.ID)); n != 1 {
		t.Errorf("%d messages, want the media message only", n)
	}
}

func TestPublishRefusesBeforeSending(t *testing.T) {
	t.Parallel()
	f := setup(t)
	eleven := make([]provider.Media, 11)
	for i := range eleven {
		eleven[i] = media("image", "image/png", []byte("x"))
	}
	tests := []struct {
		name string
		req  *provider.PublishRequest
		code string
	}{
		{"empty", &provider.PublishRequest{Key: "k"}, "empty_message"},
		{"eleven media", &provider.PublishRequest{Key: "k", Media: eleven}, "too_many_media"},
		// 2,100 astral emoji are 4,200 UTF-16 units.
		{"too long in UTF-16", &provider.PublishRequest{Key: "k", Text: strings.Repeat("🎉", 2100)}, "text_too_long"},
		{"unknown parse mode", &provider.PublishRequest{Key: "k", Text: "x", Options: map[string]string{"parseMode": "bbcode"}}, "invalid_parse_mode"},
	}
	before := f.fake.Requests()
	// Sequential: the request count below must see every case finished.
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.p.Publish(context.Background(), f.acct, tt.req)
			if pe := assertKind(t, err, provider.KindRejected, f.bot.Token); pe.Code != tt.code {
				t.Errorf("code = %q, want %q", pe.Code, tt.code)
			}
		})
	}
	if f.fake.Requests() != before {
		t.Error("a refused post reached Telegram")
	}
}

func TestPublishErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		fault      *telegramfake.Fault
		change     func(f *fixture)
		text       string
		parseMode  string
		withMedia  bool
		timeout    time.Duration
		wantKind   provider.ErrorKind
		wantCode   string
		wantMsg    string
		wantStored int
	}{
		{name: "rate limited", fault: &telegramfake.Fault{Kind: telegramfake.RateLimited, RetryAfter: 7 * time.Second},
			wantKind: provider.KindRateLimited, wantCode: "429", wantMsg: "Too Many Requests: retry after 7"},
		{name: "server error", fault: &telegramfake.Fault{Kind: telegramfake.ServerError},
			wantKind: provider.KindOutcomeUnknown, wantCode: "500"},
		{name: "bad gateway after store", fault: &telegramfake.Fault{Kind: telegramfake.ServerErrorAfterStore, Method: "sendMessage"},
			wantKind: provider.KindOutcomeUnknown, wantCode: "502", wantStored: 1},
		{name: "bad gateway after album", fault: &telegramfake.Fault{Kind: telegramfake.ServerErrorAfterStore, Method: "sendPhoto"}, withMedia: true,
			wantKind: provider.KindOutcomeUnknown, wantCode: "502", wantStored: 1},
		{name: "malformed", fault: &telegramfake.Fault{Kind: telegramfake.Malformed, Method: "sendMessage"},
			wantKind: provider.KindOutcomeUnknown, wantCode: "200", wantMsg: "malformed", wantStored: 1},
		{name: "timeout before read", fault: &telegramfake.Fault{Kind: telegramfake.TimeoutBeforeRead}, timeout: 200 * time.Millisecond,
			wantKind: provider.KindOutcomeUnknown, wantMsg: "may have been posted"},
		{name: "timeout after store", fault: &telegramfake.Fault{Kind: telegramfake.TimeoutAfterStore, Method: "sendMessage"}, timeout: 200 * time.Millisecond,
			wantKind: provider.KindOutcomeUnknown, wantMsg: "may have been posted", wantStored: 1},
		{name: "token revoked", change: func(f *fixture) { f.fake.RevokeToken(f.bot.Token) },
			wantKind: provider.KindUnauthorized, wantCode: "401", wantMsg: "Unauthorized: the bot token was revoked"},
		{name: "bot kicked", change: func(f *fixture) {
			f.fake.SetMember(f.channel.ID, f.bot, telegramfake.Member{Status: "kicked"})
		}, wantKind: provider.KindUnauthorized, wantCode: "403", wantMsg: "Forbidden: bot was kicked from the channel chat"},
		{name: "rights removed", change: func(f *fixture) {
			f.fake.SetMember(f.channel.ID, f.bot, telegramfake.Member{Status: "administrator"})
		}, wantKind: provider.KindUnauthorized, wantCode: "400", wantMsg: "need administrator rights"},
		{name: "bad html", text: "a <blink>b</blink>", parseMode: "HTML",
			wantKind: provider.KindRejected, wantCode: "400", wantMsg: "can't parse entities: Unsupported start tag \"blink\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			if tt.fault != nil {
				f.fake.FailNext(*tt.fault)
			}
			if tt.change != nil {
				tt.change(f)
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
			req := &provider.PublishRequest{Key: "k", Text: text, Options: map[string]string{"parseMode": tt.parseMode}}
			if tt.withMedia {
				req.Media = []provider.Media{media("image", "image/jpeg", []byte("jpeg"))}
			}
			_, err := f.p.Publish(ctx, f.acct, req)
			pe := assertKind(t, err, tt.wantKind, f.bot.Token)
			if tt.wantCode != "" && pe.Code != tt.wantCode {
				t.Errorf("code = %q, want %q", pe.Code, tt.wantCode)
			}
			if !strings.Contains(pe.Message, tt.wantMsg) {
				t.Errorf("message %q does not contain %q", pe.Message, tt.wantMsg)
			}
			if tt.wantKind == provider.KindRateLimited && !pe.RetryAt.Equal(testStart.Add(7*time.Second)) {
				t.Errorf("RetryAt = %v", pe.RetryAt)
			}
			if got := f.fake.CountText(text); got != tt.wantStored {
				t.Errorf("stored %d times, want %d", got, tt.wantStored)
			}
		})
	}
}

func TestPublishRateLimitedByFake(t *testing.T) {
	t.Parallel()
	f := setup(t, telegramfake.WithRateLimit(1, time.Minute))
	if _, err := f.p.Publish(context.Background(), f.acct, &provider.PublishRequest{Key: "a", Text: "one"}); err != nil {
		t.Fatal(err)
	}
	_, err := f.p.Publish(context.Background(), f.acct, &provider.PublishRequest{Key: "b", Text: "two"})
	if pe := assertKind(t, err, provider.KindRateLimited, f.bot.Token); !pe.RetryAt.Equal(testStart.Add(time.Minute)) {
		t.Errorf("RetryAt = %v", pe.RetryAt)
	}
}

func TestPublishFollowsSupergroupMigration(t *testing.T) {
	t.Parallel()
	f := setup(t)
	group := f.fake.AddChat("group", "Old group", "", f.bot)
	acct := f.connect(t, group.ID)
	var saved []string
	acct.SaveCredentials = func(ctx context.Context, creds json.RawMessage) error {
		saved = append(saved, string(creds))
		return nil
	}
	super := f.fake.MigrateToSupergroup(group.ID)
	if _, err := f.p.Publish(context.Background(), acct, &provider.PublishRequest{Key: "k", Text: "after upgrade"}); err != nil {
		t.Fatal(err)
	}
	if msgs := f.fake.Messages(super.ID); len(msgs) != 1 || msgs[0].Text != "after upgrade" {
		t.Errorf("supergroup messages = %+v", msgs)
	}
	want := `{"botToken":"` + f.bot.Token + `","chatId":"` + strconv.FormatInt(super.ID, 10) + `"}`
	if diff := cmp.Diff([]string{want}, saved); diff != "" {
		t.Errorf("saved credentials (-want +got):\n%s", diff)
	}
	if string(acct.Credentials) != want {
		t.Errorf("acct.Credentials = %s", acct.Credentials)
	}
	// Media uploads follow the migration the same way.
	acct2 := f.connect(t, super.ID)
	acct2.Credentials = json.RawMessage(`{"botToken":"` + f.bot.Token + `","chatId":"` + strconv.FormatInt(group.ID, 10) + `"}`)
	if _, err := f.p.Publish(context.Background(), acct2, &provider.PublishRequest{Key: "k2", Text: "photo", Media: []provider.Media{media("image", "image/png", []byte("p"))}}); err != nil {
		t.Fatal(err)
	}
}

func TestUnreachableNeverShowsTheToken(t *testing.T) {
	t.Parallel()
	f := setup(t)
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	p := New(Config{APIBase: dead.URL}, &http.Client{})
	_, err := p.Publish(context.Background(), f.acct, &provider.PublishRequest{Key: "k", Text: "x"})
	pe := assertKind(t, err, provider.KindTransient, f.bot.Token)
	if !strings.Contains(pe.Error(), "/botREDACTED/sendMessage") {
		t.Errorf("error %q does not show the redacted URL", pe)
	}
	in, _ := json.Marshal(map[string]any{"botToken": f.bot.Token, "chatId": "@heraldnews"})
	_, err = p.Connect(context.Background(), in)
	assertKind(t, err, provider.KindTransient, f.bot.Token)
	assertKind(t, p.Delete(context.Background(), f.acct, "1"), provider.KindTransient, f.bot.Token)
}

func TestDelete(t *testing.T) {
	t.Parallel()
	f := setup(t)
	pub, err := f.p.Publish(context.Background(), f.acct, &provider.PublishRequest{Key: "k", Text: "bye"})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.p.Delete(context.Background(), f.acct, pub.RemoteID); err != nil {
		t.Fatal(err)
	}
	if n := len(f.fake.Messages(f.channel.ID)); n != 0 {
		t.Errorf("%d messages after Delete", n)
	}
	if err := f.p.Delete(context.Background(), f.acct, pub.RemoteID); err != nil {
		t.Errorf("deleting twice: %v", err)
	}
	assertKind(t, f.p.Delete(context.Background(), f.acct, "k-1"), provider.KindRejected, f.bot.Token)

	old, err := f.p.Publish(context.Background(), f.acct, &provider.PublishRequest{Key: "k", Text: "old"})
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Add(49 * time.Hour)
	pe := assertKind(t, f.p.Delete(context.Background(), f.acct, old.RemoteID), provider.KindRejected, f.bot.Token)
	if !strings.Contains(pe.Message, "can't be deleted") {
		t.Errorf("message %q", pe.Message)
	}
}

func TestFind(t *testing.T) {
	t.Parallel()
	f := setup(t)
	if _, err := f.p.Find(context.Background(), f.acct, &provider.PublishRequest{Key: "k"}); !errors.Is(err, provider.ErrCannotTell) {
		t.Errorf("Find err = %v", err)
	}
}

func TestBrokenCredentials(t *testing.T) {
	t.Parallel()
	f := setup(t)
	for _, creds := range []string{`{`, `{}`, `{"botToken":"x","chatId":"1"}`, `{"botToken":"` + f.bot.Token + `","chatId":"@x"}`} {
		_, err := f.p.Publish(context.Background(), &provider.Account{Credentials: json.RawMessage(creds)}, &provider.PublishRequest{Key: "k", Text: "x"})
		assertKind(t, err, provider.KindUnauthorized, f.bot.Token)
	}
}
