package config

import (
	"flag"
	"io"
	"reflect"
	"testing"
	"time"
)

func TestBind(t *testing.T) {
	t.Parallel()
	env := map[string]string{"HERALD_RATE_LIMIT": "120", "HERALD_ADDR": "0.0.0.0:9000"}
	tests := []struct {
		name    string
		args    []string
		check   func(c *Config) bool
		wantErr bool
	}{
		{"environment", nil, func(c *Config) bool { return c.RateLimit == 120 && c.Addr == "0.0.0.0:9000" && !c.AllowPrivateNetworks }, false},
		{"flags win", []string{"--rate-limit", "5"}, func(c *Config) bool { return c.RateLimit == 5 }, false},
		{"bare boolean flag", []string{"--allow-private-networks"}, func(c *Config) bool { return c.AllowPrivateNetworks }, false},
		{"boolean flag with value", []string{"--allow-private-networks=false"}, func(c *Config) bool { return !c.AllowPrivateNetworks }, false},
		{"database default", []string{"--data-dir", "/x"}, func(c *Config) bool { return c.DatabaseURL == "/x/herald.db" && !c.IsPostgres() }, false},
		{"postgres", []string{"--database-url", "postgres://u@h/db"}, func(c *Config) bool { return c.IsPostgres() }, false},
		{"publish timeout", []string{"--publish-timeout", "30s"}, func(c *Config) bool { return c.PublishTimeout == 30*time.Second }, false},
		{"no trusted proxies", nil, func(c *Config) bool { return len(c.TrustedProxies) == 0 }, false},
		{"trusted proxies", []string{"--trusted-proxies", "10.0.0.0/8, ::1"}, func(c *Config) bool { return c.TrustedProxies.String() == "10.0.0.0/8,::1/128" }, false},
		{"bad trusted proxies", []string{"--trusted-proxies", "10.0.0.0/8,proxy.lan"}, nil, true},
		{"shutdown timeout default", nil, func(c *Config) bool { return c.ShutdownTimeout == 30*time.Second }, false},
		{"shutdown timeout", []string{"--shutdown-timeout", "2m"}, func(c *Config) bool { return c.ShutdownTimeout == 2*time.Minute }, false},
		{"bad shutdown timeout", []string{"--shutdown-timeout", "0s"}, nil, true},
		{"connection caps default", nil, func(c *Config) bool { return c.MaxConnections == 0 && c.MaxConnectionsPerIP == 256 }, false},
		{"connection caps", []string{"--max-connections", "1000", "--max-connections-per-ip", "0"}, func(c *Config) bool { return c.MaxConnections == 1000 && c.MaxConnectionsPerIP == 0 }, false},
		{"bad connection cap", []string{"--max-connections", "0"}, nil, true},
		{"bad per-address cap", []string{"--max-connections-per-ip", "-1"}, nil, true},
		{"bad rate limit", []string{"--rate-limit", "0"}, nil, true},
		{"bad boolean", []string{"--allow-private-networks=maybe"}, nil, true},
		{"bad address", []string{"--addr", "nowhere"}, nil, true},
		{"bad public URL", []string{"--public-url", "ftp://x"}, nil, true},
		{"too short publish timeout", []string{"--publish-timeout", "1s"}, nil, true},
		{"smtp", []string{"--smtp-url", "smtp://u:p@mail.example.org:587", "--smtp-from", "herald@example.org"}, func(c *Config) bool {
			return c.SMTPURL == "smtp://u:p@mail.example.org:587" && c.SMTPFrom == "herald@example.org"
		}, false},
		{"no smtp by default", nil, func(c *Config) bool { return c.SMTPURL == "" }, false},
		{"smtp without sender", []string{"--smtp-url", "smtp://mail.example.org"}, nil, true},
		{"smtp URL of another scheme", []string{"--smtp-url", "http://mail.example.org", "--smtp-from", "h@example.org"}, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fs := flag.NewFlagSet("test", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			build := Bind(fs, func(k string) string { return env[k] })
			if err := fs.Parse(tc.args); err != nil {
				t.Fatal(err)
			}
			c, err := build()
			if (err != nil) != tc.wantErr {
				t.Fatalf("error = %v, want error %v", err, tc.wantErr)
			}
			if err == nil && !tc.check(c) {
				t.Errorf("config = %+v", c)
			}
		})
	}
}

