package bench

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/client"
	"github.com/heraldhq/herald/internal/store/postgres/pgtest"
)

// bareServerEnv makes the test binary serve the bare net/http handler
// instead of running tests: the ceiling is measured against a process of
// its own, like Herald.
const bareServerEnv = "HERALD_BENCH_BARE_SERVER"

// heavyEnv enables the benchmarks that seed a million posts, publish
// 10,000 targets or sit idle for a minute.
const heavyEnv = "HERALD_BENCH_HEAVY"

func TestMain(m *testing.M) {
	if os.Getenv(bareServerEnv) == "1" {
		serveBare()
		return
	}
	code := m.Run()
	if tmpRoot != "" {
		os.RemoveAll(tmpRoot)
	}
	os.Exit(code)
}

// serveBare serves POST /api/_public/v1/post with a handler that reads the
// body and answers 201 with a fixed body of the same shape as Herald's, and
// prints the line Start waits for.
func serveBare() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	mux := http.NewServeMux()
	body := []byte(`{"postGroupId":"c000000000000000000000000","id":"c000000000000000000000000"}` + "\n")
	mux.HandleFunc("POST /api/_public/v1/post", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		w.Write(body)
	})
	fmt.Printf("Herald is listening on http://%s (bare net/http handler)\n", ln.Addr())
	http.Serve(ln, mux)
}

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
	tmpRoot   string
)

// heraldBinary builds cmd/herald once per test process.
func heraldBinary(tb testing.TB) string {
	tb.Helper()
	buildOnce.Do(func() {
		tmpRoot, buildErr = os.MkdirTemp("", "herald-bench-")
		if buildErr != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		binPath, buildErr = Build(ctx, tmpRoot)
	})
	if buildErr != nil {
		tb.Fatal(buildErr)
	}
	return binPath
}

// requireHeavy skips tb unless HERALD_BENCH_HEAVY=1.
func requireHeavy(tb testing.TB) {
	tb.Helper()
	if os.Getenv(heavyEnv) != "1" {
		tb.Skip("set " + heavyEnv + "=1 to run this heavy benchmark")
	}
}

// envInts reads a comma-separated list of integers from name, or returns def.
func envInts(tb testing.TB, name string, def ...int) []int {
	tb.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	var out []int
	for _, s := range strings.Split(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			tb.Fatalf("%s: %q is not a list of positive integers", name, v)
		}
		out = append(out, n)
	}
	return out
}

// envDuration reads a duration from name, or returns def.
func envDuration(tb testing.TB, name string, def time.Duration) time.Duration {
	tb.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	return d
}

// logLoad records the machine's load average beside a figure.
func logLoad(tb testing.TB, when string) {
	tb.Helper()
	if l, err := LoadAverage(); err == nil {
		tb.Logf("load average (1 min) %s: %.2f", when, l)
	}
}

// database is one of the databases a benchmark runs on.
type database struct {
	name string
	// args are the serve/init flags that select it.
	args []string
	// sqlitePath is the SQLite file, or "" for PostgreSQL.
	sqlitePath string
	// pgURL is the PostgreSQL URL, or "".
	pgURL string
}

// sqliteDB returns a fresh SQLite database in a temporary directory.
func sqliteDB(tb testing.TB) database {
	tb.Helper()
	dir := tb.TempDir()
	return database{name: "sqlite", args: []string{"--data-dir", dir}, sqlitePath: filepath.Join(dir, "herald.db")}
}

// postgresDB returns a fresh PostgreSQL schema, or skips tb when
// HERALD_TEST_DATABASE_URL is unset.
func postgresDB(tb testing.TB) database {
	tb.Helper()
	u := pgURL(tb)
	return database{name: "postgres", args: []string{"--data-dir", tb.TempDir(), "--database-url", u}, pgURL: u}
}

// opener opens a fresh database of one kind.
type opener struct {
	name string
	open func(testing.TB) database
}

// benchDatabases returns SQLite, and PostgreSQL when HERALD_TEST_DATABASE_URL
// is set.
func benchDatabases() []opener {
	dbs := []opener{{"sqlite", sqliteDB}}
	if os.Getenv(pgtest.EnvVar) != "" {
		dbs = append(dbs, opener{"postgres", postgresDB})
	}
	return dbs
}

// serveArgs are the flags every benchmark server gets: quiet logs and no
// rate limit in the way of the load.
var serveArgs = []string{"--log-level", "warn", "--rate-limit", "1000000000"}

// setup is a database with Herald's first user, and the API key and
// workspace of a user created for the benchmark.
type setup struct {
	db    database
	creds *Credentials
}

func newSetup(tb testing.TB, db database) *setup {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := Init(ctx, heraldBinary(tb), db.args...)
	if err != nil {
		tb.Fatal(err)
	}
	return &setup{db: db, creds: c}
}

// start starts `herald serve` on the setup's database with extra flags.
func (s *setup) start(tb testing.TB, extra ...string) *Server {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	args := append(append(append([]string{}, s.db.args...), serveArgs...), extra...)
	srv, err := Start(ctx, heraldBinary(tb), nil, args...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			tb.Error(err)
		}
	})
	return srv
}

// client returns an API client of srv with the setup's key.
func (s *setup) client(srv *Server) *client.Client {
	return client.New(srv.URL, s.creds.APIKey, NewClient(64))
}

// connectFeed connects a feed profile (no network needed) and returns its id.
func (s *setup) connectFeed(tb testing.TB, srv *Server) string {
	tb.Helper()
	p, err := s.client(srv).ConnectProfile(context.Background(), s.creds.WorkspaceID, client.ProfileCredentials{Provider: "feed", Name: "Benchmark feed"})
	if err != nil {
		tb.Fatal(err)
	}
	return p.ID
}

// seed inserts posts into the setup's database (the server must be
// stopped for SQLite).
func (s *setup) seed(tb testing.TB, sd Seed) {
	tb.Helper()
	sd.WorkspaceID, sd.UserID = s.creds.WorkspaceID, s.creds.UserID
	ctx := context.Background()
	t0 := time.Now()
	var err error
	if s.db.sqlitePath != "" {
		err = SeedSQLite(ctx, s.db.sqlitePath, sd)
	} else {
		err = SeedPostgres(ctx, s.db.pgURL, sd)
	}
	if err != nil {
		tb.Fatal(err)
	}
	tb.Logf("seeded %d posts on %s in %s (jobs: %v)", sd.Posts, s.db.name, time.Since(t0).Round(time.Millisecond), sd.Jobs)
}

// ms converts a duration to milliseconds for ReportMetric.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
