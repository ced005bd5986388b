package publish

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"

	"github.com/heraldhq/herald/internal/store/sqlite"
)

// BenchmarkPromoteIdle is one tick of the promoter (promote.go) on SQLite
// when nothing is due, with no job waiting and with 100,000 waiting further
// ahead: what every node pays each second while idle.
func BenchmarkPromoteIdle(b *testing.B) {
	for _, waiting := range []int{0, 100_000} {
		b.Run(fmt.Sprintf("waiting=%d", waiting), func(b *testing.B) {
			s, err := sqlite.Open(filepath.Join(b.TempDir(), "herald.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			d := riversqlite.New(s.DB())
			ctx := context.Background()
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			if err := Migrate(ctx, d, log); err != nil {
				b.Fatal(err)
			}
			e, err := New(d, sqlite.DriverTx, s, nil, Config{}, log, time.Now)
			if err != nil {
				b.Fatal(err)
			}
			from := time.Now().Add(24 * time.Hour)
			for i := 0; i < waiting; i += 5000 {
				params := make([]river.InsertManyParams, 0, 5000)
				for j := i; j < min(i+5000, waiting); j++ {
					params = append(params, river.InsertManyParams{Args: PublishArgs{TargetID: "t", PostID: "p", Version: j},
						InsertOpts: &river.InsertOpts{ScheduledAt: from.Add(time.Duration(j) * 30 * time.Second)}})
				}
				if _, err := e.client.InsertMany(ctx, params); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if n, err := e.promoteDue(ctx); err != nil || n != 0 {
					b.Fatalf("promoteDue = %d, %v", n, err)
				}
			}
		})
	}
}
