package app

import (
	"bytes"
	"context"
	"strings"
	"sync"
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

// IdempotentRequest is a POST sent with an Idempotency-Key.
type IdempotentRequest struct {
	// APIKeyID is the API key that sent the request: a stored answer is
	// replayed only to the key that sent the first request.
	APIKeyID string
	// Key is the Idempotency-Key header.
	Key string
	// RequestHash identifies the request (method, path, query and body).
	RequestHash []byte
}

// idempotencyLease is how long a first request may run before a repeat of it
// is told that it was interrupted rather than that it is still running.
const idempotencyLease = time.Minute

// BeginIdempotent claims an Idempotency-Key for the current user. If the same
// request was answered before, it returns the answer to replay. Otherwise it
// returns the context to run the request with and finish, to be called with
// the answer once it is known.
//
// Only answers of requests that succeeded (2xx) are kept: in Herald an
// answer outside 2xx means that nothing changed, so finish releases the key
// and a corrected request may use it again (as Stripe does for requests
// that failed validation). The caller also releases the key when the
// handler panics, by calling finish with a 500.
//
// Kept answers are sealed with the secret key, and replayed only to the API
// key that sent the first request: the same Idempotency-Key sent with
// another API key of the same user is a 422. An answer that carries a secret
// (a new API key) is not replayed once that secret has been revoked: that
// is a 409. Answers are forgotten after Config.IdempotencyTTL.
//
// A key reused with another request is a 422. A key whose first request is
// still running is a 409; so is one whose first request was interrupted by a
// crash, because its outcome is unknown: replaying would guess and running it
// again could create the post twice.
func (a *Idempotency) BeginIdempotent(ctx context.Context, req IdempotentRequest) (context.Context, *Replay, func(status int, body []byte), error) {
	u, err := currentUser(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	key := req.Key
	if len(key) == 0 || len(key) > 255 {
		return nil, nil, nil, herald.Errorf(herald.EINVALID, "Idempotency-Key: must be 1 to 255 characters")
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x20 || key[i] > 0x7e {
			return nil, nil, nil, herald.Errorf(herald.EINVALID, "Idempotency-Key: must be printable ASCII")
		}
	}
	if a.sealer == nil {
		return nil, nil, nil, herald.Errorf(herald.EUNAVAILABLE, "Idempotency-Key cannot be used: no secret key is configured to seal the stored answers.")
	}
	now := a.Now()
	rec := &store.IdempotencyRecord{UserID: u.ID, Key: key, APIKeyID: req.APIKeyID, RequestHash: req.RequestHash, CreatedAt: now}
	for range 2 {
		ex, err := a.store.ClaimIdempotencyKey(ctx, rec)
		if err == nil {
			break
		}
		if herald.ErrorCode(err) != herald.ECONFLICT || ex == nil {
			return nil, nil, nil, err
		}
		if now.Sub(ex.CreatedAt) >= a.cfg.IdempotencyTTL {
			// Expired: forget it and claim again.
			if err := a.store.DeleteIdempotencyKey(ctx, u.ID, key); err != nil {
				return nil, nil, nil, err
			}
			continue
		}
		switch {
		case ex.APIKeyID != req.APIKeyID:
			return nil, nil, nil, herald.Errorf(herald.EUNPROCESSABLE, "Idempotency-Key %q was already used with another of your API keys; answers are replayed only to the API key that sent the first request. Use a new key for this request.", key)
		case !bytes.Equal(ex.RequestHash, req.RequestHash):
			return nil, nil, nil, herald.Errorf(herald.EUNPROCESSABLE, "Idempotency-Key %q was already used with a different request; use a new key for a new request.", key)
		case ex.Status != 0:
			replay, err := a.replay(ctx, ex)
			return nil, replay, nil, err
		case now.Sub(ex.CreatedAt) < idempotencyLease:
			return nil, nil, nil, herald.Errorf(herald.ECONFLICT, "A request with Idempotency-Key %q is still in progress; retry in a moment.", key)
		default:
			return nil, nil, nil, herald.Errorf(herald.ECONFLICT, "The first request with Idempotency-Key %q was interrupted and its outcome is unknown; check GET /post before sending it again with a new key.", key)
		}
	}
	note := &idempotentNote{}
	ctx = context.WithValue(ctx, idempotentNoteKey{}, note)
	finish := func(status int, body []byte) {
		// The answer must be recorded even if the client has gone.
		ctx := context.WithoutCancel(ctx)
		var err error
		if status < 200 || status > 299 {
			err = a.store.DeleteIdempotencyKey(ctx, u.ID, key)
		} else {
			rec.Status, rec.SecretRef = status, note.secret()
			rec.Body, err = a.sealer.Seal(body, idempotencyAD(u.ID, key))
			if err == nil {
				done := a.Now()
				rec.CompletedAt = &done
				err = a.store.CompleteIdempotencyKey(ctx, rec)
			}
			// If the answer cannot be recorded the claim stays: a retry is
			// told the outcome is unknown rather than run a second time.
		}
		if err != nil {
			a.log.ErrorContext(ctx, "record idempotent answer", "error", err)
		}
	}
	return ctx, nil, finish, nil
}

// replay opens a stored answer, unless the secret it carries was revoked.
func (a *Idempotency) replay(ctx context.Context, ex *store.IdempotencyRecord) (*Replay, error) {
	if ex.SecretRef != "" {
		live, err := a.secretLive(ctx, ex.UserID, ex.SecretRef)
		if err != nil {
			return nil, err
		}
		if !live {
			return nil, herald.Errorf(herald.ECONFLICT, "The answer to Idempotency-Key %q held a secret that has since been revoked, so it is not replayed; send the request again with a new key.", ex.Key)
		}
	}
	body, err := a.sealer.Open(ex.Body, idempotencyAD(ex.UserID, ex.Key))
	if err != nil {
		// Sealed with a key this node no longer has.
		a.log.WarnContext(ctx, "open a stored idempotent answer", "error", err)
		return nil, herald.Errorf(herald.ECONFLICT, "The answer to Idempotency-Key %q can no longer be read (the secret key changed); check the outcome before sending the request again with a new key.", ex.Key)
	}
	return &Replay{Status: ex.Status, Body: body}, nil
}

// idempotencyAD binds a sealed answer to its row.
func idempotencyAD(userID, key string) []byte {
	return []byte("idempotency:" + userID + ":" + key)
}

// Kinds of secrets an idempotent answer can carry (store.IdempotencyRecord
// SecretRef is "<kind>:<id>").
const (
	secretAPIKey     = "api_key"    // id: the API key's
	secretInvitation = "invitation" // id: "<workspace id>/<invitation id>"
)

// secretLive reports whether the secret an answer carries is still valid.
// A kind it does not know is treated as revoked: never replay a secret
// whose validity cannot be checked.
func (a *Idempotency) secretLive(ctx context.Context, userID, ref string) (bool, error) {
	kind, id, _ := strings.Cut(ref, ":")
	switch kind {
	case secretAPIKey:
		keys, err := a.store.FindAPIKeysByUser(ctx, userID)
		if err != nil {
			return false, err
		}
		for _, k := range keys {
			if k.ID == id {
				return k.RevokedAt == nil, nil
			}
		}
	case secretInvitation:
		// Pending invitations only: one accepted, revoked, replaced or
		// expired is no longer replayed with its link.
		ws, inv, _ := strings.Cut(id, "/")
		invs, err := a.store.FindInvitations(ctx, ws)
		if err != nil {
			return false, err
		}
		for _, i := range invs {
			if i.ID == inv {
				return i.AcceptedAt == nil && a.Now().Before(i.ExpiresAt), nil
			}
		}
	}
	return false, nil
}

// idempotentNoteKey is the context key of the idempotentNote of a request
// sent with an Idempotency-Key.
type idempotentNoteKey struct{}

// idempotentNote is what a use case tells the idempotency layer about its
// answer.
type idempotentNote struct {
	mu        sync.Mutex
	secretRef string
}

func (n *idempotentNote) secret() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.secretRef
}

// noteIdempotentSecret records that the answer to the current request holds
// a secret (kind and id, see secretLive), so that a replay of it checks
// that the secret is still valid. Use cases that return a secret call it.
func noteIdempotentSecret(ctx context.Context, kind, id string) {
	if n, ok := ctx.Value(idempotentNoteKey{}).(*idempotentNote); ok {
		n.mu.Lock()
		n.secretRef = kind + ":" + id
		n.mu.Unlock()
	}
}

// PurgeIdempotencyKeys forgets keys older than their time to live, and with
// them the answers they kept.
func (a *Services) PurgeIdempotencyKeys(ctx context.Context) (int, error) {
	return a.store.DeleteIdempotencyKeysBefore(ctx, a.Now().Add(-a.cfg.IdempotencyTTL))
}
