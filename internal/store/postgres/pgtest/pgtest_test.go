package pgtest

import (
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestWithSearchPath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		conn string
	}{
		{"url", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"},
		{"url without query", "postgresql://postgres@127.0.0.1/test"},
		{"url overriding search_path", "postgres://postgres@127.0.0.1/test?search_path=public&sslmode=disable"},
		{"keyword/value", "host=127.0.0.1 user=postgres dbname=test sslmode=disable"},
		{"keyword/value overriding search_path", "host=127.0.0.1 search_path=public user=postgres dbname=test "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := withSearchPath(tc.conn, "herald_test_x")
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := pgx.ParseConfig(got)
			if err != nil {
				t.Fatalf("ParseConfig(%q): %v", got, err)
			}
			if sp := cfg.RuntimeParams["search_path"]; sp != "herald_test_x" {
				t.Errorf("search_path of %q = %q, want herald_test_x", got, sp)
			}
			if cfg.Host != "127.0.0.1" || cfg.User != "postgres" {
				t.Errorf("%q lost settings: host %q, user %q", got, cfg.Host, cfg.User)
			}
		})
	}
}

func TestURLSkipsWithoutDatabase(t *testing.T) {
	t.Setenv(EnvVar, "") // not parallel: t.Setenv forbids it
	ran := false
	t.Run("inner", func(t *testing.T) {
		defer func() { ran = true }()
		URL(t)
		t.Error("URL did not skip")
	})
	if !ran {
		t.Error("inner test did not run")
	}
}
