package media

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/provider"
)

// MediaField is the request field that violations name, as in Ocoya's
// POST /post.
const MediaField = "mediaUrls"

// CheckRules checks a post's media against one network's rules and returns
// every broken rule (nil if none). Post-level rules (count, mixing, required
// media) name the field "mediaUrls" and have Index -1; file-level rules name
// "mediaUrls[i]" and have Index i.
// Zero limits in r mean "no limit known" and are not checked.
//
// Aspect-ratio limits (MinAspect, MaxAspect) apply to images only: the rule
// table has one pair, and a network's image limits (Instagram 4:5 to 1.91:1)
// would wrongly refuse its vertical videos.
func CheckRules(r provider.Rules, items []Info) []*provider.Violation {
	network := r.Network
	var vs []*provider.Violation
	// add records a broken rule of the file at index, or of the post's
	// media as a whole when index is -1.
	add := func(index int, format string, args ...any) {
		field := MediaField
		if index >= 0 {
			field = fmt.Sprintf("%s[%d]", MediaField, index)
		}
		vs = append(vs, &provider.Violation{Network: network, Field: field, Index: index, Rule: fmt.Sprintf(format, args...)})
	}
	images, videos := 0, 0
	for _, it := range items {
		switch it.Kind {
		case KindImage:
			images++
		case KindVideo:
			videos++
		}
	}
	if r.MediaRequired && len(items) == 0 {
		add(-1, "a post needs at least one image or video")
	}
	if !r.MixImagesAndVideos && images > 0 && videos > 0 {
		add(-1, "images and videos cannot be mixed in one post")
	}
	if r.MaxImages > 0 && images > r.MaxImages {
		add(-1, "at most %s per post (this post has %d)", plural(r.MaxImages, "image"), images)
	}
	if r.MaxVideos > 0 && videos > r.MaxVideos {
		add(-1, "at most %s per post (this post has %d)", plural(r.MaxVideos, "video"), videos)
	}
	for i, it := range items {
		switch it.Kind {
		case KindImage:
			if len(r.ImageTypes) > 0 && !slices.Contains(r.ImageTypes, it.MIME) {
				add(i, "%s images are not accepted (accepted: %s)", formatName(it.MIME), typeList(r.ImageTypes))
			}
			limit, what := r.ImageMaxBytes, "images"
			if it.MIME == MIMEGIF && r.GIFMaxBytes > 0 {
				limit, what = r.GIFMaxBytes, "GIFs"
			}
			if limit > 0 && it.Size > limit {
				add(i, "the file is %s; %s may be at most %s", formatBytes(it.Size), what, formatBytes(limit))
			}
			if (r.ImageMaxWidth > 0 && it.Width > r.ImageMaxWidth) || (r.ImageMaxHeight > 0 && it.Height > r.ImageMaxHeight) {
				add(i, "the image is %d×%d pixels; the largest allowed is %s×%s", it.Width, it.Height, orAny(r.ImageMaxWidth), orAny(r.ImageMaxHeight))
			}
			if it.Width > 0 && it.Height > 0 {
				ratio := float64(it.Width) / float64(it.Height)
				const eps = 0.005 // rounding of published ratios such as 1.91:1
				if (r.MinAspect > 0 && ratio < r.MinAspect-eps) || (r.MaxAspect > 0 && ratio > r.MaxAspect+eps) {
					add(i, "the image's shape (width ÷ height = %.2f) is outside the allowed %s", ratio, aspectRange(r.MinAspect, r.MaxAspect))
				}
			}
		case KindVideo:
			if len(r.VideoTypes) > 0 && !slices.Contains(r.VideoTypes, it.MIME) {
				add(i, "%s videos are not accepted (accepted: %s)", formatName(it.MIME), typeList(r.VideoTypes))
			}
			if r.VideoMaxBytes > 0 && it.Size > r.VideoMaxBytes {
				add(i, "the file is %s; videos may be at most %s", formatBytes(it.Size), formatBytes(r.VideoMaxBytes))
			}
			if r.VideoMinDuration > 0 && it.Duration < r.VideoMinDuration {
				add(i, "the video is %s long; the shortest allowed is %s", formatDuration(it.Duration), formatDuration(r.VideoMinDuration))
			}
			if r.VideoMaxDuration > 0 && it.Duration > r.VideoMaxDuration {
				add(i, "the video is %s long; the longest allowed is %s", formatDuration(it.Duration), formatDuration(r.VideoMaxDuration))
			}
		default:
			add(i, "not an image or a video")
		}
	}
	return vs
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func orAny(n int) string {
	if n <= 0 {
		return "any"
	}
	return fmt.Sprint(n)
}

func typeList(types []string) string {
	names := make([]string, len(types))
	for i, t := range types {
		names[i] = formatName(t)
	}
	return strings.Join(names, ", ")
}

func aspectRange(lo, hi float64) string {
	switch {
	case lo > 0 && hi > 0:
		return fmt.Sprintf("range %s to %s", ratioWords(lo), ratioWords(hi))
	case lo > 0:
		return "minimum of " + ratioWords(lo)
	default:
		return "maximum of " + ratioWords(hi)
	}
}

// ratioWords writes a ratio as "0.80 (4:5)" when it is a simple fraction.
func ratioWords(r float64) string {
	for den := 1; den <= 20; den++ {
		num := r * float64(den)
		if math.Abs(num-math.Round(num)) < 1e-6 && math.Round(num) >= 1 {
			return fmt.Sprintf("%.2f (%d:%d)", r, int(math.Round(num)), den)
		}
	}
	return fmt.Sprintf("%.2f", r)
}

// formatDuration writes 2m20s as "2 min 20 s" and sub-second values in ms.
func formatDuration(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%d ms", d.Milliseconds())
	}
	d = d.Round(100 * time.Millisecond)
	h, m := int(d.Hours()), int(d.Minutes())%60
	s := (d % time.Minute).Seconds()
	var parts []string
	if h > 0 {
		parts = append(parts, fmt.Sprintf("%d h", h))
	}
	if m > 0 {
		parts = append(parts, fmt.Sprintf("%d min", m))
	}
	if s > 0 || len(parts) == 0 {
		parts = append(parts, strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.1f", s), "0"), ".")+" s")
	}
	return strings.Join(parts, " ")
}

// PlanDerivative says whether an image breaks r in a way a derived copy can
// fix without visible loss (a type the network refuses, a byte or pixel cap)
// and, if so, what the copy must meet. Videos, animated images and shapes
// (aspect ratio) are not fixable this way and return false.
func PlanDerivative(r provider.Rules, in Info) (Target, bool) {
	if in.Kind != KindImage || in.Animated() {
		return Target{}, false
	}
	accepts := func(m string) bool { return len(r.ImageTypes) == 0 || slices.Contains(r.ImageTypes, m) }
	t := Target{MaxBytes: r.ImageMaxBytes, MaxWidth: r.ImageMaxWidth, MaxHeight: r.ImageMaxHeight}
	need := false
	if !accepts(in.MIME) {
		need = true
		switch {
		case accepts(MIMEJPEG):
			t.MIME = MIMEJPEG
		case accepts(MIMEPNG):
			t.MIME = MIMEPNG
		default:
			return Target{}, false
		}
	}
	limit := r.ImageMaxBytes
	if in.MIME == MIMEGIF && r.GIFMaxBytes > 0 {
		limit = r.GIFMaxBytes
	}
	if limit > 0 && in.Size > limit {
		need = true
	}
	if (r.ImageMaxWidth > 0 && in.Width > r.ImageMaxWidth) || (r.ImageMaxHeight > 0 && in.Height > r.ImageMaxHeight) {
		need = true
	}
	if !need {
		return Target{}, false
	}
	if t.MIME == "" && in.MIME != MIMEJPEG && in.MIME != MIMEPNG {
		// No encoder for WebP or GIF output: re-encode as JPEG if the
		// network takes it.
		if accepts(MIMEJPEG) {
			t.MIME = MIMEJPEG
		} else if accepts(MIMEPNG) {
			t.MIME = MIMEPNG
		} else {
			return Target{}, false
		}
	}
	// Without a required type, Derive may turn a PNG that cannot meet the
	// byte cap into a JPEG only if the network takes JPEG.
	t.AllowJPEG = accepts(MIMEJPEG)
	return t, true
}
