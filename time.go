package herald

import (
	"strings"
	"time"
)

// TimeLayout is the wire format of every time Herald writes: UTC with
// milliseconds, as Ocoya does ("2026-07-01T09:00:00.000Z").
const TimeLayout = "2006-01-02T15:04:05.000Z"

// FormatTime formats t for the wire.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeLayout) }

// ParseTime parses an ISO-8601 / RFC 3339 instant for the field named
// field. A zone is required ("Z" or an offset); fractional seconds are
// accepted. The result is in UTC.
func ParseTime(field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, Errorf(EINVALID, "%s: is empty; expected an ISO-8601 time such as 2026-07-01T09:00:00Z", field)
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		// Accept a lower-case t/z and a space separator, which RFC 3339 allows.
		alt := strings.ToUpper(strings.Replace(s, " ", "T", 1))
		if t2, err2 := time.Parse(time.RFC3339Nano, alt); err2 == nil {
			return t2.UTC(), nil
		}
		if hasNoZone(s) {
			return time.Time{}, Errorf(EINVALID, "%s: %q has no time zone; add Z for UTC or an offset such as +02:00", field, s)
		}
		return time.Time{}, Errorf(EINVALID, "%s: %q is not an ISO-8601 time such as 2026-07-01T09:00:00Z", field, s)
	}
	return t.UTC(), nil
}

func hasNoZone(s string) bool {
	if len(s) < len("2006-01-02T15:04") {
		return false
	}
	for _, layout := range []string{"2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05"} {
		if _, err := time.Parse(layout, s); err == nil {
			return true
		}
	}
	return false
}