// TestBindWithNetworkSettings: a network's own settings, declared by its
// package, are flags and environment variables like Herald's, with their
// defaults, and reach Config.Networks; Herald's storage-only commands see
// them too without listing them.
func TestBindWithNetworkSettings(t *testing.T) {
	t.Parallel()
	networks := []Setting{
		{Flag: "echo-api-url", Env: "HERALD_ECHO_API_URL", Default: "https://echo.example", Help: "Echo's API"},
		{Flag: "echo-region", Env: "HERALD_ECHO_REGION", Default: "eu", Help: "Echo's region"},
	}
	env := map[string]string{"HERALD_ECHO_REGION": "us"}
	tests := []struct {
		name  string
		args  []string
		names []string
		want  map[string]string
	}{
		{"defaults and environment", nil, nil, map[string]string{"echo-api-url": "https://echo.example", "echo-region": "us"}},
		{"flag wins", []string{"--echo-api-url", "http://127.0.0.1:9"}, nil, map[string]string{"echo-api-url": "http://127.0.0.1:9", "echo-region": "us"}},
		{"with named settings", []string{"--echo-region", "ap"}, []string{"data-dir"}, map[string]string{"echo-api-url": "https://echo.example", "echo-region": "ap"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fs := flag.NewFlagSet("test", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			build := BindWith(fs, func(k string) string { return env[k] }, networks, tc.names...)
			if err := fs.Parse(tc.args); err != nil {
				t.Fatal(err)
			}
			c, err := build()
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tc.want {
				if c.Networks[k] != v {
					t.Errorf("Networks[%q] = %q, want %q", k, c.Networks[k], v)
				}
			}
			if tc.names == nil && fs.Lookup("rate-limit") == nil {
				t.Error("BindWith without names lost Herald's own settings")
			}
		})
	}
}

// TestEverySettingSetsItsField: each of Herald's own settings says how its
// value lands in Config, and a value other than its default, given through
// the environment, changes Config. A new setting must add a value here.
func TestEverySettingSetsItsField(t *testing.T) {
	t.Parallel()
	values := map[string]string{
		"addr": "0.0.0.0:9000", "data-dir": "/srv/herald", "database-url": "postgres://u@h/db", "public-url": "https://herald.example",
		"rate-limit": "7", "trusted-proxies": "10.0.0.0/8", "log-level": "debug", "log-format": "json", "allow-private-networks": "true",
		"secret-key": "k", "workers": "3", "publish-timeout": "5m", "shutdown-timeout": "1m", "smtp-url": "smtp://mail.example.org",
		"smtp-from": "herald@example.org", "max-connections": "10", "max-connections-per-ip": "1",
		"media-dir": "/media", "media-max-image-bytes": "1MB", "media-max-gif-bytes": "2MB", "media-max-video-bytes": "3MB",
		"media-quota": "1GB", "media-gc-age": "2h", "media-gc-interval": "2m", "media-fetch-timeout": "10s",
		"media-s3-endpoint": "minio:9000", "media-s3-bucket": "b", "media-s3-region": "eu-west-1", "media-s3-access-key-id": "k",
		"media-s3-secret-access-key": "s", "media-s3-prefix": "media/", "media-s3-tls": "false", "media-s3-path-style": "true",
	}
	// Settings that are only valid together with another one.
	companions := map[string]map[string]string{
		"smtp-url":                   {"HERALD_SMTP_FROM": "herald@example.org"},
		"media-s3-access-key-id":     {"HERALD_MEDIA_S3_SECRET_ACCESS_KEY": "s"},
		"media-s3-secret-access-key": {"HERALD_MEDIA_S3_ACCESS_KEY_ID": "k"},
	}
	for _, s := range Settings() {
		if s.parse == nil {
			t.Fatalf("%s has no parse", s.Flag)
		}
	}
	defaults, err := bindWith(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range Settings() {
		t.Run(s.Flag, func(t *testing.T) {
			t.Parallel()
			v, ok := values[s.Flag]
			if !ok {
				t.Fatalf("no value for %s in this test", s.Flag)
			}
			// The row alone sets its field...
			c := *defaults
			if err := s.parse(&c, v); err != nil {
				t.Fatal(err)
			}
			if reflect.DeepEqual(c, *defaults) {
				t.Errorf("%s=%q leaves Config as it was", s.Flag, v)
			}
			// ...and the environment reaches it.
			env := map[string]string{s.Env: v}
			for k, v := range companions[s.Flag] {
				env[k] = v
			}
			got, err := bindWith(t, env)
			if err != nil {
				t.Fatal(err)
			}
			if reflect.DeepEqual(got, defaults) {
				t.Errorf("$%s=%q leaves Config as it was", s.Env, v)
			}
		})
	}
}
