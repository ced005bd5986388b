// Package sqlite is Herald's embedded store: SQLite through the pure-Go
// modernc.org/sqlite driver, in WAL mode with foreign keys on. Writes go
// through one connection (SQLite has one writer; queuing in Go is cheaper
// than busy-waiting in SQLite) and reads through a pool.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"time"

	sqlite3 "modernc.org/sqlite"
	sqlite3lib "modernc.org/sqlite/lib"

	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/sqlstore"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Store is the SQLite store.
type Store struct {
	*sqlstore.Queries
	write *sql.DB
	read  *sql.DB
	path  string
}

var _ store.Store = (*Store)(nil)

var dialect = &sqlstore.Dialect{
	IsUniqueViolation: func(err error) bool {
		var e *sqlite3.Error
		return errors.As(err, &e) && (e.Code() == sqlite3lib.SQLITE_CONSTRAINT_UNIQUE || e.Code() == sqlite3lib.SQLITE_CONSTRAINT_PRIMARYKEY)
	},
	IsForeignKeyViolation: func(err error) bool {
		var e *sqlite3.Error
		return errors.As(err, &e) && e.Code() == sqlite3lib.SQLITE_CONSTRAINT_FOREIGNKEY
	},
}

// Open opens (creating if needed) the database file at path. It does not
// migrate; call Migrate.
func Open(path string) (*Store, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("create database directory: %w", err)
		}
	}
	if err := restrictFiles(path); err != nil {
		return nil, err
	}
	write, err := openDB(dsn(path, false))
	if err != nil {
		return nil, err
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	read, err := openDB(dsn(path, true))
	if err != nil {
		write.Close()
		return nil, err
	}
	n := max(4, runtime.GOMAXPROCS(0)*2)
	read.SetMaxOpenConns(n)
	read.SetMaxIdleConns(n)
	s := &Store{write: write, read: read, path: path}
	s.Queries = sqlstore.New(dbAdapter{read}, dbAdapter{write}, dialect, s.snapshot)
	if err := s.Ping(context.Background()); err != nil {
		s.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return s, nil
}

// restrictFiles makes the database readable by its owner only: it creates
// a missing database file with mode 0600 (SQLite gives its -wal and -shm
// files the database file's mode) and takes group and other permissions
// away from existing ones, which older versions created 0644.
func restrictFiles(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err == nil {
		return f.Close()
	}
	if !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("create %s: %w", path, err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		} else if err != nil {
			return err
		}
		if perm := fi.Mode().Perm(); fi.Mode().IsRegular() && perm&0o077 != 0 {
			if err := os.Chmod(p, perm&^0o077); err != nil {
				return fmt.Errorf("restrict %s to its owner: %w", p, err)
			}
		}
	}
	return nil
}

// openDB opens a pool whose connections cache their prepared statements.
func openDB(dsn string) (*sql.DB, error) {
	c, err := sqlite3.NewConnector(dsn)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(cachingConnector{inner: c}), nil
}

func dsn(path string, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		q.Set("_txlock", "immediate")
	}
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

// DB returns the writer connection pool, for the job queue (River's SQLite
// driver), which must share the one writer.
func (s *Store) DB() *sql.DB { return s.write }

// Path returns the database file's path.
func (s *Store) Path() string { return s.path }

// Migrate applies Herald's pending migrations and returns their names.
func (s *Store) Migrate(ctx context.Context, now time.Time) ([]string, error) {
	return s.migrate(ctx, now, math.MaxInt)
}

// migrate applies the pending migrations up to version last (tests of a
// migration stop before it).
func (s *Store) migrate(ctx context.Context, now time.Time, last int) ([]string, error) {
	sub, err := fs.Sub(migrationFS, "migrations")
	if err != nil {
		return nil, err
	}
	ms, err := sqlstore.LoadMigrations(sub)
	if err != nil {
		return nil, err
	}
	ms = slices.DeleteFunc(ms, func(m sqlstore.Migration) bool { return m.Version > last })
	return sqlstore.Migrate(ctx, ms, func(ctx context.Context, fn func(sqlstore.DB) error) error {
		return s.inTx(ctx, func(tx *sql.Tx) error { return fn(dbAdapter{tx}) })
	}, "", now)
}

// InTx implements store.Store.
func (s *Store) InTx(ctx context.Context, fn func(tx store.Tx) error) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		return fn(&txn{Queries: s.Queries.WithTx(dbAdapter{tx}), tx: tx})
	})
}

func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) (err error) {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if p := recover(); p != nil {
			tx.Rollback()
			panic(p)
		}
		if err != nil {
			tx.Rollback()
		}
	}()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// snapshot runs fn in a read transaction on the read pool: in WAL mode it
// sees one state of the database however many statements it runs.
func (s *Store) snapshot(ctx context.Context, fn func(sqlstore.DB) error) error {
	tx, err := s.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	return fn(dbAdapter{tx})
}

// Ping implements store.Store.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.write.PingContext(ctx); err != nil {
		return err
	}
	return s.read.PingContext(ctx)
}

// Close implements store.Store.
func (s *Store) Close() error {
	return errors.Join(s.read.Close(), s.write.Close())
}

type txn struct {
	*sqlstore.Queries
	tx *sql.Tx
}

// DriverTx returns the *sql.Tx under tx, a transaction of a SQLite Store,
// so that the job queue (River's SQLite driver) inserts its rows in the
// same transaction as Herald's. ok is false for any other transaction.
func DriverTx(tx store.Tx) (stx *sql.Tx, ok bool) {
	t, ok := tx.(*txn)
	if !ok {
		return nil, false
	}
	return t.tx, true
}

// dbAdapter adapts database/sql handles to sqlstore.DB.
type dbAdapter struct {
	db interface {
		ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
		QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
		QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	}
}

func (a dbAdapter) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	res, err := a.db.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (a dbAdapter) Query(ctx context.Context, q string, args ...any) (sqlstore.Rows, error) {
	rows, err := a.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return sqlRows{rows}, nil
}

func (a dbAdapter) QueryRow(ctx context.Context, q string, args ...any) sqlstore.Row {
	return sqlRow{a.db.QueryRowContext(ctx, q, args...)}
}

type sqlRows struct{ *sql.Rows }

func (r sqlRows) Close() { r.Rows.Close() }

type sqlRow struct{ *sql.Row }

func (r sqlRow) Scan(dest ...any) error {
	err := r.Row.Scan(dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return sqlstore.ErrNoRows
	}
	return err
}
