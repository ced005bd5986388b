package discord

import (
	"time"

	"github.com/heraldhq/herald/internal/provider"
)

// Describe says what Herald knows about Discord: how it connects, its
// options, its rule-table row and counter, its settings.
func (p *Provider) Describe() provider.Descriptor { return describe() }

func describe() provider.Descriptor {
	return provider.Descriptor{
		ID:   Name,
		Name: "Discord",
		Connect: provider.Connect{Credentials: []provider.Field{
			{Name: "webhookUrl", Required: true, Doc: "the channel's incoming webhook URL."},
		}},
		Rules: provider.Rules{
			Network: Name,
			// Webhook message content: up to 2,000 characters.
			MaxChars: 2000,
			Count:    provider.CountRunes,
			// Up to 10 attachments per message in total (Rules bounds each
			// kind; the adapter refuses more than 10 together). Any file type
			// is accepted.
			MaxImages:          10,
			MaxVideos:          10,
			MixImagesAndVideos: true,
			// "The default limit is 10 MiB" per file (discord.com developer
			// reference, Uploading Files); servers with boosts allow more, but
			// a webhook cannot see the boost tier, so the default applies.
			ImageMaxBytes: 10 * provider.MiB,
			GIFMaxBytes:   10 * provider.MiB,
			VideoMaxBytes: 10 * provider.MiB,
			// Attachment descriptions hold up to 1,024 characters.
			AltTextMax: 1024,
			// Webhooks are limited to about 30 messages per minute per channel
			// (3p; Discord documents only its rate-limit headers, which the
			// adapter reads).
			PostsPerWindow: 30,
			Window:         time.Minute,
		},
		Settings: settings(&Config{}),
		CanFind:  true,
	}
}

// settings are the network's own settings, known before it is built.
func settings(c *Config) []provider.Setting {
	return []provider.Setting{
		{Flag: "discord-api-url", Env: "HERALD_DISCORD_API_URL", Default: DefaultAPIBase, Help: "Discord's API base URL", Value: &c.APIBase},
	}
}

// Network is Discord's entry in the list of networks the composition
// root wires.
func Network() provider.Network {
	c := &Config{}
	return provider.Network{
		Settings: settings(c),
		New: func(env provider.Env) (provider.Provider, error) {
			c.Now = env.Now
			return New(*c, env.Client), nil
		},
	}
}
