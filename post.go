package herald

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// PostStatus is a post group's status as Ocoya names it.
type PostStatus string

// Post group statuses.
const (
	StatusDraft                   PostStatus = "DRAFT"
	StatusScheduled               PostStatus = "SCHEDULED"
	StatusPosted                  PostStatus = "POSTED"
	StatusError                   PostStatus = "ERROR"
	StatusNeedsAttention          PostStatus = "NEEDS_ATTENTION"
	StatusPendingClientApproval   PostStatus = "PENDING_CLIENT_APPROVAL"
	StatusPendingInternalApproval PostStatus = "PENDING_INTERNAL_APPROVAL"
)

// PostStatuses lists every status, in the order documentation shows them.
var PostStatuses = []PostStatus{StatusDraft, StatusScheduled, StatusPosted, StatusError, StatusNeedsAttention, StatusPendingClientApproval, StatusPendingInternalApproval}

// ParsePostStatus parses a status case-insensitively.
func ParsePostStatus(field, s string) (PostStatus, error) {
	u := PostStatus(strings.ToUpper(strings.TrimSpace(s)))
	for _, st := range PostStatuses {
		if u == st {
			return st, nil
		}
	}
	names := make([]string, len(PostStatuses))
	for i, st := range PostStatuses {
		names[i] = string(st)
	}
	return "", Errorf(EINVALID, "%s: %q is not a post status; use one of %s", field, s, strings.Join(names, ", "))
}

// TargetState is the publishing state of one target (one social profile of
// a post group).
type TargetState string

// Target states. A target moves draft → scheduled → publishing →
// (processing) → published | failed | needs_attention.
const (
	TargetDraft          TargetState = "draft"
	TargetScheduled      TargetState = "scheduled"
	TargetPublishing     TargetState = "publishing"
	TargetProcessing     TargetState = "processing"
	TargetPublished      TargetState = "published"
	TargetFailed         TargetState = "failed"
	TargetNeedsAttention TargetState = "needs_attention"
)

// Busy reports whether a publication may be under way at the network, so
// the target's post cannot be changed or deleted right now.
func (s TargetState) Busy() bool { return s == TargetPublishing || s == TargetProcessing }

// LateAfter is how long after its post's scheduledAt a target may be
// published before it counts as late. Workers pick a due target up within a
// second, so a target later than this waited for a reason: Herald was
// stopped or overloaded, a network asked it to wait, or attempts failed.
const LateAfter = 10 * time.Second

// TargetLate reports whether t, a target of p, is late at now: when it
// reached its outcome (published, failed or needs attention) more than
// LateAfter after p's scheduledAt, or when it has not reached one yet and
// now is more than LateAfter after it. Drafts are never late.
func (p *Post) TargetLate(t *PostTarget, now time.Time) bool {
	if p.ScheduledAt == nil || t.State == TargetDraft {
		return false
	}
	return t.OutcomeAt(now).Sub(*p.ScheduledAt) > LateAfter
}

// OutcomeAt is when t reached its outcome: its publication time once
// published, the time the failure was recorded once failed or needing
// attention, and now while it is still on its way.
func (t *PostTarget) OutcomeAt(now time.Time) time.Time {
	switch t.State {
	case TargetPublished, TargetProcessing:
		if t.PublishedAt != nil {
			return *t.PublishedAt
		}
		if t.State == TargetPublished {
			return t.UpdatedAt
		}
	case TargetFailed, TargetNeedsAttention:
		return t.UpdatedAt
	}
	return now
}

// PostTypeRegular is the only post type Herald creates.
const PostTypeRegular = "REGULAR"

// MaxCaption is the longest caption Herald accepts, in characters.
const MaxCaption = 10000

// MaxMediaPerPost bounds the attachments of one post group.
const MaxMediaPerPost = 20

// MaxTargetsPerPost bounds the social profiles of one post group.
const MaxTargetsPerPost = 50

