// Package config is Herald's typed configuration, read once from flags and
// environment variables (flags win) and passed down; there are no globals.
package config

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/clientaddr"
)

// Config is every setting of Herald.
type Config struct {
	Addr                 string
	DataDir              string
	DatabaseURL          string
	PublicURL            string
	RateLimit            int
	LogLevel             string
	LogFormat            string
	AllowPrivateNetworks bool
	SecretKey            string
	ShutdownTimeout      time.Duration
	Media                MediaConfig // media.go
	Workers              int
	PublishTimeout       time.Duration
	// Networks holds the values of the networks' own settings (those given
	// to BindWith), by flag name; each network reads its own.
	Networks map[string]string
	SMTPURL  string // smtp://user:pass@host:port; empty: no e-mail
	SMTPFrom string
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names
	// the client (for rate limits and sign-in throttling).
	TrustedProxies clientaddr.Proxies
	// MaxConnections caps open client connections in total; 0 derives it
	// from the process's open-file limit.
	MaxConnections int
	// MaxConnectionsPerIP caps open connections from one client address;
	// 0 means no cap.
	MaxConnectionsPerIP int
}

// Setting describes one setting: its flag, environment variable, default and
// help, so that --help and the README say the same; Herald's own settings
// also say how their text lands in Config.
type Setting struct {
	Flag, Env, Default, Help string
	// parse checks v and stores it in its field of c; nil for the networks'
	// settings, which land in Config.Networks. Its error does not repeat
	// the flag, which the caller puts in front.
	parse func(c *Config, v string) error
}

// Described returns the setting's help without its default, and its default
// as --help shows it: Default, or the text of a "(default: ...)" that ends
// Help when the default is computed (such as <data-dir>/herald.db); "" when
// there is none. --help then shows each default once.
func (s Setting) Described() (help, def string) {
	if i := strings.LastIndex(s.Help, " (default: "); s.Default == "" && i >= 0 && strings.HasSuffix(s.Help, ")") {
		return s.Help[:i], s.Help[i+len(" (default: ") : len(s.Help)-1]
	}
	return s.Help, s.Default
}

