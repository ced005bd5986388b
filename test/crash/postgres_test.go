package crash

import (
	"context"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/internal/store/postgres/pgtest"
)

// postgresURL returns a fresh schema's URL (skipping the test without
// HERALD_TEST_DATABASE_URL), and makes sure the schema can be dropped when
// the test ends.
//
// A server killed with SIGKILL can leave a PostgreSQL backend behind for a
// while: one running a statement does not notice that its client is gone
// until the statement ends, and it keeps its locks until then, which would
// make pgtest's DROP SCHEMA time out. Before the drop, this waits for the
// schema's locks to be released, and ends the orphaned backends that keep
// them longer than a few seconds. (Every server of the test is dead by
// then: their cleanups run first.)
func postgresURL(t *testing.T) string {
	t.Helper()
	u := pgtest.URL(t)
	parsed, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	schema := parsed.Query().Get("search_path")
	t.Cleanup(func() { releaseSchema(t, schema) })
	return u
}

func releaseSchema(t *testing.T, schema string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, os.Getenv(pgtest.EnvVar))
	if err != nil {
		t.Logf("release schema %s: %v", schema, err)
		return
	}
	defer conn.Close(context.Background())
	const holders = `SELECT DISTINCT l.pid, a.state, left(a.query, 80) FROM pg_locks l
		JOIN pg_class c ON c.oid = l.relation JOIN pg_namespace n ON n.oid = c.relnamespace
		JOIN pg_stat_activity a ON a.pid = l.pid
		WHERE n.nspname = $1 AND l.pid <> pg_backend_pid()`
	deadline := time.Now().Add(5 * time.Second)
	for ctx.Err() == nil {
		rows, err := conn.Query(ctx, holders, schema)
		if err != nil {
			t.Logf("release schema %s: %v", schema, err)
			return
		}
		type holder struct {
			pid          int
			state, query string
		}
		var hs []holder
		for rows.Next() {
			var h holder
			var state, query *string
			if err := rows.Scan(&h.pid, &state, &query); err == nil {
				if state != nil {
					h.state = *state
				}
				if query != nil {
					h.query = *query
				}
				hs = append(hs, h)
			}
		}
		rows.Close()
		if len(hs) == 0 {
			return
		}
		if time.Now().After(deadline) {
			for _, h := range hs {
				t.Logf("ending backend %d of a killed server, still %s: %s", h.pid, h.state, h.query)
				conn.Exec(ctx, `SELECT pg_terminate_backend($1)`, h.pid)
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
}
