package sqlite

import (
	"container/list"
	"context"
	"database/sql/driver"
	"strings"
)

// The pure-Go SQLite driver prepares, runs and finalizes every statement on
// every call; parsing SQL was the largest cost of a request. These wrappers
// keep one prepared statement per query text on each connection.

// maxCachedStmts bounds each connection's cache. Past it, the statement
// used longest ago is closed: some queries vary with their arguments (the
// placeholders of an IN list, River's per-job metadata expressions) and
// must not push out the ones that run all the time.
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
	return &cachingConn{sqliteConn: sc, stmts: map[string]*list.Element{}, lru: list.New()}, nil
}

func (c cachingConnector) Driver() driver.Driver { return c.inner.Driver() }

// cachingConn is used by one goroutine at a time (database/sql's rule for
// a connection), so its cache needs no lock.
type cachingConn struct {
	sqliteConn
	stmts map[string]*list.Element // of *cachedStmt, most recently used first
	lru   *list.List
}

type cachedStmt struct {
	driver.Stmt
	query  string
	busy   bool // rows of it are open
	orphan bool // evicted while busy: close with its rows
}

// cacheable reports whether a query is one statement: a prepared statement
// runs only the first of several (migrations run directly). A semicolon
// inside a comment or a quoted string does not end a statement: River's
// job-completion statement carries one in a comment, and judging by the
// bare character left it unprepared, parsed again for every job.
func cacheable(query string) bool {
	ended := false // a statement ended: only comments and space may follow
	for i := 0; i < len(query); i++ {
		switch c := query[i]; {
		case c == '-' && strings.HasPrefix(query[i:], "--"):
			if j := strings.IndexByte(query[i:], '\n'); j >= 0 {
				i += j
			} else {
				i = len(query)
			}
		case c == '/' && strings.HasPrefix(query[i:], "/*"):
			if j := strings.Index(query[i+2:], "*/"); j >= 0 {
				i += j + 3
			} else {
				i = len(query)
			}
		case c == '\'' || c == '"' || c == '`' || c == '[':
			if ended {
				return false
			}
			end := c
			if c == '[' {
				end = ']'
			}
			// SQL doubles a quote inside quotes; scanning to the next one
			// and going on from there treats the pair as two strings.
			if j := strings.IndexByte(query[i+1:], end); j >= 0 {
				i += j + 1
			} else {
				i = len(query)
			}
		case c == ';':
			ended = true
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
		default:
			if ended {
				return false
			}
		}
	}
	return true
}

func (c *cachingConn) stmt(ctx context.Context, query string) (*cachedStmt, bool, error) {
	if e, ok := c.stmts[query]; ok {
		if st := e.Value.(*cachedStmt); !st.busy {
			c.lru.MoveToFront(e)
			return st, true, nil
		}
	}
	s, err := c.sqliteConn.PrepareContext(ctx, query)
	if err != nil {
		return nil, false, err
	}
	st := &cachedStmt{Stmt: s, query: query}
	if _, ok := c.stmts[query]; ok {
		st.orphan = true // the cached one is busy: a one-off, closed after use
		return st, false, nil
	}
	if c.lru.Len() >= maxCachedStmts {
		c.evict(c.lru.Back())
	}
	c.stmts[query] = c.lru.PushFront(st)
	return st, true, nil
}

// evict closes a cached statement, unless its rows are open: then it
// leaves the cache and is closed with them.
func (c *cachingConn) evict(e *list.Element) {
	st := c.lru.Remove(e).(*cachedStmt)
	delete(c.stmts, st.query)
	if st.busy {
		st.orphan = true
		return
	}
	st.Close()
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
	return &cachedRows{Rows: rows, st: st}, nil
}

func (c *cachingConn) closeAll() {
	for c.lru.Len() > 0 {
		c.evict(c.lru.Back())
	}
}

func (c *cachingConn) Close() error {
	c.closeAll()
	return c.sqliteConn.Close()
}

// cachedRows frees its statement for reuse when closed.
type cachedRows struct {
	driver.Rows
	st *cachedStmt
}

func (r *cachedRows) Close() error {
	err := r.Rows.Close()
	r.st.busy = false
	if r.st.orphan {
		r.st.Close()
	}
	return err
}
