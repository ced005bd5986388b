package sqlite_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/store/sqlite/sqlitetest"

	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/sqlite"
	"github.com/heraldhq/herald/internal/store/storetest"
)

func open(t *testing.T) store.Store {
	t.Helper()
	s := sqlitetest.Open(t)
	return s
}

func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, open)
}

func TestMigrateIsIdempotent(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "herald.db")
	s, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	first, err := s.Migrate(context.Background(), time.Now())
	if err != nil || len(first) == 0 {
		t.Fatalf("first migrate = %v, %v", first, err)
	}
	second, err := s.Migrate(context.Background(), time.Now())
	if err != nil || len(second) != 0 {
		t.Fatalf("second migrate = %v, %v; want nothing applied", second, err)
	}
}

// TestCachedStatementsNest runs a query again while its rows are still
// open on the same connection: the second run must not disturb the first.
func TestCachedStatementsNest(t *testing.T) {
	t.Parallel()
	s := open(t).(*sqlite.Store)
	ctx := context.Background()
	db := s.DB()
	for _, v := range []string{"a", "b", "c"} {
		if _, err := db.ExecContext(ctx, `INSERT INTO workspaces (id, name, created_at) VALUES (?, ?, 0)`, v, v); err != nil {
			t.Fatal(err)
		}
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	const q = `SELECT id FROM workspaces ORDER BY id`
	outer, err := tx.QueryContext(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for outer.Next() {
		var id string
		if err := outer.Scan(&id); err != nil {
			t.Fatal(err)
		}
		inner, err := tx.QueryContext(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for inner.Next() {
			n++
		}
		inner.Close()
		got = append(got, fmt.Sprintf("%s:%d", id, n))
	}
	if err := outer.Err(); err != nil {
		t.Fatal(err)
	}
	outer.Close()
	if want := "a:3 b:3 c:3"; strings.Join(got, " ") != want {
		t.Errorf("got %v, want %s", got, want)
	}
	// And the statement is reused afterwards.
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM workspaces`).Scan(&n); err != nil || n != 3 {
		t.Errorf("count = %d, %v", n, err)
	}
}

// TestStatementCacheEvicts runs more distinct queries than the cache holds,
// one of them with its rows open the whole time: the evicted statement
// must stay usable until its rows are closed.
func TestStatementCacheEvicts(t *testing.T) {
	t.Parallel()
	s := open(t).(*sqlite.Store)
	ctx := context.Background()
	tx, err := s.DB().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	open, err := tx.QueryContext(ctx, `SELECT value FROM json_each('[1,2,3]')`)
	if err != nil {
		t.Fatal(err)
	}
	if !open.Next() {
		t.Fatal("no first row")
	}
	for round := range 2 {
		for i := range 700 {
			var n int
			if err := tx.QueryRowContext(ctx, fmt.Sprintf("SELECT %d + ?", i), 1).Scan(&n); err != nil || n != i+1 {
				t.Fatalf("round %d query %d = %d, %v", round, i, n, err)
			}
		}
	}
	var got []int
	for ok := true; ok; ok = open.Next() {
		var v int
		if err := open.Scan(&v); err != nil {
			t.Fatal(err)
		}
		got = append(got, v)
	}
	if err := open.Close(); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != "[1 2 3]" {
		t.Errorf("rows of the evicted statement = %v", got)
	}
}

// TestFileModes checks that the database, its -wal and -shm files and the
// directory created for them are readable by Herald's user only, also for a
// database an older version created 0644.
func TestFileModes(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	path := filepath.Join(dir, "herald.db")
	check := func(t *testing.T) {
		t.Helper()
		s, err := sqlite.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if _, err := s.Migrate(context.Background(), time.Now()); err != nil {
			t.Fatal(err)
		}
		for p, want := range map[string]os.FileMode{dir: 0o700, path: 0o600, path + "-wal": 0o600, path + "-shm": 0o600} {
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != want {
				t.Errorf("%s has mode %v, want %v", filepath.Base(p), fi.Mode().Perm(), want)
			}
		}
	}
	t.Run("new", check)
	// The -wal and -shm files are removed at close; SQLite recreates them
	// with the database file's mode.
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Run("created 0644 before", check)
}
