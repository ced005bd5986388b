package sqlite

import (
	"context"
	"database/sql/driver"
	"strings"
)

// The pure-Go SQLite driver prepares, runs and finalizes every statement on
// every call; parsing SQL was the largest cost of a request. These wrappers
// keep one prepared statement per query text on each connection.

// maxCachedStmts bounds each connection's cache; past it, the cache starts
// afresh (queries with many placeholders vary with their arguments).
const maxCachedStmts = 500

// sqliteConn is what database/sql uses of the driver's connection; the
// wrapper must offer all of it, or database/sql falls back to slower and
// context-free paths.
type sqliteConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// cachingConnector opens connections that cache their statements.
type cachingConnector struct{ inner driver.Connector }

func (c cachingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.inner.Connect(ctx)
	if err != nil {
		return nil, err
	}
	sc, ok := conn.(sqliteConn)
	if !ok {
		return conn, nil // a driver without the interfaces: no cache
	}
	return &cachingConn{sqliteConn: sc, stmts: map[string]*cachedStmt{}}, nil
}

func (c cachingConnector) Driver() driver.Driver { return c.inner.Driver() }

// cachingConn is used by one goroutine at a time (database/sql's rule for
// a connection), so its cache needs no lock.
type cachingConn struct {
	sqliteConn
	stmts map[string]*cachedStmt
}

type cachedStmt struct {
	driver.Stmt
	busy bool // rows of it are open
}

// cacheable reports whether a query is one statement: a prepared statement
// runs only the first of several (migrations run directly).
func cacheable(query string) bool { return !strings.Contains(query, ";") }

func (c *cachingConn) stmt(ctx context.Context, query string) (*cachedStmt, bool, error) {
	if st, ok := c.stmts[query]; ok && !st.busy {
		return st, true, nil
	}
	s, err := c.sqliteConn.PrepareContext(ctx, query)
	if err != nil {
		return nil, false, err
	}
	st := &cachedStmt{Stmt: s}
	if _, ok := c.stmts[query]; ok {
		return st, false, nil // the cached one is busy: use a one-off
	}
	if len(c.stmts) >= maxCachedStmts {
		c.closeAll()
	}
	c.stmts[query] = st
	return st, true, nil
}

func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if !cacheable(query) {
		return c.sqliteConn.ExecContext(ctx, query, args)
	}
	st, cached, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if !cached {
		defer st.Close()
	}
	return st.Stmt.(driver.StmtExecContext).ExecContext(ctx, args)
}

func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if !cacheable(query) {
		return c.sqliteConn.QueryContext(ctx, query, args)
	}
	st, cached, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	rows, err := st.Stmt.(driver.StmtQueryContext).QueryContext(ctx, args)
	if err != nil {
		if !cached {
			st.Close()
		}
		return nil, err
	}
	st.busy = true
	return &cachedRows{Rows: rows, st: st, oneOff: !cached}, nil
}

func (c *cachingConn) closeAll() {
	for q, st := range c.stmts {
		st.Close()
		delete(c.stmts, q)
	}
}

func (c *cachingConn) Close() error {
	c.closeAll()
	return c.sqliteConn.Close()
}

// cachedRows frees its statement for reuse when closed.
type cachedRows struct {
	driver.Rows
	st     *cachedStmt
	oneOff bool
}

func (r *cachedRows) Close() error {
	err := r.Rows.Close()
	r.st.busy = false
	if r.oneOff {
		r.st.Close()
	}
	return err
}
