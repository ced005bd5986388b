package provider

import (
	"slices"
	"time"
)

// TableVersion names this edition of the rule table: the rows below, for
// the networks without a package yet, and the rows the networks' packages
// describe (Descriptor.Rules). Networks change their limits; bump it
// whenever a figure changes so stored validation results and logs can say
// which edition judged a post.
const TableVersion = "2025-06-01"

// Byte sizes used by the table. Networks publish limits both in decimal
// megabytes and in binary mebibytes; each row says which.
const (
	KB  = 1000
	MB  = 1000 * KB
	GB  = 1000 * MB
	MiB = 1 << 20
)

// MIME types Herald accepts for uploads, named once for the rows below.
const (
	MIMEJPEG = "image/jpeg"
	MIMEPNG  = "image/png"
	MIMEGIF  = "image/gif"
	MIMEWebP = "image/webp"
	MIMEBMP  = "image/bmp"
	MIMETIFF = "image/tiff"
	MIMEMP4  = "video/mp4"
	MIMEMOV  = "video/quicktime"
	MIMEWebM = "video/webm"
	MIMEM4V  = "video/x-m4v"
)

// Limits for which Rules has no way to say "none allowed" (a zero limit
// means "no limit known") are noted on their rows as "none: ..." so the
// validator or the adapter can enforce them.

