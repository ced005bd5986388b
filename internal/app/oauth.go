package app

import (
	"context"
	"crypto/sha256"
	"errors"
	"time"

	"golang.org/x/oauth2"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/provider"
	"github.com/heraldhq/herald/internal/safehttp"
	"github.com/heraldhq/herald/internal/store"
)

// oauthStateTTL is how long a user has to approve access at the network.
const oauthStateTTL = 15 * time.Minute

// callbackURL is where a network sends the browser back.
func (a *Connections) callbackURL(providerName string) string {
	return a.cfg.PublicURL + "/connect/" + providerName + "/callback"
}

func (a *base) serverOAuth(name string) (provider.ServerOAuth, error) {
	p, err := a.Provider(name)
	if err != nil {
		return nil, err
	}
	so, ok := p.(provider.ServerOAuth)
	if !ok {
		return nil, herald.Errorf(herald.EUNIMPLEMENT, "Connecting %s through its website is not available on this Herald yet.", a.displayName(name))
	}
	return so, nil
}

// StartServerOAuth begins connecting an account on a server the user names
// (a Mastodon instance): Herald registers itself with that server once,
// remembers a state bound to the user's web session, and returns the
// server's authorization page to send the browser to.
func (a *Connections) StartServerOAuth(ctx context.Context, sessionID, workspaceID, providerName, server string) (string, error) {
	if _, err := a.manager(ctx, a.store, workspaceID, "connect social profiles"); err != nil {
		return "", err
	}
	so, err := a.serverOAuth(providerName)
	if err != nil {
		return "", err
	}
	if a.sealer == nil {
		return "", herald.Errorf(herald.EUNAVAILABLE, "No secret key is configured.")
	}
	base, err := so.NormalizeServer(server)
	if err != nil {
		return "", herald.Errorf(herald.EINVALID, "server: %v", err)
	}
	u, _ := currentUser(ctx)
	redirect := a.callbackURL(providerName)
	clientID, _, err := a.oauthClient(ctx, so, providerName, base, redirect)
	if err != nil {
		if ae := (*safehttp.AddressError)(nil); errors.As(err, &ae) {
			return "", connectError(a.displayName(providerName), map[string]string{"server": server}, err)
		}
		return "", err
	}
	state := randomString(32)
	verifier := oauth2.GenerateVerifier()
	sealed, err := a.sealer.Seal([]byte(verifier), []byte("oauth_state"))
	if err != nil {
		return "", err
	}
	h := sha256.Sum256([]byte(state))
	if err := a.store.CreateOAuthState(ctx, &store.OAuthState{StateHash: h[:], SessionID: sessionID, UserID: u.ID, WorkspaceID: workspaceID,
		Provider: providerName, Server: base, Verifier: sealed, ExpiresAt: a.Now().Add(oauthStateTTL)}); err != nil {
		return "", err
	}
	return so.AuthorizationURL(base, clientID, redirect, state, oauth2.S256ChallengeFromVerifier(verifier)), nil
}

// oauthClient returns Herald's client on a server, registering it the first
// time.
func (a *Connections) oauthClient(ctx context.Context, so provider.ServerOAuth, providerName, server, redirect string) (string, string, error) {
	app, err := a.store.FindOAuthApp(ctx, providerName, server, redirect)
	if err == nil {
		secret, err := a.sealer.Open(app.ClientSecret, []byte("oauth_app:"+server))
		return app.ClientID, string(secret), err
	}
	if herald.ErrorCode(err) != herald.ENOTFOUND {
		return "", "", err
	}
	id, secret, err := so.RegisterClient(ctx, server, "Herald", redirect)
	if err != nil {
		return "", "", connectError(a.displayName(providerName), nil, err)
	}
	sealed, err := a.sealer.Seal([]byte(secret), []byte("oauth_app:"+server))
	if err != nil {
		return "", "", err
	}
	err = a.store.CreateOAuthApp(ctx, &store.OAuthApp{Provider: providerName, Server: server, RedirectURI: redirect, ClientID: id, ClientSecret: sealed, CreatedAt: a.Now()})
	if herald.ErrorCode(err) == herald.ECONFLICT {
		return a.oauthClient(ctx, so, providerName, server, redirect) // registered at the same moment elsewhere
	}
	return id, secret, err
}

// FinishServerOAuth completes a connection when the network sends the
// browser back with a code: the state must be this session's and fresh.
func (a *Connections) FinishServerOAuth(ctx context.Context, sessionID, providerName, state, code string) (*herald.SocialProfile, error) {
	bad := herald.Errorf(herald.EINVALID, "This connection link has expired or was opened in another browser; start connecting again.")
	if state == "" || code == "" {
		return nil, bad
	}
	h := sha256.Sum256([]byte(state))
	st, err := a.store.TakeOAuthState(ctx, h[:])
	if herald.ErrorCode(err) == herald.ENOTFOUND {
		return nil, bad
	} else if err != nil {
		return nil, err
	}
	u, err := currentUser(ctx)
	if err != nil {
		return nil, err
	}
	if !SameToken(st.SessionID, sessionID) || st.UserID != u.ID || st.Provider != providerName || !a.Now().Before(st.ExpiresAt) {
		return nil, bad
	}
	if _, err := a.manager(ctx, a.store, st.WorkspaceID, "connect social profiles"); err != nil {
		return nil, err
	}
	so, err := a.serverOAuth(providerName)
	if err != nil {
		return nil, err
	}
	verifier, err := a.sealer.Open(st.Verifier, []byte("oauth_state"))
	if err != nil {
		return nil, err
	}
	redirect := a.callbackURL(providerName)
	clientID, clientSecret, err := a.oauthClient(ctx, so, providerName, st.Server, redirect)
	if err != nil {
		return nil, err
	}
	acct, err := so.Exchange(ctx, st.Server, clientID, clientSecret, redirect, code, string(verifier))
	if err != nil {
		return nil, connectError(a.displayName(providerName), nil, err)
	}
	return a.saveProfile(ctx, st.WorkspaceID, providerName, acct)
}

// ServerOAuthAvailable reports whether the network is connected through an
// OAuth flow on a server the user names.
func (a *base) ServerOAuthAvailable(providerName string) bool {
	_, err := a.serverOAuth(providerName)
	return err == nil
}
