package herald

import "context"

type contextKey int

const (
	userContextKey contextKey = iota + 1
	requestIDContextKey
	targetContextKey
	clientAddrContextKey
)

// NewContextWithUser returns a context carrying the authenticated user.
func NewContextWithUser(ctx context.Context, u *User) context.Context {
	return context.WithValue(ctx, userContextKey, u)
}

// UserFromContext returns the authenticated user, or nil.
func UserFromContext(ctx context.Context) *User {
	u, _ := ctx.Value(userContextKey).(*User)
	return u
}

// NewContextWithRequestID returns a context carrying a request id for logs.
func NewContextWithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDContextKey, id)
}

// RequestIDFromContext returns the request id, or "".
func RequestIDFromContext(ctx context.Context) string {
	id, _ := ctx.Value(requestIDContextKey).(string)
	return id
}

type targetIDs struct{ postID, targetID string }

// NewContextWithTarget returns a context naming the post and target being
// worked on, for logs.
func NewContextWithTarget(ctx context.Context, postID, targetID string) context.Context {
	return context.WithValue(ctx, targetContextKey, targetIDs{postID, targetID})
}

// TargetFromContext returns the post and target ids of NewContextWithTarget,
// or empty strings.
func TargetFromContext(ctx context.Context) (postID, targetID string) {
	t, _ := ctx.Value(targetContextKey).(targetIDs)
	return t.postID, t.targetID
}

// NewContextWithClientAddr returns a context carrying the client's network
// address, as the HTTP front door determined it.
func NewContextWithClientAddr(ctx context.Context, addr string) context.Context {
	return context.WithValue(ctx, clientAddrContextKey, addr)
}

// ClientAddrFromContext returns the client's network address, or "".
func ClientAddrFromContext(ctx context.Context) string {
	a, _ := ctx.Value(clientAddrContextKey).(string)
	return a
}
