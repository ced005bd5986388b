package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/store/storetest"
)

// TestMigratePostMedia: migration 0009 moves post media from the JSON column
// into post_media.
func TestMigratePostMedia(t *testing.T) {
	t.Parallel()
	s, err := Open(filepath.Join(t.TempDir(), "herald.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	if _, err := s.migrate(ctx, time.Now(), 8); err != nil {
		t.Fatal(err)
	}
	storetest.MigratePostMedia(t, s, func(q string) error {
		_, err := s.DB().ExecContext(ctx, q)
		return err
	}, func() error {
		applied, err := s.Migrate(ctx, time.Now())
		if err == nil && (len(applied) != 1 || applied[0] != "0009_post_media.sql") {
			t.Errorf("applied %v, want 0009 alone", applied)
		}
		return err
	})
}
