// Package slackfake is a wire-faithful fake of Slack incoming webhooks
// (docs.slack.dev/messaging/sending-messages-using-incoming-webhooks) for
// tests and benchmarks.
//
// It serves POST /services/{team}/{bot}/{secret} with a JSON body (or a
// form-encoded payload=JSON), validates text and Block Kit blocks (section,
// image, context, divider), and answers as Slack does: 200 "ok", or the
// documented plain-text error codes with their statuses (400
// invalid_payload, no_text, invalid_blocks; 403 action_prohibited,
// invalid_token; 404 no_service, channel_not_found, team_disabled; 410
// channel_is_archived; 429 with Retry-After; 500 rollup_error).
//
// It keeps what was posted so tests read it back, counts messages per text
// for "never twice" checks, and injects the same faults as the other fakes.
package slackfake

import (
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/heraldhq/herald/internal/provider/providertest/fault"
)

// Limits the fake enforces, from the Block Kit reference.
const (
	MaxBlocks      = 50
	MaxSectionText = 3000
	MaxAltText     = 2000
	MaxImageURL    = 3000
)

// Webhook is an incoming webhook: its URL is /services/{TeamID}/{BotID}/{Secret}.
type Webhook struct {
	TeamID  string
	BotID   string
	Secret  string
	Channel string
}

// Block is a stored Block Kit block, with the fields the fake checks.
type Block struct {
	Type     string
	Text     string // section text, or the joined texts of a context block
	ImageURL string
	AltText  string
	Raw      json.RawMessage
}

// Message is a message posted through a webhook.
type Message struct {
	BotID    string
	Channel  string
	Text     string
	Blocks   []Block
	Received time.Time
}

// FaultKind names an injected failure.
type FaultKind = fault.Kind

const (
	// ServerError answers 500 rollup_error without posting.
	ServerError = fault.Status
	// ServerErrorAfterStore posts, then answers 500 rollup_error.
	ServerErrorAfterStore = fault.StatusAfter
	// TimeoutBeforeRead never reads the body and never answers.
	TimeoutBeforeRead = fault.TimeoutBefore
	// TimeoutAfterStore posts and never answers.
	TimeoutAfterStore = fault.TimeoutAfter
	// RateLimited answers 429 with Retry-After.
	RateLimited = fault.RateLimit
	// Malformed posts and answers 200 with a body other than "ok".
	Malformed = fault.Malformed
)

// Fault is one injected failure, used once by the next request.
type Fault struct {
	Kind       FaultKind
	RetryAfter time.Duration // for RateLimited; default 1s
}

// Option configures a Fake.
type Option func(*Fake)

// WithLatency delays every answer by d.
func WithLatency(d time.Duration) Option { return func(f *Fake) { f.latency = d } }

// WithRateLimit refuses more than limit messages per window per webhook with
// 429 (Slack allows about one per second, with short bursts).
func WithRateLimit(limit int, window time.Duration) Option {
	return func(f *Fake) { f.rate.Limit, f.rate.Window = limit, window }
}

// WithClock sets the fake's clock.
func WithClock(now func() time.Time) Option { return func(f *Fake) { f.now = now } }

// Fake is a running fake of Slack's incoming webhooks.
type Fake struct {
	// URL is the webhook host base, like https://hooks.slack.com.
	URL string

	srv     *httptest.Server
	done    chan struct{}
	latency time.Duration
	now     func() time.Time
	rate    fault.Limiter[string] // per BotID
	faults  fault.Queue[Fault]

	mu       sync.Mutex
	webhooks map[string]*Webhook // by BotID
	state    map[string]string   // BotID -> error code forced on it
	messages []Message
	seq      int
	requests int
	closed   bool
}

// New starts a fake on a loopback port. Close it when done.
func New(opts ...Option) *Fake {
	f := &Fake{
		done:     make(chan struct{}),
		now:      time.Now,
		webhooks: map[string]*Webhook{},
		state:    map[string]string{},
	}
	for _, o := range opts {
		o(f)
	}
	f.srv = httptest.NewServer(f.Handler())
	f.URL = f.srv.URL
	return f
}

