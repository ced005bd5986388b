package herald

import (
	"slices"
	"strings"
)

// Network is one row of the table of network ids: the one place that says
// how a network is named on the wire, in posts[] and to people. Every other
// table keyed by network (the rule table, the text counters, the option
// rules, the settings, the docs) uses ID.
type Network struct {
	// ID is the lower-case provider id on the wire (Ocoya's id), stored in
	// social_profiles.provider and used as the key of every per-network
	// table.
	ID string
	// Aliases are other names accepted as input for ID ("x" for "twitter").
	// They are never stored or returned.
	Aliases []string
	// Upper is the form in a post group's posts[] ("TWITTER").
	Upper string
	// Name is how people call the network ("X", "Google Business Profile").
	Name string
	// ConnectionURL means Ocoya connects the network through a connection
	// URL (an OAuth flow in the user's browser).
	ConnectionURL bool
}

// networks is the table of network ids, in Ocoya's order, then the
// networks only Herald has. It is never modified: Networks hands out
// copies.
//
//   - X keeps Ocoya's id "twitter" ("x" is an alias; "TWITTER" in posts[]).
//   - Google Business Profile is "googlebusiness".
//   - An Instagram account connected through Instagram Login is still
//     "instagram", like one connected through a Facebook Page: how an
//     account was connected is not part of its network's id.
var networks = []Network{
	{ID: ProviderFacebook, Upper: "FACEBOOK", Name: "Facebook", ConnectionURL: true},
	{ID: ProviderInstagram, Upper: "INSTAGRAM", Name: "Instagram", ConnectionURL: true},
	{ID: ProviderTwitter, Aliases: []string{"x"}, Upper: "TWITTER", Name: "X", ConnectionURL: true},
	{ID: ProviderLinkedIn, Upper: "LINKEDIN", Name: "LinkedIn", ConnectionURL: true},
	{ID: ProviderPinterest, Upper: "PINTEREST", Name: "Pinterest", ConnectionURL: true},
	{ID: ProviderTikTok, Upper: "TIKTOK", Name: "TikTok", ConnectionURL: true},
	{ID: ProviderYouTube, Upper: "YOUTUBE", Name: "YouTube", ConnectionURL: true},
	{ID: ProviderThreads, Upper: "THREADS", Name: "Threads", ConnectionURL: true},
	{ID: ProviderGoogleBusiness, Upper: "GOOGLEBUSINESS", Name: "Google Business Profile", ConnectionURL: true},
	{ID: ProviderMastodon, Upper: "MASTODON", Name: "Mastodon", ConnectionURL: true},
	{ID: ProviderBluesky, Upper: "BLUESKY", Name: "Bluesky"},
	{ID: ProviderDiscord, Upper: "DISCORD", Name: "Discord"},
	{ID: ProviderSlack, Upper: "SLACK", Name: "Slack"},
	{ID: ProviderTelegram, Upper: "TELEGRAM", Name: "Telegram"},
	{ID: ProviderFeed, Upper: "FEED", Name: "Feed"},
}

// Networks returns the table of network ids, a fresh copy.
func Networks() []Network {
	out := make([]Network, len(networks))
	for i, n := range networks {
		n.Aliases = slices.Clone(n.Aliases)
		out[i] = n
	}
	return out
}

// LookupNetwork returns the row whose id or alias is s, ignoring case and
// surrounding space.
func LookupNetwork(s string) (Network, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	for _, n := range networks {
		if n.ID == s || slices.Contains(n.Aliases, s) {
			n.Aliases = slices.Clone(n.Aliases)
			return n, true
		}
	}
	return Network{}, false
}

// IsNetworkID reports whether id is the id (not an alias) of a network of
// the table.
func IsNetworkID(id string) bool {
	n, ok := LookupNetwork(id)
	return ok && n.ID == id
}

// NetworkName returns how people call the network with id: the table's
// Name, or for a network outside the table (one a test or a newer package
// adds) its id with a capital.
func NetworkName(id string) string {
	if n, ok := LookupNetwork(id); ok && n.ID == id {
		return n.Name
	}
	if id == "" {
		return id
	}
	return strings.ToUpper(id[:1]) + id[1:]
}

// NetworkUpper returns the form of id in a post group's posts[]: the
// table's Upper, or the upper-cased id for a network outside the table.
func NetworkUpper(id string) string {
	if n, ok := LookupNetwork(id); ok && n.ID == id {
		return n.Upper
	}
	return strings.ToUpper(id)
}
