// Package bluesky publishes app.bsky.feed.post records to an account's
// Personal Data Server over XRPC (AT Protocol).
//
// An account connects with its handle and an app password: the handle is
// resolved to a DID, the DID to its PDS, and a session created there. The
// session's access token is refreshed inside the adapter (proactively when
// it is about to expire, and once when the PDS answers ExpiredToken); when
// the refresh token is refused too, a new session is created with the app
// password. New tokens are saved through Account.SaveCredentials at once.
//
// Posts are written with com.atproto.repo.putRecord under a record key
// derived from PublishRequest.Key, so a retry can never create a second
// post: it finds the first one.
package bluesky

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/heraldhq/herald/internal/provider"
	"github.com/heraldhq/herald/internal/safehttp"
)

// Name is the provider name on the wire.
const Name = "bluesky"

// Defaults.
const (
	DefaultService = "https://bsky.social"
	DefaultPLC     = "https://plc.directory"
	DefaultAppURL  = "https://bsky.app"
)

// Config tunes the adapter. The zero value talks to the real network.
type Config struct {
	// Service is the PDS (or entryway) used when the connect input names
	// none (default https://bsky.social).
	Service string
	// PLCURL is the PLC directory that resolves did:plc (default
	// https://plc.directory).
	PLCURL string
	// DIDWebScheme is the scheme used to fetch did:web documents (default
	// "https"; tests use "http").
	DIDWebScheme string
	// AppURL is the web app that post URLs point to (default https://bsky.app).
	AppURL string
	// RefreshBefore refreshes an access token this long before it expires
	// (default 1 minute).
	RefreshBefore time.Duration
	// UserAgent is sent with every request.
	UserAgent string
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Provider is the Bluesky adapter. It is safe for concurrent use.
type Provider struct {
	cfg    Config
	client *http.Client

	// locks serialises session refreshes per DID, so concurrent publishes
	// for one account do not race to rotate its refresh token.
	locks sync.Map // DID → *sync.Mutex
}

var (
	_ provider.Provider  = (*Provider)(nil)
	_ provider.Refresher = (*Provider)(nil)
)

// New returns the adapter. client should refuse private addresses when
// service URLs come from users; nil means a safehttp client that refuses
// private addresses.
func New(cfg Config, client *http.Client) *Provider {
	if cfg.Service == "" {
		cfg.Service = DefaultService
	}
	if cfg.PLCURL == "" {
		cfg.PLCURL = DefaultPLC
	}
	if cfg.DIDWebScheme == "" {
		cfg.DIDWebScheme = "https"
	}
	if cfg.AppURL == "" {
		cfg.AppURL = DefaultAppURL
	}
	if cfg.RefreshBefore <= 0 {
		cfg.RefreshBefore = time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if client == nil {
		client = safehttp.NewClient(safehttp.Config{})
	}
	cfg.Service = strings.TrimRight(cfg.Service, "/")
	cfg.PLCURL = strings.TrimRight(cfg.PLCURL, "/")
	cfg.AppURL = strings.TrimRight(cfg.AppURL, "/")
	return &Provider{cfg: cfg, client: client}
}

// Name returns "bluesky".
func (p *Provider) Name() string { return Name }

func (p *Provider) now() time.Time { return p.cfg.Now() }

// Credentials is what Herald stores (encrypted) for a Bluesky account. The
// app password is kept so a session can be re-created when the refresh
// token is lost or refused.
type Credentials struct {
	DID         string `json:"did"`
	Handle      string `json:"handle"`
	PDS         string `json:"pds"`
	AccessJwt   string `json:"accessJwt"`
	RefreshJwt  string `json:"refreshJwt"`
	AppPassword string `json:"appPassword"`
}

type connectInput struct {
	Handle      string `json:"handle"`
	AppPassword string `json:"appPassword"`
	Service     string `json:"service"`
}

// sessionOut is the output of createSession and refreshSession.
type sessionOut struct {
	AccessJwt  string          `json:"accessJwt"`
	RefreshJwt string          `json:"refreshJwt"`
	Handle     string          `json:"handle"`
	DID        string          `json:"did"`
	DIDDoc     json.RawMessage `json:"didDoc"`
}

// Connect resolves the handle to its DID and PDS and creates a session with
// the app password. A wrong handle or password is KindRejected carrying the
// server's message ("Invalid identifier or password").
func (p *Provider) Connect(ctx context.Context, in json.RawMessage) (*provider.Account, error) {
	var ci connectInput
	if err := json.Unmarshal(in, &ci); err != nil {
		return nil, provider.Errorf(provider.KindRejected, "InvalidRequest", "invalid Bluesky credentials: %v", err)
	}
	handle := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(ci.Handle), "@"))
	if handle == "" || strings.TrimSpace(ci.AppPassword) == "" {
		return nil, provider.Errorf(provider.KindRejected, "InvalidRequest", "handle and appPassword are required")
	}
	service := p.cfg.Service
	if ci.Service != "" {
		u, err := url.Parse(strings.TrimSpace(ci.Service))
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, provider.Errorf(provider.KindRejected, "InvalidRequest", "service must be an http(s) URL of a Bluesky server")
		}
		service = u.Scheme + "://" + u.Host
	}

	did := handle
	if !strings.HasPrefix(handle, "did:") {
		var out struct {
			DID string `json:"did"`
		}
		err := p.do(ctx, call{method: http.MethodGet, url: service + "/xrpc/com.atproto.identity.resolveHandle?" + url.Values{"handle": {handle}}.Encode()}, &out)
		if err != nil {
			return nil, rejectAtConnect(err)
		}
		did = out.DID
	}
	pds := p.resolvePDS(ctx, did)
	if pds == "" {
		pds = service
	}
	s, err := p.createSession(ctx, pds, did, ci.AppPassword)
	if err != nil {
		return nil, rejectAtConnect(err)
	}
	if s.DID != "" && s.DID != did {
		return nil, provider.Errorf(provider.KindRejected, "InvalidRequest", "the server signed in %s, not %s", s.DID, did)
	}
	if doc := pdsFromDoc(s.DIDDoc); doc != "" {
		pds = doc
	}
	creds := Credentials{DID: did, Handle: s.Handle, PDS: pds, AccessJwt: s.AccessJwt, RefreshJwt: s.RefreshJwt, AppPassword: ci.AppPassword}
	if creds.Handle == "" {
		creds.Handle = handle
	}
	raw, _ := json.Marshal(creds)
	return &provider.Account{ExternalID: did, Name: "@" + creds.Handle, Credentials: raw}, nil
}

