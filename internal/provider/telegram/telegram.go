package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/heraldhq/herald/internal/provider"
	"github.com/heraldhq/herald/internal/provider/httpsend"
	"github.com/heraldhq/herald/internal/safehttp"
)

// Name is the provider name on the wire.
const Name = "telegram"

// DefaultAPIBase is the Bot API server.
const DefaultAPIBase = "https://api.telegram.org"

// Bot API limits.
const (
	maxCaption = 1024
	maxText    = 4096
	maxGroup   = 10
)

// parseModes are the values of Options["parseMode"] Telegram accepts.
var parseModes = map[string]string{"html": "HTML", "markdownv2": "MarkdownV2", "markdown": "Markdown"}

// Config configures the Telegram provider.
type Config struct {
	// APIBase is the Bot API server (default DefaultAPIBase): a fake in
	// tests, or a self-hosted telegram-bot-api server.
	APIBase string
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Provider publishes through Telegram bots.
type Provider struct {
	cfg    Config
	client *http.Client
}

var _ provider.Provider = (*Provider)(nil)

// New returns a Telegram provider using client (nil: a safehttp client that refuses private addresses).
func New(cfg Config, client *http.Client) *Provider {
	if cfg.APIBase == "" {
		cfg.APIBase = DefaultAPIBase
	}
	cfg.APIBase = strings.TrimRight(cfg.APIBase, "/")
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if client == nil {
		client = safehttp.NewClient(safehttp.Config{})
	}
	return &Provider{cfg: cfg, client: client}
}

// Name returns "telegram".
func (p *Provider) Name() string { return Name }

// credentials is the secret JSON stored for a profile. ChatID is always the
// numeric id, which survives a renamed channel.
type credentials struct {
	BotToken string `json:"botToken"`
	ChatID   string `json:"chatId"`
}

var (
	tokenRE    = regexp.MustCompile(`^[0-9]{1,20}:[A-Za-z0-9_-]{20,100}$`)
	chatIDRE   = regexp.MustCompile(`^-?[0-9]{1,20}$`)
	usernameRE = regexp.MustCompile(`^@[A-Za-z][A-Za-z0-9_]{3,31}$`)
)

// normalizeChat accepts a numeric id, @username, or a t.me link.
func normalizeChat(s string) (string, bool) {
	s = strings.TrimSpace(s)
	for _, prefix := range []string{"https://t.me/", "http://t.me/", "t.me/"} {
		if rest, ok := strings.CutPrefix(s, prefix); ok {
			s = "@" + strings.TrimSuffix(rest, "/")
		}
	}
	if chatIDRE.MatchString(s) || usernameRE.MatchString(s) {
		return s, true
	}
	return "", false
}

// user, chat and chatMember are the parts of the Bot API's objects Herald
// reads.
type user struct {
	ID        int64  `json:"id"`
	IsBot     bool   `json:"is_bot"`
	FirstName string `json:"first_name"`
	Username  string `json:"username"`
}

type chat struct {
	ID        int64  `json:"id"`
	Type      string `json:"type"`
	Title     string `json:"title"`
	Username  string `json:"username"`
	FirstName string `json:"first_name"`
}

type chatMember struct {
	Status          string `json:"status"`
	CanPostMessages bool   `json:"can_post_messages"`
	CanSendMessages *bool  `json:"can_send_messages"`
}

type message struct {
	MessageID int64 `json:"message_id"`
	Date      int64 `json:"date"`
	Chat      chat  `json:"chat"`
}

// Connect checks the token with getMe, the chat with getChat, and the bot's
// right to post with getChatMember. Nothing is posted.
func (p *Provider) Connect(ctx context.Context, in json.RawMessage) (*provider.Account, error) {
	var input struct {
		BotToken string          `json:"botToken"`
		ChatID   json.RawMessage `json:"chatId"`
	}
	if err := json.Unmarshal(in, &input); err != nil {
		return nil, provider.Errorf(provider.KindRejected, "invalid_input", "invalid JSON: %v", err)
	}
	token := strings.TrimSpace(input.BotToken)
	if token == "" || len(input.ChatID) == 0 {
		return nil, provider.Errorf(provider.KindRejected, "invalid_input", "botToken and chatId are required")
	}
	if !tokenRE.MatchString(token) {
		return nil, provider.Errorf(provider.KindRejected, "invalid_token", "this is not a bot token; BotFather gives it in the form 123456789:AA...")
	}
	// chatId may come as a JSON number or a string.
	rawChat := strings.Trim(string(input.ChatID), `"`)
	chatRef, ok := normalizeChat(rawChat)
	if !ok {
		return nil, provider.Errorf(provider.KindRejected, "invalid_chat", "chatId must be a numeric chat id (-100...) or a public @username")
	}
	b := bot{p: p, token: token}
	rejected := func(err error) error {
		var pe *provider.Error
		if errors.As(err, &pe) && pe.Kind == provider.KindUnauthorized {
			pe.Kind = provider.KindRejected // at connect time it is a wrong credential
		}
		return err
	}
	var me user
	if err := b.call(ctx, "getMe", nil, &me); err != nil {
		return nil, rejected(err)
	}
	var c chat
	if err := b.call(ctx, "getChat", map[string]any{"chat_id": chatRef}, &c); err != nil {
		var pe *provider.Error
		if errors.As(err, &pe) && strings.Contains(pe.Message, "chat not found") {
			pe.Message += "; add @" + me.Username + " to the chat first (as an administrator of a channel)"
		}
		return nil, rejected(err)
	}
	if c.Type != "private" {
		var m chatMember
		if err := b.call(ctx, "getChatMember", map[string]any{"chat_id": c.ID, "user_id": me.ID}, &m); err != nil {
			return nil, rejected(err)
		}
		if err := canPost(c, m, me.Username); err != nil {
			return nil, err
		}
	}
	creds, _ := json.Marshal(credentials{BotToken: token, ChatID: strconv.FormatInt(c.ID, 10)})
	acct := &provider.Account{ExternalID: strconv.FormatInt(c.ID, 10), Credentials: creds}
	switch {
	case c.Title != "":
		acct.Name = c.Title
	case c.Username != "":
		acct.Name = "@" + c.Username
	default:
		acct.Name = c.FirstName
	}
	// The chat photo is only downloadable through a URL that contains the
	// bot token, which must never reach a browser, so Image stays empty.
	return acct, nil
}

// canPost checks the bot's membership for posting.
func canPost(c chat, m chatMember, botName string) error {
	switch m.Status {
	case "creator":
		return nil
	case "administrator":
		if c.Type != "channel" || m.CanPostMessages {
			return nil
		}
		return provider.Errorf(provider.KindRejected, "not_enough_rights", "@%s is an administrator of this channel but may not post messages; allow \"Post messages\" in its administrator rights", botName)
	case "member":
		if c.Type != "channel" {
			return nil
		}
	case "restricted":
		if c.Type != "channel" && m.CanSendMessages != nil && *m.CanSendMessages {
			return nil
		}
	}
	if c.Type == "channel" {
		return provider.Errorf(provider.KindRejected, "not_enough_rights", "@%s must be an administrator of this channel with the right to post messages", botName)
	}
	return provider.Errorf(provider.KindRejected, "not_enough_rights", "@%s may not send messages in this chat (status %q); add it to the group", botName, m.Status)
}

// Rules returns Telegram's row of the rule table.
func (p *Provider) Rules(ctx context.Context, acct *provider.Account) (provider.Rules, error) {
	r := describe().Rules
	return r, nil
}

func (p *Provider) account(acct *provider.Account) (credentials, error) {
	var c credentials
	if acct == nil || json.Unmarshal(acct.Credentials, &c) != nil || !tokenRE.MatchString(c.BotToken) || !chatIDRE.MatchString(c.ChatID) {
		return c, provider.Errorf(provider.KindUnauthorized, "invalid_credentials", "the stored Telegram credentials are unreadable; reconnect the bot")
	}
	return c, nil
}

// inputMedia is an element of sendMediaGroup's media parameter.
type inputMedia struct {
	Type      string `json:"type"`
	Media     string `json:"media"`
	Caption   string `json:"caption,omitempty"`
	ParseMode string `json:"parse_mode,omitempty"`
	Width     int    `json:"width,omitempty"`
	Height    int    `json:"height,omitempty"`
	Duration  int    `json:"duration,omitempty"`
	Streaming bool   `json:"supports_streaming,omitempty"`
}

// Publish sends the post as one message, one album, or media followed by
// the text when the text is too long for a caption.
func (p *Provider) Publish(ctx context.Context, acct *provider.Account, req *provider.PublishRequest) (*provider.Published, error) {
	c, err := p.account(acct)
	if err != nil {
		return nil, err
	}
	mode := ""
	if m := req.Options["parseMode"]; m != "" {
		var ok bool
		if mode, ok = parseModes[strings.ToLower(m)]; !ok {
			return nil, provider.Errorf(provider.KindRejected, "invalid_parse_mode", "parseMode must be HTML, MarkdownV2 or Markdown, not %q", m)
		}
	}
	text := req.Text
	switch {
	case strings.TrimSpace(text) == "" && len(req.Media) == 0:
		return nil, provider.Errorf(provider.KindRejected, "empty_message", "a Telegram message needs text or media")
	case len(req.Media) > maxGroup:
		return nil, provider.Errorf(provider.KindRejected, "too_many_media", "a Telegram album holds at most %d photos and videos, got %d", maxGroup, len(req.Media))
	case utf16Len(text) > maxText:
		return nil, provider.Errorf(provider.KindRejected, "text_too_long", "Telegram messages hold %d characters, this text has %d", maxText, utf16Len(text))
	}
	b := bot{p: p, token: c.BotToken, acct: acct, creds: &c}

	if len(req.Media) == 0 {
		msg, err := b.sendText(ctx, text, mode)
		if err != nil {
			return nil, err
		}
		return p.published([]message{msg}), nil
	}
	caption := text
	separate := utf16Len(text) > maxCaption
	if separate {
		caption = ""
	}
	msgs, err := b.sendMedia(ctx, req.Media, caption, mode)
	if err != nil {
		return nil, err
	}
	if separate {
		msg, err := b.sendText(ctx, text, mode)
		if err != nil {
			// The media are out; publishing again would post them twice.
			pe := &provider.Error{Kind: provider.KindOutcomeUnknown, Err: err,
				Message: fmt.Sprintf("the media were posted (message %s) but the text was not; delete them in Telegram or mark the post as published", ids(msgs))}
			var inner *provider.Error
			if errors.As(err, &inner) {
				pe.Code, pe.RetryAt = inner.Code, time.Time{}
				pe.Message = fmt.Sprintf("the media were posted (message %s) but the text was not: %s; delete them in Telegram or mark the post as published", ids(msgs), inner.Message)
			}
			return nil, pe
		}
		msgs = append(msgs, msg)
	}
	return p.published(msgs), nil
}

func ids(msgs []message) string {
	s := make([]string, len(msgs))
	for i, m := range msgs {
		s[i] = strconv.FormatInt(m.MessageID, 10)
	}
	return strings.Join(s, ",")
}

// published builds the result: every message id, and a t.me link to the
// first message when the chat is public.
func (p *Provider) published(msgs []message) *provider.Published {
	first := msgs[0]
	pub := &provider.Published{RemoteID: ids(msgs), PublishedAt: p.cfg.Now().UTC()}
	if first.Date > 0 {
		pub.PublishedAt = time.Unix(first.Date, 0).UTC()
	}
	if first.Chat.Username != "" && (first.Chat.Type == "channel" || first.Chat.Type == "supergroup") {
		pub.URL = "https://t.me/" + first.Chat.Username + "/" + strconv.FormatInt(first.MessageID, 10)
	}
	return pub
}

// Find cannot tell: bots cannot read or search a channel's history.
func (p *Provider) Find(ctx context.Context, acct *provider.Account, req *provider.PublishRequest) (*provider.Published, error) {
	return nil, provider.ErrCannotTell
}

// Delete deletes every message of a post. Messages already gone count as
// deleted; Telegram refuses messages older than 48 hours.
func (p *Provider) Delete(ctx context.Context, acct *provider.Account, remoteID string) error {
	c, err := p.account(acct)
	if err != nil {
		return err
	}
	var msgIDs []int64
	for _, s := range strings.Split(remoteID, ",") {
		id, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil || id <= 0 {
			return provider.Errorf(provider.KindRejected, "invalid_message_id", "%q is not a Telegram message id", remoteID)
		}
		msgIDs = append(msgIDs, id)
	}
	b := bot{p: p, token: c.BotToken, acct: acct, creds: &c}
	var ok bool
	if len(msgIDs) == 1 {
		err = b.callChat(ctx, "deleteMessage", map[string]any{"message_id": msgIDs[0]}, &ok)
	} else {
		err = b.callChat(ctx, "deleteMessages", map[string]any{"message_ids": msgIDs}, &ok)
	}
	var pe *provider.Error
	if errors.As(err, &pe) && strings.Contains(pe.Message, "message to delete not found") {
		return nil
	}
	return err
}

// bot makes Bot API calls with one token. When acct and creds are set it
// follows a group's migration to a supergroup.
type bot struct {
	p     *Provider
	token string
	acct  *provider.Account
	creds *credentials
}

func (b bot) sendText(ctx context.Context, text, mode string) (message, error) {
	params := map[string]any{"text": text}
	if mode != "" {
		params["parse_mode"] = mode
	}
	var msg message
	err := b.callChat(ctx, "sendMessage", params, &msg)
	return msg, err
}

// sendMedia uploads one medium with its own method, or 2-10 as an album.
func (b bot) sendMedia(ctx context.Context, media []provider.Media, caption, mode string) ([]message, error) {
	if len(media) == 1 {
		m := media[0]
		method, field := "sendPhoto", "photo"
		switch {
		case m.Kind == "video":
			method, field = "sendVideo", "video"
		case m.MIME == "image/gif":
			// sendPhoto would turn a GIF into a still image.
			method, field = "sendAnimation", "animation"
		}
		fields := map[string]string{}
		if caption != "" {
			fields["caption"] = caption
			if mode != "" {
				fields["parse_mode"] = mode
			}
		}
		if m.Kind == "video" {
			fields["supports_streaming"] = "true"
			setVideoFields(fields, m)
		}
		var msg message
		files := []httpsend.File{{Field: field, Filename: field + httpsend.Extension(m.MIME, ".bin"), ContentType: m.MIME, Media: m}}
		if err := b.upload(ctx, method, fields, files, &msg); err != nil {
			return nil, err
		}
		return []message{msg}, nil
	}
	items := make([]inputMedia, len(media))
	files := make([]httpsend.File, len(media))
	for i, m := range media {
		name := "file" + strconv.Itoa(i)
		// An album holds only photos and videos; a GIF goes as a photo.
		it := inputMedia{Type: "photo", Media: "attach://" + name}
		if m.Kind == "video" {
			it.Type, it.Width, it.Height, it.Streaming = "video", m.Width, m.Height, true
			it.Duration = int(m.Duration.Round(time.Second) / time.Second)
		}
		if i == 0 && caption != "" {
			// One captioned item shows as the album's caption.
			it.Caption, it.ParseMode = caption, mode
		}
		items[i] = it
		files[i] = httpsend.File{Field: name, Filename: name + httpsend.Extension(m.MIME, ".bin"), ContentType: m.MIME, Media: m}
	}
	mediaJSON, _ := json.Marshal(items)
	var msgs []message
	if err := b.upload(ctx, "sendMediaGroup", map[string]string{"media": string(mediaJSON)}, files, &msgs); err != nil {
		return nil, err
	}
	if len(msgs) == 0 {
		return nil, &provider.Error{Kind: provider.KindOutcomeUnknown, Message: "Telegram answered an album with no messages; it may have been posted"}
	}
	return msgs, nil
}

func setVideoFields(fields map[string]string, m provider.Media) {
	if m.Width > 0 && m.Height > 0 {
		fields["width"], fields["height"] = strconv.Itoa(m.Width), strconv.Itoa(m.Height)
	}
	if d := m.Duration.Round(time.Second); d > 0 {
		fields["duration"] = strconv.Itoa(int(d / time.Second))
	}
}

// callChat calls a method on the profile's chat, following a migration to a
// supergroup once: the refused call had no effect, so repeating it with the
// new id is safe, and the new id is saved before anything else can fail.
func (b bot) callChat(ctx context.Context, method string, params map[string]any, out any) error {
	for attempt := 0; ; attempt++ {
		params["chat_id"] = b.creds.ChatID
		err := b.call(ctx, method, params, out)
		if to := migratedTo(err); to != 0 && attempt == 0 {
			if err := b.migrate(ctx, to); err != nil {
				return err
			}
			continue
		}
		return err
	}
}

func (b bot) upload(ctx context.Context, method string, fields map[string]string, files []httpsend.File, out any) error {
	for attempt := 0; ; attempt++ {
		form := []httpsend.Field{{Name: "chat_id", Value: []byte(b.creds.ChatID)}}
		for _, k := range []string{"caption", "parse_mode", "media", "width", "height", "duration", "supports_streaming"} {
			if v, ok := fields[k]; ok {
				form = append(form, httpsend.Field{Name: k, Value: []byte(v)})
			}
		}
		mb, err := httpsend.NewMultipartBody(ctx, form, files)
		if err != nil {
			return err
		}
		err = b.send(ctx, method, mb, mb.ContentType(), mb.Len(), out)
		mb.Close()
		if to := migratedTo(err); to != 0 && attempt == 0 {
			if err := b.migrate(ctx, to); err != nil {
				return err
			}
			continue
		}
		return err
	}
}

// migrationError carries migrate_to_chat_id through the error path.
type migrationError struct{ to int64 }

func (m *migrationError) Error() string { return "group chat was upgraded to a supergroup chat" }

func migratedTo(err error) int64 {
	var m *migrationError
	if errors.As(err, &m) {
		return m.to
	}
	return 0
}

func (b bot) migrate(ctx context.Context, to int64) error {
	b.creds.ChatID = strconv.FormatInt(to, 10)
	creds, _ := json.Marshal(b.creds)
	if b.acct != nil {
		b.acct.Credentials = creds
		if b.acct.SaveCredentials != nil {
			if err := b.acct.SaveCredentials(ctx, creds); err != nil {
				return &provider.Error{Kind: provider.KindTransient, Message: "could not save the supergroup's new chat id", Err: err}
			}
		}
	}
	return nil
}

// call sends a method with a JSON body.
func (b bot) call(ctx context.Context, method string, params map[string]any, out any) error {
	if params == nil {
		params = map[string]any{}
	}
	body, _ := json.Marshal(params)
	return b.send(ctx, method, bytes.NewReader(body), "application/json", int64(len(body)), out)
}

// sends are the methods that post: a failure after one may have reached
// Telegram must not be retried blindly.
var sends = map[string]bool{"sendMessage": true, "sendPhoto": true, "sendVideo": true, "sendAnimation": true, "sendMediaGroup": true}

// envelope is the Bot API's answer.
type envelope struct {
	OK          bool            `json:"ok"`
	Result      json.RawMessage `json:"result"`
	ErrorCode   int             `json:"error_code"`
	Description string          `json:"description"`
	Parameters  struct {
		RetryAfter      float64 `json:"retry_after"`
		MigrateToChatID int64   `json:"migrate_to_chat_id"`
	} `json:"parameters"`
}

func (b bot) send(ctx context.Context, method string, body io.Reader, contentType string, length int64, out any) error {
	unsafe := sends[method]
	a, err := httpsend.Send(ctx, b.p.client, httpsend.Request{
		Network: "Telegram", Method: http.MethodPost, URL: b.p.cfg.APIBase + "/bot" + b.token + "/" + method, Secret: b.token,
		Body: body, ContentLength: length, ContentType: contentType,
		Create: unsafe, MaxAnswer: 4 << 20,
	})
	if err != nil {
		return err
	}
	status := strconv.Itoa(a.Status)
	uncertain := httpsend.UncertainKind(unsafe)
	var env envelope
	if err := json.Unmarshal(a.Body, &env); err != nil {
		if a.Status >= 200 && a.Status < 300 || a.Status >= 500 {
			return &provider.Error{Kind: uncertain, Code: status, Message: "Telegram answered with a malformed body (HTTP " + status + ")"}
		}
		return b.apiError(a, envelope{ErrorCode: a.Status, Description: http.StatusText(a.Status)}, unsafe)
	}
	if !env.OK {
		if env.ErrorCode == 0 {
			env.ErrorCode = a.Status
		}
		return b.apiError(a, env, unsafe)
	}
	if out != nil {
		if err := json.Unmarshal(env.Result, out); err != nil {
			return &provider.Error{Kind: uncertain, Code: status, Message: "Telegram answered with a malformed result", Err: err}
		}
	}
	return nil
}

func (b bot) apiError(a httpsend.Answer, env envelope, unsafe bool) error {
	desc := env.Description
	if desc == "" {
		desc = http.StatusText(env.ErrorCode)
	}
	e := &provider.Error{Code: strconv.Itoa(env.ErrorCode), Message: strings.ReplaceAll(desc, b.token, "REDACTED")}
	lower := strings.ToLower(desc)
	switch c := env.ErrorCode; {
	case c == http.StatusTooManyRequests:
		e.Kind = provider.KindRateLimited
		wait := env.Parameters.RetryAfter
		if wait <= 0 {
			wait, _ = strconv.ParseFloat(a.Header.Get("Retry-After"), 64)
		}
		if wait > 0 {
			e.RetryAt = b.p.cfg.Now().Add(time.Duration(wait * float64(time.Second)))
		}
	case c == http.StatusBadRequest && env.Parameters.MigrateToChatID != 0:
		e.Kind = provider.KindRejected
		e.Err = &migrationError{to: env.Parameters.MigrateToChatID}
	case c == http.StatusUnauthorized || c == http.StatusNotFound:
		// A revoked or malformed token.
		e.Kind = provider.KindUnauthorized
		e.Message = desc + ": the bot token was revoked or is wrong; reconnect with the bot's current token"
	case c == http.StatusForbidden,
		c == http.StatusBadRequest && (strings.Contains(lower, "chat not found") ||
			strings.Contains(lower, "need administrator rights") || strings.Contains(lower, "not enough rights")):
		// Kicked, removed, or stripped of the right to post: every post to
		// this chat will fail until the user fixes the bot's place in it.
		e.Kind = provider.KindUnauthorized
	case c >= 500:
		e.Kind = httpsend.UncertainKind(unsafe)
	default:
		e.Kind = provider.KindRejected
	}
	return e
}

// utf16Len counts as Telegram does for its text limits.
func utf16Len(s string) int { return len(utf16.Encode([]rune(s))) }
