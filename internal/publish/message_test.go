package publish

import (
	"errors"
	"fmt"
	"net/netip"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/provider"
	"github.com/heraldhq/herald/internal/safehttp"
)

// TestMessageOfShowsOnlyTheNetworksReason: an error that is not a
// provider's classified failure (a bug, a transport error nobody wrapped)
// is not shown on the target; the network's own reason is.
func TestMessageOfShowsOnlyTheNetworksReason(t *testing.T) {
	t.Parallel()
	tg := &herald.PostTarget{ID: "t1"}
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"network's reason", fmt.Errorf("publish: %w", &provider.Error{Kind: provider.KindRejected, Code: "422", Message: "Text character limit of 500 exceeded", Err: errors.New("POST https://10.1.2.3/api/v1/statuses")}),
			"Text character limit of 500 exceeded"},
		{"no reason", &provider.Error{Kind: provider.KindOutcomeUnknown, Err: errors.New("read tcp 10.1.2.3:443: reset")}, "outcome_unknown"},
		{"refused address", &provider.Error{Kind: provider.KindTransient, Code: "network", Message: "could not reach the instance",
			Err: fmt.Errorf("dial: %w", &safehttp.AddressError{Host: "internal.corp", Named: true, Addr: netip.MustParseAddr("10.1.2.3"), Reason: "private network (RFC 1918)"})},
			"Herald does not connect to internal.corp because it is a private or loopback address; an operator can allow this with HERALD_ALLOW_PRIVATE_NETWORKS=true"},
		{"unclassified", errors.New("dial tcp 10.1.2.3:443: connection refused"), "an internal error (the server log has the cause under target_id t1)"},
	}
	for _, tc := range tests {
		if got := messageOf(tc.err, tg); got != tc.want {
			t.Errorf("%s: messageOf = %q, want %q", tc.name, got, tc.want)
		}
	}
}