// rejectAtConnect turns an authentication failure at connect time into
// KindRejected: the user typed something wrong, nothing died.
func rejectAtConnect(err error) error {
	if pe, ok := err.(*provider.Error); ok && pe.Kind == provider.KindUnauthorized {
		pe.Kind = provider.KindRejected
	}
	return err
}

// resolvePDS finds the PDS endpoint in the DID's document (PLC directory
// for did:plc, /.well-known/did.json for did:web). It returns "" when the
// document cannot be fetched, and the caller falls back to the service.
func (p *Provider) resolvePDS(ctx context.Context, did string) string {
	var docURL string
	switch {
	case strings.HasPrefix(did, "did:plc:"):
		docURL = p.cfg.PLCURL + "/" + did
	case strings.HasPrefix(did, "did:web:"):
		// atproto allows only hostname-level did:web (a port is %3A-escaped).
		raw := strings.TrimPrefix(did, "did:web:")
		host, err := url.PathUnescape(raw)
		if err != nil || strings.Contains(raw, ":") || strings.ContainsAny(host, "/?#@") {
			return ""
		}
		docURL = p.cfg.DIDWebScheme + "://" + host + "/.well-known/did.json"
	default:
		return ""
	}
	var doc json.RawMessage
	if err := p.do(ctx, call{method: http.MethodGet, url: docURL}, &doc); err != nil {
		return ""
	}
	return pdsFromDoc(doc)
}

