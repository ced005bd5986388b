package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
)

// SocialProfile is a connected account on a social network.
type SocialProfile struct {
	ID string `json:"id"`
	// Provider is the network, lower case ("mastodon", "linkedin").
	Provider    string `json:"provider"`
	Name        string `json:"name"`
	Image       string `json:"image"`
	WorkspaceID string `json:"workspaceId"`
	// Status is "connected" or "needs_reconnect" (a Herald extension), and
	// StatusMessage says why a connection needs attention.
	Status        string `json:"status"`
	StatusMessage string `json:"statusMessage,omitempty"`
}

// ConnectionInfo tells how to connect a network: AuthURL is a Herald page
// that a signed-in user opens in a browser to start the network's OAuth
// flow; CallbackURL is where the browser comes back.
type ConnectionInfo struct {
	Provider string `json:"provider"`
	// AuthProvider is the network whose OAuth flow runs: "facebook" for
	// "instagram", whose Business profiles connect through Facebook Pages.
	AuthProvider string `json:"authProvider"`
	AuthURL      string `json:"authUrl"`
	CallbackURL  string `json:"callbackUrl"`
	Instructions string `json:"instructions"`
}

// ConnectionURL is the answer of POST /social-profiles/connection-url:
// Ocoya's {url}, plus the fields of the GET form.
type ConnectionURL struct {
	URL string `json:"url"`
	ConnectionInfo
}

// SocialProfiles lists a workspace's connected social profiles
// (GET /social-profiles).
func (c *Client) SocialProfiles(ctx context.Context, workspaceID string, opts ...Option) ([]SocialProfile, error) {
	var ps []SocialProfile
	if err := c.Do(ctx, http.MethodGet, "/social-profiles", wsQuery(workspaceID), nil, &ps, opts...); err != nil {
		return nil, err
	}
	return ps, nil
}

// ConnectionURL tells where to connect provider to a workspace (GET
// /social-profiles/connection-url). provider is facebook, instagram,
// twitter (or x), linkedin, pinterest, tiktok, youtube, threads,
// googlebusiness or mastodon.
func (c *Client) ConnectionURL(ctx context.Context, workspaceID, provider string, opts ...Option) (*ConnectionInfo, error) {
	var info ConnectionInfo
	q := url.Values{"workspaceId": {workspaceID}, "provider": {provider}}
	if err := c.Do(ctx, http.MethodGet, "/social-profiles/connection-url", q, nil, &info, opts...); err != nil {
		return nil, err
	}
	return &info, nil
}

// PostConnectionURL is the POST form of ConnectionURL (POST
// /social-profiles/connection-url with {"provider": ...}), where Ocoya
// names X "x".
func (c *Client) PostConnectionURL(ctx context.Context, workspaceID, provider string, opts ...Option) (*ConnectionURL, error) {
	var cu ConnectionURL
	in := struct {
		Provider string `json:"provider"`
	}{provider}
	if err := c.Do(ctx, http.MethodPost, "/social-profiles/connection-url", wsQuery(workspaceID), in, &cu, opts...); err != nil {
		return nil, err
	}
	return &cu, nil
}

// ProfileCredentials is the body of POST /social-profiles: the networks
// Herald connects with credentials rather than through a browser. Provider
// is mastodon, bluesky, discord, slack, telegram or feed; each uses the
// fields its comment names. A network without a field here (each network
// names its own fields; the OpenAPI document lists them) takes Fields.
type ProfileCredentials struct {
	Provider string `json:"provider"`
	// InstanceURL and AccessToken: mastodon.
	InstanceURL string `json:"instanceUrl,omitempty"`
	AccessToken string `json:"accessToken,omitempty"`
	// Handle, AppPassword and Service (default https://bsky.social): bluesky.
	Handle      string `json:"handle,omitempty"`
	AppPassword string `json:"appPassword,omitempty"`
	Service     string `json:"service,omitempty"`
	// WebhookURL: discord and slack.
	WebhookURL string `json:"webhookUrl,omitempty"`
	// BotToken and ChatID: telegram.
	BotToken string `json:"botToken,omitempty"`
	ChatID   string `json:"chatId,omitempty"`
	// Name: the feed's title; a label for a slack channel.
	Name string `json:"name,omitempty"`
	// Fields are further fields of the network's connect body, sent as
	// they are; a field named above wins.
	Fields map[string]string `json:"-"`
}

// MarshalJSON sends the named fields and Fields as one JSON object.
func (p ProfileCredentials) MarshalJSON() ([]byte, error) {
	type named ProfileCredentials
	b, err := json.Marshal(named(p))
	if err != nil || len(p.Fields) == 0 {
		return b, err
	}
	all := map[string]any{}
	for k, v := range p.Fields {
		all[k] = v
	}
	var set map[string]any
	if err := json.Unmarshal(b, &set); err != nil {
		return nil, err
	}
	for k, v := range set {
		all[k] = v
	}
	return json.Marshal(all)
}

// ConnectProfile connects a social profile with credentials (POST
// /social-profiles, a Herald extension). Herald checks them with the
// network first; a refusal is a 400 with the network's reason.
func (c *Client) ConnectProfile(ctx context.Context, workspaceID string, in ProfileCredentials, opts ...Option) (*SocialProfile, error) {
	var p SocialProfile
	if err := c.Do(ctx, http.MethodPost, "/social-profiles", wsQuery(workspaceID), in, &p, opts...); err != nil {
		return nil, err
	}
	return &p, nil
}

// DisconnectProfile removes a social profile from a workspace (DELETE
// /social-profiles/{id}, a Herald extension); refused with 409 while
// scheduled posts target it.
func (c *Client) DisconnectProfile(ctx context.Context, workspaceID, id string, opts ...Option) error {
	return c.Do(ctx, http.MethodDelete, "/social-profiles/"+seg(id), wsQuery(workspaceID), nil, &struct{}{}, opts...)
}
