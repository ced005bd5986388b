// Package telegramfake is a wire-faithful fake of the Telegram Bot API
// (core.telegram.org/bots/api) for tests and benchmarks.
//
// It serves https://api.telegram.org/bot{token}/{method} for the methods
// Herald uses: getMe, getChat, getChatMember, sendMessage, sendPhoto,
// sendVideo, sendAnimation, sendMediaGroup (attach://name parts),
// deleteMessage and deleteMessages. Parameters are read from the query
// string, application/x-www-form-urlencoded, application/json and
// multipart/form-data bodies, as the Bot API allows. Answers use the
// documented envelope: {"ok":true,"result":...} or {"ok":false,
// "error_code":..., "description":..., "parameters":{"retry_after":N}}.
//
// The fake keeps bots, chats with their members, and the messages sent with
// their files, so tests read back what was published; counts messages per
// text; and injects faults (server errors, timeouts before reading and after
// storing, 429, malformed answers), revoked tokens, kicked bots, lost
// administrator rights and group-to-supergroup migrations.
package telegramfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf16"

	"github.com/heraldhq/herald/internal/provider/providertest/fault"
)

// Limits the fake enforces, from the Bot API reference.
const (
	MaxText       = 4096     // sendMessage text, in UTF-16 code units
	MaxCaption    = 1024     // captions, in UTF-16 code units
	MaxPhotoBytes = 10 << 20 // sendPhoto
	MaxUpload     = 50 << 20 // any other upload through the Bot API
	MinGroup      = 2        // sendMediaGroup
	MaxGroup      = 10
)

// Bot is a bot account with its token.
type Bot struct {
	ID        int64
	Username  string
	FirstName string
	Token     string
}

// Chat is a channel, group, supergroup or private chat.
type Chat struct {
	ID       int64
	Type     string // "channel", "supergroup", "group", "private"
	Title    string
	Username string
}

// Member is a bot's membership in a chat.
type Member struct {
	// Status is "creator", "administrator", "member", "restricted",
	// "left" or "kicked".
	Status string
	// CanPostMessages matters for administrators of channels.
	CanPostMessages bool
}

// File is an uploaded file.
type File struct {
	Field       string // the multipart field it came in
	Filename    string
	ContentType string
	Data        []byte
}

// Media is one photo, video or animation of a message.
type Media struct {
	Type   string // "photo", "video", "animation"
	FileID string
	File   File
}

// Message is a message a bot sent.
type Message struct {
	ID           int64
	ChatID       int64
	BotID        int64
	Date         time.Time
	Text         string
	Caption      string
	ParseMode    string
	Media        []Media
	MediaGroupID string
	Deleted      bool
}

// FaultKind names an injected failure.
type FaultKind = fault.Kind

const (
	// ServerError answers 500 without acting.
	ServerError = fault.Status
	// ServerErrorAfterStore sends the message, then answers 502 as the
	// front proxy would.
	ServerErrorAfterStore = fault.StatusAfter
	// TimeoutBeforeRead never reads the body and never answers.
	TimeoutBeforeRead = fault.TimeoutBefore
	// TimeoutAfterStore sends the message and never answers.
	TimeoutAfterStore = fault.TimeoutAfter
	// RateLimited answers 429 with parameters.retry_after.
	RateLimited = fault.RateLimit
	// Malformed sends the message and answers 200 with a body that is not
	// JSON.
	Malformed = fault.Malformed
)

// Fault is one injected failure. Each is used once, by the first request
// whose method matches.
type Fault struct {
	Kind FaultKind
	// Method limits the fault to one Bot API method ("sendMessage");
	// empty matches any.
	Method string
	// RetryAfter for RateLimited, in whole seconds as Telegram sends it
	// (default 1s).
	RetryAfter time.Duration
}

// Option configures a Fake.
type Option func(*Fake)

// WithLatency delays every answer by d.
func WithLatency(d time.Duration) Option { return func(f *Fake) { f.latency = d } }

