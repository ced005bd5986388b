// Package sqlstore holds the queries that the SQLite and PostgreSQL stores
// share. Each store owns its connection handling, its migrations and its
// Dialect (placeholders, error codes); the SQL here is written once in the
// common subset of both databases, with "?" placeholders that the dialect
// rewrites.
package sqlstore

import (
	"context"
	"errors"
	"strconv"
	"strings"
)

// DB is what a query needs from a connection, a pool or a transaction.
type DB interface {
	Exec(ctx context.Context, query string, args ...any) (int64, error)
	Query(ctx context.Context, query string, args ...any) (Rows, error)
	QueryRow(ctx context.Context, query string, args ...any) Row
}

// Rows is a result set.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

// Row is a single-row result; Scan returns ErrNoRows when there is none.
type Row interface {
	Scan(dest ...any) error
}

// ErrNoRows is returned by Row.Scan when the query selected nothing.
// Adapters translate their driver's own no-rows error to it.
var ErrNoRows = errors.New("sqlstore: no rows")

// Dialect is what differs between the two databases.
type Dialect struct {
	// Numbered placeholders ($1, $2, ...) instead of "?".
	Numbered bool
	// ForUpdate and ForShare are the row-locking clauses ("" where the
	// database serialises writers, as SQLite does).
	ForUpdate, ForShare string
	// IsUniqueViolation and IsForeignKeyViolation classify driver errors.
	IsUniqueViolation     func(error) bool
	IsForeignKeyViolation func(error) bool
}

// rebind rewrites "?" placeholders for the dialect. Queries hold no "?"
// inside string literals.
func (d *Dialect) rebind(q string) string {
	if !d.Numbered {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}