// pdsFromDoc returns the #atproto_pds service endpoint of a DID document.
func pdsFromDoc(raw json.RawMessage) string {
	var doc struct {
		Service []struct {
			ID              string `json:"id"`
			Type            string `json:"type"`
			ServiceEndpoint any    `json:"serviceEndpoint"`
		} `json:"service"`
	}
	if len(raw) == 0 || json.Unmarshal(raw, &doc) != nil {
		return ""
	}
	for _, s := range doc.Service {
		if (strings.HasSuffix(s.ID, "#atproto_pds")) && s.Type == "AtprotoPersonalDataServer" {
			if ep, ok := s.ServiceEndpoint.(string); ok {
				u, err := url.Parse(ep)
				if err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" {
					return u.Scheme + "://" + u.Host
				}
			}
		}
	}
	return ""
}

func (p *Provider) createSession(ctx context.Context, pds, identifier, password string) (*sessionOut, error) {
	body, _ := json.Marshal(map[string]string{"identifier": identifier, "password": password})
	var s sessionOut
	if err := p.do(ctx, call{method: http.MethodPost, url: pds + "/xrpc/com.atproto.server.createSession", body: strings.NewReader(string(body))}, &s); err != nil {
		return nil, err
	}
	if s.AccessJwt == "" {
		return nil, provider.Errorf(provider.KindTransient, "malformed", "the server created a session without tokens")
	}
	return &s, nil
}

func credentials(acct *provider.Account) (Credentials, error) {
	var c Credentials
	if acct == nil || json.Unmarshal(acct.Credentials, &c) != nil || c.DID == "" || c.PDS == "" {
		return c, provider.Errorf(provider.KindUnauthorized, "invalid_credentials", "stored Bluesky credentials are unreadable; reconnect the account")
	}
	return c, nil
}

// Rules returns Bluesky's limits, its row of the rule table (describe.go):
// 300 graphemes and 3,000 bytes of text, up to 4 images of at most
// 1,000,000 bytes each, or one MP4 video.
func (p *Provider) Rules(ctx context.Context, acct *provider.Account) (provider.Rules, error) {
	return describe().Rules, nil
}

// jwtExpiry reads the exp claim of a JWT without verifying it (the server
// verifies; the client only wants to know when to refresh).
func jwtExpiry(tok string) time.Time {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return time.Time{}
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return time.Time{}
	}
	var claims struct {
		Exp int64 `json:"exp"`
	}
	if json.Unmarshal(b, &claims) != nil || claims.Exp == 0 {
		return time.Time{}
	}
	return time.Unix(claims.Exp, 0)
}

func (p *Provider) lock(did string) *sync.Mutex {
	m, _ := p.locks.LoadOrStore(did, &sync.Mutex{})
	return m.(*sync.Mutex)
}

// Refresh renews the session with refreshSession (the refresh token as
// bearer) or, if that is refused, a new createSession with the app
// password, and saves the new tokens through acct.SaveCredentials.
//
// A refused app password is KindUnauthorized (the user must reconnect); a
// network failure during refresh is KindTokenExpired, so the engine may try
// again later.
func (p *Provider) Refresh(ctx context.Context, acct *provider.Account) error {
	c, err := credentials(acct)
	if err != nil {
		return err
	}
	_, err = p.refresh(ctx, acct, c, c.AccessJwt)
	return err
}

