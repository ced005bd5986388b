// Package mastodonfake is a wire-faithful fake of the Mastodon client API
// (docs.joinmastodon.org): the real paths, JSON fields, status codes, error
// bodies {"error", "error_description"} and X-RateLimit-* headers, with the
// state kept in memory so tests read back what was published, and fault
// injection for the failures a publisher must survive.
//
// It covers what Herald uses: apps and the OAuth authorization-code flow
// (with PKCE), verify_credentials, /api/v1 and /api/v2 instance, media
// upload with asynchronous processing, statuses (create with
// Idempotency-Key, show, delete, account timeline).
//
// New starts a server outside of a test (for a harness that runs the real
// herald binary against it); NewTest ties one to a testing.TB.
package mastodonfake

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/provider/providertest/fault"
)

// Options configure a Server. The zero value is a Mastodon 4 server with the
// default limits.
type Options struct {
	// IgnoreIdempotencyKey makes the fake behave like GoToSocial, which
	// ignores the Idempotency-Key header: every create makes a new status.
	IgnoreIdempotencyKey bool
	// IncludeSourceText adds the status source "text" to statuses the
	// requester wrote (GoToSocial does; Mastodon only on delete).
	IncludeSourceText bool
	// Latency delays every answer (for benchmarks), honouring cancellation.
	Latency time.Duration
	// MaxCharacters, CharactersReservedPerURL, MaxMediaAttachments,
	// ImageSizeLimit, VideoSizeLimit and SupportedMIMETypes are the limits
	// published in /api/v2/instance and enforced (defaults 500, 23, 4,
	// 16 MiB, 99 MiB, common image and video types).
	MaxCharacters            int
	CharactersReservedPerURL int
	MaxMediaAttachments      int
	ImageSizeLimit           int64
	VideoSizeLimit           int64
	SupportedMIMETypes       []string
	// MediaProcessingPolls is how many GET /api/v1/media/:id answer 206
	// before an upload is processed. When positive, uploads answer 202 with
	// a null url; when zero, images are processed synchronously (200) and
	// videos after one poll.
	MediaProcessingPolls int
	// NoV2Instance answers 404 on /api/v2/instance, like servers older than
	// Mastodon 4.0.
	NoV2Instance bool
	// RateLimit is the number of requests per account per 5 minutes before
	// 429 (0: headers are sent but nothing is refused).
	RateLimit int
	// HoldTimeout bounds how long timeout faults hold a request (default 1 min).
	HoldTimeout time.Duration
	// Addr is the listen address for New (default 127.0.0.1:0).
	Addr string
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Server is a running fake Mastodon instance.
type Server struct {
	// URL is the instance's base URL, http://127.0.0.1:port.
	URL string

	opts    Options
	srv     *httptest.Server
	closing chan struct{}
	once    sync.Once

	faults *fault.Routes

	mu          sync.Mutex
	seq         uint64
	accounts    map[string]*account
	tokens      map[string]*token
	apps        map[string]*app
	codes       map[string]*authCode
	media       map[string]*media
	statuses    []*Status
	byID        map[string]*Status
	idempotency map[string]idemEntry
	created     map[string]int
	signedIn    string
	rate        map[string]*window
}

type account struct {
	ID, Username, DisplayName string
	CreatedAt                 time.Time
}

type token struct {
	accountID string
	scopes    string
	revoked   bool
}

type app struct {
	Name, Website, RedirectURI, Scopes, ClientID, ClientSecret string
}

type authCode struct {
	clientID, redirectURI, accountID, challenge, method, scopes string
	used                                                        bool
}

type media struct {
	ID, AccountID, Type, MIME, Description string
	Data                                   []byte
	pollsLeft                              int
	attached                               bool
}

type idemEntry struct {
	statusID string
	at       time.Time
}

type window struct {
	start time.Time
	count int
}

// Status is a published status as the fake stores it.
type Status struct {
	ID          string
	AccountID   string
	Text        string // source text as sent
	Content     string // rendered HTML
	SpoilerText string
	Sensitive   bool
	Visibility  string
	Language    string
	MediaIDs    []string
	// MediaDescriptions are the attachments' alt texts, in order.
	MediaDescriptions []string
	IdempotencyKey    string
	CreatedAt         time.Time
	Deleted           bool
}

// New starts a fake on Options.Addr (default 127.0.0.1:0). Close it when done.
func New(opts Options) (*Server, error) {
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("mastodonfake: listen: %w", err)
	}
	s := newServer(opts)
	s.srv = httptest.NewUnstartedServer(s.routes())
	_ = s.srv.Listener.Close()
	s.srv.Listener = ln
	s.srv.Start()
	s.URL = s.srv.URL
	return s, nil
}

