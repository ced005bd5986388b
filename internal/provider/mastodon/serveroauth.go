package mastodon

import (
	"context"

	"github.com/heraldhq/herald/internal/provider"
)

var _ provider.ServerOAuth = (*Provider)(nil)

// NormalizeServer implements provider.ServerOAuth.
func (p *Provider) NormalizeServer(raw string) (string, error) { return NormalizeInstanceURL(raw) }

// AuthorizationURL implements provider.ServerOAuth with the default scopes.
func (p *Provider) AuthorizationURL(server, clientID, redirectURI, state, codeChallenge string) string {
	return AuthorizeURL(server, clientID, redirectURI, state, DefaultScopes, codeChallenge)
}

// Exchange implements provider.ServerOAuth: the code becomes a token, and
// the token the connected account.
func (p *Provider) Exchange(ctx context.Context, server, clientID, clientSecret, redirectURI, code, codeVerifier string) (*provider.Account, error) {
	token, err := p.ExchangeCode(ctx, server, clientID, clientSecret, redirectURI, code, codeVerifier)
	if err != nil {
		return nil, err
	}
	return p.ConnectToken(ctx, server, token)
}

// RegisterClient implements provider.ServerOAuth with the default scopes.
func (p *Provider) RegisterClient(ctx context.Context, server, clientName, redirectURI string) (string, string, error) {
	return p.RegisterApp(ctx, server, clientName, redirectURI, DefaultScopes)
}
