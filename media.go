package herald

import "time"

// Media is one stored image or video of a workspace: a file downloaded from
// a post's mediaUrls or uploaded to the library. Its bytes live in the media
// store under SHA256; the row says what they are.
//
// A derived copy (a PNG turned into a JPEG for Instagram, an image scaled
// down for Bluesky) is a Media too, with ParentID naming the original and
// Network the network it was made for; the original is kept. Derived copies
// are not listed in the library and go when their original goes.
type Media struct {
	ID          string
	WorkspaceID string
	// ParentID and Network are set on derived copies only.
	ParentID string
	Network  string
	// MediaInfo is what the bytes are, as read from them.
	MediaInfo
	// SourceURL is the URL the file was downloaded from ("" for uploads).
	SourceURL string
	// FileName is an upload's file name ("" for downloads).
	FileName string
	AltText  string
	// CreatedBy is the user who added the file ("" for derived copies).
	CreatedBy string
	CreatedAt time.Time
	// TouchedAt is when a post last started or stopped using the file.
	// Unused media are collected a configured time after it, so a file
	// released by an edited or deleted post gets the full time again.
	TouchedAt time.Time
}

// MediaInfo describes the bytes of an image or video file, as read from
// them (never from a name or a header someone sent). It is written once:
// the media package's probe fills it (media.Info is this type), and a
// stored Media carries it.
type MediaInfo struct {
	// SHA256 is the lower-case hex SHA-256 of the bytes: the key of the blob
	// in the media store.
	SHA256 string
	// MIME is one of the accepted types ("image/png", ..., "video/quicktime").
	MIME string
	// Kind is "image" or "video".
	Kind string
	// Size is the file's length in bytes.
	Size int64
	// Width and Height are the displayed size in pixels: after the EXIF
	// orientation of a JPEG and the rotation of a video track.
	Width  int
	Height int
	// Frames is 1 for a still image, the number of frames of an animated
	// GIF or WebP, and the number of video samples of a video (0 if the
	// container does not say, as in fragmented MP4).
	Frames int
	// Duration is a video's length.
	Duration time.Duration
	// FPS is a video's average frame rate (0 if unknown).
	FPS float64
	// VideoCodec and AudioCodec name the codecs as RFC 6381 codec strings
	// where the container says enough ("avc1.64001f", "mp4a.40.2"), else the
	// sample entry's four-character code ("hvc1", "vp09", "Opus"). Each starts
	// with the four-character code. AudioCodec is "" without an audio track.
	VideoCodec string
	AudioCodec string
	// Orientation is a JPEG's EXIF orientation (1-8; 1 is upright), 0 for
	// other images and videos.
	Orientation int
	// Rotation is a video track's clockwise rotation in degrees (0, 90, 180, 270).
	Rotation int
}

// Animated reports whether the file is an image with several frames.
func (i *MediaInfo) Animated() bool { return i.Kind == "image" && i.Frames > 1 }

// Pixels is Width × Height.
func (i *MediaInfo) Pixels() int64 { return int64(i.Width) * int64(i.Height) }

// MaxAltText bounds a media file's alt text, in characters.
const MaxAltText = 1500

// MediaFilter selects a page of a workspace's library, newest first.
type MediaFilter struct {
	WorkspaceID string
	Offset      int
	Limit       int
}
