// Package provider defines the seam between Herald's publishing engine and
// the social networks: one Provider per network, typed errors that the engine
// handles once, and the rule table of the networks without a package yet.
//
// Every network lives in its own sub-package with New(Config, *http.Client)
// and a configurable base URL, so tests point it at a wire-faithful fake of the
// network's documented HTTP API (see providertest). A network describes
// itself (Descriptor: how it connects, its options, its rule-table row and
// counter, its settings) and exports a Network, its entry in the list the
// composition root wires into a Registry; docs/architecture.md says how to
// add one.
package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// Provider publishes to one social network.
//
// Methods may refresh credentials while they work (an expired session, a
// rotated token). When they do, they call Account.SaveCredentials at once, before
// anything else can fail, so a crash never loses a rotated refresh token.
type Provider interface {
	// Name is the lower-case provider id used on the wire ("mastodon");
	// it equals Describe().ID.
	Name() string

	// Describe says everything else Herald knows about the network: how it
	// connects, its options, its rule-table row and counter, its settings.
	Describe() Descriptor

	// Connect checks the user-supplied credentials against the network and
	// returns the account to store. in holds the provider's own JSON fields of
	// POST /social-profiles (for example {"instanceUrl", "accessToken"}).
	// A wrong credential is an *Error of KindRejected whose Message is the
	// network's reason.
	Connect(ctx context.Context, in json.RawMessage) (*Account, error)

	// Rules returns the publishing rules for this account. Networks that publish
	// their limits (Mastodon's /api/v2/instance) are read here; others return
	// their row of the rule table.
	Rules(ctx context.Context, acct *Account) (Rules, error)

	// Publish sends one post. req.Key is stable across every attempt of the
	// same target: providers use it as the network's idempotency key or record
	// key where the network offers one.
	Publish(ctx context.Context, acct *Account, req *PublishRequest) (*Published, error)

	// Find reconciles an attempt whose outcome is unknown: it looks the post
	// up on the network by req.Key (a record key, an idempotency key, or a
	// scan of the account's recent posts). It returns the post if it exists,
	// ErrNotPublished if the network proves it does not, and ErrCannotTell
	// when the network offers no way to know.
	Find(ctx context.Context, acct *Account, req *PublishRequest) (*Published, error)

	// Delete removes a published post from the network.
	Delete(ctx context.Context, acct *Account, remoteID string) error
}

// Refresher is implemented by providers whose credentials expire. The engine
// calls Refresh once after an error of KindTokenExpired, then retries.
type Refresher interface {
	Refresh(ctx context.Context, acct *Account) error
}

// Account is a connected social account as the provider sees it.
type Account struct {
	// ExternalID is the network's id for the account (a DID, an account id,
	// a chat id). Used to refuse connecting the same account twice.
	ExternalID string
	// Name and Image are shown to users (display name or handle, avatar URL).
	Name  string
	Image string
	// Credentials is the provider's own secret JSON (tokens, app passwords,
	// webhook URLs). Herald encrypts it at rest and never returns it.
	Credentials json.RawMessage
	// SaveCredentials persists new credentials at once. It is set by the
	// caller; providers call it when they obtain rotated credentials and also
	// update Credentials in place. It may be nil in Connect.
	SaveCredentials func(ctx context.Context, creds json.RawMessage) error `json:"-"`
}

// PublishRequest is one post for one account.
type PublishRequest struct {
	// Key identifies this target across attempts (and processes). It is
	// URL-safe, at most 64 characters.
	Key string
	// Text is the caption for this network.
	Text string
	// Media are the attachments, already validated against Rules.
	Media []Media
	// Options are per-network settings (Mastodon "visibility",
	// "spoilerText", "language"; Telegram "parseMode"; ...). Unknown keys are
	// ignored by providers that do not use them.
	Options map[string]string
	// ScheduledAt is the instant the post was due (for feeds and logs).
	ScheduledAt time.Time
}

// Media is one attachment. Providers that upload call Open; providers whose
// network pulls media by URL use URL.
type Media struct {
	// Kind is "image" or "video".
	Kind     string
	MIME     string
	Size     int64
	Width    int
	Height   int
	Duration time.Duration
	AltText  string
	// URL is Herald's public URL for this file.
	URL string
	// Open returns the file's bytes.
	Open func(ctx context.Context) (io.ReadCloser, error) `json:"-"`
}

// Published is a post that exists on the network.
type Published struct {
	RemoteID    string
	URL         string
	PublishedAt time.Time
}

// ErrorKind classifies a failure so the engine handles each class once.
type ErrorKind int