// refresh renews c's session unless another goroutine already did (the
// stored access token differs from stale), and returns the new credentials.
func (p *Provider) refresh(ctx context.Context, acct *provider.Account, c Credentials, stale string) (Credentials, error) {
	mu := p.lock(c.DID)
	mu.Lock()
	defer mu.Unlock()
	if cur, err := credentials(acct); err == nil && cur.AccessJwt != stale && cur.AccessJwt != "" {
		return cur, nil
	}

	var s sessionOut
	var err error = errNoRefreshToken
	if c.RefreshJwt != "" {
		err = p.do(ctx, call{method: http.MethodPost, url: c.PDS + "/xrpc/com.atproto.server.refreshSession", token: c.RefreshJwt}, &s)
		if err == nil && s.AccessJwt == "" {
			err = provider.Errorf(provider.KindTransient, "malformed", "the server refreshed the session without tokens")
		}
	}
	if err != nil {
		if kindOf(err) == provider.KindTransient || kindOf(err) == provider.KindRateLimited {
			// The server was not reached or is busy: the refresh token
			// may still be good, so do not spend the app password.
			return c, tokenExpired(err)
		}
		if c.AppPassword == "" {
			return c, &provider.Error{Kind: provider.KindUnauthorized, Code: errorCode(err), Message: "the Bluesky session expired and no app password is stored; reconnect the account", Err: err}
		}
		ns, err2 := p.createSession(ctx, c.PDS, c.DID, c.AppPassword)
		if err2 != nil {
			if k := kindOf(err2); k == provider.KindUnauthorized || k == provider.KindRejected {
				pe := err2.(*provider.Error)
				return c, &provider.Error{Kind: provider.KindUnauthorized, Code: pe.Code, Message: pe.Message, Err: err2}
			}
			return c, tokenExpired(err2)
		}
		s = *ns
	}
	c.AccessJwt = s.AccessJwt
	if s.RefreshJwt != "" { // never replace a refresh token with nothing
		c.RefreshJwt = s.RefreshJwt
	}
	if s.Handle != "" && s.Handle != "handle.invalid" {
		c.Handle = s.Handle
	}
	if err := save(ctx, acct, c); err != nil {
		return c, err
	}
	return c, nil
}

var errNoRefreshToken = provider.Errorf(provider.KindRejected, "ExpiredToken", "no refresh token stored")

func tokenExpired(err error) error {
	pe, _ := err.(*provider.Error)
	e := &provider.Error{Kind: provider.KindTokenExpired, Code: "ExpiredToken", Message: "the Bluesky session could not be refreshed", Err: err}
	if pe != nil {
		e.RetryAt = pe.RetryAt
	}
	return e
}

// save stores c in acct and persists it at once.
func save(ctx context.Context, acct *provider.Account, c Credentials) error {
	raw, _ := json.Marshal(c)
	acct.Credentials = raw
	if acct.SaveCredentials != nil {
		if err := acct.SaveCredentials(ctx, raw); err != nil {
			return &provider.Error{Kind: provider.KindTransient, Code: "save_credentials", Message: "could not store the refreshed Bluesky session", Err: err}
		}
	}
	return nil
}

// authed runs one authenticated exchange against the account's PDS: it
// refreshes a token about to expire first, and on ExpiredToken (or a 401
// that a fresh session may cure) refreshes once and sends again. send makes
// the request with the given credentials and may be called twice, so it
// must build its body afresh each time.
func (p *Provider) authed(ctx context.Context, acct *provider.Account, send func(c Credentials) error) error {
	c, err := credentials(acct)
	if err != nil {
		return err
	}
	if exp := jwtExpiry(c.AccessJwt); c.AccessJwt == "" || !exp.IsZero() && !p.now().Add(p.cfg.RefreshBefore).Before(exp) {
		if c, err = p.refresh(ctx, acct, c, c.AccessJwt); err != nil {
			return err
		}
	}
	err = send(c)
	k := kindOf(err)
	if k != provider.KindTokenExpired && k != provider.KindUnauthorized {
		return err
	}
	// ExpiredToken and 401 are answered before the request is processed,
	// so sending it again cannot duplicate anything.
	first := err
	if c, err = p.refresh(ctx, acct, c, c.AccessJwt); err != nil {
		if k == provider.KindUnauthorized && kindOf(err) != provider.KindUnauthorized {
			return first
		}
		return err
	}
	return send(c)
}
