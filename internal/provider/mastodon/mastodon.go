// Package mastodon publishes to Mastodon and servers that speak its client
// API (GoToSocial, Pleroma, Akkoma).
//
// Instances are user-supplied, so every account carries its own instance
// URL; the *http.Client passed to New is expected to refuse private
// addresses (the caller's policy, not this package's).
//
// Publishing never repeats a post: statuses are created with an
// Idempotency-Key (Mastodon keeps it an hour), and because GoToSocial
// ignores that header, Find reconciles an unknown outcome by scanning the
// account's recent statuses.
package mastodon

import (
	"context"
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
const Name = "mastodon"

// Defaults used when an instance does not publish its limits.
const (
	DefaultMaxCharacters       = 500
	DefaultMaxMediaAttachments = 4
	// DefaultAltTextMax is Mastodon's MediaAttachment description limit.
	DefaultAltTextMax = 1500
)

// Config tunes the adapter. The zero value is ready to use.
type Config struct {
	// MediaTimeout bounds the wait for an upload to be processed
	// (default 5 minutes).
	MediaTimeout time.Duration
	// MediaPollInterval is the first wait between media polls (default
	// 500 ms); it grows by half each time up to MediaPollMax (default 5 s).
	MediaPollInterval time.Duration
	MediaPollMax      time.Duration
	// FindPages bounds how many pages of 40 statuses Find scans (default 25:
	// an account that posted more than 1,000 statuses since an interrupted
	// attempt is rare, and a page costs one request only when reconciling).
	FindPages int
	// FindSkew is how far before PublishRequest.ScheduledAt Find still
	// accepts a status as the attempt's (clock skew; default 10 minutes).
	FindSkew time.Duration
	// RulesTTL is how long an instance's limits are cached (default 1 h).
	RulesTTL time.Duration
	// UserAgent is sent with every request.
	UserAgent string
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Provider is the Mastodon adapter. It is safe for concurrent use.
type Provider struct {
	cfg    Config
	client *http.Client

	mu    sync.Mutex
	rules map[string]cachedRules
}

type cachedRules struct {
	rules provider.Rules
	until time.Time
}

var (
	_ provider.Provider  = (*Provider)(nil)
	_ provider.Refresher = (*Provider)(nil)
)

// New returns the adapter. client should refuse private addresses when
// instance URLs come from users; nil means a safehttp client that refuses
// private addresses.
func New(cfg Config, client *http.Client) *Provider {
	if cfg.MediaTimeout <= 0 {
		cfg.MediaTimeout = 5 * time.Minute
	}
	if cfg.MediaPollInterval <= 0 {
		cfg.MediaPollInterval = 500 * time.Millisecond
	}
	if cfg.MediaPollMax <= 0 {
		cfg.MediaPollMax = 5 * time.Second
	}
	if cfg.FindPages <= 0 {
		cfg.FindPages = 25
	}
	if cfg.FindSkew <= 0 {
		cfg.FindSkew = 10 * time.Minute
	}
	if cfg.RulesTTL <= 0 {
		cfg.RulesTTL = time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if client == nil {
		client = safehttp.NewClient(safehttp.Config{})
	}
	return &Provider{cfg: cfg, client: client, rules: map[string]cachedRules{}}
}

// Name returns "mastodon".
func (p *Provider) Name() string { return Name }

func (p *Provider) now() time.Time { return p.cfg.Now() }

// Credentials is what Herald stores (encrypted) for a Mastodon account.
type Credentials struct {
	InstanceURL string `json:"instanceUrl"`
	AccessToken string `json:"accessToken"`
	// AccountID is the account's id on the instance, needed by Find.
	AccountID string `json:"accountId,omitempty"`
}

// connectInput is the body of POST /social-profiles for Mastodon.
type connectInput struct {
	InstanceURL string `json:"instanceUrl"`
	AccessToken string `json:"accessToken"`
}

// NormalizeInstanceURL turns "mastodon.social", "https://mastodon.social/"
// or "https://mastodon.social/@me" into "https://mastodon.social". A URL
// without a scheme is taken as https.
func NormalizeInstanceURL(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", provider.Errorf(provider.KindRejected, "invalid_instance", "instanceUrl is required")
	}
	if !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") || u.User != nil {
		return "", provider.Errorf(provider.KindRejected, "invalid_instance", "instanceUrl must be an http(s) URL of a server")
	}
	return u.Scheme + "://" + strings.ToLower(u.Host), nil
}

// account is the subset of Mastodon's Account entity used here.
type account struct {
	ID          string `json:"id"`
	Username    string `json:"username"`
	Acct        string `json:"acct"`
	DisplayName string `json:"display_name"`
	URL         string `json:"url"`
	Avatar      string `json:"avatar"`
}

// Connect verifies an access token with GET
// /api/v1/accounts/verify_credentials. A revoked or wrong token is
// KindRejected with the instance's message ("The access token is invalid").
func (p *Provider) Connect(ctx context.Context, in json.RawMessage) (*provider.Account, error) {
	var ci connectInput
	if err := json.Unmarshal(in, &ci); err != nil {
		return nil, provider.Errorf(provider.KindRejected, "invalid_request", "invalid Mastodon credentials: %v", err)
	}
	base, err := NormalizeInstanceURL(ci.InstanceURL)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(ci.AccessToken) == "" {
		return nil, provider.Errorf(provider.KindRejected, "invalid_request", "accessToken is required")
	}
	return p.ConnectToken(ctx, base, strings.TrimSpace(ci.AccessToken))
}

// ConnectToken verifies accessToken on the instance at base (already
// normalised) and returns the account; the OAuth flow calls it after
// ExchangeCode.
func (p *Provider) ConnectToken(ctx context.Context, base, accessToken string) (*provider.Account, error) {
	var a account
	_, err := p.do(ctx, request{method: http.MethodGet, url: base + "/api/v1/accounts/verify_credentials", token: accessToken}, &a)
	if err != nil {
		// At connect time a refused token is the user's mistake to fix,
		// not a connection that died.
		if pe, ok := err.(*provider.Error); ok && pe.Kind == provider.KindUnauthorized {
			pe.Kind = provider.KindRejected
		}
		return nil, err
	}
	if a.ID == "" {
		return nil, provider.Errorf(provider.KindTransient, "malformed", "the instance answered without an account id")
	}
	creds, _ := json.Marshal(Credentials{InstanceURL: base, AccessToken: accessToken, AccountID: a.ID})
	host := strings.TrimPrefix(strings.TrimPrefix(base, "https://"), "http://")
	name := a.DisplayName
	if name == "" {
		name = "@" + a.Username + "@" + host
	}
	return &provider.Account{
		ExternalID:  a.ID + "@" + host,
		Name:        name,
		Image:       a.Avatar,
		Credentials: creds,
	}, nil
}

func credentials(acct *provider.Account) (Credentials, error) {
	var c Credentials
	if acct == nil || json.Unmarshal(acct.Credentials, &c) != nil || c.InstanceURL == "" || c.AccessToken == "" {
		return c, provider.Errorf(provider.KindUnauthorized, "invalid_credentials", "stored Mastodon credentials are unreadable; reconnect the account")
	}
	return c, nil
}

// Refresh always fails: Mastodon access tokens do not expire, so a refused
// token was revoked and the user must reconnect.
func (p *Provider) Refresh(ctx context.Context, acct *provider.Account) error {
	return provider.Errorf(provider.KindUnauthorized, "401", "Mastodon access tokens do not expire; the token was revoked, reconnect the account")
}

// instance is the subset of /api/v2/instance (and /api/v1/instance) read
// for limits. Pleroma and Akkoma publish max_toot_chars on v1 instead.
type instance struct {
	MaxTootChars  int `json:"max_toot_chars"`
	Configuration struct {
		Statuses struct {
			MaxCharacters            int `json:"max_characters"`
			MaxMediaAttachments      int `json:"max_media_attachments"`
			CharactersReservedPerURL int `json:"characters_reserved_per_url"`
		} `json:"statuses"`
		MediaAttachments struct {
			SupportedMIMETypes []string `json:"supported_mime_types"`
			ImageSizeLimit     int64    `json:"image_size_limit"`
			VideoSizeLimit     int64    `json:"video_size_limit"`
		} `json:"media_attachments"`
	} `json:"configuration"`
}

// Rules reads the instance's limits from /api/v2/instance, falling back to
// /api/v1/instance and then to Mastodon's defaults (500 characters, 23 per
// URL, 4 attachments). Results are cached per instance for RulesTTL.
func (p *Provider) Rules(ctx context.Context, acct *provider.Account) (provider.Rules, error) {
	c, err := credentials(acct)
	if err != nil {
		return provider.Rules{}, err
	}
	return p.InstanceRules(ctx, c.InstanceURL)
}

// InstanceRules returns the rules of the instance at base (normalised URL).
func (p *Provider) InstanceRules(ctx context.Context, base string) (provider.Rules, error) {
	p.mu.Lock()
	cached, ok := p.rules[base]
	p.mu.Unlock()
	if ok && p.now().Before(cached.until) {
		return cached.rules, nil
	}
	var inst instance
	_, err := p.do(ctx, request{method: http.MethodGet, url: base + "/api/v2/instance"}, &inst)
	if err != nil || inst.Configuration.Statuses.MaxCharacters == 0 {
		var v1 instance
		if _, err1 := p.do(ctx, request{method: http.MethodGet, url: base + "/api/v1/instance"}, &v1); err1 == nil {
			inst = v1
			err = nil
		} else if err == nil {
			err = err1
		}
	}
	if err != nil && kindOf(err) == provider.KindRateLimited {
		return provider.Rules{}, err
	}
	// Anything else (an old server, a server that hides its instance
	// endpoint) falls back to the defaults rather than blocking publishing.
	r := rulesFrom(inst)
	p.mu.Lock()
	p.rules[base] = cachedRules{rules: r, until: p.now().Add(p.cfg.RulesTTL)}
	p.mu.Unlock()
	return r, nil
}

func rulesFrom(inst instance) provider.Rules {
	st := inst.Configuration.Statuses
	ma := inst.Configuration.MediaAttachments
	maxChars := st.MaxCharacters
	if maxChars == 0 {
		maxChars = inst.MaxTootChars
	}
	if maxChars == 0 {
		maxChars = DefaultMaxCharacters
	}
	perURL := st.CharactersReservedPerURL
	if perURL == 0 {
		perURL = provider.DefaultURLLength
	}
	maxMedia := st.MaxMediaAttachments
	if maxMedia == 0 {
		maxMedia = DefaultMaxMediaAttachments
	}
	r := provider.Rules{
		Network:  Name,
		MaxChars: maxChars,
		Count:    provider.CountMastodon(perURL),
		// Mastodon takes up to max_media_attachments images, or one
		// video, never both.
		MaxImages:          maxMedia,
		MaxVideos:          1,
		MixImagesAndVideos: false,
		ImageMaxBytes:      ma.ImageSizeLimit,
		GIFMaxBytes:        ma.ImageSizeLimit,
		VideoMaxBytes:      ma.VideoSizeLimit,
		AltTextMax:         DefaultAltTextMax,
	}
	for _, t := range ma.SupportedMIMETypes {
		switch {
		case strings.HasPrefix(t, "image/"):
			r.ImageTypes = append(r.ImageTypes, t)
		case strings.HasPrefix(t, "video/"):
			r.VideoTypes = append(r.VideoTypes, t)
		}
	}
	return r
}