// WithRateLimit refuses more than limit sends per window to one chat with
// 429 (Telegram allows about 20 messages per minute to a group).
func WithRateLimit(limit int, window time.Duration) Option {
	return func(f *Fake) { f.rate.Limit, f.rate.Window = limit, window }
}

// WithClock sets the fake's clock (message dates, the 48-hour delete
// window, rate limits).
func WithClock(now func() time.Time) Option { return func(f *Fake) { f.now = now } }

// Fake is a running fake of the Bot API.
type Fake struct {
	// URL is the API base, like https://api.telegram.org.
	URL string

	srv     *httptest.Server
	done    chan struct{}
	latency time.Duration
	now     func() time.Time
	rate    fault.Limiter[int64] // sends per chat
	faults  fault.Queue[Fault]

	mu       sync.Mutex
	bots     map[string]*Bot // by token
	revoked  map[string]bool
	chats    map[int64]*Chat
	members  map[int64]map[int64]Member // chat -> bot -> member
	migrated map[int64]int64            // old group id -> supergroup id
	messages []*Message
	nextMsg  map[int64]int64
	seq      int64
	requests int
	closed   bool
	fileSeq  int
	groupSeq int
}

// New starts a fake on a loopback port. Close it when done.
func New(opts ...Option) *Fake {
	f := &Fake{
		done:     make(chan struct{}),
		now:      time.Now,
		bots:     map[string]*Bot{},
		revoked:  map[string]bool{},
		chats:    map[int64]*Chat{},
		members:  map[int64]map[int64]Member{},
		migrated: map[int64]int64{},
		nextMsg:  map[int64]int64{},
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
	mux.HandleFunc("/{bot}/{method}", f.serve)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fail(w, 404, "Not Found", nil) })
	return mux
}

// AddBot creates a bot.
func (f *Fake) AddBot(username string) Bot {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	id := 7000000000 + f.seq
	b := &Bot{ID: id, Username: username, FirstName: strings.TrimSuffix(username, "_bot"),
		Token: fmt.Sprintf("%d:AAH%s-fakeSecretTokenValue_%04d", id, strings.Repeat("x", 8), f.seq)}
	f.bots[b.Token] = b
	return *b
}

// AddChat creates a chat. For a channel, pass the bots that are its
// administrators allowed to post; for groups, its member bots.
func (f *Fake) AddChat(typ, title, username string, bots ...Bot) Chat {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	var id int64
	switch typ {
	case "channel", "supergroup":
		id = -1001000000000 - f.seq
	case "group":
		id = -4000000000 - f.seq
	default:
		id = 100000000 + f.seq
	}
	c := &Chat{ID: id, Type: typ, Title: title, Username: username}
	f.chats[id] = c
	f.members[id] = map[int64]Member{}
	for _, b := range bots {
		if typ == "channel" {
			f.members[id][b.ID] = Member{Status: "administrator", CanPostMessages: true}
		} else {
			f.members[id][b.ID] = Member{Status: "member"}
		}
	}
	return *c
}

// SetMember changes a bot's membership: kick it ("kicked"), remove it
// ("left"), or take away its right to post (Member{Status:
// "administrator"}).
func (f *Fake) SetMember(chatID int64, bot Bot, m Member) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.members[chatID][bot.ID] = m
}

// RevokeToken revokes a bot's token, as BotFather's /revoke does.
func (f *Fake) RevokeToken(token string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.revoked[token] = true
}

// MigrateToSupergroup upgrades a group: its id changes and sends to the old
// id fail with parameters.migrate_to_chat_id.
func (f *Fake) MigrateToSupergroup(groupID int64) Chat {
	f.mu.Lock()
	defer f.mu.Unlock()
	old := f.chats[groupID]
	f.seq++
	c := &Chat{ID: -1001000000000 - f.seq, Type: "supergroup", Title: old.Title, Username: old.Username}
	f.chats[c.ID] = c
	f.members[c.ID] = f.members[groupID]
	f.migrated[groupID] = c.ID
	return *c
}

