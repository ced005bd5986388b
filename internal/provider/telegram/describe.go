package telegram

import (
	"time"

	"github.com/heraldhq/herald/internal/provider"
)

// Describe says what Herald knows about Telegram: how it connects, its
// options, its rule-table row and counter, its settings.
func (p *Provider) Describe() provider.Descriptor { return describe() }

func describe() provider.Descriptor {
	return provider.Descriptor{
		ID:   Name,
		Name: "Telegram",
		Connect: provider.Connect{Credentials: []provider.Field{
			{Name: "botToken", Required: true, Doc: "the bot's token from @BotFather."},
			{Name: "chatId", Required: true, Doc: "the channel (@name) or chat id the bot posts to."},
		}},
		Options: map[string]provider.OptionRule{
			"parseMode": {Values: []string{"HTML", "MarkdownV2", "Markdown"}, Doc: "how Telegram reads markup in the text"},
		},
		Rules: provider.Rules{
			Network: Name,
			// sendMessage text: 1-4,096 characters after entity parsing.
			// Captions hold only 1,024: longer text with media is sent as a
			// second message by the adapter. Telegram counts UTF-16 code
			// units; runes undercount astral emoji by one each.
			MaxChars: 4096,
			Count:    provider.CountRunes,
			// sendMediaGroup: 2-10 photos and videos, mixed (the adapter
			// refuses more than 10 together).
			MaxImages:          10,
			MaxVideos:          10,
			MixImagesAndVideos: true,
			ImageTypes:         []string{provider.MIMEJPEG, provider.MIMEPNG, provider.MIMEGIF, provider.MIMEWebP},
			VideoTypes:         []string{provider.MIMEMP4},
			// sendPhoto: 10 MB, width + height at most 10,000, aspect ratio at
			// most 20. sendVideo: 50 MB through the Bot API. A GIF inside an
			// album is sent as a photo, so the photo limit applies.
			ImageMaxBytes: 10 * provider.MB,
			GIFMaxBytes:   10 * provider.MB,
			MinAspect:     1.0 / 20.0,
			MaxAspect:     20,
			VideoMaxBytes: 50 * provider.MB,
			// No more than 20 messages per minute to the same group (Bot FAQ).
			PostsPerWindow: 20,
			Window:         time.Minute,
		},
		Settings: settings(&Config{}),
		CanFind:  false,
	}
}

// settings are the network's own settings, known before it is built.
func settings(c *Config) []provider.Setting {
	return []provider.Setting{
		{Flag: "telegram-api-url", Env: "HERALD_TELEGRAM_API_URL", Default: DefaultAPIBase, Help: "Telegram's Bot API base URL", Value: &c.APIBase},
	}
}

// Network is Telegram's entry in the list of networks the composition
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
