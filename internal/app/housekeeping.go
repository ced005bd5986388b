package app

import "context"

// Purge is one housekeeping task: it deletes the expired rows of one kind
// and returns how many it deleted.
type Purge struct {
	Name string
	Run  func(ctx context.Context) (int, error)
}

// Purges lists the housekeeping tasks, run in this order by one node at a
// time (the job queue's periodic housekeeping job). A new kind of expiring
// row adds its line here.
func (a *Services) Purges() []Purge {
	return []Purge{
		{Name: "idempotency_keys", Run: a.PurgeIdempotencyKeys},
		{Name: "oauth_states", Run: a.PurgeOAuthStates},
		{Name: "sessions", Run: a.PurgeSessions},
		{Name: "invitations", Run: a.PurgeInvitations},
	}
}

// PurgeSessions deletes the web sessions that have expired.
func (a *Services) PurgeSessions(ctx context.Context) (int, error) {
	return a.store.DeleteExpiredSessions(ctx, a.Now())
}

// PurgeOAuthStates deletes the connection flows that were never finished
// and have expired.
func (a *Services) PurgeOAuthStates(ctx context.Context) (int, error) {
	return a.store.DeleteExpiredOAuthStates(ctx, a.Now())
}