// FailNext queues faults for the next requests.
func (f *Fake) FailNext(faults ...Fault) {
	for _, flt := range faults {
		f.faults.Add(flt, 1)
	}
}

// Messages returns the messages in a chat that were not deleted, oldest
// first.
func (f *Fake) Messages(chatID int64) []Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Message
	for _, m := range f.messages {
		if m.ChatID == chatID && !m.Deleted {
			c := *m
			c.Media = slices.Clone(m.Media)
			out = append(out, c)
		}
	}
	return out
}

// CountText returns how many messages were ever sent with text as their
// text or caption, deleted ones included.
func (f *Fake) CountText(text string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, m := range f.messages {
		if m.Text == text || (m.Caption != "" && m.Caption == text) {
			n++
		}
	}
	return n
}

// Requests returns how many requests reached the fake.
func (f *Fake) Requests() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests
}

// apiError is an error answer.
type apiError struct {
	code        int
	description string
	params      map[string]any
}

func fail(w http.ResponseWriter, code int, description string, params map[string]any) {
	body := map[string]any{"ok": false, "error_code": code, "description": description}
	if params != nil {
		body["parameters"] = params
	}
	writeJSON(w, code, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	json.NewEncoder(&buf).Encode(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// request is a parsed Bot API call.
type request struct {
	params map[string]string
	files  map[string]File
}

func (q request) get(name string) string { return q.params[name] }

// parse reads parameters from every place the Bot API accepts them.
func parse(r *http.Request) (request, *apiError) {
	q := request{params: map[string]string{}, files: map[string]File{}}
	for k, v := range r.URL.Query() {
		q.params[k] = v[0]
	}
	mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "application/json":
		var m map[string]any
		dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
		dec.UseNumber() // chat ids exceed float64's exact integers in principle
		if err := dec.Decode(&m); err != nil && err != io.EOF {
			return q, &apiError{400, "Bad Request: can't parse JSON object", nil}
		}
		for k, v := range m {
			switch v := v.(type) {
			case string:
				q.params[k] = v
			default:
				b, _ := json.Marshal(v)
				q.params[k] = string(b)
			}
		}
	case "application/x-www-form-urlencoded":
		b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		v, _ := url.ParseQuery(string(b))
		for k := range v {
			q.params[k] = v.Get(k)
		}
	case "multipart/form-data":
		mr := multipart.NewReader(r.Body, params["boundary"])
		total := 0
		for {
			part, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				return q, &apiError{400, "Bad Request: can't parse multipart/form-data", nil}
			}
			data, _ := io.ReadAll(io.LimitReader(part, MaxUpload+1))
			total += len(data)
			if total > MaxUpload {
				return q, &apiError{413, "Request Entity Too Large", nil}
			}
			if part.FileName() != "" {
				q.files[part.FormName()] = File{Field: part.FormName(), Filename: part.FileName(), ContentType: part.Header.Get("Content-Type"), Data: data}
			} else {
				q.params[part.FormName()] = string(data)
			}
		}
	}
	return q, nil
}

// takeFault returns the first queued fault matching method, or the zero
// Fault.
func (f *Fake) takeFault(method string) Fault {
	flt, _ := f.faults.Take(func(flt Fault) bool { return flt.Method == "" || flt.Method == method })
	return flt
}

// hold never answers: it returns once the client gives up or the fake
// closes.
func (f *Fake) hold(r *http.Request) { fault.Hold(r, f.done, 0) }

var sendMethods = map[string]bool{"sendMessage": true, "sendPhoto": true, "sendVideo": true, "sendAnimation": true, "sendMediaGroup": true}

func (f *Fake) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.requests++
	f.mu.Unlock()
	token, ok := strings.CutPrefix(r.PathValue("bot"), "bot")
	method := r.PathValue("method")
	if !ok {
		fail(w, 404, "Not Found", nil)
		return
	}
	if !fault.Delay(r, f.done, f.latency) {
		return
	}
	flt := f.takeFault(method)
	switch flt.Kind {
	case ServerError:
		fail(w, 500, "Internal Server Error", nil)
		return
	case TimeoutBeforeRead:
		f.hold(r)
		return
	case RateLimited:
		secs := int(flt.RetryAfter.Seconds() + 0.999)
		if secs <= 0 {
			secs = 1
		}
		fail(w, 429, fmt.Sprintf("Too Many Requests: retry after %d", secs), map[string]any{"retry_after": secs})
		return
	}

	f.mu.Lock()
	bot, known := f.bots[token]
	revoked := f.revoked[token]
	f.mu.Unlock()
	if !known || revoked {
		fail(w, 401, "Unauthorized", nil)
		return
	}
	q, perr := parse(r)
	if perr != nil {
		fail(w, perr.code, perr.description, perr.params)
		return
	}

	var result any
	var aerr *apiError
	switch method {
	case "getMe":
		result = map[string]any{"id": bot.ID, "is_bot": true, "first_name": bot.FirstName, "username": bot.Username,
			"can_join_groups": true, "can_read_all_group_messages": false, "supports_inline_queries": false}
	case "getChat":
		result, aerr = f.getChat(bot, q)
	case "getChatMember":
		result, aerr = f.getChatMember(q)
	case "sendMessage", "sendPhoto", "sendVideo", "sendAnimation", "sendMediaGroup":
		result, aerr = f.send(bot, method, q)
	case "deleteMessage", "deleteMessages":
		result, aerr = f.delete(bot, method, q)
	default:
		aerr = &apiError{404, "Not Found", nil}
	}
	if aerr != nil {
		fail(w, aerr.code, aerr.description, aerr.params)
		return
	}
	if sendMethods[method] {
		switch flt.Kind {
		case TimeoutAfterStore:
			f.hold(r)
			return
		case ServerErrorAfterStore:
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			io.WriteString(w, "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>\r\n")
			return
		case Malformed:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK)
			io.WriteString(w, `{"ok":true,"result":{"message_id":`)
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "result": result})
}