// Close stops the server, releasing requests held by timeout faults.
func (f *Fake) Close() {
	f.mu.Lock()
	if !f.closed {
		f.closed = true
		close(f.done)
	}
	f.mu.Unlock()
	f.srv.Close()
}

// Handler returns the fake's HTTP handler.
func (f *Fake) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /services/{team}/{bot}/{secret}", f.post)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeText(w, http.StatusNotFound, "no_service")
	})
	return mux
}

// AddWebhook creates a webhook posting to channel.
func (f *Fake) AddWebhook(channel string) Webhook {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	n := strconv.Itoa(100000 + f.seq)
	wh := &Webhook{TeamID: "T0" + n, BotID: "B0" + n, Secret: "s3cr3tXyZ" + n + "abcdEFGH", Channel: channel}
	f.webhooks[wh.BotID] = wh
	return *wh
}

// WebhookURL returns the URL Slack shows for wh.
func (f *Fake) WebhookURL(wh Webhook) string {
	return f.URL + "/services/" + wh.TeamID + "/" + wh.BotID + "/" + wh.Secret
}

// Break makes every later post to the webhook fail with one of Slack's
// error codes: "no_service" (webhook removed), "channel_is_archived",
// "channel_not_found", "team_disabled", "action_prohibited",
// "posting_to_general_channel_denied". An empty code repairs it.
func (f *Fake) Break(botID, code string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if code == "" {
		delete(f.state, botID)
		return
	}
	f.state[botID] = code
}

// FailNext queues faults for the next requests.
func (f *Fake) FailNext(faults ...Fault) {
	for _, flt := range faults {
		f.faults.Add(flt, 1)
	}
}

// Messages returns what webhook botID posted, oldest first.
func (f *Fake) Messages(botID string) []Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Message
	for _, m := range f.messages {
		if m.BotID == botID {
			m.Blocks = slices.Clone(m.Blocks)
			out = append(out, m)
		}
	}
	return out
}

// CountText returns how many posted messages had text as their text field.
func (f *Fake) CountText(text string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, m := range f.messages {
		if m.Text == text {
			n++
		}
	}
	return n
}

// Requests returns how many posts reached the fake.
func (f *Fake) Requests() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests
}

// statuses maps Slack's webhook error codes to their HTTP statuses.
var statuses = map[string]int{
	"invalid_payload":                   http.StatusBadRequest,
	"user_not_found":                    http.StatusBadRequest,
	"no_text":                           http.StatusBadRequest,
	"invalid_blocks":                    http.StatusBadRequest,
	"too_many_attachments":              http.StatusBadRequest,
	"action_prohibited":                 http.StatusForbidden,
	"posting_to_general_channel_denied": http.StatusForbidden,
	"invalid_token":                     http.StatusForbidden,
	"channel_not_found":                 http.StatusNotFound,
	"no_service":                        http.StatusNotFound,
	"no_team":                           http.StatusNotFound,
	"team_disabled":                     http.StatusNotFound,
	"channel_is_archived":               http.StatusGone,
	"rollup_error":                      http.StatusInternalServerError,
}

func fail(w http.ResponseWriter, code string) { writeText(w, statuses[code], code) }

// payload is the part of a webhook message the fake reads.
type payload struct {
	Text   *string           `json:"text"`
	Blocks []json.RawMessage `json:"blocks"`
}

