// Package discordfake is a wire-faithful fake of Discord's webhook API
// (discord.com/developers/docs/resources/webhook) for tests and benchmarks.
//
// It serves the documented routes under /api (and /api/v{n}): get a webhook
// with its token, execute it with JSON or multipart/form-data (files[n] plus
// payload_json), and get or delete the messages it sent. Responses carry the
// documented bodies, error codes and rate-limit headers (X-RateLimit-Limit,
// -Remaining, -Reset, -Reset-After, -Bucket, and Retry-After on 429).
//
// The fake keeps what was published (messages and their files) so tests read
// it back, counts messages per content so tests can assert that nothing was
// published twice, and injects faults: server errors, timeouts before the
// body is read or after the message is stored, 429s, and malformed
// responses. A fixed latency can be set for benchmarks.
package discordfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/heraldhq/herald/internal/provider/providertest/fault"
)

// Limits the fake enforces, as documented by Discord.
const (
	// MaxContent is the message content limit in characters.
	MaxContent = 2000
	// MaxFiles is the number of attachments per message.
	MaxFiles = 10
	// MaxFileBytes is the default upload limit per file (10 MiB).
	MaxFileBytes = 10 << 20
)

// bucketName is the X-RateLimit-Bucket of the webhook routes.
const bucketName = "d721dea6054f6322373d361f98e5c38b"

// discordEpoch is the first second of 2015 in Unix milliseconds, the origin
// of snowflake timestamps.
const discordEpoch = 1420070400000

// Webhook is an incoming webhook the fake knows.
type Webhook struct {
	ID        string
	Token     string
	Name      string
	Avatar    string
	ChannelID string
	GuildID   string
}

// Attachment is a file stored with a message.
type Attachment struct {
	ID          string
	Filename    string
	Description string
	ContentType string
	Size        int
	Data        []byte
}

// Message is a message a webhook published.
type Message struct {
	ID          string
	WebhookID   string
	ChannelID   string
	GuildID     string
	Content     string
	Username    string
	Timestamp   time.Time
	Attachments []Attachment
	Deleted     bool
}

// FaultKind names an injected failure.
type FaultKind = fault.Kind

const (
	// ServerError answers 500 without storing the message.
	ServerError = fault.Status
	// ServerErrorAfterStore stores the message, then answers 502 as a proxy
	// that lost the upstream response would.
	ServerErrorAfterStore = fault.StatusAfter
	// TimeoutBeforeRead never reads the request body and never answers;
	// nothing is stored. The client sees a timeout.
	TimeoutBeforeRead = fault.TimeoutBefore
	// TimeoutAfterStore reads the body, stores the message, and never
	// answers. The client sees a timeout although the message exists.
	TimeoutAfterStore = fault.TimeoutAfter
	// RateLimited answers 429 with Fault.RetryAfter in the body and headers.
	RateLimited = fault.RateLimit
	// Malformed stores the message and answers 200 with a body that is not
	// JSON.
	Malformed = fault.Malformed
)

// Fault is one injected failure. Faults are queued with FailNext and each is
// used once, by the first request whose method matches.
type Fault struct {
	Kind FaultKind
	// Method limits the fault to one HTTP method ("POST" for executes);
	// empty matches any request.
	Method string
	// RetryAfter is the wait announced by a RateLimited fault (default 1s).
	RetryAfter time.Duration
}

// Option configures a Fake.
type Option func(*Fake)

// WithLatency delays every answer by d, like a network that answers in d.
func WithLatency(d time.Duration) Option { return func(f *Fake) { f.latency = d } }

// WithRateLimit enforces a bucket of limit requests per window for each
// webhook, answering 429 beyond it. Without it the headers are still sent
// but nothing is refused.
func WithRateLimit(limit int, window time.Duration) Option {
	return func(f *Fake) { f.limit, f.window, f.enforce = limit, window, true }
}

// WithClock sets the fake's clock (timestamps, snowflakes, rate limits).
func WithClock(now func() time.Time) Option { return func(f *Fake) { f.now = now } }

// Fake is a running fake of Discord's webhook API.
type Fake struct {
	// URL is the API base, like https://discord.com/api. Webhook URLs are
	// URL + "/webhooks/{id}/{token}".
	URL string

	srv     *httptest.Server
	done    chan struct{}
	latency time.Duration
	limit   int
	window  time.Duration
	enforce bool
	now     func() time.Time

	mu       sync.Mutex
	webhooks map[string]*Webhook
	revoked  map[string]bool
	messages []*Message
	byID     map[string]*Message
	buckets  map[string]*bucket
	seq      int64
	executes int
	closed   bool

	faults fault.Queue[Fault]
}