// resolve finds a chat by numeric id or @username. f.mu must be held.
func (f *Fake) resolve(chatID string) (*Chat, *apiError) {
	if chatID == "" {
		return nil, &apiError{400, "Bad Request: chat_id is empty", nil}
	}
	if name, ok := strings.CutPrefix(chatID, "@"); ok {
		for _, c := range f.chats {
			if c.Username != "" && strings.EqualFold(c.Username, name) {
				if _, gone := f.migrated[c.ID]; !gone {
					return c, nil
				}
			}
		}
		return nil, &apiError{400, "Bad Request: chat not found", nil}
	}
	id, err := strconv.ParseInt(chatID, 10, 64)
	if err != nil {
		return nil, &apiError{400, "Bad Request: chat not found", nil}
	}
	if to, ok := f.migrated[id]; ok {
		return nil, &apiError{400, "Bad Request: group chat was upgraded to a supergroup chat", map[string]any{"migrate_to_chat_id": to}}
	}
	c, ok := f.chats[id]
	if !ok {
		return nil, &apiError{400, "Bad Request: chat not found", nil}
	}
	return c, nil
}

func chatKind(c *Chat) string {
	if c.Type == "channel" {
		return "channel chat"
	}
	return "group chat"
}

// access checks that bot may see (and, if post, send to) the chat. f.mu
// must be held.
func (f *Fake) access(bot *Bot, c *Chat, post bool) *apiError {
	if c.Type == "private" {
		return nil
	}
	m, ok := f.members[c.ID][bot.ID]
	switch {
	case ok && m.Status == "kicked":
		return &apiError{403, "Forbidden: bot was kicked from the " + chatKind(c), nil}
	case !ok || m.Status == "left":
		if c.Type == "channel" || post {
			return &apiError{403, "Forbidden: bot is not a member of the " + chatKind(c), nil}
		}
		return &apiError{400, "Bad Request: chat not found", nil}
	case post && c.Type == "channel" && !(m.Status == "creator" || m.Status == "administrator" && m.CanPostMessages):
		return &apiError{400, "Bad Request: need administrator rights in the channel chat", nil}
	case post && m.Status == "restricted":
		return &apiError{400, "Bad Request: not enough rights to send text messages to the chat", nil}
	}
	return nil
}