func (f *Fake) post(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.requests++
	f.mu.Unlock()
	// Every fault matches: Slack's webhooks have one route.
	flt, _ := f.faults.Take(func(Fault) bool { return true })
	if !fault.Delay(r, f.done, f.latency) {
		return
	}
	switch flt.Kind {
	case ServerError:
		fail(w, "rollup_error")
		return
	case TimeoutBeforeRead:
		f.hold(r)
		return
	case RateLimited:
		d := flt.RetryAfter
		if d <= 0 {
			d = time.Second
		}
		rateLimited(w, d)
		return
	}

	f.mu.Lock()
	wh, ok := f.webhooks[r.PathValue("bot")]
	forced := f.state[r.PathValue("bot")]
	f.mu.Unlock()
	switch {
	case !ok || wh.TeamID != r.PathValue("team"):
		fail(w, "no_service")
		return
	case wh.Secret != r.PathValue("secret"):
		fail(w, "invalid_token")
		return
	case forced != "":
		fail(w, forced)
		return
	}

	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "application/x-www-form-urlencoded" {
		v, err := url.ParseQuery(string(body))
		if err != nil {
			fail(w, "invalid_payload")
			return
		}
		body = []byte(v.Get("payload"))
	}
	var p payload
	if err := json.Unmarshal(body, &p); err != nil {
		fail(w, "invalid_payload")
		return
	}
	text := ""
	if p.Text != nil {
		text = *p.Text
	}
	if strings.TrimSpace(text) == "" && len(p.Blocks) == 0 {
		fail(w, "no_text")
		return
	}
	blocks, ok := parseBlocks(p.Blocks)
	if !ok {
		fail(w, "invalid_blocks")
		return
	}

	if !f.rate.Allow(wh.BotID, f.now()) {
		rateLimited(w, f.rate.Window)
		return
	}
	f.mu.Lock()
	f.messages = append(f.messages, Message{BotID: wh.BotID, Channel: wh.Channel, Text: text, Blocks: blocks, Received: f.now()})
	f.mu.Unlock()

	switch flt.Kind {
	case TimeoutAfterStore:
		f.hold(r)
		return
	case ServerErrorAfterStore:
		fail(w, "rollup_error")
		return
	case Malformed:
		writeText(w, http.StatusOK, "<html>")
		return
	}
	writeText(w, http.StatusOK, "ok")
}

// parseBlocks validates blocks as Slack does for the types Herald sends.
func parseBlocks(raw []json.RawMessage) ([]Block, bool) {
	if len(raw) > MaxBlocks {
		return nil, false
	}
	type text struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	var out []Block
	for _, rb := range raw {
		var b struct {
			Type     string `json:"type"`
			Text     *text  `json:"text"`
			ImageURL string `json:"image_url"`
			AltText  string `json:"alt_text"`
			Elements []text `json:"elements"`
		}
		if json.Unmarshal(rb, &b) != nil {
			return nil, false
		}
		blk := Block{Type: b.Type, Raw: rb}
		switch b.Type {
		case "section":
			if b.Text == nil || (b.Text.Type != "mrkdwn" && b.Text.Type != "plain_text") ||
				b.Text.Text == "" || utf8.RuneCountInString(b.Text.Text) > MaxSectionText {
				return nil, false
			}
			blk.Text = b.Text.Text
		case "image":
			if b.ImageURL == "" || utf8.RuneCountInString(b.ImageURL) > MaxImageURL ||
				b.AltText == "" || utf8.RuneCountInString(b.AltText) > MaxAltText {
				return nil, false
			}
			blk.ImageURL, blk.AltText = b.ImageURL, b.AltText
		case "context":
			if len(b.Elements) == 0 || len(b.Elements) > 10 {
				return nil, false
			}
			var parts []string
			for _, e := range b.Elements {
				if e.Type != "mrkdwn" && e.Type != "plain_text" {
					return nil, false
				}
				parts = append(parts, e.Text)
			}
			blk.Text = strings.Join(parts, " ")
		case "divider":
		default:
			return nil, false
		}
		out = append(out, blk)
	}
	return out, true
}

func rateLimited(w http.ResponseWriter, d time.Duration) {
	w.Header().Set("Retry-After", strconv.Itoa(int(d.Seconds()+0.999)))
	writeText(w, http.StatusTooManyRequests, "rate_limited")
}

// hold never answers: it returns once the client gives up or the fake
// closes.
func (f *Fake) hold(r *http.Request) { fault.Hold(r, f.done, 0) }

// writeText answers as Slack's webhooks do: a short plain body.
func writeText(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(status)
	io.WriteString(w, body)
}
