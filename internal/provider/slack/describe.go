package slack

import (
	"time"

	"github.com/heraldhq/herald/internal/provider"
)

// Describe says what Herald knows about Slack: how it connects, its
// options, its rule-table row and counter, its settings.
func (p *Provider) Describe() provider.Descriptor { return describe() }

func describe() provider.Descriptor {
	return provider.Descriptor{
		ID:   Name,
		Name: "Slack",
		Connect: provider.Connect{Credentials: []provider.Field{
			{Name: "webhookUrl", Required: true, Doc: "the channel's incoming webhook URL."},
			{Name: "name", Doc: "a label for the channel."},
		}},
		Rules: provider.Rules{
			Network: Name,
			// Text is sent as section blocks of at most 3,000 characters each
			// plus a fallback text; Slack truncates message text beyond 40,000
			// characters.
			MaxChars: 40000,
			Count:    provider.CountRunes,
			// Incoming webhooks cannot upload files: images go as image blocks
			// by public URL (PNG, JPEG, GIF); videos go as links. A message
			// holds 50 blocks, up to 14 of them for text, so Herald caps images
			// at 10.
			MaxImages:          10,
			MixImagesAndVideos: true,
			ImageTypes:         []string{provider.MIMEPNG, provider.MIMEJPEG, provider.MIMEGIF},
			// Image block alt text: up to 2,000 characters.
			AltTextMax: 2000,
			// Incoming webhooks: 1 message per second, short bursts allowed.
			PostsPerWindow: 1,
			Window:         time.Second,
		},
		Settings: settings(&Config{}),
		CanFind:  false,
	}
}

// settings are the network's own settings, known before it is built.
func settings(c *Config) []provider.Setting {
	return []provider.Setting{
		{Flag: "slack-webhook-url", Env: "HERALD_SLACK_WEBHOOK_URL", Default: DefaultWebhookBase, Help: "Slack's incoming-webhook base URL", Value: &c.WebhookBase},
	}
}

// Network is Slack's entry in the list of networks the composition
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