type bucket struct {
	reset     time.Time
	remaining int
}

// New starts a fake on a loopback port. Close it when done.
func New(opts ...Option) *Fake {
	f := &Fake{
		done:     make(chan struct{}),
		limit:    5,
		window:   2 * time.Second,
		now:      time.Now,
		webhooks: map[string]*Webhook{},
		revoked:  map[string]bool{},
		byID:     map[string]*Message{},
		buckets:  map[string]*bucket{},
	}
	for _, o := range opts {
		o(f)
	}
	f.srv = httptest.NewServer(f.Handler())
	f.URL = f.srv.URL + "/api"
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

// Handler returns the fake's HTTP handler, for serving it on another
// listener (a harness running the real binary against the fake).
func (f *Fake) Handler() http.Handler {
	mux := http.NewServeMux()
	for _, prefix := range []string{"/api", "/api/{version}"} {
		mux.HandleFunc("GET "+prefix+"/webhooks/{id}/{token}", f.getWebhook)
		mux.HandleFunc("POST "+prefix+"/webhooks/{id}/{token}", f.execute)
		mux.HandleFunc("GET "+prefix+"/webhooks/{id}/{token}/messages/{mid}", f.getMessage)
		mux.HandleFunc("DELETE "+prefix+"/webhooks/{id}/{token}/messages/{mid}", f.deleteMessage)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, 0, "404: Not Found", nil)
	})
	return mux
}

// AddWebhook creates an incoming webhook in a new channel and guild.
func (f *Fake) AddWebhook(name string) Webhook {
	f.mu.Lock()
	defer f.mu.Unlock()
	wh := &Webhook{
		ID:        f.snowflake(),
		Name:      name,
		Avatar:    "b004ec1740a63ca06ae2e14c5cee11f3",
		ChannelID: f.snowflake(),
		GuildID:   f.snowflake(),
	}
	wh.Token = "tok-" + wh.ID + "-Zm9vYmFyYmF6cXV4"
	f.webhooks[wh.ID] = wh
	return *wh
}

// WebhookURL returns the URL a user would paste for wh.
func (f *Fake) WebhookURL(wh Webhook) string {
	return f.URL + "/webhooks/" + wh.ID + "/" + wh.Token
}

// DeleteWebhook deletes a webhook, as a server admin would: every later
// request answers 404 Unknown Webhook.
func (f *Fake) DeleteWebhook(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.revoked[id] = true
}

// FailNext queues faults for the next requests.
func (f *Fake) FailNext(faults ...Fault) {
	for _, flt := range faults {
		f.faults.Add(flt, 1)
	}
}

// Messages returns the messages webhook id published and that were not
// deleted, oldest first.
func (f *Fake) Messages(webhookID string) []Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Message
	for _, m := range f.messages {
		if m.WebhookID == webhookID && !m.Deleted {
			out = append(out, copyMessage(m))
		}
	}
	return out
}

// Message returns one message by id, deleted or not.
func (f *Fake) Message(id string) (Message, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, ok := f.byID[id]
	if !ok {
		return Message{}, false
	}
	return copyMessage(m), true
}

// CountContent returns how many messages were ever stored with content, in
// any webhook, deleted ones included: the "never twice" check.
func (f *Fake) CountContent(content string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, m := range f.messages {
		if m.Content == content {
			n++
		}
	}
	return n
}

// Executes returns how many execute requests reached the fake.
func (f *Fake) Executes() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.executes
}

func copyMessage(m *Message) Message {
	c := *m
	c.Attachments = slices.Clone(m.Attachments)
	return c
}

// snowflake returns a new id; f.mu must be held.
func (f *Fake) snowflake() string {
	f.seq++
	ms := f.now().UnixMilli() - discordEpoch
	return strconv.FormatInt(ms<<22|(f.seq&0xfff), 10)
}

// takeFault returns the first queued fault matching method.
func (f *Fake) takeFault(method string) (Fault, bool) {
	return f.faults.Take(func(flt Fault) bool { return flt.Method == "" || flt.Method == method })
}

// hold blocks until the client gives up or the fake closes: a response that
// never arrives.
func (f *Fake) hold(r *http.Request) { fault.Hold(r, f.done, 0) }

