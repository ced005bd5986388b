// Package blueskyfake is a wire-faithful fake of a Bluesky PDS and of the
// PLC directory: the XRPC paths of com.atproto.server (createSession,
// refreshSession, getSession), com.atproto.identity.resolveHandle and
// com.atproto.repo (uploadBlob, createRecord, putRecord, getRecord,
// deleteRecord), with XRPC error bodies {"error", "message"}, the
// ratelimit-* headers, access tokens that expire and refresh tokens that
// rotate. State is kept in memory so tests read back records and blobs, and
// faults can be injected per route.
//
// The PLC directory is served on the same server (GET /{did}), so point
// the adapter's PLC URL at Server.URL.
//
// New starts a server outside of a test; NewTest ties one to a testing.TB.
package blueskyfake

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/provider/providertest/fault"
)

// Options configure a Server.
type Options struct {
	// AccessTTL is the lifetime of access tokens (default 2 h, as the PDS).
	AccessTTL time.Duration
	// RefreshTTL is the lifetime of refresh tokens (default 90 days).
	RefreshTTL time.Duration
	// MaxBlobSize bounds uploadBlob (default 50 MB).
	MaxBlobSize int64
	// Latency delays every answer (for benchmarks), honouring cancellation.
	Latency time.Duration
	// HoldTimeout bounds how long timeout faults hold a request (default 1 min).
	HoldTimeout time.Duration
	// Addr is the listen address for New (default 127.0.0.1:0).
	Addr string
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Server is a running fake PDS and PLC directory.
type Server struct {
	// URL is the base URL, http://127.0.0.1:port: the PDS endpoint of every
	// account and the PLC directory.
	URL string

	opts    Options
	srv     *httptest.Server
	closing chan struct{}
	once    sync.Once

	faults *fault.Routes

	mu       sync.Mutex
	accounts map[string]*account // by DID
	handles  map[string]string   // handle → DID
	access   map[string]*session
	refresh  map[string]*session
	records  map[string]*Record // "did/collection/rkey"
	order    []string
	blobs    map[string]*Blob
	created  map[string]int
	seq      int
}

type account struct {
	DID, Handle, Password string
}

type session struct {
	did     string
	expires time.Time
	revoked bool
}

// Record is a stored repository record.
type Record struct {
	URI        string
	CID        string
	DID        string
	Collection string
	RKey       string
	// Value is the record JSON as stored.
	Value     json.RawMessage
	CreatedAt time.Time
	Deleted   bool
}

// Blob is an uploaded blob.
type Blob struct {
	CID, DID, MIME string
	Data           []byte
}

// New starts a fake on Options.Addr (default 127.0.0.1:0). Close it when done.
func New(opts Options) (*Server, error) {
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("blueskyfake: listen: %w", err)
	}
	if opts.AccessTTL == 0 {
		opts.AccessTTL = 2 * time.Hour
	}
	if opts.RefreshTTL == 0 {
		opts.RefreshTTL = 90 * 24 * time.Hour
	}
	if opts.MaxBlobSize == 0 {
		opts.MaxBlobSize = 50_000_000
	}
	if opts.HoldTimeout == 0 {
		opts.HoldTimeout = time.Minute
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{
		opts: opts, closing: make(chan struct{}),
		accounts: map[string]*account{}, handles: map[string]string{},
		access: map[string]*session{}, refresh: map[string]*session{},
		records: map[string]*Record{}, blobs: map[string]*Blob{}, created: map[string]int{},
	}
	s.faults = s.faultRoutes()
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

// Close stops the server, releasing requests held by timeout faults.
func (s *Server) Close() {
	s.once.Do(func() {
		close(s.closing)
		s.srv.CloseClientConnections()
		s.srv.Close()
	})
}

func (s *Server) now() time.Time { return s.opts.Now().UTC() }

// CreateAccount adds an account with an app password and returns its DID
// (did:plc:…, derived from the handle).
func (s *Server) CreateAccount(handle, appPassword string) string {
	sum := sha256.Sum256([]byte(handle))
	did := "did:plc:" + strings.ToLower(base32.StdEncoding.EncodeToString(sum[:15]))
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accounts[did] = &account{DID: did, Handle: strings.ToLower(handle), Password: appPassword}
	s.handles[strings.ToLower(handle)] = did
	return did
}

// SetPassword changes (or, with "", revokes) an account's app password.
func (s *Server) SetPassword(did, appPassword string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.accounts[did]; a != nil {
		a.Password = appPassword
	}
}

// ExpireAccessTokens makes every access token issued so far expired.
func (s *Server) ExpireAccessTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	past := s.now().Add(-time.Second)
	for _, se := range s.access {
		se.expires = past
	}
}

// RevokeSessions revokes every access and refresh token of did (as when
// the user deletes the app password).
func (s *Server) RevokeSessions(did string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range []map[string]*session{s.access, s.refresh} {
		for _, se := range m {
			if se.did == did {
				se.revoked = true
			}
		}
	}
}

// Records returns copies of every record of collection ever written, in
// order of creation, including deleted ones.
func (s *Server) Records(collection string) []Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Record
	for _, k := range s.order {
		if r := s.records[k]; r.Collection == collection {
			out = append(out, *r)
		}
	}
	return out
}

// Record returns a copy of one record.
func (s *Server) Record(did, collection, rkey string) (Record, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.records[did+"/"+collection+"/"+rkey]
	if !ok {
		return Record{}, false
	}
	return *r, true
}

// Blob returns an uploaded blob by CID.
func (s *Server) Blob(cid string) (Blob, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.blobs[cid]
	if !ok {
		return Blob{}, false
	}
	return *b, true
}

// CreatedCount returns how many app.bsky.feed.post records were created
// with exactly this text (never counting a no-op rewrite): tests assert it
// never exceeds 1.
func (s *Server) CreatedCount(text string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.created[text]
}

// CreatedCounts returns the number of posts created per text.
func (s *Server) CreatedCounts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.created))
	for k, v := range s.created {
		out[k] = v
	}
	return out
}

// Requests returns how many requests reached route
// ("POST /xrpc/com.atproto.repo.putRecord").
func (s *Server) Requests(route string) int { return s.faults.Requests(route) }

// token mints a JWT-shaped token (unsigned: the fake checks its own map).
func (s *Server) token(scope, did string, exp time.Time) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	enc := base64.RawURLEncoding
	header := enc.EncodeToString([]byte(`{"typ":"at+jwt","alg":"ES256K"}`))
	claims, _ := json.Marshal(map[string]any{"scope": scope, "sub": did, "aud": "did:web:fake.pds", "iat": s.now().Unix(), "exp": exp.Unix(), "jti": hex.EncodeToString(b)})
	return header + "." + enc.EncodeToString(claims) + "." + enc.EncodeToString(b)
}

// cidFor returns a CIDv1 string (base32, sha2-256) for data with codec
// 0x71 (dag-cbor, records) or 0x55 (raw, blobs), shaped like the real ones.
func cidFor(codec byte, data []byte) string {
	sum := sha256.Sum256(data)
	b := append([]byte{0x01, codec, 0x12, 0x20}, sum[:]...)
	return "b" + strings.ToLower(strings.TrimRight(base32.StdEncoding.EncodeToString(b), "="))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError writes an XRPC error body.
func writeError(w http.ResponseWriter, status int, name, msg string) {
	writeJSON(w, status, map[string]string{"error": name, "message": msg})
}