// Post is a post group: one caption and media, published to one target per
// social profile.
type Post struct {
	ID          string
	WorkspaceID string
	CreatedBy   string
	PostType    string
	Status      PostStatus
	Caption     string
	Media       []PostMedia
	// Options are per-network settings (visibility, language, ...).
	Options     PostOptions
	ScheduledAt *time.Time
	// Version increases whenever the schedule changes, so that a publish job
	// queued for an earlier schedule knows it is stale.
	Version   int
	CreatedAt time.Time
	UpdatedAt time.Time
	Targets   []*PostTarget
}

// PostMedia is one attachment of a post group, in order. The store keeps
// a post's attachments in one place (its links to the library's files);
// Kind and MIME are read from the file they name.
type PostMedia struct {
	// MediaID is the stored media's id. It is "" only for an attachment
	// saved before Herald stored files, which names its SourceURL alone.
	MediaID string
	// SourceURL is the URL the user gave.
	SourceURL string
	// Kind ("image" or "video") and MIME are the stored file's ("" without
	// one).
	Kind string
	MIME string
	// AltText is the post's description of the file: the library's alt text
	// when the file was attached, kept if the library's alt text changes.
	AltText string
}

// PostTarget is a post group's publication on one social profile.
type PostTarget struct {
	ID              string
	PostID          string
	SocialProfileID string
	Provider        string
	State           TargetState
	Attempts        int
	ErrorCode       string
	ErrorMessage    string
	RemoteID        string
	RemoteURL       string
	PublishedAt     *time.Time
	UpdatedAt       time.Time
	// JobID is the queued publish job, to cancel it when the post changes.
	JobID *int64
	// LeaseUntil bounds an attempt in flight: until then, no other worker may
	// touch the target; after it, the attempt is known to have ended.
	LeaseUntil *time.Time
	// NextAttemptAt is when a deferred or retried target is tried again.
	NextAttemptAt *time.Time
	// Profile is filled by reads (name and image for listings).
	Profile *SocialProfile
}

// DeriveStatus returns the group status that the targets imply for a
// scheduled post: NEEDS_ATTENTION when any outcome is unknown, ERROR when
// any target failed, POSTED when all are published, else SCHEDULED.
func DeriveStatus(targets []*PostTarget) PostStatus {
	if len(targets) == 0 {
		return StatusScheduled
	}
	published, failed, attention := 0, 0, 0
	for _, t := range targets {
		switch t.State {
		case TargetPublished:
			published++
		case TargetFailed:
			failed++
		case TargetNeedsAttention:
			attention++
		}
	}
	switch {
	case attention > 0:
		return StatusNeedsAttention
	case failed > 0:
		return StatusError
	case published == len(targets):
		return StatusPosted
	}
	return StatusScheduled
}

// ValidateCaption checks the caption's length.
func ValidateCaption(caption string) error {
	if n := utf8.RuneCountInString(caption); n > MaxCaption {
		return Errorf(EINVALID, "caption: must be at most %d characters (got %d)", MaxCaption, n)
	}
	if !utf8.ValidString(caption) {
		return Errorf(EINVALID, "caption: is not valid UTF-8")
	}
	return nil
}

// ValidateMediaURLs checks a list of media URLs.
func ValidateMediaURLs(urls []string) error {
	if len(urls) > MaxMediaPerPost {
		return Errorf(EINVALID, "mediaUrls: at most %d files per post (got %d)", MaxMediaPerPost, len(urls))
	}
	for i, u := range urls {
		if err := ValidateURL("mediaUrls["+strconv.Itoa(i)+"]", u); err != nil {
			return err
		}
	}
	return nil
}

// PostFilter selects post groups of one workspace, newest first.
type PostFilter struct {
	WorkspaceID string
	Statuses    []PostStatus
	// ScheduledBefore keeps posts whose time is before it (late ones).
	ScheduledBefore *time.Time
	Offset          int
	Limit           int
}