// table holds one row per network of shared/networks.md that has no
// package yet; a network's package describes its own row. It is never
// modified: DefaultRules hands out copies. Figures marked (3p) are published
// only by vendors of posting APIs; where they disagree the stricter one is
// used.
var table = []Rules{
	{
		Network: "twitter", // X keeps Ocoya's id (herald.Networks)
		// 280 weighted characters on the free tier; Premium allows more
		// (4,000 and 25,000 are both reported (3p)), which Herald cannot
		// see from the API, so the free limit applies.
		MaxChars: 280,
		Count:    CountX,
		// 4 photos OR 1 GIF OR 1 video. Rules cannot say "one GIF alone";
		// the X adapter must enforce it.
		MaxImages:          4,
		MaxVideos:          1,
		MixImagesAndVideos: false,
		ImageTypes:         []string{MIMEJPEG, MIMEPNG, MIMEGIF, MIMEWebP},
		VideoTypes:         []string{MIMEMP4, MIMEMOV},
		ImageMaxBytes:      5 * MB,
		GIFMaxBytes:        15 * MB,
		// Default accounts: 0.5 s to 20 min, up to 8 GB (Premium: 125 min
		// and 16 GB).
		VideoMaxBytes:    8 * GB,
		VideoMinDuration: 500 * time.Millisecond,
		VideoMaxDuration: 20 * time.Minute,
		AltTextMax:       1000,
		// About 300 posts per 3 hours per user.
		PostsPerWindow: 300,
		Window:         3 * time.Hour,
	},
	{
		Network:  "facebook",
		MaxChars: 63206,
		Count:    CountRunes,
		// Up to 10 photos or 1 video (3p).
		MaxImages:          10,
		MaxVideos:          1,
		MixImagesAndVideos: false,
		ImageTypes:         []string{MIMEJPEG, MIMEBMP, MIMEPNG, MIMEGIF, MIMETIFF},
		VideoTypes:         []string{MIMEMP4, MIMEMOV},
		ImageMaxBytes:      10 * MB,
		GIFMaxBytes:        10 * MB,
		// Feed video: 4 GB (3p) and 10 GB (3p) are both reported; the
		// stricter applies. Up to 240 minutes (3p).
		VideoMaxBytes:    4 * GB,
		VideoMaxDuration: 240 * time.Minute,
	},
	{
		Network:       "instagram",
		MaxChars:      2200,
		Count:         CountRunes,
		MediaRequired: true,
		// Carousels hold up to 10 items, images and videos mixed; a reel is
		// one video and cannot be in a carousel (the adapter decides the
		// container type).
		MaxImages:          10,
		MaxVideos:          10,
		MixImagesAndVideos: true,
		// The Graph API documents JPEG only.
		ImageTypes:    []string{MIMEJPEG},
		VideoTypes:    []string{MIMEMP4, MIMEMOV},
		ImageMaxBytes: 8 * MB,
		GIFMaxBytes:   8 * MB,
		// Width 320-1440 and aspect 4:5 to 1.91:1 (3p).
		ImageMaxWidth: 1440,
		MinAspect:     4.0 / 5.0,
		MaxAspect:     1.91,
		// Reels: 300 MB (3p) and 1 GB (3p) are both reported; the stricter
		// applies. 3 s to 15 min.
		VideoMaxBytes:    300 * MB,
		VideoMinDuration: 3 * time.Second,
		VideoMaxDuration: 15 * time.Minute,
		// The real cap is read at run time from content_publishing_limit
		// (historically 25 per 24 h, now reported 50-100); the historical
		// figure is the stricter default.
		PostsPerWindow: 25,
		Window:         24 * time.Hour,
	},
	{
		Network:  "linkedin",
		MaxChars: 3000,
		Count:    CountRunes,
		// Multi-image posts up to 20 images (3p); at most one video, not
		// mixed with images.
		MaxImages:          20,
		MaxVideos:          1,
		MixImagesAndVideos: false,
		ImageTypes:         []string{MIMEJPEG, MIMEPNG, MIMEGIF},
		VideoTypes:         []string{MIMEMP4},
		// Images up to 5 MB and 36,152,320 pixels (3p); video 3 s to
		// 30 min, up to 500 MB, aspect 1:2.4 to 2.4:1 (3p). The aspect
		// bound is for video only, so it is left to the adapter.
		ImageMaxBytes:    5 * MB,
		GIFMaxBytes:      5 * MB,
		VideoMaxBytes:    500 * MB,
		VideoMinDuration: 3 * time.Second,
		VideoMaxDuration: 30 * time.Minute,
		// 150 posts per day per member (3p).
		PostsPerWindow: 150,
		Window:         24 * time.Hour,
	},
	{
		Network: "tiktok",
		// Video captions hold 2,200; photo posts have a 90-character title
		// and a 4,000-character description (3p). The caption limit is the
		// stricter one for text Herald sends as the post body.
		MaxChars:      2200,
		Count:         CountRunes,
		MediaRequired: true,
		// One video OR up to 35 photos, never mixed.
		MaxImages:          35,
		MaxVideos:          1,
		MixImagesAndVideos: false,
		ImageTypes:         []string{MIMEJPEG, MIMEWebP},
		VideoTypes:         []string{MIMEMP4, MIMEWebM, MIMEMOV},
		ImageMaxBytes:      20 * MB,
		// Up to 4 GB and 10 minutes through the API; the account's real
		// cap comes from creator_info.max_video_post_duration_sec.
		VideoMaxBytes:    4 * GB,
		VideoMaxDuration: 10 * time.Minute,
	},
	{
		Network: "pinterest",
		// Description 500, title 100, link 2,048 (3p). The description is
		// the post body.
		MaxChars:      500,
		Count:         CountRunes,
		MediaRequired: true,
		// One image, one video, or a carousel of 2-5 images of identical
		// dimensions.
		MaxImages:          5,
		MaxVideos:          1,
		MixImagesAndVideos: false,
		ImageTypes:         []string{MIMEBMP, MIMEJPEG, MIMEPNG, MIMETIFF, MIMEGIF, MIMEWebP},
		VideoTypes:         []string{MIMEMP4, MIMEMOV, MIMEM4V},
		ImageMaxBytes:      20 * MB,
		GIFMaxBytes:        20 * MB,
		// 1 GB (3p) and 2 GB (3p) are both reported; the stricter applies.
		// 4 s to 15 min (3p).
		VideoMaxBytes:    1 * GB,
		VideoMinDuration: 4 * time.Second,
		VideoMaxDuration: 15 * time.Minute,
	},
	{
		Network: "youtube",
		// Description up to 5,000 (3p); the title (100) is set by the
		// adapter from the first line.
		MaxChars:      5000,
		Count:         CountRunes,
		MediaRequired: true,
		// Exactly one video. none: images (Rules cannot say zero; the
		// adapter refuses them).
		MaxVideos:     1,
		VideoMaxBytes: 256 * GB,
		// The upload quota belongs to the Google Cloud project, shared by
		// every account Herald serves, not to one account, so it is not a
		// per-account window here.
	},
	{
		Network: "threads",
		// 500 characters, emoji counted as their UTF-8 bytes.
		MaxChars: 500,
		Count:    CountThreads,
		// Carousels up to 20 items (3p), images and videos mixed. Media
		// are fetched by Threads from Herald's public URLs.
		MaxImages:          20,
		MaxVideos:          20,
		MixImagesAndVideos: true,
		// 250 API posts per 24 h (a carousel counts once); the live figure
		// is threads_publishing_limit.
		PostsPerWindow: 250,
		Window:         24 * time.Hour,
	},
	{
		Network:  "googlebusiness",
		MaxChars: 1500,
		Count:    CountRunes,
		// Text and at most one image. none: videos.
		MaxImages:  1,
		ImageTypes: []string{MIMEJPEG, MIMEPNG},
	},
}

// DefaultRules returns a fresh copy of the table's row for network, so the
// caller may change it (an adapter overlaying live limits) without touching
// the table.
func DefaultRules(network string) (Rules, bool) {
	for _, r := range table {
		if r.Network == network {
			r.ImageTypes = slices.Clone(r.ImageTypes)
			r.VideoTypes = slices.Clone(r.VideoTypes)
			return r, true
		}
	}
	return Rules{}, false
}

// TableNetworks lists the networks the table has a row for, in table order.
func TableNetworks() []string {
	names := make([]string, len(table))
	for i, r := range table {
		names[i] = r.Network
	}
	return names
}