func chatJSON(c *Chat) map[string]any {
	m := map[string]any{"id": c.ID, "type": c.Type}
	if c.Title != "" {
		m["title"] = c.Title
	}
	if c.Username != "" {
		m["username"] = c.Username
	}
	return m
}

func (f *Fake) getChat(bot *Bot, q request) (any, *apiError) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, aerr := f.resolve(q.get("chat_id"))
	if aerr != nil {
		return nil, aerr
	}
	if aerr := f.access(bot, c, false); aerr != nil {
		return nil, aerr
	}
	info := chatJSON(c)
	info["accent_color_id"] = 0
	info["max_reaction_count"] = 11
	info["photo"] = map[string]any{
		"small_file_id": "AQADsmall" + strconv.FormatInt(-c.ID, 10), "small_file_unique_id": "AQADs",
		"big_file_id": "AQADbig" + strconv.FormatInt(-c.ID, 10), "big_file_unique_id": "AQADb",
	}
	return info, nil
}

func (f *Fake) getChatMember(q request) (any, *apiError) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, aerr := f.resolve(q.get("chat_id"))
	if aerr != nil {
		return nil, aerr
	}
	uid, _ := strconv.ParseInt(q.get("user_id"), 10, 64)
	var user map[string]any
	for _, b := range f.bots {
		if b.ID == uid {
			user = map[string]any{"id": b.ID, "is_bot": true, "first_name": b.FirstName, "username": b.Username}
		}
	}
	if user == nil {
		return nil, &apiError{400, "Bad Request: user not found", nil}
	}
	m, ok := f.members[c.ID][uid]
	if !ok {
		m = Member{Status: "left"}
	}
	out := map[string]any{"status": m.Status, "user": user}
	if m.Status == "administrator" {
		out["can_be_edited"] = false
		out["can_post_messages"] = m.CanPostMessages
		out["can_delete_messages"] = true
	}
	return out, nil
}

// utf16Len counts as Telegram does for its text limits.
func utf16Len(s string) int { return len(utf16.Encode([]rune(s))) }

var htmlTag = regexp.MustCompile(`<(/?)([a-zA-Z-]*)[^>]*>`)

// allowedTags are the HTML tags of the Bot API's HTML style.
var allowedTags = map[string]bool{"b": true, "strong": true, "i": true, "em": true, "u": true, "ins": true, "s": true,
	"strike": true, "del": true, "span": true, "tg-spoiler": true, "a": true, "tg-emoji": true, "code": true, "pre": true,
	"blockquote": true}

// checkEntities applies the parse mode as far as the fake needs: unknown
// HTML tags and stray '<' fail as on Telegram.
func checkEntities(text, mode string) *apiError {
	if mode != "HTML" {
		return nil
	}
	rest := text
	for i := strings.IndexByte(rest, '<'); i >= 0; i = strings.IndexByte(rest, '<') {
		m := htmlTag.FindStringSubmatchIndex(rest[i:])
		if m == nil || m[0] != 0 {
			return &apiError{400, fmt.Sprintf("Bad Request: can't parse entities: Unexpected end of name token at byte offset %d", len(text)-len(rest)+i), nil}
		}
		name := strings.ToLower(rest[i+m[4] : i+m[5]])
		if !allowedTags[name] {
			return &apiError{400, fmt.Sprintf("Bad Request: can't parse entities: Unsupported start tag \"%s\" at byte offset %d", name, len(text)-len(rest)+i), nil}
		}
		rest = rest[i+m[1]:]
	}
	return nil
}

// inputMedia is an element of sendMediaGroup's media parameter.
type inputMedia struct {
	Type      string `json:"type"`
	Media     string `json:"media"`
	Caption   string `json:"caption"`
	ParseMode string `json:"parse_mode"`
}

