package sqlite_test

import (
	"errors"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/store"
	"github.com/heraldhq/herald/internal/store/sqlite"
	"github.com/heraldhq/herald/internal/store/sqlite/sqlitetest"
)

// otherTx is a transaction of some other store.
type otherTx struct{ store.Tx }

// TestDriverTxIsTheTransaction: the job queue inserts its rows through
// DriverTx; they commit and roll back with Herald's own, and a transaction
// of another store is refused rather than used.
func TestDriverTxIsTheTransaction(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := sqlitetest.Open(t)
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
		// Not parallel: SQLite has one writer.
		t.Run(tc.name, func(t *testing.T) {
			id := herald.NewID()
			err := s.InTx(ctx, func(tx store.Tx) error {
				stx, ok := sqlite.DriverTx(tx)
				if !ok || stx == nil {
					t.Fatalf("DriverTx(%T) = %v, %v", tx, stx, ok)
				}
				if _, err := stx.ExecContext(ctx, `INSERT INTO workspaces (id, name, created_at) VALUES (?, 'through the driver', 0)`, id); err != nil {
					return err
				}
				if _, err := tx.FindWorkspaceByID(ctx, id); err != nil {
					t.Errorf("store query does not see the driver's insert: %v", err)
				}
				if _, ok := sqlite.DriverTx(otherTx{tx}); ok {
					t.Error("DriverTx accepted a transaction of another store")
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