// auth resolves the webhook of a request, answering the documented errors.
func (f *Fake) auth(w http.ResponseWriter, r *http.Request) (*Webhook, bool) {
	id, token := r.PathValue("id"), r.PathValue("token")
	f.mu.Lock()
	wh, ok := f.webhooks[id]
	revoked := f.revoked[id]
	f.mu.Unlock()
	if !ok || revoked {
		writeError(w, http.StatusNotFound, 10015, "Unknown Webhook", nil)
		return nil, false
	}
	if token != wh.Token {
		writeError(w, http.StatusUnauthorized, 50027, "Invalid Webhook Token", nil)
		return nil, false
	}
	return wh, true
}

// rateLimit sets the rate-limit headers and reports whether the request may
// proceed.
func (f *Fake) rateLimit(w http.ResponseWriter, key string) bool {
	f.mu.Lock()
	now := f.now()
	b := f.buckets[key]
	if b == nil || !now.Before(b.reset) {
		b = &bucket{reset: now.Add(f.window), remaining: f.limit}
		f.buckets[key] = b
	}
	allowed := b.remaining > 0 || !f.enforce
	if b.remaining > 0 {
		b.remaining--
	}
	remaining, reset := b.remaining, b.reset
	f.mu.Unlock()
	after := reset.Sub(now)
	h := w.Header()
	h.Set("X-RateLimit-Limit", strconv.Itoa(f.limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
	h.Set("X-RateLimit-Reset", strconv.FormatFloat(float64(reset.UnixMilli())/1000, 'f', 3, 64))
	h.Set("X-RateLimit-Reset-After", strconv.FormatFloat(after.Seconds(), 'f', 3, 64))
	// Buckets exclude the top-level resource (the webhook), so every
	// webhook route shares one bucket name, as on Discord.
	h.Set("X-RateLimit-Bucket", bucketName)
	if !allowed {
		writeRateLimited(w, after)
	}
	return allowed
}

func writeRateLimited(w http.ResponseWriter, after time.Duration) {
	h := w.Header()
	h.Set("Retry-After", strconv.Itoa(int(after.Seconds()+0.999)))
	h.Set("X-RateLimit-Scope", "user")
	if h.Get("X-RateLimit-Reset-After") == "" {
		h.Set("X-RateLimit-Limit", "5")
		h.Set("X-RateLimit-Remaining", "0")
		h.Set("X-RateLimit-Reset-After", strconv.FormatFloat(after.Seconds(), 'f', 3, 64))
		h.Set("X-RateLimit-Bucket", bucketName)
	}
	writeJSON(w, http.StatusTooManyRequests, map[string]any{
		"message":     "You are being rate limited.",
		"retry_after": after.Seconds(),
		"global":      false,
	})
}

// prelude handles latency and the faults that act before the request is
// processed. It reports the fault to apply after storing, if any, and
// whether to continue.
func (f *Fake) prelude(w http.ResponseWriter, r *http.Request) (Fault, bool) {
	if !fault.Delay(r, f.done, f.latency) {
		return Fault{}, false
	}
	flt, ok := f.takeFault(r.Method)
	if !ok {
		return Fault{}, true
	}
	switch flt.Kind {
	case ServerError:
		writeError(w, http.StatusInternalServerError, 0, "500: Internal Server Error", nil)
		return Fault{}, false
	case TimeoutBeforeRead:
		f.hold(r)
		return Fault{}, false
	case RateLimited:
		d := flt.RetryAfter
		if d <= 0 {
			d = time.Second
		}
		writeRateLimited(w, d)
		return Fault{}, false
	}
	return flt, true
}

// admit runs what precedes every route: latency and the faults that act
// before processing, the webhook's token, and its rate limit. It returns
// the webhook, the fault to apply after storing, and whether to go on.
func (f *Fake) admit(w http.ResponseWriter, r *http.Request) (*Webhook, Fault, bool) {
	after, ok := f.prelude(w, r)
	if !ok {
		return nil, Fault{}, false
	}
	wh, ok := f.auth(w, r)
	if !ok || !f.rateLimit(w, "webhook:"+wh.ID) {
		return nil, Fault{}, false
	}
	return wh, after, true
}

func (f *Fake) getWebhook(w http.ResponseWriter, r *http.Request) {
	wh, _, ok := f.admit(w, r)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"application_id": nil,
		"avatar":         wh.Avatar,
		"channel_id":     wh.ChannelID,
		"guild_id":       wh.GuildID,
		"id":             wh.ID,
		"name":           wh.Name,
		"type":           1,
		"token":          wh.Token,
	})
}

