package postgres_test

import (
	"context"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/postgres"
	"github.com/heraldhq/herald/internal/store/postgres/pgtest"
	"github.com/heraldhq/herald/internal/store/storetest"
)

// connect opens a store on u, closed when the test ends; it does not
// migrate.
func connect(t *testing.T, u string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(t.Context(), u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// setup returns a migrated store in a fresh schema, and the schema's URL.
func setup(t *testing.T) (*postgres.Store, string) {
	t.Helper()
	u := pgtest.URL(t)
	s := connect(t, u)
	if _, err := s.Migrate(t.Context(), time.Now()); err != nil {
		t.Fatal(err)
	}
	return s, u
}

func requireDB(t *testing.T) {
	t.Helper()
	if os.Getenv(pgtest.EnvVar) == "" {
		t.Skip(pgtest.EnvVar + " is not set; skipping the PostgreSQL test")
	}
}

func schemaOf(t *testing.T, u string) string {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	return p.Query().Get("search_path")
}

func TestConformance(t *testing.T) {
	t.Parallel()
	requireDB(t)
	storetest.Run(t, func(t *testing.T) store.Store {
		s, _ := setup(t)
		return s
	})
}

func TestMigrateIsIdempotent(t *testing.T) {
	t.Parallel()
	s := connect(t, pgtest.URL(t))
	first, err := s.Migrate(t.Context(), time.Now())
	if err != nil || len(first) == 0 {
		t.Fatalf("first migrate = %v, %v", first, err)
	}
	second, err := s.Migrate(t.Context(), time.Now())
	if err != nil || len(second) != 0 {
		t.Fatalf("second migrate = %v, %v; want nothing applied", second, err)
	}
}

// Two nodes starting at once both migrate the same schema: one applies each
// migration, the other waits on the advisory lock and then finds it done.
func TestConcurrentMigrate(t *testing.T) {
	t.Parallel()
	u := pgtest.URL(t)
	nodes := []*postgres.Store{connect(t, u), connect(t, u)}
	results := make([][]string, len(nodes))
	errs := make([]error, len(nodes))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, s := range nodes {
		wg.Go(func() {
			<-start
			results[i], errs[i] = s.Migrate(t.Context(), time.Now())
		})
	}
	close(start)
	wg.Wait()
	// Every embedded migration, applied by exactly one node.
	files, err := filepath.Glob("migrations/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("migration files: %v, %v", files, err)
	}
	want := map[string]int{}
	for _, f := range files {
		want[filepath.Base(f)] = 1
	}
	applied := map[string]int{}
	for i := range nodes {
		if errs[i] != nil {
			t.Fatalf("node %d: migrate: %v", i, errs[i])
		}
		for _, name := range results[i] {
			applied[name]++
		}
	}
	if diff := cmp.Diff(want, applied); diff != "" {
		t.Errorf("migrations applied across nodes (-want +got):\n%s", diff)
	}
	var rows int
	if err := nodes[0].Pool().QueryRow(t.Context(), `SELECT COUNT(*) FROM herald_migrations`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != len(files) {
		t.Errorf("herald_migrations has %d rows, want %d", rows, len(files))
	}
}

// The URL's search_path decides where tables are created and read: two
// stores in two schemas of one database do not see each other's rows.
func TestSearchPathIsolatesStores(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	a, ua := setup(t)
	b, ub := setup(t)

	for _, tc := range []struct {
		name string
		s    *postgres.Store
		u    string
	}{{"a", a, ua}, {"b", b, ub}} {
		var current string
		var posts *string
		if err := tc.s.Pool().QueryRow(ctx, `SELECT current_schema(), to_regclass(current_schema() || '.posts')::text`).Scan(&current, &posts); err != nil {
			t.Fatal(err)
		}
		if want := schemaOf(t, tc.u); current != want || posts == nil {
			t.Errorf("store %s: current_schema = %q, posts table = %v; want schema %q holding posts", tc.name, current, posts, want)
		}
	}

	u := &herald.User{ID: herald.NewID(), Name: "Ada", Email: "ada@example.org", PasswordHash: "x", CreatedAt: time.UnixMilli(1).UTC()}
	if err := a.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if _, err := b.FindUserByID(ctx, u.ID); herald.ErrorCode(err) != herald.ENOTFOUND {
		t.Errorf("other schema: FindUserByID error = %v, want not found", err)
	}
	// The same id and email do not conflict across schemas.
	if err := b.CreateUser(ctx, u); err != nil {
		t.Errorf("same user in the other schema: %v", err)
	}
	if n, err := a.CountUsers(ctx); err != nil || n != 1 {
		t.Errorf("CountUsers = %d, %v; want 1", n, err)
	}
}

// The job queue inserts its rows through DriverTx; they must commit and
// roll back with Herald's own.
func TestDriverIsTheTransaction(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, _ := setup(t)
	boom := errors.New("boom")
	tests := []struct {
		name    string
		fail    error
		wantErr error
		want    string // error code of the lookup after InTx; "" if found
	}{
		{"commit", nil, nil, ""},
		{"rollback", boom, boom, herald.ENOTFOUND},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			id := herald.NewID()
			err := s.InTx(ctx, func(tx store.Tx) error {
				ptx, ok := postgres.DriverTx(tx)
				if !ok {
					t.Fatalf("DriverTx(%T) is not ok", tx)
				}
				if _, err := ptx.Exec(ctx, `INSERT INTO workspaces (id, name, created_at) VALUES ($1, 'through the driver', 0)`, id); err != nil {
					return err
				}
				if _, err := tx.FindWorkspaceByID(ctx, id); err != nil {
					t.Errorf("store query does not see the driver's insert: %v", err)
				}
				return tc.fail
			})
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("InTx error = %v, want %v", err, tc.wantErr)
			}
			_, err = s.FindWorkspaceByID(ctx, id)
			if got := herald.ErrorCode(err); got != tc.want {
				t.Errorf("after InTx: FindWorkspaceByID error = %v, want code %q", err, tc.want)
			}
		})
	}
}

