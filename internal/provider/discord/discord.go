package discord

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/provider"
	"github.com/heraldhq/herald/internal/provider/httpsend"
	"github.com/heraldhq/herald/internal/safehttp"
)

// Name is the provider name on the wire.
const Name = "discord"

// DefaultAPIBase is Discord's REST API base.
const DefaultAPIBase = "https://discord.com/api"

// OptionRemoteID is the PublishRequest option through which the engine can
// give Find the message id of an earlier attempt, when it knows one; with it
// Find can look the message up instead of answering ErrCannotTell.
const OptionRemoteID = "remoteId"

// maxAttachments is Discord's limit of files per message.
const maxAttachments = 10

// Config configures the Discord provider.
type Config struct {
	// APIBase is the REST API base (default DefaultAPIBase). Tests set it to
	// a fake's URL; webhook URLs under it are then accepted as well.
	APIBase string
	// UserAgent is sent on every request. Discord requires the form
	// "DiscordBot ($url, $version)".
	UserAgent string
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Provider publishes through Discord webhooks.
type Provider struct {
	cfg    Config
	client *http.Client
}

var _ provider.Provider = (*Provider)(nil)

// New returns a Discord provider that sends requests with client (nil means
// a safehttp client that refuses private addresses). Timeouts come from client and from the contexts the
// caller passes.
func New(cfg Config, client *http.Client) *Provider {
	if cfg.APIBase == "" {
		cfg.APIBase = DefaultAPIBase
	}
	cfg.APIBase = strings.TrimRight(cfg.APIBase, "/")
	if cfg.UserAgent == "" {
		cfg.UserAgent = "DiscordBot (https://github.com/heraldhq/herald, 1.0)"
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if client == nil {
		client = safehttp.NewClient(safehttp.Config{})
	}
	return &Provider{cfg: cfg, client: client}
}

// Name returns "discord".
func (p *Provider) Name() string { return Name }

// credentials is the secret JSON stored for a profile. The guild id is kept
// because message objects do not carry it and message links need it.
type credentials struct {
	WebhookURL string `json:"webhookUrl"`
	GuildID    string `json:"guildId,omitempty"`
	ChannelID  string `json:"channelId,omitempty"`
}

// webhook is a parsed webhook URL.
type webhook struct {
	id, token, threadID string
}

var (
	snowflakeRE = regexp.MustCompile(`^[0-9]{1,20}$`)
	tokenRE     = regexp.MustCompile(`^[A-Za-z0-9_.\-]{1,200}$`)
	webhookPath = regexp.MustCompile(`^/api(?:/v[0-9]+)?/webhooks/([^/]+)/([^/]+)/?$`)
)

// discordHosts are the hosts Discord hands out webhook URLs on.
var discordHosts = map[string]bool{
	"discord.com": true, "ptb.discord.com": true, "canary.discord.com": true,
	"discordapp.com": true, "ptb.discordapp.com": true, "canary.discordapp.com": true,
}

// parseWebhookURL accepts Discord webhook URLs and, for tests, URLs under
// the configured API base. The error never repeats the URL: it holds a
// token.
func (p *Provider) parseWebhookURL(raw string) (webhook, error) {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	if err != nil || u.User != nil {
		return webhook{}, errNotWebhook
	}
	path := u.EscapedPath()
	switch {
	case u.Scheme == "https" && discordHosts[strings.ToLower(u.Hostname())] && u.Port() == "":
	case strings.HasPrefix(raw, p.cfg.APIBase+"/webhooks/"):
		// Under the configured base: read the path as if the base were
		// Discord's /api.
		base, err := url.Parse(p.cfg.APIBase)
		if err != nil || !strings.HasPrefix(path, base.EscapedPath()) {
			return webhook{}, errNotWebhook
		}
		path = "/api" + path[len(base.EscapedPath()):]
	default:
		return webhook{}, errNotWebhook
	}
	m := webhookPath.FindStringSubmatch(path)
	if m == nil || !snowflakeRE.MatchString(m[1]) || !tokenRE.MatchString(m[2]) {
		return webhook{}, errNotWebhook
	}
	wh := webhook{id: m[1], token: m[2]}
	if t := u.Query().Get("thread_id"); t != "" {
		if !snowflakeRE.MatchString(t) {
			return webhook{}, errNotWebhook
		}
		wh.threadID = t
	}
	return wh, nil
}

var errNotWebhook = provider.Errorf(provider.KindRejected, "invalid_webhook_url",
	"not a Discord webhook URL; copy it from Server Settings > Integrations > Webhooks (https://discord.com/api/webhooks/{id}/{token})")

// canonical is the URL stored for wh: always on discord.com, so stored
// credentials do not depend on the host the user pasted.
func (wh webhook) canonical() string {
	s := "https://discord.com/api/webhooks/" + wh.id + "/" + wh.token
	if wh.threadID != "" {
		s += "?thread_id=" + wh.threadID
	}
	return s
}

// endpoint is the API URL of the webhook, plus an optional sub-path.
func (p *Provider) endpoint(wh webhook, sub string, q url.Values) string {
	s := p.cfg.APIBase + "/webhooks/" + wh.id + "/" + wh.token + sub
	if wh.threadID != "" {
		if q == nil {
			q = url.Values{}
		}
		q.Set("thread_id", wh.threadID)
	}
	if len(q) > 0 {
		s += "?" + q.Encode()
	}
	return s
}

// webhookObject is the part of Discord's webhook object Herald reads.
type webhookObject struct {
	ID        string `json:"id"`
	Type      int    `json:"type"`
	Name      string `json:"name"`
	Avatar    string `json:"avatar"`
	ChannelID string `json:"channel_id"`
	GuildID   string `json:"guild_id"`
}

// Connect checks a pasted webhook URL with Get Webhook with Token, which
// needs no other authentication and posts nothing.
func (p *Provider) Connect(ctx context.Context, in json.RawMessage) (*provider.Account, error) {
	var input struct {
		WebhookURL string `json:"webhookUrl"`
	}
	if err := json.Unmarshal(in, &input); err != nil {
		return nil, provider.Errorf(provider.KindRejected, "invalid_input", "invalid JSON: %v", err)
	}
	if input.WebhookURL == "" {
		return nil, provider.Errorf(provider.KindRejected, "invalid_input", "webhookUrl is required")
	}
	wh, err := p.parseWebhookURL(input.WebhookURL)
	if err != nil {
		return nil, err
	}
	var obj webhookObject
	if err := p.call(ctx, http.MethodGet, wh, p.endpoint(wh, "", nil), nil, "", &obj); err != nil {
		var pe *provider.Error
		if errors.As(err, &pe) && pe.Kind == provider.KindUnauthorized {
			// At connect time a dead webhook is a wrong credential.
			pe.Kind = provider.KindRejected
		}
		return nil, err
	}
	if obj.Type != 0 && obj.Type != 1 {
		return nil, provider.Errorf(provider.KindRejected, "unsupported_webhook", "only incoming webhooks can publish; this webhook has type %d", obj.Type)
	}
	creds, _ := json.Marshal(credentials{WebhookURL: wh.canonical(), GuildID: obj.GuildID, ChannelID: obj.ChannelID})
	acct := &provider.Account{ExternalID: wh.id, Name: obj.Name, Credentials: creds}
	if acct.Name == "" {
		acct.Name = "Discord webhook " + wh.id
	}
	if obj.Avatar != "" {
		acct.Image = "https://cdn.discordapp.com/avatars/" + wh.id + "/" + obj.Avatar + ".png"
	}
	return acct, nil
}

// Rules returns Discord's row of the rule table.
func (p *Provider) Rules(ctx context.Context, acct *provider.Account) (provider.Rules, error) {
	r := describe().Rules
	return r, nil
}

func (p *Provider) account(acct *provider.Account) (credentials, webhook, error) {
	var c credentials
	if acct == nil || json.Unmarshal(acct.Credentials, &c) != nil || c.WebhookURL == "" {
		return c, webhook{}, provider.Errorf(provider.KindUnauthorized, "invalid_credentials", "the stored Discord credentials are unreadable; reconnect the webhook")
	}
	wh, err := p.parseWebhookURL(c.WebhookURL)
	if err != nil {
		return c, webhook{}, provider.Errorf(provider.KindUnauthorized, "invalid_credentials", "the stored Discord webhook URL is invalid; reconnect the webhook")
	}
	return c, wh, nil
}

// messageObject is the part of Discord's message object Herald reads.
type messageObject struct {
	ID        string `json:"id"`
	ChannelID string `json:"channel_id"`
	Timestamp string `json:"timestamp"`
}

// attachmentRef is one entry of payload_json's attachments: the files[n]
// placeholder id, the file name and the alt text.
type attachmentRef struct {
	ID          int    `json:"id"`
	Filename    string `json:"filename"`
	Description string `json:"description,omitempty"`
}

// executeBody is the JSON body (or payload_json) of Execute Webhook.
type executeBody struct {
	Content     string          `json:"content,omitempty"`
	Attachments []attachmentRef `json:"attachments,omitempty"`
}

// Publish executes the webhook with ?wait=true, uploading media as files.
func (p *Provider) Publish(ctx context.Context, acct *provider.Account, req *provider.PublishRequest) (*provider.Published, error) {
	c, wh, err := p.account(acct)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(req.Text) == "" && len(req.Media) == 0 {
		return nil, provider.Errorf(provider.KindRejected, "empty_message", "a Discord message needs text or at least one file")
	}
	if len(req.Media) > maxAttachments {
		return nil, provider.Errorf(provider.KindRejected, "too_many_attachments", "Discord allows at most %d files per message, got %d", maxAttachments, len(req.Media))
	}
	body := executeBody{Content: req.Text}
	var (
		rd          io.Reader
		contentType string
		length      int64
	)
	if len(req.Media) == 0 {
		b, _ := json.Marshal(body)
		rd, contentType, length = bytes.NewReader(b), "application/json", int64(len(b))
	} else {
		files := make([]httpsend.File, len(req.Media))
		for i, m := range req.Media {
			name := fmt.Sprintf("%s-%d%s", kindOr(m.Kind), i+1, httpsend.Extension(m.MIME, ".bin"))
			body.Attachments = append(body.Attachments, attachmentRef{ID: i, Filename: name, Description: truncate(m.AltText, 1024)})
			files[i] = httpsend.File{Field: fmt.Sprintf("files[%d]", i), Filename: name, ContentType: m.MIME, Media: m}
		}
		payload, _ := json.Marshal(body)
		mb, err := httpsend.NewMultipartBody(ctx, []httpsend.Field{{Name: "payload_json", ContentType: "application/json", Value: payload}}, files)
		if err != nil {
			return nil, err
		}
		defer mb.Close()
		rd, contentType, length = mb, mb.ContentType(), mb.Len()
	}
	var msg messageObject
	u := p.endpoint(wh, "", url.Values{"wait": {"true"}})
	status, err := p.send(ctx, http.MethodPost, wh, u, rd, contentType, length, &msg)
	if err != nil {
		return nil, err
	}
	if status == http.StatusNoContent || msg.ID == "" {
		// Discord accepted the message without returning it (wait was
		// ignored): it exists, but its id is unknown.
		return &provider.Published{RemoteID: req.Key, PublishedAt: p.cfg.Now().UTC()}, nil
	}
	return p.published(c, msg), nil
}

func (p *Provider) published(c credentials, msg messageObject) *provider.Published {
	pub := &provider.Published{RemoteID: msg.ID, PublishedAt: p.cfg.Now().UTC()}
	if t, err := time.Parse(time.RFC3339Nano, msg.Timestamp); err == nil {
		pub.PublishedAt = t.UTC()
	}
	if c.GuildID != "" && msg.ChannelID != "" {
		pub.URL = "https://discord.com/channels/" + c.GuildID + "/" + msg.ChannelID + "/" + msg.ID
	}
	return pub
}

// Find cannot search: Discord webhooks have no way to list or search the
// messages they sent. When the engine knows the id of an earlier attempt
// (Options[OptionRemoteID]) it is looked up with Get Webhook Message.
func (p *Provider) Find(ctx context.Context, acct *provider.Account, req *provider.PublishRequest) (*provider.Published, error) {
	id := req.Options[OptionRemoteID]
	if id == "" || !snowflakeRE.MatchString(id) {
		return nil, provider.ErrCannotTell
	}
	c, wh, err := p.account(acct)
	if err != nil {
		return nil, err
	}
	var msg messageObject
	err = p.call(ctx, http.MethodGet, wh, p.endpoint(wh, "/messages/"+id, nil), nil, "", &msg)
	if code(err) == "10008" {
		return nil, provider.ErrNotPublished
	}
	if err != nil {
		return nil, err
	}
	return p.published(c, msg), nil
}

// Delete deletes a message the webhook sent. A message that is already gone
// counts as deleted.
func (p *Provider) Delete(ctx context.Context, acct *provider.Account, remoteID string) error {
	if !snowflakeRE.MatchString(remoteID) {
		return provider.Errorf(provider.KindRejected, "unknown_message_id", "Discord did not return this message's id, so Herald cannot delete it; delete it in Discord")
	}
	_, wh, err := p.account(acct)
	if err != nil {
		return err
	}
	err = p.call(ctx, http.MethodDelete, wh, p.endpoint(wh, "/messages/"+remoteID, nil), nil, "", nil)
	if code(err) == "10008" {
		return nil
	}
	return err
}

// code returns the network code of a provider error, or "".
func code(err error) string {
	var pe *provider.Error
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

func (p *Provider) call(ctx context.Context, method string, wh webhook, u string, body []byte, contentType string, out any) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	_, err := p.send(ctx, method, wh, u, rd, contentType, int64(len(body)), out)
	return err
}

// send performs one request and turns every failure into a *provider.Error
// whose kind says whether the request may have taken effect.
func (p *Provider) send(ctx context.Context, method string, wh webhook, u string, body io.Reader, contentType string, length int64, out any) (int, error) {
	// Only a create is unsafe to repeat: a GET or DELETE that may have
	// reached Discord is simply tried again.
	unsafe := method == http.MethodPost
	a, err := httpsend.Send(ctx, p.client, httpsend.Request{
		Network: "Discord", Method: method, URL: u, Secret: wh.token,
		Body: body, ContentLength: length, ContentType: contentType,
		Header: http.Header{"User-Agent": {p.cfg.UserAgent}},
		Create: unsafe, MaxAnswer: 1 << 20,
	})
	if err != nil {
		return a.Status, err
	}
	if a.Status >= 200 && a.Status < 300 {
		if out != nil && a.Status != http.StatusNoContent {
			if err := json.Unmarshal(a.Body, out); err != nil {
				return a.Status, &provider.Error{Kind: httpsend.UncertainKind(unsafe), Code: strconv.Itoa(a.Status), Message: "Discord answered with a malformed body", Err: err}
			}
		}
		return a.Status, nil
	}
	return a.Status, p.apiError(a, unsafe)
}

// apiErrorBody is Discord's JSON error: {"code", "message", "errors"}, and
// for 429 {"message", "retry_after", "global"}.
type apiErrorBody struct {
	Code       int             `json:"code"`
	Message    string          `json:"message"`
	Errors     json.RawMessage `json:"errors"`
	RetryAfter float64         `json:"retry_after"`
	Global     bool            `json:"global"`
}

func (p *Provider) apiError(a httpsend.Answer, unsafe bool) error {
	var b apiErrorBody
	_ = json.Unmarshal(a.Body, &b)
	msg := b.Message
	if detail := firstFieldError(b.Errors); detail != "" {
		msg += ": " + detail
	}
	if msg == "" {
		msg = http.StatusText(a.Status)
	}
	e := &provider.Error{Code: strconv.Itoa(a.Status), Message: msg}
	if b.Code != 0 {
		e.Code = strconv.Itoa(b.Code)
	}
	switch s := a.Status; {
	case s == http.StatusTooManyRequests:
		e.Kind = provider.KindRateLimited
		e.Code = "429"
		e.RetryAt = p.retryAt(a.Header, b.RetryAfter)
	case s == http.StatusUnauthorized || s == http.StatusNotFound && b.Code != 10008:
		// 10015 Unknown Webhook, 50027 Invalid Webhook Token, 10003
		// Unknown Channel: the webhook is gone and must be reconnected.
		e.Kind = provider.KindUnauthorized
	case s >= 500:
		// The message may have been created before the error.
		e.Kind = httpsend.UncertainKind(unsafe)
	default:
		// 400 Invalid Form Body, 403 Missing Permissions, 413 too large,
		// 404 Unknown Message: retrying will not change them.
		e.Kind = provider.KindRejected
	}
	return e
}

// retryAt picks the longest precise wait Discord announced: the body's
// retry_after or X-RateLimit-Reset-After (seconds with decimals), falling
// back on Retry-After (whole seconds, rounded up).
func (p *Provider) retryAt(h http.Header, bodySeconds float64) time.Time {
	wait := bodySeconds
	if v, err := strconv.ParseFloat(h.Get("X-RateLimit-Reset-After"), 64); err == nil && v > wait {
		wait = v
	}
	if v, err := strconv.ParseFloat(h.Get("Retry-After"), 64); err == nil && wait <= 0 {
		wait = v
	}
	if wait <= 0 {
		return time.Time{}
	}
	return p.cfg.Now().Add(time.Duration(wait * float64(time.Second)))
}

// firstFieldError flattens Discord's nested form errors to "field: message"
// for the first error found, so the user sees the real reason.
func firstFieldError(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var walk func(path string, v any) string
	walk = func(path string, v any) string {
		m, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		if list, ok := m["_errors"].([]any); ok && len(list) > 0 {
			if first, ok := list[0].(map[string]any); ok {
				msg, _ := first["message"].(string)
				if path == "" {
					return msg
				}
				return path + ": " + msg
			}
		}
		for k, child := range m {
			if k == "_errors" {
				continue
			}
			next := k
			if path != "" {
				next = path + "." + k
			}
			if s := walk(next, child); s != "" {
				return s
			}
		}
		return ""
	}
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return ""
	}
	return walk("", v)
}

func kindOr(kind string) string {
	if kind == "" {
		return "file"
	}
	return kind
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}
