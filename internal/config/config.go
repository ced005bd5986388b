// Package config is Herald's typed configuration, read once from flags and
// environment variables (flags win) and passed down; there are no globals.
package config

import (
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
// help, so that --help and the README say the same.
type Setting struct {
	Flag, Env, Default, Help string
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
		{"addr", "HERALD_ADDR", "127.0.0.1:8080", "address to listen on (host:port; port 0 picks a free one)"},
		{"data-dir", "HERALD_DATA_DIR", "./herald-data", "directory for the SQLite database, media and the secret key file"},
		{"database-url", "HERALD_DATABASE_URL", "", "SQLite file path, or postgres://user@host/db for several nodes (default: <data-dir>/herald.db)"},
		{"public-url", "HERALD_PUBLIC_URL", "", "URL where users and networks reach this Herald (default: http://<addr>, with localhost for 0.0.0.0 or ::)"},
		{"rate-limit", "HERALD_RATE_LIMIT", "60", "API requests per minute per API key"},
		{"trusted-proxies", "HERALD_TRUSTED_PROXIES", "", "comma-separated CIDRs of reverse proxies whose X-Forwarded-For names the client (default: none, the socket's address counts)"},
		{"log-level", "HERALD_LOG_LEVEL", "info", "debug, info, warn or error"},
		{"log-format", "HERALD_LOG_FORMAT", "text", "text or json"},
		{"allow-private-networks", "HERALD_ALLOW_PRIVATE_NETWORKS", "false", "allow requests to loopback and private addresses (development and tests only)"},
		{"secret-key", "HERALD_SECRET_KEY", "", "keys that encrypt stored credentials: base64 or hex of 32 bytes, comma-separated, the first seals (default: a key file in the data directory)"},
		{"workers", "HERALD_WORKERS", "50", "posts this node publishes at once"},
		{"publish-timeout", "HERALD_PUBLISH_TIMEOUT", "2m", "longest time one publication may take at a network; after it an unfinished attempt is reconciled"},
		{"shutdown-timeout", "HERALD_SHUTDOWN_TIMEOUT", "30s", "longest a graceful stop (SIGTERM) waits for requests and publications in flight; those still running after it are cut off and reconciled"},
		{"smtp-url", "HERALD_SMTP_URL", "", "SMTP server that e-mails invitation links: smtp://user:pass@host:port (STARTTLS when offered) or smtps:// (default: none; the inviter gets the link)"},
		{"smtp-from", "HERALD_SMTP_FROM", "", "sender address of Herald's e-mails (required with smtp-url)"},
		{"max-connections", "HERALD_MAX_CONNECTIONS", "auto", "most open client connections in all (auto: three quarters of the open-file limit)"},
		{"max-connections-per-ip", "HERALD_MAX_CONNECTIONS_PER_IP", "256", "most open connections from one client address (0: no cap; trusted proxies are exempt)"},
	}, mediaSettings()...)
}

// Bind registers the named settings on fs with their environment values as
// defaults and returns a function that builds the Config after fs.Parse.
func Bind(fs *flag.FlagSet, getenv func(string) string, names ...string) func() (*Config, error) {
	return BindWith(fs, getenv, nil, names...)
}

