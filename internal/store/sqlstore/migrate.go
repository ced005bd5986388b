package sqlstore

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Migration is one embedded migration file, named NNNN_description.sql.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// LoadMigrations reads the *.sql files of fsys in version order.
func LoadMigrations(fsys fs.FS) ([]Migration, error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, err
	}
	var out []Migration
	for _, n := range names {
		v, err := strconv.Atoi(strings.SplitN(path.Base(n), "_", 2)[0])
		if err != nil {
			return nil, fmt.Errorf("migration %s: name must start with a number: %w", n, err)
		}
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: v, Name: n, SQL: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i := 1; i < len(out); i++ {
		if out[i].Version == out[i-1].Version {
			return nil, fmt.Errorf("migrations %s and %s have the same version", out[i-1].Name, out[i].Name)
		}
	}
	return out, nil
}

// Migrate applies the migrations not yet applied, each in its own
// transaction run by inTx. lockSQL, if set, runs first in each transaction
// to serialise concurrent migrators (PostgreSQL's advisory lock); SQLite's
// immediate transactions already do. It returns the names applied.
func Migrate(ctx context.Context, ms []Migration, inTx func(ctx context.Context, fn func(DB) error) error, lockSQL string, now time.Time) ([]string, error) {
	var applied []string
	for _, m := range ms {
		did := false
		err := inTx(ctx, func(db DB) error {
			if lockSQL != "" {
				if _, err := db.Exec(ctx, lockSQL); err != nil {
					return err
				}
			}
			if _, err := db.Exec(ctx, `CREATE TABLE IF NOT EXISTS herald_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`); err != nil {
				return err
			}
			var n int64
			if err := db.QueryRow(ctx, fmt.Sprintf(`SELECT COUNT(*) FROM herald_migrations WHERE version = %d`, m.Version)).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			if _, err := db.Exec(ctx, m.SQL); err != nil {
				return fmt.Errorf("migration %s: %w", m.Name, err)
			}
			if _, err := db.Exec(ctx, fmt.Sprintf(`INSERT INTO herald_migrations (version, name, applied_at) VALUES (%d, '%s', %d)`,
				m.Version, strings.ReplaceAll(m.Name, "'", "''"), now.UnixMilli())); err != nil {
				return err
			}
			did = true
			return nil
		})
		if err != nil {
			return applied, err
		}
		if did {
			applied = append(applied, m.Name)
		}
	}
	return applied, nil
}