// NewTest starts a fake for one test and closes it at cleanup.
func NewTest(t testing.TB, opts Options) *Server {
	t.Helper()
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func newServer(opts Options) *Server {
	if opts.MaxCharacters == 0 {
		opts.MaxCharacters = 500
	}
	if opts.CharactersReservedPerURL == 0 {
		opts.CharactersReservedPerURL = 23
	}
	if opts.MaxMediaAttachments == 0 {
		opts.MaxMediaAttachments = 4
	}
	if opts.ImageSizeLimit == 0 {
		opts.ImageSizeLimit = 16 << 20
	}
	if opts.VideoSizeLimit == 0 {
		opts.VideoSizeLimit = 99 << 20
	}
	if len(opts.SupportedMIMETypes) == 0 {
		opts.SupportedMIMETypes = []string{"image/jpeg", "image/png", "image/gif", "image/heic", "image/heif", "image/webp", "image/avif", "video/webm", "video/mp4", "video/quicktime", "video/ogg", "audio/mpeg", "audio/ogg", "audio/wav"}
	}
	if opts.HoldTimeout == 0 {
		opts.HoldTimeout = time.Minute
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{
		opts:        opts,
		closing:     make(chan struct{}),
		accounts:    map[string]*account{},
		tokens:      map[string]*token{},
		apps:        map[string]*app{},
		codes:       map[string]*authCode{},
		media:       map[string]*media{},
		byID:        map[string]*Status{},
		idempotency: map[string]idemEntry{},
		created:     map[string]int{},
		rate:        map[string]*window{},
	}
	s.faults = s.faultRoutes()
	return s
}

// Close stops the server, releasing requests held by timeout faults.
func (s *Server) Close() {
	s.once.Do(func() {
		close(s.closing)
		s.srv.CloseClientConnections()
		s.srv.Close()
	})
}

// Client returns an HTTP client for the server.
func (s *Server) Client() *http.Client { return s.srv.Client() }

func (s *Server) now() time.Time { return s.opts.Now().UTC() }

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// nextID returns a Mastodon-like numeric id that sorts by creation.
func (s *Server) nextID() string {
	s.seq++
	return strconv.FormatUint(uint64(s.now().UnixMilli())<<16|s.seq&0xffff, 10)
}

// CreateAccount adds a local account and returns its id and an access token
// with read and write scopes. The first account is the one signed in to the
// OAuth authorize page.
func (s *Server) CreateAccount(username string) (id, accessToken string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id = s.nextID()
	s.accounts[id] = &account{ID: id, Username: username, DisplayName: username, CreatedAt: s.now()}
	accessToken = randHex(20)
	s.tokens[accessToken] = &token{accountID: id, scopes: "read write"}
	if s.signedIn == "" {
		s.signedIn = id
	}
	return id, accessToken
}

// SignIn makes accountID the user who approves OAuth authorize requests.
func (s *Server) SignIn(accountID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.signedIn = accountID
}

// RevokeToken revokes an access token (the user removed the app).
func (s *Server) RevokeToken(accessToken string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.tokens[accessToken]; t != nil {
		t.revoked = true
	}
}

// Statuses returns copies of every status ever created, oldest first,
// including deleted ones (Deleted is set).
func (s *Server) Statuses() []Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Status, 0, len(s.statuses))
	for _, st := range s.statuses {
		c := *st
		c.MediaIDs = append([]string(nil), st.MediaIDs...)
		c.MediaDescriptions = append([]string(nil), st.MediaDescriptions...)
		out = append(out, c)
	}
	return out
}

// Status returns a copy of one status.
func (s *Server) Status(id string) (Status, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.byID[id]
	if !ok {
		return Status{}, false
	}
	return *st, true
}

// CreatedCount returns how many statuses were created with exactly this
// source text: tests assert it never exceeds 1.
func (s *Server) CreatedCount(text string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.created[text]
}

// CreatedCounts returns the number of statuses created per text.
func (s *Server) CreatedCounts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.created))
	for k, v := range s.created {
		out[k] = v
	}
	return out
}

// Requests returns how many requests reached route ("POST /api/v1/statuses").
func (s *Server) Requests(route string) int { return s.faults.Requests(route) }

// MediaData returns the uploaded bytes and description of a media id.
func (s *Server) MediaData(id string) (data []byte, description string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.media[id]
	if !ok {
		return nil, "", false
	}
	return m.Data, m.Description, true
}

// writeJSON writes v with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError writes Mastodon's error entity.
func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// writeOAuthError writes an OAuth error with its description.
func writeOAuthError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}