const (
	// KindTransient means the request certainly did not take effect (it was
	// never sent, or the network said so): retry with backoff.
	KindTransient ErrorKind = iota + 1
	// KindRateLimited means the network refused for rate: wait RetryAt.
	KindRateLimited
	// KindTokenExpired means the credentials must be refreshed, then retry.
	KindTokenExpired
	// KindRejected means the network refused the post or the credentials
	// for a reason retrying will not change. Message is the network's reason.
	KindRejected
	// KindUnauthorized means the connection is no longer valid (revoked
	// token, deleted webhook) and the user must reconnect the account.
	KindUnauthorized
	// KindOutcomeUnknown means the request may have reached the network
	// (timeout after sending, a 5xx to a non-idempotent create, a malformed
	// success response). Never retry blindly: reconcile with Find.
	KindOutcomeUnknown
)

// String names the kind for logs and stored error codes.
func (k ErrorKind) String() string {
	switch k {
	case KindTransient:
		return "transient"
	case KindRateLimited:
		return "rate_limited"
	case KindTokenExpired:
		return "token_expired"
	case KindRejected:
		return "rejected"
	case KindUnauthorized:
		return "unauthorized"
	case KindOutcomeUnknown:
		return "outcome_unknown"
	}
	return "unknown"
}

// Error is the only error type providers return for network failures.
type Error struct {
	Kind ErrorKind
	// Code is the network's own error code or HTTP status ("422",
	// "InvalidRequest", "RateLimitExceeded").
	Code string
	// Message is the network's own reason, safe to show the user.
	Message string
	// RetryAt is when a rate limit resets (zero if unknown).
	RetryAt time.Time
	// Err is the underlying cause, if any.
	Err error
}

func (e *Error) Error() string {
	s := e.Kind.String()
	if e.Code != "" {
		s += " (" + e.Code + ")"
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.Err != nil && (e.Message == "" || e.Err.Error() != e.Message) {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error of the given kind and network code.
func Errorf(kind ErrorKind, code, format string, args ...any) *Error {
	return &Error{Kind: kind, Code: code, Message: fmt.Sprintf(format, args...)}
}

// KindOf returns the kind of err, or KindOutcomeUnknown for an error that is
// not an *Error: a failure nobody classified may have reached the network.
func KindOf(err error) ErrorKind {
	var pe *Error
	if errors.As(err, &pe) {
		return pe.Kind
	}
	return KindOutcomeUnknown
}

// ErrNotPublished is returned by Find when the network proves the post does
// not exist, so publishing again cannot duplicate it.
var ErrNotPublished = errors.New("provider: post not found on the network")

// ErrCannotTell is returned by Find when the network offers no way to know
// whether the post exists.
var ErrCannotTell = errors.New("provider: the network offers no way to tell whether the post exists")

// ServerOAuth is implemented by providers connected through an OAuth flow
// on a server the user names (a Mastodon instance): Herald registers itself
// with the server on the fly, sends the user to its authorization page and
// exchanges the code it returns for a token.
type ServerOAuth interface {
	// NormalizeServer turns what the user typed ("mastodon.social") into
	// the server's base URL, or says why it cannot.
	NormalizeServer(raw string) (string, error)
	// RegisterClient registers Herald as an OAuth client of the server.
	RegisterClient(ctx context.Context, server, clientName, redirectURI string) (clientID, clientSecret string, err error)
	// AuthorizationURL is where the user's browser approves access (PKCE
	// S256 with codeChallenge).
	AuthorizationURL(server, clientID, redirectURI, state, codeChallenge string) string
	// Exchange trades the authorization code for an account, checking the
	// token it gets against the server.
	Exchange(ctx context.Context, server, clientID, clientSecret, redirectURI, code, codeVerifier string) (*Account, error)
}

// Configurable is implemented by providers that need settings before users
// can connect accounts, such as an OAuth application's client id and secret
// registered with the network. MissingSettings names the settings (their
// environment variables) not set yet; none when the provider is ready.
type Configurable interface {
	MissingSettings() []string
}

// FeedItem is one published post as a feed document shows it.
type FeedItem struct {
	ID        string
	Text      string
	URL       string
	Published time.Time
	Media     []Media
}

// FeedRenderer is implemented by providers that publish into documents
// Herald serves itself (RSS, Atom, JSON Feed).
type FeedRenderer interface {
	// RenderFeed renders the feed in format ("rss", "atom" or "json"),
	// newest item first, and returns the document and its content type.
	RenderFeed(format, title, selfURL, homeURL string, items []FeedItem) ([]byte, string, error)
}
