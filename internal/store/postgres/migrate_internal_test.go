package postgres

import (
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/store/postgres/pgtest"
	"github.com/heraldhq/herald/internal/store/storetest"
)

// TestMigratePostMedia: migration 0009 moves post media from the JSON column
// into post_media.
func TestMigratePostMedia(t *testing.T) {
	t.Parallel()
	u := pgtest.URL(t)
	ctx := t.Context()
	s, err := Open(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.migrate(ctx, time.Now(), 8); err != nil {
		t.Fatal(err)
	}
	storetest.MigratePostMedia(t, s, func(q string) error {
		_, err := s.Pool().Exec(ctx, q)
		return err
	}, func() error {
		applied, err := s.Migrate(ctx, time.Now())
		if err == nil && (len(applied) != 1 || applied[0] != "0009_post_media.sql") {
			t.Errorf("applied %v, want 0009 alone", applied)
		}
		return err
	})
}