// Settings returns Herald's own settings of `herald serve` (the other
// commands use the storage ones). The networks' settings are declared by
// their packages and given to BindWith by the composition root.
func Settings() []Setting {
	return append([]Setting{
		{"addr", "HERALD_ADDR", "127.0.0.1:8080", "address to listen on (host:port; port 0 picks a free one)", func(c *Config, v string) error {
			if _, _, err := net.SplitHostPort(v); err != nil {
				return fmt.Errorf("%q is not host:port", v)
			}
			c.Addr = v
			return nil
		}},
		{"data-dir", "HERALD_DATA_DIR", "./herald-data", "directory for the SQLite database, media and the secret key file", func(c *Config, v string) error {
			if v == "" {
				return errors.New("is empty")
			}
			c.DataDir = v
			return nil
		}},
		{"database-url", "HERALD_DATABASE_URL", "", "SQLite file path, or postgres://user@host/db for several nodes (default: <data-dir>/herald.db)", text(func(c *Config) *string { return &c.DatabaseURL })},
		{"public-url", "HERALD_PUBLIC_URL", "", "URL where users and networks reach this Herald (default: http://<addr>, with localhost for 0.0.0.0 or ::)", func(c *Config, v string) error {
			v = strings.TrimRight(v, "/")
			if v != "" {
				if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
					return fmt.Errorf("%q is not an http(s) URL", v)
				}
			}
			c.PublicURL = v
			return nil
		}},
		{"rate-limit", "HERALD_RATE_LIMIT", "60", "API requests per minute per API key", positive(func(c *Config) *int { return &c.RateLimit })},
		{"trusted-proxies", "HERALD_TRUSTED_PROXIES", "", "comma-separated CIDRs of reverse proxies whose X-Forwarded-For names the client (default: none, the socket's address counts)", func(c *Config, v string) (err error) {
			c.TrustedProxies, err = clientaddr.ParseProxies(v)
			return err
		}},
		{"log-level", "HERALD_LOG_LEVEL", "info", "debug, info, warn or error", oneOf(func(c *Config) *string { return &c.LogLevel }, "debug, info, warn or error", "debug", "info", "warn", "error")},
		{"log-format", "HERALD_LOG_FORMAT", "text", "text or json", oneOf(func(c *Config) *string { return &c.LogFormat }, "text or json", "text", "json")},
		{"allow-private-networks", "HERALD_ALLOW_PRIVATE_NETWORKS", "false", "allow requests to loopback and private addresses (development and tests only)", boolean(func(c *Config) *bool { return &c.AllowPrivateNetworks })},
		{"secret-key", "HERALD_SECRET_KEY", "", "keys that encrypt stored credentials: base64 or hex of 32 bytes, comma-separated, the first seals (default: a key file in the data directory)", text(func(c *Config) *string { return &c.SecretKey })},
		{"workers", "HERALD_WORKERS", "50", "posts this node publishes at once", positive(func(c *Config) *int { return &c.Workers })},
		{"publish-timeout", "HERALD_PUBLISH_TIMEOUT", "2m", "longest time one publication may take at a network; after it an unfinished attempt is reconciled",
			duration(func(c *Config) *time.Duration { return &c.PublishTimeout }, 5*time.Second, "is not a duration of at least 5s (such as 2m)")},
		{"shutdown-timeout", "HERALD_SHUTDOWN_TIMEOUT", "30s", "longest a graceful stop (SIGTERM) waits for requests and publications in flight; those still running after it are cut off and reconciled",
			duration(func(c *Config) *time.Duration { return &c.ShutdownTimeout }, time.Nanosecond, "is not a positive duration (such as 30s)")},
		{"smtp-url", "HERALD_SMTP_URL", "", "SMTP server that e-mails invitation links: smtp://user:pass@host:port (STARTTLS when offered) or smtps:// (default: none; the inviter gets the link)", func(c *Config, v string) error {
			if v != "" {
				if u, err := url.Parse(v); err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" {
					return errors.New("is not smtp://user:pass@host:port or smtps://user:pass@host:port")
				}
			}
			c.SMTPURL = v
			return nil
		}},
		{"smtp-from", "HERALD_SMTP_FROM", "", "sender address of Herald's e-mails (required with smtp-url)", text(func(c *Config) *string { return &c.SMTPFrom })},
		{"max-connections", "HERALD_MAX_CONNECTIONS", "auto", "most open client connections in all (auto: three quarters of the open-file limit)", func(c *Config, v string) error {
			if v == "auto" {
				c.MaxConnections = 0
				return nil
			}
			if n, err := strconv.Atoi(v); err == nil && n >= 1 {
				c.MaxConnections = n
				return nil
			}
			return fmt.Errorf("%q is not auto or a positive integer", v)
		}},
		{"max-connections-per-ip", "HERALD_MAX_CONNECTIONS_PER_IP", "256", "most open connections from one client address (0: no cap; trusted proxies are exempt)", func(c *Config, v string) error {
			if n, err := strconv.Atoi(v); err == nil && n >= 0 {
				c.MaxConnectionsPerIP = n
				return nil
			}
			return fmt.Errorf("%q is not a whole number", v)
		}},
	}, mediaSettings()...)
}

// text stores the value as it is.
func text(field func(*Config) *string) func(*Config, string) error {
	return func(c *Config, v string) error {
		*field(c) = v
		return nil
	}
}

// oneOf stores the value if it is one of allowed; said lists them in the
// error.
func oneOf(field func(*Config) *string, said string, allowed ...string) func(*Config, string) error {
	return func(c *Config, v string) error {
		if !slices.Contains(allowed, v) {
			return fmt.Errorf("%q is not %s", v, said)
		}
		*field(c) = v
		return nil
	}
}

