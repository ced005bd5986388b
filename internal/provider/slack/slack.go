package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/heraldhq/herald/internal/provider"
	"github.com/heraldhq/herald/internal/provider/httpsend"
	"github.com/heraldhq/herald/internal/safehttp"
)

// Name is the provider name on the wire.
const Name = "slack"

// DefaultWebhookBase is the host Slack issues incoming webhooks on.
const DefaultWebhookBase = "https://hooks.slack.com"

// Block Kit limits.
const (
	maxSectionText = 3000
	maxBlocks      = 50
	maxAltText     = 2000
	maxImageURL    = 3000
	maxFallback    = 40000
)

// Config configures the Slack provider.
type Config struct {
	// WebhookBase is the webhook host (default DefaultWebhookBase). Tests
	// set it to a fake's URL; webhook URLs under it are then accepted too.
	WebhookBase string
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Provider publishes through Slack incoming webhooks.
type Provider struct {
	cfg    Config
	client *http.Client
}

var _ provider.Provider = (*Provider)(nil)

// New returns a Slack provider using client (nil: a safehttp client that refuses private addresses).
func New(cfg Config, client *http.Client) *Provider {
	if cfg.WebhookBase == "" {
		cfg.WebhookBase = DefaultWebhookBase
	}
	cfg.WebhookBase = strings.TrimRight(cfg.WebhookBase, "/")
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if client == nil {
		client = safehttp.NewClient(safehttp.Config{})
	}
	return &Provider{cfg: cfg, client: client}
}

// Name returns "slack".
func (p *Provider) Name() string { return Name }

// credentials is the secret JSON stored for a profile.
type credentials struct {
	WebhookURL string `json:"webhookUrl"`
}

// webhook is a parsed webhook URL: /services/{team}/{bot}/{secret}.
type webhook struct{ team, bot, secret string }

var (
	webhookPath = regexp.MustCompile(`^/services/(T[A-Z0-9]{2,20})/(B[A-Z0-9]{2,20})/([A-Za-z0-9]{8,64})/?$`)
	slackHosts  = map[string]bool{"hooks.slack.com": true, "hooks.slack-gov.com": true}
)

var errNotWebhook = provider.Errorf(provider.KindRejected, "invalid_webhook_url",
	"not a Slack incoming webhook URL; copy it from your Slack app's Incoming Webhooks page (https://hooks.slack.com/services/T.../B.../...)")

func (p *Provider) parseWebhookURL(raw string) (webhook, error) {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	if err != nil || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return webhook{}, errNotWebhook
	}
	path := u.EscapedPath()
	switch {
	case u.Scheme == "https" && slackHosts[strings.ToLower(u.Hostname())] && u.Port() == "":
	case strings.HasPrefix(raw, p.cfg.WebhookBase+"/services/"):
		base, err := url.Parse(p.cfg.WebhookBase)
		if err != nil || !strings.HasPrefix(path, base.EscapedPath()) {
			return webhook{}, errNotWebhook
		}
		path = path[len(base.EscapedPath()):]
	default:
		return webhook{}, errNotWebhook
	}
	m := webhookPath.FindStringSubmatch(path)
	if m == nil {
		return webhook{}, errNotWebhook
	}
	return webhook{team: m[1], bot: m[2], secret: m[3]}, nil
}

func (wh webhook) canonical() string {
	return DefaultWebhookBase + "/services/" + wh.team + "/" + wh.bot + "/" + wh.secret
}

func (p *Provider) endpoint(wh webhook) string {
	return p.cfg.WebhookBase + "/services/" + wh.team + "/" + wh.bot + "/" + wh.secret
}

