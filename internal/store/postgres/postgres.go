// Package postgres is Herald's store for several nodes: PostgreSQL through
// pgx's connection pool. The queries are the shared ones of
// internal/store/sqlstore; this package adds the connection handling, the
// dialect (numbered placeholders, SQLSTATE error codes) and its own embedded
// migrations.
//
// The connection string is a libpq URL or keyword/value string as pgx reads
// it. Besides the usual settings, two matter here:
//
//   - search_path selects the schema Herald's tables live in (and are
//     migrated into), for tests and for several Herald installations in one
//     database;
//   - pool_max_conns overrides the pool size (default: DefaultMaxConns).
//
// The job queue (River's riverpgxv5 driver) shares the pool (Pool) and
// inserts its jobs in Herald's transactions (store.Tx.Driver is the pgx.Tx).
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"runtime"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/sqlstore"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// migrationLockID is the key of the transaction-scoped advisory lock that
// serialises migrators: "herald" in ASCII, read as a number. Advisory locks
// are per database, so installations in different schemas of one database
// take turns migrating, which is harmless.
const migrationLockID = 0x68657261_6c64

// DefaultMaxConns is the pool size when the connection string sets no
// pool_max_conns: four per CPU, at least eight. Queries are short, but the
// pool is shared with the job queue, which keeps one connection for
// LISTEN/NOTIFY and others for fetching and completing jobs, and HTTP
// handlers hold a connection for a whole transaction; pgxpool's own default
// (the number of CPUs, at least four) would leave two-core machines queuing.
func DefaultMaxConns() int32 {
	return int32(max(8, 4*runtime.GOMAXPROCS(0)))
}

// Store is the PostgreSQL store.
type Store struct {
	*sqlstore.Queries
	pool *pgxpool.Pool
}

var _ store.Store = (*Store)(nil)

// SQLSTATE codes of the constraint violations the shared queries turn into
// domain errors.
const (
	uniqueViolation     = "23505"
	foreignKeyViolation = "23503"
)

var dialect = &sqlstore.Dialect{
	Numbered:              true,
	ForUpdate:             " FOR UPDATE",
	ForShare:              " FOR SHARE",
	IsUniqueViolation:     func(err error) bool { return sqlState(err) == uniqueViolation },
	IsForeignKeyViolation: func(err error) bool { return sqlState(err) == foreignKeyViolation },
}

func sqlState(err error) string {
	var e *pgconn.PgError
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// Open connects to the database at url and checks that it answers. It does
// not migrate; call Migrate.
func Open(ctx context.Context, url string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx's parse errors hide the password.
		return nil, fmt.Errorf("postgres: %w", err)
	}
	// pgxpool consumes pool_max_conns while parsing; read the raw settings
	// to tell "not set" from "set to pgxpool's default".
	raw, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if _, set := raw.RuntimeParams["pool_max_conns"]; !set {
		cfg.MaxConns = DefaultMaxConns()
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	s := &Store{pool: pool}
	s.Queries = sqlstore.New(dbAdapter{pool}, dbAdapter{pool}, dialect, s.snapshot)
	if err := s.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: connect to %s:%d/%s: %w", cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database, err)
	}
	return s, nil
}

// Pool returns the connection pool, for the job queue (River's riverpgxv5
// driver).
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Migrate applies Herald's pending migrations, in the first schema of the
// connection's search_path, and returns their names. Each migration runs in
// its own transaction holding an advisory lock, so nodes starting together
// apply each migration once: the others wait, then find it applied.
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
		return s.inTx(ctx, func(tx pgx.Tx) error { return fn(dbAdapter{tx}) })
	}, fmt.Sprintf("SELECT pg_advisory_xact_lock(%d)", int64(migrationLockID)), now)
}

// InTx implements store.Store. The transaction is READ COMMITTED,
// PostgreSQL's default.
func (s *Store) InTx(ctx context.Context, fn func(tx store.Tx) error) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		return fn(&txn{Queries: s.Queries.WithTx(dbAdapter{tx}), tx: tx})
	})
}

// snapshot runs fn in a read-only REPEATABLE READ transaction: every
// statement sees the database as of the first.
func (s *Store) snapshot(ctx context.Context, fn func(sqlstore.DB) error) error {
	return s.beginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error { return fn(dbAdapter{tx}) })
}

func (s *Store) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return s.beginTx(ctx, pgx.TxOptions{}, fn)
}

func (s *Store) beginTx(ctx context.Context, opts pgx.TxOptions, fn func(tx pgx.Tx) error) (err error) {
	tx, err := s.pool.BeginTx(ctx, opts)
	if err != nil {
		return err
	}
	defer func() {
		if p := recover(); p != nil {
			tx.Rollback(ctx)
			panic(p)
		}
		if err != nil {
			// A failed rollback (say ctx is done) closes the connection,
			// which ends the transaction on the server; fn's error is the
			// one worth returning.
			tx.Rollback(ctx)
		}
	}()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// Ping implements store.Store.
func (s *Store) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }

// Close implements store.Store. It waits for connections in use to be
// returned to the pool.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

type txn struct {
	*sqlstore.Queries
	tx pgx.Tx
}

// DriverTx returns the pgx.Tx under tx, a transaction of a PostgreSQL
// Store, so that the job queue (River's pgx driver) inserts its rows in the
// same transaction as Herald's. ok is false for any other transaction.
func DriverTx(tx store.Tx) (ptx pgx.Tx, ok bool) {
	t, ok := tx.(*txn)
	if !ok {
		return nil, false
	}
	return t.tx, true
}

// dbAdapter adapts a pool or a transaction to sqlstore.DB.
type dbAdapter struct {
	db interface {
		Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
		Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
		QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	}
}

func (a dbAdapter) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	tag, err := a.db.Exec(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

func (a dbAdapter) Query(ctx context.Context, q string, args ...any) (sqlstore.Rows, error) {
	rows, err := a.db.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return rows, nil
}

func (a dbAdapter) QueryRow(ctx context.Context, q string, args ...any) sqlstore.Row {
	return pgRow{a.db.QueryRow(ctx, q, args...)}
}

type pgRow struct{ pgx.Row }

func (r pgRow) Scan(dest ...any) error {
	err := r.Row.Scan(dest...)
	if errors.Is(err, pgx.ErrNoRows) {
		return sqlstore.ErrNoRows
	}
	return err
}