func (f *Fake) send(bot *Bot, method string, q request) (any, *apiError) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, aerr := f.resolve(q.get("chat_id"))
	if aerr != nil {
		return nil, aerr
	}
	if aerr := f.access(bot, c, true); aerr != nil {
		return nil, aerr
	}
	if mode := q.get("parse_mode"); mode != "" && mode != "HTML" && mode != "MarkdownV2" && mode != "Markdown" {
		return nil, &apiError{400, "Bad Request: unsupported parse_mode", nil}
	}

	var msgs []*Message
	base := Message{ChatID: c.ID, BotID: bot.ID, Date: f.now().UTC().Truncate(time.Second), ParseMode: q.get("parse_mode")}
	switch method {
	case "sendMessage":
		text := q.get("text")
		if strings.TrimSpace(text) == "" {
			return nil, &apiError{400, "Bad Request: message text is empty", nil}
		}
		if utf16Len(text) > MaxText {
			return nil, &apiError{400, "Bad Request: message is too long", nil}
		}
		if aerr := checkEntities(text, base.ParseMode); aerr != nil {
			return nil, aerr
		}
		m := base
		m.Text = text
		msgs = append(msgs, &m)
	case "sendPhoto", "sendVideo", "sendAnimation":
		field := map[string]string{"sendPhoto": "photo", "sendVideo": "video", "sendAnimation": "animation"}[method]
		caption := q.get("caption")
		if aerr := checkCaption(caption, base.ParseMode); aerr != nil {
			return nil, aerr
		}
		file, aerr := f.attached(q, q.get(field), field)
		if aerr != nil {
			return nil, aerr
		}
		if field == "photo" && len(file.Data) > MaxPhotoBytes {
			return nil, &apiError{400, "Bad Request: file is too big", nil}
		}
		m := base
		m.Caption = caption
		m.Media = []Media{f.media(field, file)}
		msgs = append(msgs, &m)
	case "sendMediaGroup":
		var items []inputMedia
		if err := json.Unmarshal([]byte(q.get("media")), &items); err != nil {
			return nil, &apiError{400, "Bad Request: can't parse media JSON object", nil}
		}
		if len(items) < MinGroup {
			return nil, &apiError{400, "Bad Request: there must be at least 2 media in the group", nil}
		}
		if len(items) > MaxGroup {
			return nil, &apiError{400, "Bad Request: too many messages to send as an album", nil}
		}
		f.groupSeq++
		group := strconv.Itoa(13000000000000000 + f.groupSeq)
		for _, it := range items {
			if it.Type != "photo" && it.Type != "video" {
				return nil, &apiError{400, "Bad Request: wrong media type in the album", nil}
			}
			if aerr := checkCaption(it.Caption, it.ParseMode); aerr != nil {
				return nil, aerr
			}
			file, aerr := f.attached(q, it.Media, it.Type)
			if aerr != nil {
				return nil, aerr
			}
			if it.Type == "photo" && len(file.Data) > MaxPhotoBytes {
				return nil, &apiError{400, "Bad Request: file is too big", nil}
			}
			m := base
			m.ParseMode = it.ParseMode
			m.Caption = it.Caption
			m.MediaGroupID = group
			m.Media = []Media{f.media(it.Type, file)}
			msgs = append(msgs, &m)
		}
	}
	if !f.rate.Allow(c.ID, f.now()) {
		secs := int(f.rate.Window.Seconds() + 0.999)
		return nil, &apiError{429, fmt.Sprintf("Too Many Requests: retry after %d", secs), map[string]any{"retry_after": secs}}
	}
	var out []map[string]any
	for _, m := range msgs {
		f.nextMsg[c.ID]++
		m.ID = f.nextMsg[c.ID]
		f.messages = append(f.messages, m)
		out = append(out, messageJSON(m, c, bot))
	}
	if method == "sendMediaGroup" {
		return out, nil
	}
	return out[0], nil
}

