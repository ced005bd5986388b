package mastodon

import (
	"github.com/heraldhq/herald/internal/provider"
)

// Describe says what Herald knows about Mastodon: how it connects, its
// options, its rule-table row and counter, its settings.
func (p *Provider) Describe() provider.Descriptor { return describe() }

func describe() provider.Descriptor {
	return provider.Descriptor{
		ID:   Name,
		Name: "Mastodon",
		Connect: provider.Connect{
			Credentials: []provider.Field{
				{Name: "instanceUrl", Required: true, Doc: "the server, such as https://mastodon.social."},
				{Name: "accessToken", Required: true, Doc: "an access token with write:statuses and write:media."},
			},
			OAuth: &provider.OAuth{
				Scopes:       DefaultScopes,
				Server:       true,
				Instructions: "Open authUrl in a browser where you are signed in to Herald and enter your Mastodon server (for example mastodon.social); Herald registers itself with that server, you approve access there, and the account then appears in GET /social-profiles.",
			},
		},
		Options: map[string]provider.OptionRule{
			"visibility":  {Values: []string{"public", "unlisted", "private", "direct"}, Doc: "who sees the post"},
			"spoilerText": {Check: provider.MaxLength(500), Doc: "a content warning shown before the text"},
			"language":    {Check: provider.Languages(1), Doc: "the post's language (ISO 639)"},
			"sensitive":   {Values: []string{"true", "false"}, Doc: "hide the media behind a warning"},
		},
		Rules: provider.Rules{
			Network: Name,
			// Defaults of a stock Mastodon server. The adapter reads the
			// instance's real figures from /api/v2/instance; these apply only
			// when it cannot.
			MaxChars: 500,
			Count:    provider.CountMastodon(23),
			// max_media_attachments defaults to 4 (GoToSocial: 6); Mastodon
			// refuses a video next to images.
			MaxImages:          4,
			MaxVideos:          1,
			MixImagesAndVideos: false,
			// image_size_limit 16 MB and video_size_limit 99 MiB on
			// mastodon.social; uploads over 68 MB are reported failing (3p)
			// but the instance figure is what the server enforces.
			ImageMaxBytes: 16 * provider.MB,
			GIFMaxBytes:   16 * provider.MB,
			VideoMaxBytes: 99 * provider.MiB,
			AltTextMax:    1500,
		},
		CountingNote: " (each link counts as the server's fixed URL length)",
		LiveRules:    true,
		CanFind:      true,
	}
}

// Network is Mastodon's entry in the list of networks the composition
// root wires.
func Network() provider.Network {
	return provider.Network{
		New: func(env provider.Env) (provider.Provider, error) {
			return New(Config{Now: env.Now}, env.Client), nil
		},
	}
}
