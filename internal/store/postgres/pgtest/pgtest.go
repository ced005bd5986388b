// Package pgtest gives tests a PostgreSQL schema of their own, so that tests
// of any package can run against PostgreSQL in parallel, on one database,
// without seeing each other's rows.
//
// Tests run against PostgreSQL only when HERALD_TEST_DATABASE_URL is set,
// for example:
//
//	HERALD_TEST_DATABASE_URL='postgres://postgres@127.0.0.1:5432/test?sslmode=disable' go test ./...
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvVar names the environment variable holding the test database's URL.
const EnvVar = "HERALD_TEST_DATABASE_URL"

// URL creates an empty schema with a unique name in the database named by
// HERALD_TEST_DATABASE_URL and returns that URL with search_path set to the
// schema, so that everything a store opened on it creates and reads lives
// there. The schema is dropped, with its contents, when the test ends; open
// pools must be closed by then (cleanups registered after URL run first).
// URL skips the test when the variable is unset.
func URL(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvVar)
	if base == "" {
		t.Skip(EnvVar + " is not set; skipping the PostgreSQL test")
	}
	var b [8]byte
	rand.Read(b[:])
	schema := "herald_test_" + hex.EncodeToString(b[:])

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("pgtest: connect to %s: %v", EnvVar, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() { drop(t, base, schema) })

	u, err := withSearchPath(base, schema)
	if err != nil {
		t.Fatalf("pgtest: %s: %v", EnvVar, err)
	}
	return u
}

// drop removes the schema. A connection still holding locks in it (a pool
// the test forgot to close, a transaction left open) would block the drop
// forever; the lock timeout turns that into a test error instead.
func drop(t testing.TB, base, schema string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Errorf("pgtest: drop schema %s: %v", schema, err)
		return
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "SET lock_timeout = '10s'"); err != nil {
		t.Errorf("pgtest: drop schema %s: %v", schema, err)
		return
	}
	if _, err := conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
		t.Errorf("pgtest: drop schema %s (is a connection still using it?): %v", schema, err)
	}
}

// withSearchPath sets search_path in a connection string, in either of the
// two forms pgx accepts: a URL, or keyword=value pairs.
func withSearchPath(conn, schema string) (string, error) {
	if strings.HasPrefix(conn, "postgres://") || strings.HasPrefix(conn, "postgresql://") {
		u, err := url.Parse(conn)
		if err != nil {
			return "", err
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String(), nil
	}
	// In keyword/value form a later setting overrides an earlier one.
	return strings.TrimSpace(conn) + " search_path=" + schema, nil
}
