package app

import (
	"bytes"
	"context"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/store"
)

// Replay is a stored answer to a request sent again with the same
// Idempotency-Key.
type Replay struct {
	Status int
	Body   []byte
}

// idempotencyLease is how long a first request may run before a repeat of it
// is told that it was interrupted rather than that it is still running.
const idempotencyLease = time.Minute

// BeginIdempotent claims an Idempotency-Key for the current user. If the same
// request was answered before, it returns the answer to replay. Otherwise it
// returns finish, to be called with the answer once it is known (answers of
// 500 and above are forgotten, so the request can be retried).
//
// A key reused with another request is a 422. A key whose first request is
// still running is a 409; so is one whose first request was interrupted by a
// crash, because its outcome is unknown: replaying would guess and running it
// again could create the post twice.
func (a *App) BeginIdempotent(ctx context.Context, key string, requestHash []byte) (*Replay, func(status int, body []byte), error) {
	u, err := currentUser(ctx)
	if err != nil {
		return nil, nil, err
	}
	if len(key) == 0 || len(key) > 255 {
		return nil, nil, herald.Errorf(herald.EINVALID, "Idempotency-Key: must be 1 to 255 characters")
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x20 || key[i] > 0x7e {
			return nil, nil, herald.Errorf(herald.EINVALID, "Idempotency-Key: must be printable ASCII")
		}
	}
	now := a.Now()
	rec := &store.IdempotencyRecord{UserID: u.ID, Key: key, RequestHash: requestHash, CreatedAt: now}
	for range 2 {
		ex, err := a.store.ClaimIdempotencyKey(ctx, rec)
		if err == nil {
			break
		}
		if herald.ErrorCode(err) != herald.ECONFLICT || ex == nil {
			return nil, nil, err
		}
		if now.Sub(ex.CreatedAt) >= a.cfg.IdempotencyTTL {
			// Expired: forget it and claim again.
			if err := a.store.DeleteIdempotencyKey(ctx, u.ID, key); err != nil {
				return nil, nil, err
			}
			continue
		}
		switch {
		case !bytes.Equal(ex.RequestHash, requestHash):
			return nil, nil, herald.Errorf(herald.EUNPROCESSABLE, "Idempotency-Key %q was already used with a different request; use a new key for a new request.", key)
		case ex.Status != 0:
			return &Replay{Status: ex.Status, Body: ex.Body}, nil, nil
		case now.Sub(ex.CreatedAt) < idempotencyLease:
			return nil, nil, herald.Errorf(herald.ECONFLICT, "A request with Idempotency-Key %q is still in progress; retry in a moment.", key)
		default:
			return nil, nil, herald.Errorf(herald.ECONFLICT, "The first request with Idempotency-Key %q was interrupted and its outcome is unknown; check GET /post before sending it again with a new key.", key)
		}
	}
	finish := func(status int, body []byte) {
		// The answer must be recorded even if the client has gone.
		ctx := context.WithoutCancel(ctx)
		var err error
		if status >= 500 {
			err = a.store.DeleteIdempotencyKey(ctx, u.ID, key)
		} else {
			done := a.Now()
			rec.Status, rec.Body, rec.CompletedAt = status, body, &done
			err = a.store.CompleteIdempotencyKey(ctx, rec)
		}
		if err != nil {
			a.log.ErrorContext(ctx, "record idempotent answer", "error", err)
		}
	}
	return nil, finish, nil
}

// PurgeIdempotencyKeys forgets keys older than their time to live.
func (a *App) PurgeIdempotencyKeys(ctx context.Context) (int, error) {
	return a.store.DeleteIdempotencyKeysBefore(ctx, a.Now().Add(-a.cfg.IdempotencyTTL))
}