func checkCaption(caption, mode string) *apiError {
	if utf16Len(caption) > MaxCaption {
		return &apiError{400, "Bad Request: message caption is too long", nil}
	}
	return checkEntities(caption, mode)
}

// attached resolves a file parameter: "attach://name" or a direct upload in
// the field itself. URLs and file ids are not served by the fake.
func (f *Fake) attached(q request, ref, field string) (File, *apiError) {
	name := field
	if after, ok := strings.CutPrefix(ref, "attach://"); ok {
		name = after
	} else if ref != "" {
		return File{}, &apiError{400, "Bad Request: wrong file identifier/HTTP URL specified", nil}
	}
	file, ok := q.files[name]
	if !ok {
		return File{}, &apiError{400, "Bad Request: there is no " + field + " in the request", nil}
	}
	if len(file.Data) == 0 {
		return File{}, &apiError{400, "Bad Request: file must be non-empty", nil}
	}
	return file, nil
}

func (f *Fake) media(typ string, file File) Media {
	f.fileSeq++
	return Media{Type: typ, FileID: fmt.Sprintf("AgACAgQAAx%06d", f.fileSeq), File: file}
}

func messageJSON(m *Message, c *Chat, bot *Bot) map[string]any {
	out := map[string]any{"message_id": m.ID, "date": m.Date.Unix(), "chat": chatJSON(c)}
	if c.Type == "channel" {
		out["sender_chat"] = chatJSON(c)
	} else {
		out["from"] = map[string]any{"id": bot.ID, "is_bot": true, "first_name": bot.FirstName, "username": bot.Username}
	}
	if m.Text != "" {
		out["text"] = m.Text
	}
	if m.Caption != "" {
		out["caption"] = m.Caption
	}
	if m.MediaGroupID != "" {
		out["media_group_id"] = m.MediaGroupID
	}
	for _, md := range m.Media {
		size := len(md.File.Data)
		switch md.Type {
		case "photo":
			out["photo"] = []map[string]any{
				{"file_id": md.FileID + "s", "file_unique_id": "AQADs", "width": 90, "height": 90, "file_size": size / 10},
				{"file_id": md.FileID, "file_unique_id": "AQAD", "width": 1280, "height": 1280, "file_size": size},
			}
		case "video", "animation":
			out[md.Type] = map[string]any{"file_id": md.FileID, "file_unique_id": "AQAD", "width": 1280, "height": 720,
				"duration": 10, "mime_type": md.File.ContentType, "file_size": size}
		}
	}
	return out
}

func (f *Fake) delete(bot *Bot, method string, q request) (any, *apiError) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, aerr := f.resolve(q.get("chat_id"))
	if aerr != nil {
		return nil, aerr
	}
	if aerr := f.access(bot, c, false); aerr != nil {
		return nil, aerr
	}
	var ids []int64
	if method == "deleteMessage" {
		id, err := strconv.ParseInt(q.get("message_id"), 10, 64)
		if err != nil {
			return nil, &apiError{400, "Bad Request: message identifier is not specified", nil}
		}
		ids = []int64{id}
	} else {
		if err := json.Unmarshal([]byte(q.get("message_ids")), &ids); err != nil || len(ids) == 0 || len(ids) > 100 {
			return nil, &apiError{400, "Bad Request: message_ids must be a non-empty array of at most 100 identifiers", nil}
		}
	}
	found := 0
	for _, id := range ids {
		for _, m := range f.messages {
			if m.ChatID != c.ID || m.ID != id || m.Deleted {
				continue
			}
			if f.now().Sub(m.Date) > 48*time.Hour {
				if method == "deleteMessage" {
					return nil, &apiError{400, "Bad Request: message can't be deleted for everyone", nil}
				}
				continue
			}
			m.Deleted = true
			found++
		}
	}
	if method == "deleteMessage" && found == 0 {
		return nil, &apiError{400, "Bad Request: message to delete not found", nil}
	}
	return true, nil
}
