package mastodon

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"golang.org/x/oauth2"

	"github.com/heraldhq/herald/internal/provider"
)

// DefaultScopes are the OAuth scopes Herald asks for. The coarse scopes
// work on Mastodon, GoToSocial, Pleroma and Akkoma alike; granular ones
// ("write:statuses") are not understood everywhere.
var DefaultScopes = []string{"read", "write"}

// RegisterApp registers an OAuth application on the instance with POST
// /api/v1/apps and returns its client id and secret. Herald calls it once
// per instance, when a user first connects an account there.
func (p *Provider) RegisterApp(ctx context.Context, instanceURL, clientName, redirectURI string, scopes []string) (clientID, clientSecret string, err error) {
	base, err := NormalizeInstanceURL(instanceURL)
	if err != nil {
		return "", "", err
	}
	if len(scopes) == 0 {
		scopes = DefaultScopes
	}
	form := url.Values{
		"client_name":   {clientName},
		"redirect_uris": {redirectURI},
		"scopes":        {strings.Join(scopes, " ")},
	}
	var out struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	if _, err := p.do(ctx, request{
		method: http.MethodPost, url: base + "/api/v1/apps",
		body: strings.NewReader(form.Encode()), contentType: "application/x-www-form-urlencoded",
	}, &out); err != nil {
		return "", "", err
	}
	if out.ClientID == "" || out.ClientSecret == "" {
		return "", "", provider.Errorf(provider.KindTransient, "malformed", "the instance registered the app without a client id or secret")
	}
	return out.ClientID, out.ClientSecret, nil
}

func oauthConfig(base, clientID, clientSecret, redirectURI string, scopes []string) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     clientID,
		ClientSecret: clientSecret,
		RedirectURL:  redirectURI,
		Scopes:       scopes,
		Endpoint: oauth2.Endpoint{
			AuthURL:  base + "/oauth/authorize",
			TokenURL: base + "/oauth/token",
			// Mastodon and GoToSocial both read the client credentials
			// from the form body.
			AuthStyle: oauth2.AuthStyleInParams,
		},
	}
}

// AuthorizeURL returns the instance's authorization page for the
// authorization-code flow with PKCE (S256). codeChallenge is
// oauth2.S256ChallengeFromVerifier(verifier) of a verifier from
// oauth2.GenerateVerifier, kept with state in the user's session. An
// invalid instanceURL yields "".
func AuthorizeURL(instanceURL, clientID, redirectURI, state string, scopes []string, codeChallenge string) string {
	base, err := NormalizeInstanceURL(instanceURL)
	if err != nil {
		return ""
	}
	if len(scopes) == 0 {
		scopes = DefaultScopes
	}
	opts := []oauth2.AuthCodeOption{}
	if codeChallenge != "" {
		opts = append(opts,
			oauth2.SetAuthURLParam("code_challenge", codeChallenge),
			oauth2.SetAuthURLParam("code_challenge_method", "S256"))
	}
	return oauthConfig(base, clientID, "", redirectURI, scopes).AuthCodeURL(state, opts...)
}

// ExchangeCode trades an authorization code for an access token at POST
// /oauth/token. A refused code is KindRejected carrying the instance's
// error and error_description.
func (p *Provider) ExchangeCode(ctx context.Context, instanceURL, clientID, clientSecret, redirectURI, code, codeVerifier string) (string, error) {
	base, err := NormalizeInstanceURL(instanceURL)
	if err != nil {
		return "", err
	}
	ctx = context.WithValue(ctx, oauth2.HTTPClient, p.client)
	var opts []oauth2.AuthCodeOption
	if codeVerifier != "" {
		opts = append(opts, oauth2.VerifierOption(codeVerifier))
	}
	tok, err := oauthConfig(base, clientID, clientSecret, redirectURI, nil).Exchange(ctx, code, opts...)
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && re.Response != nil {
			msg := re.ErrorCode
			if re.ErrorDescription != "" {
				msg += ": " + re.ErrorDescription
			}
			if msg == "" {
				msg = http.StatusText(re.Response.StatusCode)
			}
			kind := provider.KindRejected
			switch {
			case re.Response.StatusCode == http.StatusTooManyRequests:
				kind = provider.KindRateLimited
			case re.Response.StatusCode >= 500:
				kind = provider.KindTransient
			}
			return "", &provider.Error{Kind: kind, Code: strconv.Itoa(re.Response.StatusCode), Message: msg, Err: err}
		}
		return "", &provider.Error{Kind: provider.KindTransient, Code: "network", Message: "could not reach the instance", Err: err}
	}
	if tok.AccessToken == "" {
		return "", provider.Errorf(provider.KindTransient, "malformed", "the instance returned no access token")
	}
	return tok.AccessToken, nil
}