func TestInTxRollsBackOnPanic(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, _ := setup(t)
	w := &herald.Workspace{ID: herald.NewID(), Name: "panicked", CreatedAt: time.UnixMilli(0).UTC()}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("InTx swallowed the panic")
			}
		}()
		s.InTx(ctx, func(tx store.Tx) error {
			if err := tx.CreateWorkspace(ctx, w); err != nil {
				t.Error(err)
			}
			panic("boom")
		})
	}()
	if _, err := s.FindWorkspaceByID(ctx, w.ID); herald.ErrorCode(err) != herald.ENOTFOUND {
		t.Errorf("after panic: FindWorkspaceByID error = %v, want not found", err)
	}
	// The connection went back to the pool usable.
	if err := s.Ping(ctx); err != nil {
		t.Error(err)
	}
}

func TestPoolSize(t *testing.T) {
	t.Parallel()
	requireDB(t)
	base := pgtest.URL(t)
	tests := []struct {
		name  string
		param string
		want  int32
	}{
		{"default", "", postgres.DefaultMaxConns()},
		{"from the URL", "pool_max_conns=3", 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			u := base
			if tc.param != "" {
				u += "&" + tc.param
			}
			s := connect(t, u)
			if got := s.Pool().Config().MaxConns; got != tc.want {
				t.Errorf("MaxConns = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestOpenFailsFastWithoutLeakingThePassword(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	// Port 1 on loopback refuses connections.
	_, err := postgres.Open(ctx, "postgres://herald:s3cret@127.0.0.1:1/herald?sslmode=disable&connect_timeout=5")
	if err == nil {
		t.Fatal("Open succeeded with no server")
	}
	if strings.Contains(err.Error(), "s3cret") {
		t.Errorf("error reveals the password: %v", err)
	}
	_, err = postgres.Open(ctx, "postgres://herald:s3cret@127.0.0.1:5432/herald?pool_max_conns=zero")
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("bad pool_max_conns: error = %v; want an error without the password", err)
	}
}
