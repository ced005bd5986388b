package config

import (
	"flag"
	"io"
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
