package feed

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/heraldhq/herald/internal/provider"
)

// Name is the provider name on the wire.
const Name = "feed"

// maxName bounds a feed's name.
const maxName = 200

// Config configures the feed provider.
type Config struct {
	// ItemURL returns the public URL of the item published under a target
	// key (Herald's page for it). Nil leaves Published.URL empty.
	ItemURL func(key string) string
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Provider is the feed profile type.
type Provider struct{ cfg Config }

var _ provider.Provider = (*Provider)(nil)

// New returns the feed provider.
func New(cfg Config) *Provider {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Provider{cfg: cfg}
}

// Name returns "feed".
func (p *Provider) Name() string { return Name }

// credentials holds the feed's settings; a feed has no secret.
type credentials struct {
	Name string `json:"name"`
}

// Connect creates a feed named by {"name"}. Each feed gets a random
// ExternalID, so a workspace may have several feeds, even with one name.
func (p *Provider) Connect(ctx context.Context, in json.RawMessage) (*provider.Account, error) {
	var input credentials
	if err := json.Unmarshal(in, &input); err != nil {
		return nil, provider.Errorf(provider.KindRejected, "invalid_input", "invalid JSON: %v", err)
	}
	name := strings.TrimSpace(input.Name)
	if name == "" {
		return nil, provider.Errorf(provider.KindRejected, "invalid_input", "name is required")
	}
	if utf8.RuneCountInString(name) > maxName || !utf8.ValidString(name) {
		return nil, provider.Errorf(provider.KindRejected, "invalid_input", "name must be valid text of at most %d characters", maxName)
	}
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, &provider.Error{Kind: provider.KindTransient, Message: "cannot create the feed id", Err: err}
	}
	creds, _ := json.Marshal(credentials{Name: name})
	return &provider.Account{ExternalID: "feed-" + hex.EncodeToString(b[:]), Name: name, Credentials: creds}, nil
}

// Rules returns the feed row of the rule table.
func (p *Provider) Rules(ctx context.Context, acct *provider.Account) (provider.Rules, error) {
	r := describe().Rules
	return r, nil
}

// Publish does no I/O: the item exists once Herald records the target as
// published, and its id is the target key.
func (p *Provider) Publish(ctx context.Context, acct *provider.Account, req *provider.PublishRequest) (*provider.Published, error) {
	pub := &provider.Published{RemoteID: req.Key, PublishedAt: p.cfg.Now().UTC()}
	if p.cfg.ItemURL != nil {
		pub.URL = p.cfg.ItemURL(req.Key)
	}
	return pub, nil
}

// Find reports ErrNotPublished: an item is in the feed only once its target
// is recorded as published, so a target still unrecorded is not in it and
// publishing again cannot duplicate it.
func (p *Provider) Find(ctx context.Context, acct *provider.Account, req *provider.PublishRequest) (*provider.Published, error) {
	return nil, provider.ErrNotPublished
}

// Delete has nothing to remove on a network: the next rendering leaves the
// deleted target out.
func (p *Provider) Delete(ctx context.Context, acct *provider.Account, remoteID string) error {
	return nil
}
