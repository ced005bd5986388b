package herald

import (
	"strings"
	"time"
)

// Provider ids as they appear on the wire (lower case); network.go's table
// gives their aliases, posts[] form and display names.
const (
	ProviderFacebook       = "facebook"
	ProviderInstagram      = "instagram"
	ProviderTwitter        = "twitter"
	ProviderLinkedIn       = "linkedin"
	ProviderPinterest      = "pinterest"
	ProviderTikTok         = "tiktok"
	ProviderYouTube        = "youtube"
	ProviderThreads        = "threads"
	ProviderGoogleBusiness = "googlebusiness"
	ProviderMastodon       = "mastodon"
	ProviderBluesky        = "bluesky"
	ProviderDiscord        = "discord"
	ProviderSlack          = "slack"
	ProviderTelegram       = "telegram"
	ProviderFeed           = "feed"
)

// OAuthProviders returns the networks Ocoya connects through a connection
// URL (an OAuth flow in the user's browser), in Ocoya's order: the rows of
// the table of network ids marked ConnectionURL.
func OAuthProviders() []string {
	var ids []string
	for _, n := range networks {
		if n.ConnectionURL {
			ids = append(ids, n.ID)
		}
	}
	return ids
}

// NormalizeProvider lower-cases a provider name and maps the aliases of the
// table of network ids to their id ("x" is "twitter"). A name outside the
// table is returned lower-cased, for the registry to accept or refuse.
func NormalizeProvider(s string) string {
	if n, ok := LookupNetwork(s); ok {
		return n.ID
	}
	return strings.ToLower(strings.TrimSpace(s))
}

// Profile states.
const (
	ProfileConnected      = "connected"
	ProfileNeedsReconnect = "needs_reconnect"
)

// SocialProfile is a connected account on a social network (a page, a
// channel, a webhook, a feed) that posts are published to.
type SocialProfile struct {
	ID          string
	WorkspaceID string
	Provider    string
	Name        string
	Image       string
	// ExternalID is the network's id of the account; a workspace cannot
	// connect the same account twice.
	ExternalID string
	// Credentials are sealed (encrypted) provider credentials; never returned
	// by the API and never logged.
	Credentials []byte
	// Status is ProfileConnected or ProfileNeedsReconnect; StatusMessage says
	// why a connection needs attention.
	Status        string
	StatusMessage string
	// RateLimitedUntil is when the network's rate limit for this account
	// resets; publishing waits until then.
	RateLimitedUntil *time.Time
	CreatedAt        time.Time
	UpdatedAt        time.Time
}
