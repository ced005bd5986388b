package app

import (
	"context"
	"net/url"
	"slices"
	"strings"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/provider"
)

// ListSocialProfiles lists a workspace's connected social profiles.
func (a *Connections) ListSocialProfiles(ctx context.Context, workspaceID string) ([]*herald.SocialProfile, error) {
	if _, err := a.member(ctx, a.store, workspaceID); err != nil {
		return nil, err
	}
	return orEmpty(a.store.FindSocialProfiles(ctx, workspaceID))
}

// ConnectionInfo tells a user how to connect a network through its OAuth
// flow: AuthURL is a Herald page that a signed-in user opens in a browser.
type ConnectionInfo struct {
	Provider     string `json:"provider"`
	AuthProvider string `json:"authProvider"`
	AuthURL      string `json:"authUrl"`
	CallbackURL  string `json:"callbackUrl"`
	Instructions string `json:"instructions"`
}

// ConnectionURL returns where a user connects a network to a workspace. A
// network this Herald cannot connect through a browser yet, or cannot
// connect before a setting is made, is refused here at once (400) rather
// than by the page the URL leads to.
func (a *Connections) ConnectionURL(ctx context.Context, workspaceID, provider string) (*ConnectionInfo, error) {
	if _, err := a.manager(ctx, a.store, workspaceID, "connect social profiles"); err != nil {
		return nil, err
	}
	oauth, creds := a.connectable()
	if strings.TrimSpace(provider) == "" {
		return nil, herald.Errorf(herald.EINVALID, "provider: is required; Herald connects %s through a connection URL", orNone(oauth))
	}
	p := a.normalizeProvider(provider)
	d, registered := a.descriptor(p)
	if registered && d.Connect.OAuth == nil && d.Connect.Credentials != nil {
		return nil, herald.Errorf(herald.EINVALID, "provider: %s is connected with credentials, not a connection URL: POST /social-profiles?workspaceId=%s with {\"provider\": %q, ...}", p, workspaceID, p)
	}
	if !registered && !slices.Contains(herald.OAuthProviders(), p) {
		return nil, herald.Errorf(herald.EINVALID, "provider: %q is not a supported network; Herald connects %s through a connection URL, and %s with POST /social-profiles and credentials",
			provider, orNone(oauth), orNone(creds))
	}
	if !slices.Contains(oauth, p) {
		return nil, herald.Errorf(herald.EINVALID, "provider: %s is not supported yet; Herald connects %s through a connection URL, and %s with POST /social-profiles and credentials, today",
			p, orNone(oauth), orNone(creds))
	}
	if missing := a.missingSettings(p); len(missing) > 0 {
		return nil, herald.Errorf(herald.EINVALID, "provider: connecting %s needs settings this Herald lacks: set %s and restart it", a.displayName(p), strings.Join(missing, " and "))
	}
	auth := p
	if p == herald.ProviderInstagram {
		auth = herald.ProviderFacebook // Instagram Business profiles are connected through Facebook Pages
	}
	q := url.Values{"workspaceId": {workspaceID}}
	info := &ConnectionInfo{
		Provider:     p,
		AuthProvider: auth,
		AuthURL:      a.cfg.PublicURL + "/connect/" + p + "?" + q.Encode(),
		CallbackURL:  a.cfg.PublicURL + "/connect/" + auth + "/callback",
		Instructions: "Open authUrl in a browser where you are signed in to Herald, approve access on " + a.displayName(auth) +
			", then choose the accounts to connect on the page you return to. They then appear in GET /social-profiles.",
	}
	if registered && d.Connect.OAuth != nil && d.Connect.OAuth.Instructions != "" {
		info.Instructions = d.Connect.OAuth.Instructions
	}
	return info, nil
}

// Networks returns the descriptors of the networks this Herald publishes
// to, sorted by id: what the API, the web app and --help show of them.
func (a *base) Networks() []provider.Descriptor {
	if a.providers == nil {
		return nil
	}
	return a.providers.Descriptors()
}

// descriptor returns the descriptor of the registered network with id.
func (a *base) descriptor(id string) (provider.Descriptor, bool) {
	if a.providers != nil {
		return a.providers.Descriptor(id)
	}
	return provider.Descriptor{}, false
}

// normalizeProvider maps what a user typed to a provider id: an id or
// alias of a registered network, else of the table of network ids.
func (a *base) normalizeProvider(s string) string {
	if a.providers != nil {
		if p, ok := a.providers.Resolve(s); ok {
			return p.Name()
		}
	}
	return herald.NormalizeProvider(s)
}

// connectable lists the networks this Herald connects through a connection
// URL (its providers with a browser flow) and those it connects only with
// credentials, as registered.
func (a *base) connectable() (oauth, creds []string) {
	for _, d := range a.Networks() {
		switch {
		case d.Connect.OAuth != nil && a.ServerOAuthAvailable(d.ID):
			oauth = append(oauth, d.ID)
		case d.Connect.OAuth == nil && d.Connect.Credentials != nil:
			creds = append(creds, d.ID)
		}
	}
	return oauth, creds
}

// missingSettings names the settings connecting a network still needs: the
// secret key that seals the tokens, and whatever the network's provider
// reports missing (an OAuth application's client id and secret).
func (a *base) missingSettings(name string) []string {
	var missing []string
	if a.sealer == nil {
		missing = append(missing, "HERALD_SECRET_KEY")
	}
	if p, err := a.Provider(name); err == nil {
		if c, ok := p.(provider.Configurable); ok {
			missing = append(missing, c.MissingSettings()...)
		}
	}
	return missing
}

func orNone(names []string) string {
	if len(names) == 0 {
		return "no network"
	}
	return strings.Join(names, ", ")
}

// displayName is how people call a network: its descriptor's name, else
// the table of network ids' (herald.NetworkName).
func (a *base) displayName(id string) string {
	if d, ok := a.descriptor(id); ok && d.Name != "" {
		return d.Name
	}
	return herald.NetworkName(id)
}