// BindWith is Bind with the networks' settings as well (all of them,
// whatever names says); their values are in Config.Networks.
func BindWith(fs *flag.FlagSet, getenv func(string) string, networks []Setting, names ...string) func() (*Config, error) {
	vals := map[string]*string{}
	all := Settings()
	names = slices.Clone(names)
	for _, s := range networks {
		names = append(names, s.Flag)
		all = append(all, s)
	}
	if len(names) == len(networks) {
		names = nil // no names: every setting
	}
	for _, s := range all {
		if len(names) > 0 && !contains(names, s.Flag) {
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
	get := func(name string) string {
		if v, ok := vals[name]; ok {
			return strings.TrimSpace(*v)
		}
		for _, s := range all {
			if s.Flag == name {
				if v := getenv(s.Env); v != "" {
					return v
				}
				return s.Default
			}
		}
		return ""
	}
	return func() (*Config, error) {
		c := &Config{
			Addr: get("addr"), DataDir: get("data-dir"), DatabaseURL: get("database-url"), PublicURL: strings.TrimRight(get("public-url"), "/"),
			LogLevel: get("log-level"), LogFormat: get("log-format"), SecretKey: get("secret-key"),
		}
		var err error
		if c.RateLimit, err = strconv.Atoi(get("rate-limit")); err != nil || c.RateLimit < 1 {
			return nil, fmt.Errorf("rate-limit: %q is not a positive integer", get("rate-limit"))
		}
		if c.Workers, err = strconv.Atoi(get("workers")); err != nil || c.Workers < 1 {
			return nil, fmt.Errorf("workers: %q is not a positive integer", get("workers"))
		}
		if v := get("max-connections"); v != "auto" {
			if c.MaxConnections, err = strconv.Atoi(v); err != nil || c.MaxConnections < 1 {
				return nil, fmt.Errorf("max-connections: %q is not auto or a positive integer", v)
			}
		}
		if c.MaxConnectionsPerIP, err = strconv.Atoi(get("max-connections-per-ip")); err != nil || c.MaxConnectionsPerIP < 0 {
			return nil, fmt.Errorf("max-connections-per-ip: %q is not a whole number", get("max-connections-per-ip"))
		}
		if c.PublishTimeout, err = time.ParseDuration(get("publish-timeout")); err != nil || c.PublishTimeout < 5*time.Second {
			return nil, fmt.Errorf("publish-timeout: %q is not a duration of at least 5s (such as 2m)", get("publish-timeout"))
		}
		if c.ShutdownTimeout, err = time.ParseDuration(get("shutdown-timeout")); err != nil || c.ShutdownTimeout <= 0 {
			return nil, fmt.Errorf("shutdown-timeout: %q is not a positive duration (such as 30s)", get("shutdown-timeout"))
		}
		c.Networks = make(map[string]string, len(networks))
		for _, s := range networks {
			c.Networks[s.Flag] = get(s.Flag)
		}
		c.SMTPURL, c.SMTPFrom = get("smtp-url"), get("smtp-from")
		if c.SMTPURL != "" {
			if u, err := url.Parse(c.SMTPURL); err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" {
				return nil, fmt.Errorf("smtp-url: is not smtp://user:pass@host:port or smtps://user:pass@host:port")
			}
			if c.SMTPFrom == "" {
				return nil, fmt.Errorf("smtp-from: is required with smtp-url")
			}
		}
		if c.AllowPrivateNetworks, err = strconv.ParseBool(get("allow-private-networks")); err != nil {
			return nil, fmt.Errorf("allow-private-networks: %q is not true or false", get("allow-private-networks"))
		}
		if c.TrustedProxies, err = clientaddr.ParseProxies(get("trusted-proxies")); err != nil {
			return nil, fmt.Errorf("trusted-proxies: %w", err)
		}
		if _, _, err := net.SplitHostPort(c.Addr); err != nil {
			return nil, fmt.Errorf("addr: %q is not host:port", c.Addr)
		}
		if c.DataDir == "" {
			return nil, fmt.Errorf("data-dir: is empty")
		}
		if c.DatabaseURL == "" {
			c.DatabaseURL = filepath.Join(c.DataDir, "herald.db")
		}
		if c.PublicURL != "" {
			u, err := url.Parse(c.PublicURL)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return nil, fmt.Errorf("public-url: %q is not an http(s) URL", c.PublicURL)
			}
		}
		switch c.LogLevel {
		case "debug", "info", "warn", "error":
		default:
			return nil, fmt.Errorf("log-level: %q is not debug, info, warn or error", c.LogLevel)
		}
		if c.LogFormat != "text" && c.LogFormat != "json" {
			return nil, fmt.Errorf("log-format: %q is not text or json", c.LogFormat)
		}
		if err := c.bindMedia(get); err != nil {
			return nil, err
		}
		return c, nil
	}
}

// IsPostgres reports whether the database URL names PostgreSQL.
func (c *Config) IsPostgres() bool {
	return strings.HasPrefix(c.DatabaseURL, "postgres://") || strings.HasPrefix(c.DatabaseURL, "postgresql://")
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
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
