package provider

import (
	"fmt"
	"time"
)

// Rules is what one network (or one account on it) accepts. A zero limit
// means "no limit known". Figures come from the versioned rule table in
// table.go or, where the network publishes them, from its API at run time.
type Rules struct {
	// Network is the provider name, used in error messages.
	Network string
	// MaxChars is the text limit as counted by Count.
	MaxChars int
	// Count counts text the way the network does (graphemes, weighted code
	// points, URLs as a fixed length, ...). Nil means runes.
	Count func(text string) int `json:"-"`
	// MaxBytes is a byte limit on the text where the network has one.
	MaxBytes int
	// TextRequired means a post must have text.
	TextRequired bool
	// MediaRequired means a post must have at least one attachment.
	MediaRequired bool
	// MaxImages and MaxVideos bound the number of attachments of each kind;
	// MixImagesAndVideos says whether both kinds may be in one post.
	MaxImages          int
	MaxVideos          int
	MixImagesAndVideos bool
	// ImageTypes and VideoTypes are the accepted MIME types (empty: any of
	// Herald's accepted types).
	ImageTypes []string
	VideoTypes []string
	// ImageMaxBytes, GIFMaxBytes and VideoMaxBytes bound file sizes.
	ImageMaxBytes int64
	GIFMaxBytes   int64
	VideoMaxBytes int64
	// ImageMaxWidth and ImageMaxHeight bound image dimensions in pixels.
	ImageMaxWidth  int
	ImageMaxHeight int
	// MinAspect and MaxAspect bound width/height (0 = unbounded).
	MinAspect float64
	MaxAspect float64
	// VideoMinDuration and VideoMaxDuration bound video length.
	VideoMinDuration time.Duration
	VideoMaxDuration time.Duration
	// AltTextMax bounds alt text length (in runes).
	AltTextMax int
	// PostsPerWindow and Window form a per-account posting quota that Herald
	// enforces before the network does (0 = none known).
	PostsPerWindow int
	Window         time.Duration
}

// Violation is one broken rule; Error names the network and the rule.
type Violation struct {
	Network string
	// Field is the request field the rule is about: "mediaUrls" for a rule
	// of the post's media as a whole, "mediaUrls[i]" for a rule of one file.
	Field string
	// Index is the position of the file a rule of one file is about (the i
	// of Field), or -1 for a rule of the post's media as a whole, so that
	// callers need not parse Field to find the file.
	Index int
	Rule  string
}

func (v *Violation) Error() string {
	return fmt.Sprintf("%s: %s: %s", v.Network, v.Field, v.Rule)
}