// positive stores an integer of at least 1.
func positive(field func(*Config) *int) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return fmt.Errorf("%q is not a positive integer", v)
		}
		*field(c) = n
		return nil
	}
}

// boolean stores true or false (and the other spellings of strconv.ParseBool).
func boolean(field func(*Config) *bool) func(*Config, string) error {
	return func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("%q is not true or false", v)
		}
		*field(c) = b
		return nil
	}
}

// duration stores a duration no shorter than least; says follows the
// quoted value in the error.
func duration(field func(*Config) *time.Duration, least time.Duration, says string) func(*Config, string) error {
	return func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d < least {
			return fmt.Errorf("%q %s", v, says)
		}
		*field(c) = d
		return nil
	}
}

// Bind registers the named settings on fs with their environment values as
// defaults and returns a function that builds the Config after fs.Parse.
func Bind(fs *flag.FlagSet, getenv func(string) string, names ...string) func() (*Config, error) {
	return BindWith(fs, getenv, nil, names...)
}

// BindWith is Bind with the networks' settings as well (all of them,
// whatever names says); their values are in Config.Networks.
func BindWith(fs *flag.FlagSet, getenv func(string) string, networks []Setting, names ...string) func() (*Config, error) {
	own := Settings()
	vals := map[string]*string{}
	names = slices.Clone(names)
	for _, s := range networks {
		names = append(names, s.Flag)
	}
	if len(names) == len(networks) {
		names = nil // no names: every setting
	}
	for _, s := range append(slices.Clone(own), networks...) {
		if len(names) > 0 && !slices.Contains(names, s.Flag) {
			continue
		}
		def := s.Default
		if v := getenv(s.Env); v != "" {
			def = v
		}
		v := &stringValue{s: def, isBool: s.Default == "true" || s.Default == "false"}
		// The flag package shows a non-empty default itself.
		help, described := s.Described()
		help += " ($" + s.Env + ")"
		if def == "" && described != "" {
			help += " (default " + described + ")"
		}
		fs.Var(v, s.Flag, help)
		vals[s.Flag] = &v.s
	}
	// value is the setting's flag when bound, else its environment
	// variable or default.
	value := func(s Setting) string {
		if v, ok := vals[s.Flag]; ok {
			return strings.TrimSpace(*v)
		}
		if v := getenv(s.Env); v != "" {
			return v
		}
		return s.Default
	}
	return func() (*Config, error) {
		c := &Config{}
		for _, s := range own {
			if err := s.parse(c, value(s)); err != nil {
				return nil, fmt.Errorf("%s: %w", s.Flag, err)
			}
		}
		c.Networks = make(map[string]string, len(networks))
		for _, s := range networks {
			c.Networks[s.Flag] = value(s)
		}
		if c.SMTPURL != "" && c.SMTPFrom == "" {
			return nil, fmt.Errorf("smtp-from: is required with smtp-url")
		}
		if c.DatabaseURL == "" {
			c.DatabaseURL = filepath.Join(c.DataDir, "herald.db")
		}
		if err := c.Media.complete(c.DataDir); err != nil {
			return nil, err
		}
		return c, nil
	}
}

// IsPostgres reports whether the database URL names PostgreSQL.
func (c *Config) IsPostgres() bool {
	return strings.HasPrefix(c.DatabaseURL, "postgres://") || strings.HasPrefix(c.DatabaseURL, "postgresql://")
}

// stringValue is a flag holding text; boolean settings may be given bare
// (--allow-private-networks means true), as Go's own boolean flags.
type stringValue struct {
	s      string
	isBool bool
}

func (v *stringValue) String() string     { return v.s }
func (v *stringValue) Set(s string) error { v.s = s; return nil }
func (v *stringValue) IsBoolFlag() bool   { return v.isBool }
