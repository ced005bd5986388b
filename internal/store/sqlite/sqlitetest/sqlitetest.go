// Package sqlitetest gives tests a migrated SQLite store of their own, in a
// temporary directory that is removed when the test ends.
package sqlitetest

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/store/sqlite"
)

// Open opens and migrates a new SQLite database in t.TempDir(); it is closed
// when the test ends.
func Open(t testing.TB) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(filepath.Join(t.TempDir(), "herald.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(context.Background(), time.Now()); err != nil {
		t.Fatal(err)
	}
	return s
}