// executeParams are the JSON/form params of Execute Webhook that the fake
// reads; others are accepted and ignored.
type executeParams struct {
	Content     *string           `json:"content"`
	Username    string            `json:"username"`
	AvatarURL   string            `json:"avatar_url"`
	TTS         bool              `json:"tts"`
	Embeds      []json.RawMessage `json:"embeds"`
	Attachments []struct {
		ID          json.RawMessage `json:"id"`
		Filename    string          `json:"filename"`
		Description string          `json:"description"`
	} `json:"attachments"`
	Flags int `json:"flags"`
}

var filesField = regexp.MustCompile(`^files\[(\d+)\]$`)

func (f *Fake) execute(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.executes++
	f.mu.Unlock()
	wh, after, ok := f.admit(w, r)
	if !ok {
		return
	}

	var p executeParams
	var files []Attachment
	mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "application/json":
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&p); err != nil {
			writeError(w, http.StatusBadRequest, 50109, "The request body contains invalid JSON.", nil)
			return
		}
	case "multipart/form-data":
		var status int
		var errBody func(http.ResponseWriter)
		files, status, errBody = readMultipart(r, params["boundary"], &p)
		if status != 0 {
			errBody(w)
			return
		}
	default:
		writeError(w, http.StatusBadRequest, 50035, "Invalid Form Body", map[string]any{
			"_errors": []map[string]string{{"code": "CONTENT_TYPE_INVALID", "message": "Expected \"Content-Type\" header to be one of {'application/json', 'multipart/form-data', 'application/x-www-form-urlencoded'}."}},
		})
		return
	}

	content := ""
	if p.Content != nil {
		content = *p.Content
	}
	if n := utf8.RuneCountInString(content); n > MaxContent {
		writeError(w, http.StatusBadRequest, 50035, "Invalid Form Body", map[string]any{
			"content": fieldError("BASE_TYPE_MAX_LENGTH", fmt.Sprintf("Must be %d or fewer in length.", MaxContent)),
		})
		return
	}
	if strings.TrimSpace(content) == "" && len(p.Embeds) == 0 && len(files) == 0 {
		writeError(w, http.StatusBadRequest, 50006, "Cannot send an empty message", nil)
		return
	}
	if len(files) > MaxFiles {
		writeError(w, http.StatusBadRequest, 50035, "Invalid Form Body", map[string]any{
			"attachments": fieldError("BASE_TYPE_MAX_LENGTH", fmt.Sprintf("Must be %d or fewer in length.", MaxFiles)),
		})
		return
	}
	// Descriptions and filenames from payload_json's attachments, matched
	// by the files[n] placeholder id.
	for i := range files {
		for _, a := range p.Attachments {
			if strings.Trim(string(a.ID), `"`) == files[i].ID {
				if a.Filename != "" {
					files[i].Filename = a.Filename
				}
				files[i].Description = a.Description
			}
		}
	}

	f.mu.Lock()
	m := &Message{
		ID:        f.snowflake(),
		WebhookID: wh.ID,
		ChannelID: wh.ChannelID,
		GuildID:   wh.GuildID,
		Content:   content,
		Username:  p.Username,
		Timestamp: f.now().UTC(),
	}
	for _, a := range files {
		a.ID = f.snowflake()
		m.Attachments = append(m.Attachments, a)
	}
	f.messages = append(f.messages, m)
	f.byID[m.ID] = m
	msg := messageJSON(m, wh)
	f.mu.Unlock()

	switch after.Kind {
	case TimeoutAfterStore:
		f.hold(r)
		return
	case ServerErrorAfterStore:
		fault.WriteProxyError(w, http.StatusBadGateway)
		return
	case Malformed:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, `{"id": "`+m.ID+`", "content": `)
		return
	}
	if wait, _ := strconv.ParseBool(r.URL.Query().Get("wait")); !wait {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	writeJSON(w, http.StatusOK, msg)
}