// Connect validates the webhook URL's shape. An incoming webhook cannot be
// verified without posting to the channel, and Herald does not post
// without being asked, so a revoked URL is only found at the first publish.
// The optional "name" labels the profile (Slack does not say which channel
// a webhook posts to).
func (p *Provider) Connect(ctx context.Context, in json.RawMessage) (*provider.Account, error) {
	var input struct {
		WebhookURL string `json:"webhookUrl"`
		Name       string `json:"name"`
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
	creds, _ := json.Marshal(credentials{WebhookURL: wh.canonical()})
	name := strings.TrimSpace(input.Name)
	if name == "" {
		name = "Slack webhook " + wh.bot
	}
	return &provider.Account{ExternalID: wh.team + "/" + wh.bot, Name: name, Credentials: creds}, nil
}

// Rules returns Slack's row of the rule table.
func (p *Provider) Rules(ctx context.Context, acct *provider.Account) (provider.Rules, error) {
	r := describe().Rules
	return r, nil
}

// block is one Block Kit block as Herald sends it.
type block struct {
	Type     string      `json:"type"`
	Text     *textObject `json:"text,omitempty"`
	ImageURL string      `json:"image_url,omitempty"`
	AltText  string      `json:"alt_text,omitempty"`
}

type textObject struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// message is the webhook payload.
type message struct {
	Text   string  `json:"text"`
	Blocks []block `json:"blocks,omitempty"`
}

// imageTypes are the types an image block displays.
var imageTypes = map[string]bool{"image/png": true, "image/jpeg": true, "image/gif": true}

// buildMessage turns a post into a webhook payload: the escaped text as the
// notification fallback and as section blocks, then an image block per
// displayable image and a link for every other medium.
func buildMessage(req *provider.PublishRequest) (message, error) {
	text := escape(req.Text)
	msg := message{Text: truncateRunes(text, maxFallback)}
	for _, chunk := range splitText(text, maxSectionText) {
		msg.Blocks = append(msg.Blocks, block{Type: "section", Text: &textObject{Type: "mrkdwn", Text: chunk}})
	}
	for _, m := range req.Media {
		if m.URL == "" {
			return message{}, provider.Errorf(provider.KindRejected, "media_url_required", "Slack webhooks cannot upload files; this medium has no public URL to link")
		}
		if len(m.URL) > maxImageURL {
			return message{}, provider.Errorf(provider.KindRejected, "media_url_too_long", "a media URL is longer than Slack's %d characters", maxImageURL)
		}
		if m.Kind == "image" && imageTypes[m.MIME] {
			alt := strings.TrimSpace(m.AltText)
			if alt == "" {
				alt = "Image" // alt_text is required by Slack
			}
			msg.Blocks = append(msg.Blocks, block{Type: "image", ImageURL: m.URL, AltText: truncateRunes(alt, maxAltText)})
			continue
		}
		label := "Video"
		if m.Kind == "image" {
			label = "Image"
		}
		if alt := strings.TrimSpace(m.AltText); alt != "" {
			label += ": " + alt
		}
		// Inside a link's label, | and > end the label.
		label = strings.NewReplacer("|", "¦", ">", "›").Replace(escape(label))
		msg.Blocks = append(msg.Blocks, block{Type: "section", Text: &textObject{Type: "mrkdwn", Text: truncateRunes("<"+m.URL+"|"+label+">", maxSectionText)}})
	}
	if len(msg.Blocks) > maxBlocks {
		return message{}, provider.Errorf(provider.KindRejected, "too_many_blocks", "the post needs %d Slack blocks; a message holds %d", len(msg.Blocks), maxBlocks)
	}
	if msg.Text == "" {
		// The fallback shows in notifications; say what the post holds.
		msg.Text = "Media"
	}
	return msg, nil
}

// Publish posts the message. Slack returns no id, so the request key stands
// in for one.
func (p *Provider) Publish(ctx context.Context, acct *provider.Account, req *provider.PublishRequest) (*provider.Published, error) {
	wh, err := p.account(acct)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(req.Text) == "" && len(req.Media) == 0 {
		return nil, provider.Errorf(provider.KindRejected, "no_text", "a Slack message needs text or media")
	}
	msg, err := buildMessage(req)
	if err != nil {
		return nil, err
	}
	body, _ := json.Marshal(msg)
	if err := p.post(ctx, wh, body); err != nil {
		return nil, err
	}
	return &provider.Published{RemoteID: req.Key, PublishedAt: p.cfg.Now().UTC()}, nil
}

// Find cannot tell: incoming webhooks can neither read nor search the
// channel.
func (p *Provider) Find(ctx context.Context, acct *provider.Account, req *provider.PublishRequest) (*provider.Published, error) {
	return nil, provider.ErrCannotTell
}

// Delete is refused: incoming webhooks cannot delete messages.
func (p *Provider) Delete(ctx context.Context, acct *provider.Account, remoteID string) error {
	return provider.Errorf(provider.KindRejected, "not_supported", "Slack incoming webhooks cannot delete messages; delete it in Slack")
}

func (p *Provider) account(acct *provider.Account) (webhook, error) {
	var c credentials
	if acct == nil || json.Unmarshal(acct.Credentials, &c) != nil || c.WebhookURL == "" {
		return webhook{}, provider.Errorf(provider.KindUnauthorized, "invalid_credentials", "the stored Slack credentials are unreadable; reconnect the webhook")
	}
	wh, err := p.parseWebhookURL(c.WebhookURL)
	if err != nil {
		return webhook{}, provider.Errorf(provider.KindUnauthorized, "invalid_credentials", "the stored Slack webhook URL is invalid; reconnect the webhook")
	}
	return wh, nil
}

// reasons explains Slack's webhook error codes in words, keeping the code.
var reasons = map[string]string{
	"invalid_payload":                   "Slack could not understand the message",
	"user_not_found":                    "the user in the message does not exist",
	"no_text":                           "the message has no text",
	"invalid_blocks":                    "Slack refused the message's blocks",
	"invalid_blocks_format":             "Slack refused the message's blocks",
	"too_many_attachments":              "the message has too many attachments",
	"action_prohibited":                 "the workspace does not allow this webhook to post here",
	"posting_to_general_channel_denied": "only admins may post to this channel",
	"invalid_token":                     "the webhook URL's token is invalid",
	"channel_not_found":                 "the webhook's channel no longer exists",
	"no_service":                        "the webhook was disabled or removed",
	"no_service_id":                     "the webhook URL is invalid",
	"no_team":                           "the webhook's workspace no longer exists",
	"team_disabled":                     "the webhook's workspace is disabled",
	"channel_is_archived":               "the webhook's channel is archived",
	"rollup_error":                      "Slack had an internal error",
}

// post sends the payload and classifies the answer.
func (p *Provider) post(ctx context.Context, wh webhook, body []byte) error {
	// Every webhook call posts: a failure after it may have reached Slack
	// is an unknown outcome.
	a, err := httpsend.Send(ctx, p.client, httpsend.Request{
		Network: "Slack", Method: http.MethodPost, URL: p.endpoint(wh), Secret: wh.secret,
		Body: bytes.NewReader(body), ContentLength: int64(len(body)), ContentType: "application/json; charset=utf-8",
		Create: true, MaxAnswer: 64 << 10,
	})
	if err != nil {
		return err
	}
	status := strconv.Itoa(a.Status)
	code := strings.TrimSpace(string(a.Body))
	if a.Status == http.StatusOK {
		if code == "ok" {
			return nil
		}
		return &provider.Error{Kind: provider.KindOutcomeUnknown, Code: status, Message: "Slack answered 200 without \"ok\"; the message may have been posted"}
	}
	if !isCode(code) {
		code = ""
	}
	e := &provider.Error{Code: code, Message: code}
	if e.Code == "" {
		e.Code = status
		e.Message = http.StatusText(a.Status)
	}
	if r, ok := reasons[code]; ok {
		e.Message = code + ": " + r
	}
	switch s := a.Status; {
	case s == http.StatusTooManyRequests:
		e.Kind = provider.KindRateLimited
		e.Code = "429"
		e.Message = "Slack is rate limiting this webhook"
		if secs, err := strconv.ParseFloat(a.Header.Get("Retry-After"), 64); err == nil && secs > 0 {
			e.RetryAt = p.cfg.Now().Add(time.Duration(secs * float64(time.Second)))
		}
	case s == http.StatusNotFound || s == http.StatusGone || code == "invalid_token" || code == "no_service_id":
		// The webhook, its channel or its workspace is gone: reconnect.
		e.Kind = provider.KindUnauthorized
	case s >= 500:
		e.Kind = provider.KindOutcomeUnknown
	default:
		e.Kind = provider.KindRejected
	}
	return e
}

// isCode reports whether s looks like one of Slack's snake_case codes (and
// not an HTML error page).
func isCode(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if (r < 'a' || r > 'z') && r != '_' {
			return false
		}
	}
	return true
}

// escape replaces Slack's control characters, as Slack asks of text that is
// not meant as markup.
func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// splitText cuts escaped text into chunks of at most max characters,
// preferring line breaks, then spaces, and never cutting an entity such as
// &amp; in two.
func splitText(s string, max int) []string {
	s = strings.TrimSpace(s)
	var out []string
	for s != "" {
		if utf8.RuneCountInString(s) <= max {
			out = append(out, s)
			break
		}
		cut := byteIndexOfRune(s, max)
		head := s[:cut]
		at := strings.LastIndex(head, "\n")
		if at < len(head)/2 {
			if sp := strings.LastIndex(head, " "); sp > at {
				at = sp
			}
		}
		if at <= 0 {
			at = cut
			if amp := strings.LastIndex(head, "&"); amp >= 0 && amp > cut-5 && !strings.Contains(head[amp:], ";") {
				at = amp
			}
		}
		out = append(out, strings.TrimSpace(s[:at]))
		s = strings.TrimSpace(s[at:])
	}
	return out
}

func byteIndexOfRune(s string, n int) int {
	i := 0
	for pos := range s {
		if i == n {
			return pos
		}
		i++
	}
	return len(s)
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return s[:byteIndexOfRune(s, n)]
}
