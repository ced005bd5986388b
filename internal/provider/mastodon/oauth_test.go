package mastodon_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"golang.org/x/oauth2"

	"github.com/heraldhq/herald/internal/provider"
	"github.com/heraldhq/herald/internal/provider/mastodon"
	"github.com/heraldhq/herald/internal/provider/providertest/mastodonfake"
)

func TestOAuthFlow(t *testing.T) {
	t.Parallel()
	const redirect = "https://herald.example/connect/mastodon/callback"
	tests := []struct {
		name         string
		wrongVerify  bool
		wantKind     provider.ErrorKind
		wantMessage  string
		wrongSecret  bool
		reuseCode    bool
		wantUsername string
	}{
		{name: "authorization code with PKCE", wantUsername: "carol"},
		{name: "wrong verifier", wrongVerify: true, wantKind: provider.KindRejected, wantMessage: "invalid_grant: The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client."},
		{name: "wrong secret", wrongSecret: true, wantKind: provider.KindRejected},
		{name: "code used twice", reuseCode: true, wantKind: provider.KindRejected},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake := mastodonfake.NewTest(t, mastodonfake.Options{})
			fake.CreateAccount("carol")
			p := mastodon.New(mastodon.Config{}, &http.Client{})
			ctx := context.Background()

			id, secret, err := p.RegisterApp(ctx, fake.URL, "Herald", redirect, nil)
			if err != nil {
				t.Fatal(err)
			}
			verifier := oauth2.GenerateVerifier()
			authURL := mastodon.AuthorizeURL(fake.URL, id, redirect, "state-1", nil, oauth2.S256ChallengeFromVerifier(verifier))
			u, _ := url.Parse(authURL)
			q := u.Query()
			if q.Get("code_challenge_method") != "S256" || q.Get("scope") != "read write" || q.Get("state") != "state-1" || u.Path != "/oauth/authorize" {
				t.Fatalf("authorize URL = %s", authURL)
			}

			// The browser: the fake's signed-in user approves at once.
			noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			resp, err := noFollow.Get(authURL)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			back, err := url.Parse(resp.Header.Get("Location"))
			if err != nil || back.Query().Get("state") != "state-1" {
				t.Fatalf("redirect = %q", resp.Header.Get("Location"))
			}
			code := back.Query().Get("code")

			if tt.wrongVerify {
				verifier = oauth2.GenerateVerifier()
			}
			if tt.wrongSecret {
				secret = "wrong"
			}
			if tt.reuseCode {
				if _, err := p.ExchangeCode(ctx, fake.URL, id, secret, redirect, code, verifier); err != nil {
					t.Fatal(err)
				}
			}
			tok, err := p.ExchangeCode(ctx, fake.URL, id, secret, redirect, code, verifier)
			if tt.wantKind != 0 {
				if kind(err) != tt.wantKind {
					t.Fatalf("ExchangeCode = %v, want kind %v", err, tt.wantKind)
				}
				if tt.wantMessage != "" && message(err) != tt.wantMessage {
					t.Errorf("message = %q, want %q", message(err), tt.wantMessage)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			acct, err := p.ConnectToken(ctx, fake.URL, tok)
			if err != nil {
				t.Fatal(err)
			}
			if acct.Name != tt.wantUsername {
				t.Errorf("connected %q, want %q", acct.Name, tt.wantUsername)
			}
		})
	}
}

func TestRegisterAppRejected(t *testing.T) {
	t.Parallel()
	fake := mastodonfake.NewTest(t, mastodonfake.Options{})
	p := mastodon.New(mastodon.Config{}, &http.Client{})
	_, _, err := p.RegisterApp(context.Background(), fake.URL, "", "https://h.example/cb", nil)
	if kind(err) != provider.KindRejected || message(err) != "Validation failed: Application name can't be blank" {
		t.Errorf("RegisterApp = %v", err)
	}
	if got := mastodon.AuthorizeURL("ftp://bad", "id", "r", "s", nil, ""); got != "" {
		t.Errorf("AuthorizeURL of a bad instance = %q, want empty", got)
	}
}
