package herald

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// BrandKit is a brand's voice and look, followed by AI captions.
type BrandKit struct {
	ID          string
	WorkspaceID string
	Name        string
	Description string // the brand's voice: who it speaks to, how
	Colors      []string
	Fonts       []string
	LogoURL     string
	DoWords     []string
	DontWords   []string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

var hexColor = regexp.MustCompile(`^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$`)

// Validate checks the brand kit's fields.
func (b *BrandKit) Validate() error {
	if err := ValidateName("name", b.Name, 200); err != nil {
		return err
	}
	if n := utf8.RuneCountInString(b.Description); n > 5000 {
		return Errorf(EINVALID, "description: must be at most 5000 characters (got %d)", n)
	}
	if err := validateList("colors", b.Colors, 32, func(field, c string) error {
		if !hexColor.MatchString(c) {
			return Errorf(EINVALID, "%s: %q is not a hex color such as #1A2B3C", field, c)
		}
		return nil
	}); err != nil {
		return err
	}
	if err := validateList("fonts", b.Fonts, 16, wordRule(100)); err != nil {
		return err
	}
	if b.LogoURL != "" {
		if err := ValidateURL("logoUrl", b.LogoURL); err != nil {
			return err
		}
	}
	if err := validateList("doWords", b.DoWords, 200, wordRule(100)); err != nil {
		return err
	}
	return validateList("dontWords", b.DontWords, 200, wordRule(100))
}

// HashtagLibrary is a named set of hashtags AI captions draw from.
type HashtagLibrary struct {
	ID          string
	WorkspaceID string
	Name        string
	Hashtags    []string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Normalize puts a leading "#" on every hashtag and drops duplicates
// (case-insensitively), keeping the first spelling.
func (h *HashtagLibrary) Normalize() {
	seen := map[string]bool{}
	out := h.Hashtags[:0]
	for _, t := range h.Hashtags {
		t = strings.TrimSpace(t)
		if t != "" && !strings.HasPrefix(t, "#") {
			t = "#" + t
		}
		k := strings.ToLower(t)
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, t)
	}
	h.Hashtags = out
}

// Validate checks the library; call Normalize first.
func (h *HashtagLibrary) Validate() error {
	if err := ValidateName("name", h.Name, 200); err != nil {
		return err
	}
	return validateList("hashtags", h.Hashtags, 500, func(field, t string) error {
		body := strings.TrimPrefix(t, "#")
		if body == "" {
			return Errorf(EINVALID, "%s: is empty", field)
		}
		if utf8.RuneCountInString(body) > 100 {
			return Errorf(EINVALID, "%s: must be at most 100 characters", field)
		}
		for _, r := range body {
			if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || unicode.Is(unicode.Mn, r)) {
				return Errorf(EINVALID, "%s: %q may hold only letters, digits and _", field, t)
			}
		}
		return nil
	})
}

// StudioTemplate is a design template AI images can be based on.
type StudioTemplate struct {
	ID           string
	WorkspaceID  string
	Name         string
	Description  string
	ThumbnailURL string
	Width        int
	Height       int
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Validate checks the template's fields.
func (s *StudioTemplate) Validate() error {
	if err := ValidateName("name", s.Name, 200); err != nil {
		return err
	}
	if n := utf8.RuneCountInString(s.Description); n > 5000 {
		return Errorf(EINVALID, "description: must be at most 5000 characters (got %d)", n)
	}
	if s.ThumbnailURL != "" {
		if err := ValidateURL("thumbnailUrl", s.ThumbnailURL); err != nil {
			return err
		}
	}
	if s.Width < 0 || s.Width > 10000 {
		return Errorf(EINVALID, "width: must be between 0 and 10000 pixels")
	}
	if s.Height < 0 || s.Height > 10000 {
		return Errorf(EINVALID, "height: must be between 0 and 10000 pixels")
	}
	return nil
}

// ValidateURL checks that s is an absolute http or https URL of at most
// 2048 characters.
func ValidateURL(field, s string) error {
	if len(s) > 2048 {
		return Errorf(EINVALID, "%s: must be at most 2048 characters", field)
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Errorf(EINVALID, "%s: %q is not an absolute http or https URL", field, s)
	}
	return nil
}

func wordRule(max int) func(field, s string) error {
	return func(field, s string) error {
		if strings.TrimSpace(s) == "" {
			return Errorf(EINVALID, "%s: is empty", field)
		}
		if utf8.RuneCountInString(s) > max {
			return Errorf(EINVALID, "%s: must be at most %d characters", field, max)
		}
		return nil
	}
}

func validateList(field string, items []string, max int, rule func(field, s string) error) error {
	if len(items) > max {
		return Errorf(EINVALID, "%s: at most %d items (got %d)", field, max, len(items))
	}
	for i, s := range items {
		if err := rule(field+"["+strconv.Itoa(i)+"]", s); err != nil {
			return err
		}
	}
	return nil
}