// readMultipart reads a multipart execute body: payload_json (or loose
// fields) and files[n] parts. On a documented error it returns the status
// and a writer for the error body.
func readMultipart(r *http.Request, boundary string, p *executeParams) ([]Attachment, int, func(http.ResponseWriter)) {
	fail := func(status, code int, msg string, errs map[string]any) ([]Attachment, int, func(http.ResponseWriter)) {
		return nil, status, func(w http.ResponseWriter) { writeError(w, status, code, msg, errs) }
	}
	if boundary == "" {
		return fail(http.StatusBadRequest, 50035, "Invalid Form Body", nil)
	}
	mr := multipart.NewReader(r.Body, boundary)
	var files []Attachment
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fail(http.StatusBadRequest, 50035, "Invalid Form Body", nil)
		}
		name := part.FormName()
		switch {
		case name == "payload_json":
			b, _ := io.ReadAll(io.LimitReader(part, 1<<20))
			if err := json.Unmarshal(b, p); err != nil {
				return fail(http.StatusBadRequest, 50109, "The request body contains invalid JSON.", nil)
			}
		case name == "content":
			b, _ := io.ReadAll(io.LimitReader(part, 1<<20))
			s := string(b)
			p.Content = &s
		case filesField.MatchString(name) || name == "file":
			if part.FileName() == "" {
				return fail(http.StatusBadRequest, 50035, "Invalid Form Body", map[string]any{
					name: fieldError("BASE_TYPE_REQUIRED", "Content-Disposition must include a filename."),
				})
			}
			data, _ := io.ReadAll(io.LimitReader(part, MaxFileBytes+1))
			if len(data) > MaxFileBytes {
				return fail(http.StatusRequestEntityTooLarge, 40005, "Request entity too large", nil)
			}
			id := "0"
			if m := filesField.FindStringSubmatch(name); m != nil {
				id = m[1]
			}
			ct := part.Header.Get("Content-Type")
			if ct == "" {
				ct = "application/octet-stream"
			}
			files = append(files, Attachment{ID: id, Filename: part.FileName(), ContentType: ct, Size: len(data), Data: data})
		default:
			io.Copy(io.Discard, part)
		}
	}
	return files, 0, nil
}

func (f *Fake) getMessage(w http.ResponseWriter, r *http.Request) {
	wh, _, ok := f.admit(w, r)
	if !ok {
		return
	}
	f.mu.Lock()
	m, found := f.byID[r.PathValue("mid")]
	var msg map[string]any
	if found && m.WebhookID == wh.ID && !m.Deleted {
		msg = messageJSON(m, wh)
	}
	f.mu.Unlock()
	if msg == nil {
		writeError(w, http.StatusNotFound, 10008, "Unknown Message", nil)
		return
	}
	writeJSON(w, http.StatusOK, msg)
}

func (f *Fake) deleteMessage(w http.ResponseWriter, r *http.Request) {
	wh, _, ok := f.admit(w, r)
	if !ok {
		return
	}
	f.mu.Lock()
	m, found := f.byID[r.PathValue("mid")]
	ok = found && m.WebhookID == wh.ID && !m.Deleted
	if ok {
		m.Deleted = true
	}
	f.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, 10008, "Unknown Message", nil)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// messageJSON renders the message object as the API returns it (REST
// message objects carry no guild_id). f.mu must be held.
func messageJSON(m *Message, wh *Webhook) map[string]any {
	atts := make([]map[string]any, 0, len(m.Attachments))
	for _, a := range m.Attachments {
		u := "https://cdn.discordapp.com/attachments/" + m.ChannelID + "/" + a.ID + "/" + a.Filename
		att := map[string]any{
			"id":           a.ID,
			"filename":     a.Filename,
			"size":         a.Size,
			"url":          u,
			"proxy_url":    strings.Replace(u, "cdn.discordapp.com", "media.discordapp.net", 1),
			"content_type": a.ContentType,
		}
		if a.Description != "" {
			att["description"] = a.Description
		}
		atts = append(atts, att)
	}
	username := wh.Name
	if m.Username != "" {
		username = m.Username
	}
	return map[string]any{
		"id":               m.ID,
		"type":             0,
		"content":          m.Content,
		"channel_id":       m.ChannelID,
		"author":           map[string]any{"bot": true, "id": wh.ID, "username": username, "avatar": wh.Avatar, "discriminator": "0000"},
		"attachments":      atts,
		"embeds":           []any{},
		"mentions":         []any{},
		"mention_roles":    []any{},
		"pinned":           false,
		"mention_everyone": false,
		"tts":              false,
		"timestamp":        m.Timestamp.Format("2006-01-02T15:04:05.000000-07:00"),
		"edited_timestamp": nil,
		"flags":            0,
		"components":       []any{},
		"webhook_id":       wh.ID,
	}
}

func fieldError(code, msg string) map[string]any {
	return map[string]any{"_errors": []map[string]string{{"code": code, "message": msg}}}
}

// writeError writes Discord's JSON error body {"code", "message", "errors"}.
func writeError(w http.ResponseWriter, status, code int, msg string, errs map[string]any) {
	body := map[string]any{"message": msg, "code": code}
	if errs != nil {
		body["errors"] = errs
	}
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	json.NewEncoder(&buf).Encode(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}
