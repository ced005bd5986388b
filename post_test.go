package herald_test

import (
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

// TestTargetLate is the one lateness rule, for every target state: late
// when the outcome came, or the wait has lasted, more than LateAfter past
// scheduledAt.
func TestTargetLate(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 7, 1, 9, 0, 0, 0, time.UTC)
	ptr := func(d time.Duration) *time.Time { v := at.Add(d); return &v }
	just := herald.LateAfter
	for _, tc := range []struct {
		name        string
		scheduledAt *time.Time
		target      herald.PostTarget
		now         time.Time
		want        bool
	}{
		{"published on time", &at, herald.PostTarget{State: herald.TargetPublished, PublishedAt: ptr(time.Second)}, at.Add(time.Hour), false},
		{"published at the threshold", &at, herald.PostTarget{State: herald.TargetPublished, PublishedAt: ptr(just)}, at.Add(time.Hour), false},
		{"published 20 s late after downtime", &at, herald.PostTarget{State: herald.TargetPublished, PublishedAt: ptr(20 * time.Second)}, at.Add(time.Hour), true},
		{"published without a time, recorded late", &at, herald.PostTarget{State: herald.TargetPublished, UpdatedAt: at.Add(time.Minute)}, at.Add(time.Hour), true},
		{"processing, published late", &at, herald.PostTarget{State: herald.TargetProcessing, PublishedAt: ptr(time.Minute)}, at.Add(time.Minute), true},
		{"processing, published on time", &at, herald.PostTarget{State: herald.TargetProcessing, PublishedAt: ptr(time.Second)}, at.Add(time.Hour), false},
		{"waiting within the threshold", &at, herald.PostTarget{State: herald.TargetScheduled}, at.Add(just), false},
		{"waiting past the threshold", &at, herald.PostTarget{State: herald.TargetScheduled}, at.Add(just + time.Millisecond), true},
		{"not yet due", &at, herald.PostTarget{State: herald.TargetScheduled}, at.Add(-time.Hour), false},
		{"publishing long", &at, herald.PostTarget{State: herald.TargetPublishing}, at.Add(time.Minute), true},
		{"failed at once", &at, herald.PostTarget{State: herald.TargetFailed, UpdatedAt: at.Add(time.Second)}, at.Add(time.Hour), false},
		{"failed after retrying for minutes", &at, herald.PostTarget{State: herald.TargetFailed, UpdatedAt: at.Add(3 * time.Minute)}, at.Add(time.Hour), true},
		{"needs attention after downtime", &at, herald.PostTarget{State: herald.TargetNeedsAttention, UpdatedAt: at.Add(time.Minute)}, at.Add(time.Hour), true},
		{"draft", nil, herald.PostTarget{State: herald.TargetDraft}, at.Add(time.Hour), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := &herald.Post{ScheduledAt: tc.scheduledAt}
			if got := p.TargetLate(&tc.target, tc.now); got != tc.want {
				t.Errorf("TargetLate = %v, want %v", got, tc.want)
			}
		})
	}
}
